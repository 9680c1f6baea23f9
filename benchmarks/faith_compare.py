"""Rules for a side-by-side comparison of segment values (`bot.ask.shapes.compare_lines`): the
header's verbatim counts per side, each row's counts, shares and quotes per side, which side is
higher by how much and whether beyond noise, and that the themes shown are the most raised
ones when the question named none. Every figure is recounted from the catalog rows; the sides
are read from the answer's own header, not from the bot's query."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from benchmarks.faith_lines import NUM, PCT, REFS, LineContext, _theme
from benchmarks.faith_view import Z95, number_ok, two_prop_z

REST = re.compile(r"^all other (?P<key>.+) values$")


@dataclass
class Sides:
    """One comparison's sides, in the header's order: label, mask, verbatim count."""

    labels: list[str]
    masks: list[np.ndarray]
    ns: list[int]
    rows: list[str]  # the theme of each theme row shown so far (the "Negative" row is none)
    fitted: bool  # "the most raised theme(s) only": the themes were cut to fit the quotes


def _sides(ctx: LineContext, labels: list[str]) -> tuple[list[np.ndarray], str | None]:
    """The verbatims each label names within the answer's scope (its filters hold no value of
    the compared key), and the key."""
    base = ctx.view.scope(ctx.scope)
    named = [v for lab in labels if not REST.match(lab) for v in lab.split(" / ")]
    # the key that holds every named value (a value may be in two: Dresses, class and department)
    key = next(
        (k for k in ctx.view.segment_keys() if set(named) <= set(ctx.view.segment_values(k))),
        None,
    )
    rest = next((REST.match(lab) for lab in labels if REST.match(lab)), None)
    if rest:
        key = rest["key"]
    masks = []
    for lab in labels:
        if key is None:
            masks.append(np.zeros(len(ctx.view), dtype=bool))
        elif REST.match(lab):
            others = [v for v in ctx.view.segment_values(key) if v not in named]
            masks.append(base & ctx.view.segment(key, others))
        else:
            masks.append(base & ctx.view.segment(key, lab.split(" / ")))
    return masks, key


def compare_header(ctx: LineContext, m: re.Match[str]) -> None:
    labels = m["labels"].split(" vs ")
    counts = re.findall(rf"(.+?): ({NUM})(?:, |$)", m["counts"])
    masks, key = _sides(ctx, labels)
    ctx.verdict.add(
        "figure", ctx.where("compared key"), key is not None, "" if key else "no such segment"
    )
    ctx.scope_words(m)
    ok = [lab for lab, _ in counts] == labels
    ctx.figure("sides", ok, [lab for lab, _ in counts], labels)
    for (lab, printed), mask in zip(counts, masks, strict=False):
        ctx.count(f"{lab} verbatims", printed, int(mask.sum()))
    ns = [int(x.sum()) for x in masks]
    ctx.compare = Sides(labels, masks, ns, [], bool(m["fit"]))


HIGHER = re.compile(r"^(?P<lab>.+) higher by (?P<pts>[\d.]+) pts, (?P<noise>beyond|within) noise$")
CELL = re.compile(
    rf"^(?P<lab>.+?) (?P<pct>{PCT}) \((?P<k>{NUM})/(?P<n>{NUM})\)(?: (?P<refs>{REFS}))?$"
)


def compare_row(ctx: LineContext, m: re.Match[str]) -> None:
    s = ctx.compare
    if s is None:
        ctx.verdict.add("figure", ctx.where("comparison row"), False, "no header line before")
        return
    title = m["title"]
    if title == "Negative":
        what = ctx.view.polarity < 0
        claim = "negative verbatims of the side"
    else:
        theme = _theme(ctx, title.removesuffix(" (complaints)"))
        if theme is None:
            return
        s.rows.append(theme)
        what = ctx.view.complaint(theme)
        claim = f"'{theme}' complaints of the side"
    cells = [CELL.match(c) for c in m["cells"].split(" vs ")]
    if not all(cells) or [c["lab"] for c in cells if c] != s.labels:
        ctx.verdict.add("figure", ctx.where(f"{title} sides"), False, "not the header's sides")
        return
    ks = []
    for c, mask, n in zip(cells, s.masks, s.ns, strict=True):
        assert c is not None
        k = int((mask & what).sum())
        ks.append(k)
        ctx.count(f"{title}: {c['lab']} (k)", c["k"], k)
        ctx.count(f"{title}: {c['lab']} (n)", c["n"], n)
        ctx.pct(f"{title}: {c['lab']} share", c["pct"], k, n)
        if c["refs"]:
            ctx.support(c["refs"], mask & what, claim)
    share = [k / n if n else 0.0 for k, n in zip(ks, s.ns, strict=True)]
    hi, lo = int(np.argmax(share)), int(np.argmin(share))
    diff = 100 * (share[hi] - share[lo])
    z = two_prop_z(ks[hi], s.ns[hi], ks[lo], s.ns[lo])
    v = m["verdict"]
    if diff <= 0:
        ctx.figure(f"{title}: difference", v == "no difference", v, "no difference")
        return
    got = re.match(
        r"^(?P<lab>.+) higher by (?P<pts>[\d.]+) pts, (?P<noise>beyond|within) noise$", v
    )
    noise = "beyond" if abs(z) >= Z95 else "within"
    ok = bool(got) and got["lab"] == s.labels[hi]  # type: ignore[index]
    ctx.figure(f"{title}: higher side", ok, v, s.labels[hi])
    if got:
        ctx.figure(f"{title}: points", number_ok(got["pts"], diff), got["pts"], f"{diff:.3f}")
        ctx.figure(f"{title}: noise", got["noise"] == noise, got["noise"], f"{noise} (z={z:.2f})")


def compare_finish(ctx: LineContext) -> None:
    """Themes the question did not name are the most raised over the sides together."""
    s = ctx.compare
    if s is None or ctx.scope.themes or not s.rows:
        return
    pooled = np.zeros(len(ctx.view), dtype=bool)
    for mask in s.masks:
        pooled |= mask
    counts = {t: float((pooled & ctx.view.complaint(t)).sum()) for t in ctx.view.taxonomy.themes}
    ctx.ranking("themes compared", [(None, t) for t in s.rows], counts, len(s.rows))


def no_theme(ctx: LineContext, m: re.Match[str]) -> None:
    s = ctx.compare
    if s is None:
        ctx.verdict.add("figure", ctx.where("no theme"), False, "no header line before")
        return
    pooled = np.zeros(len(ctx.view), dtype=bool)
    for mask in s.masks:
        pooled |= mask
    raised = int((pooled & ctx.view.any_complaint).sum())
    ctx.figure("no theme raised", raised == 0, f"{raised:,} complaints", "none")


COMPARE_RULES = [
    (
        re.compile(
            r"^(?P<labels>.+? vs .+?), (?P<who>.*?)verbatims(?P<when> dated \S+ to \S+)? "
            r"\((?P<counts>[^()]+)\)(?P<fit>, the most raised (?:theme|\d+ themes) only "
            r"\(a quote per side each\))?:$"
        ),
        compare_header,
    ),
    (
        re.compile(
            r"^- (?P<title>Negative|.+? \(complaints\)): (?P<cells>.+); "
            r"(?P<verdict>no difference|.+? higher by [\d.]+ pts, (?:beyond|within) noise)\.$"
        ),
        compare_row,
    ),
    (
        re.compile(r"^No theme is raised as a complaint in either; only the shares above\.$"),
        no_theme,
    ),
]
