"""Rules for the extractive answer's verbatim lines: each recounts the figures of one line shape
that bot.compose writes, and checks that the records the line cites fit what it claims."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.faith_view import Scope, StoreView, as_int, pct_ok

if TYPE_CHECKING:
    from benchmarks.faithfulness import Verdict

NUM = r"\d[\d,]*"
PCT = r"(?:\d+(?:\.\d+)?%|n/a)"
REFS = r"(?:\[\d+\])*"
SCOPE = r"(?P<who>.*?)verbatims(?P<when> dated \S+ to \S+)?"
REF = re.compile(r"\[(\d+)\]")


@dataclass
class LineContext:
    view: StoreView
    scope: Scope
    cites: dict[int, dict[str, Any]]
    verdict: Verdict
    last_theme: str | None = None
    complaint_header: tuple[int, int] | None = None
    listed: list[tuple[object, str]] = field(default_factory=list)
    line_no: int = 0
    gap_lines: int = 0  # numbered perception-gap lines met so far
    praise: tuple[np.ndarray, int] | None = None  # positive verbatims in scope, topics' base
    praise_themes: bool = False  # "Of them:": the lines are the asked themes, not topics
    praised: list[int] = field(default_factory=list)  # counts of the praise lines so far
    # a ranking of segments: its key, the records it counts, the scope's total, lines so far
    seg_rank: tuple[str, np.ndarray, int, int] | None = None
    seg_listed: list[tuple[float, str]] = field(default_factory=list)
    words: Callable[[str], np.ndarray] | None = None  # the records that use a word (lexical)
    trend: dict[str, Any] | None = None  # a trend answer's periods (its `trend` block)
    trend_shown: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    top_n: int = 3  # how many lines a "most" list holds: the question's N, else three
    compare: Any = None  # a comparison's sides (benchmarks.faith_compare.Sides)

    def where(self, what: str) -> str:
        return f"line {self.line_no}: {what}"

    def figure(self, what: str, ok: bool, printed: object, expected: object) -> None:
        detail = "" if ok else f"says {printed}, the store gives {expected}"
        self.verdict.add("figure", self.where(what), ok, detail)

    def count(self, what: str, printed: str, true: int) -> None:
        self.figure(what, as_int(printed) == true, printed, f"{true:,}")

    def pct(self, what: str, printed: str, k: int, n: int) -> None:
        true = f"{100 * k / n:.2f}%" if n else "n/a"
        self.figure(what, pct_ok(printed, k, n), printed, true)

    def scope_words(self, m: re.Match[str]) -> None:
        who, when = m.group("who"), m.group("when") or ""
        ok = who == self.scope.who and when == self.scope.when
        self.verdict.add(
            "figure",
            self.where("scope words"),
            ok,
            ""
            if ok
            else f"says '{who}verbatims{when}', filters give "
            f"'{self.scope.who}verbatims{self.scope.when}'",
        )

    def ranking(
        self, what: str, listed: list[tuple[object, str]], score: dict[str, float], top: int
    ) -> None:
        """A "most"/"highest" list holds the top entries: nothing left out scores higher, and a
        short list means nothing else scores above zero."""
        if not listed:
            return
        names = {name for _, name in listed}
        floor = min(score.get(name, 0.0) for name in names)
        missed = [
            x
            for x, v in score.items()
            if x not in names and (v > floor + 1e-12 or (len(listed) < top and v > 0))
        ]
        self.verdict.add(
            "figure",
            self.where(what),
            not missed,
            f"{', '.join(sorted(missed))} rank higher but are not listed" if missed else "",
        )

    def finish(self) -> None:
        """Checks that need the whole answer: the "most raised complaints" list, and that a
        trend's rising (falling) lines leave out no theme that moved further that way beyond
        noise."""
        if self.trend_shown and self.trend:
            self._trend_complete()
        if self.complaint_header and self.listed:
            scope = self.view.scope(self.scope)
            counts = {
                t: float((scope & self.view.complaint(t)).sum()) for t in self.view.taxonomy.themes
            }
            self.ranking("most raised complaints", self.listed, counts, self.top_n)

    def _trend_complete(self) -> None:
        from benchmarks.faith_view import Z95, two_prop_z

        now, before = period_masks(self.view, self.scope, self.trend or {})
        n1, n2 = int(now.sum()), int(before.sum())
        for direction, shown in self.trend_shown.items():
            sign = 1 if direction == "Rising" else -1
            floor = min(x for x, _ in shown)
            names = {x for _, x in shown}
            missed = []
            for theme in self.view.taxonomy.themes:
                c = self.view.complaint(theme)
                k1, k2 = int((now & c).sum()), int((before & c).sum())
                moved = sign * 100 * ((k1 / n1 if n1 else 0.0) - (k2 / n2 if n2 else 0.0))
                if theme in names or theme in self.scope.themes:
                    continue
                if abs(two_prop_z(k1, n1, k2, n2)) >= Z95 and moved > floor + 0.05:
                    missed.append(theme)
            self.verdict.add(
                "figure",
                f"{direction.lower()} themes",
                not missed,
                f"{', '.join(missed)} moved further but are not listed" if missed else "",
            )

    def support(self, refs: str, mask: np.ndarray, claim: str) -> None:
        """Every record the line cites must be one the line's figure counts (or quotes)."""
        for n in (int(x) for x in REF.findall(refs)):
            c = self.cites.get(n)
            if c is None:
                continue  # reported by the reference check
            i = self.view.by_id.get(str(c["id"]))
            ok = i is not None and bool(mask[i])
            self.verdict.add(
                "support",
                self.where(f"[{n}] {c['id']}"),
                ok,
                "" if ok else f"cited for {claim}, but the record is not one of them",
            )


def _theme(ctx: LineContext, label: str) -> str | None:
    name = ctx.view.label_to_theme.get(label)
    ctx.verdict.add(
        "figure", ctx.where(f"theme '{label}'"), name is not None, "no such theme label"
    )
    return name


def theme_line(ctx: LineContext, m: re.Match[str]) -> None:
    ctx.scope_words(m)
    scope = ctx.view.scope(ctx.scope)
    theme = _theme(ctx, m.group("label"))
    if theme is None:
        return
    tm = scope & ctx.view.theme(theme)
    n, k = int(scope.sum()), int(tm.sum())
    c = int((scope & ctx.view.complaint(theme)).sum())
    ctx.count("verbatims in scope", m.group("n"), n)
    ctx.count(f"raise '{theme}'", m.group("k"), k)
    ctx.pct(f"share raising '{theme}'", m.group("pct"), k, n)
    ctx.count(f"complain about '{theme}'", m.group("c"), c)
    ctx.support(m.group("refs"), tm, f"'{theme}' in scope")
    ctx.last_theme = theme


def share_line(ctx: LineContext, m: re.Match[str]) -> None:
    """'Of 320 ... verbatims, 148 (46.2%, 95% CI 40.9-51.7%) read as negative, 71 (22.2%) as
    positive and 101 as neutral': every count, both shares and the Wilson interval recounted;
    the quotes are verbatims the line counts over."""
    from benchmarks.faith_view import wilson

    ctx.scope_words(m)
    scope = ctx.view.scope(ctx.scope)
    n = int(scope.sum())
    neg = int((scope & (ctx.view.polarity < 0)).sum())
    pos = int((scope & (ctx.view.polarity > 0)).sum())
    ctx.count("verbatims in scope", m.group("n"), n)
    ctx.count("negative", m.group("neg"), neg)
    ctx.pct("share negative", m.group("negpct"), neg, n)
    ctx.count("positive", m.group("pos"), pos)
    ctx.pct("share positive", m.group("pospct"), pos, n)
    ctx.count("neutral", m.group("neu"), n - neg - pos)
    lo, hi = wilson(neg, n)
    printed = (float(m.group("lo")), float(m.group("hi")))
    true = (round(100 * lo, 1), round(100 * hi, 1))
    ctx.figure("95% interval of the share negative", printed == true, printed, true)
    ctx.support(m.group("refs"), scope, "the verbatims in scope")


def segment_rank_header(ctx: LineContext, m: re.Match[str]) -> None:
    """'Complaints by airline, share of each one's verbatims (overall 55.7%, 8,068 of
    14,485):', also of one theme ('Lateness complaints by ...') or of the complaints using
    some words: what the ranking counts, recounted over the scope."""
    ctx.scope_words(m)
    scope = ctx.view.scope(ctx.scope)
    what = m.group("what")
    target = ctx.view.any_complaint.copy()
    if w := re.fullmatch(r"complaints using the words '(?P<w>[^']+)'", what, re.I):
        if ctx.words is None:
            ctx.verdict.add("figure", ctx.where("words counted"), False, "no lexical index")
            return
        for term in w.group("w").split():
            target &= ctx.words(term)
    elif what.lower() != "complaints":
        target = np.zeros(len(ctx.view), dtype=bool)
        for label in what[: -len(" complaints")].split(" / "):
            theme = _theme(ctx, label[:1].upper() + label[1:])
            if theme is None:
                return
            target |= ctx.view.complaint(theme)
    k, n = int((scope & target).sum()), int(scope.sum())
    ctx.count("complaints counted", m.group("k"), k)
    ctx.count("verbatims in scope", m.group("n"), n)
    ctx.pct("overall share", m.group("pct"), k, n)
    ctx.seg_rank = (m.group("key"), target, k, n)
    ctx.seg_listed = []


def segment_rank_item(ctx: LineContext, m: re.Match[str]) -> None:
    """'- US Airways: 70.6% (2,056 of 2,913), beyond noise against the others [1]': the
    value's counts, its share, the noise call against the rest, the order, and the quote."""
    from benchmarks.faith_view import Z95, two_prop_z

    if ctx.seg_rank is None:
        ctx.verdict.add("figure", ctx.where("segment line"), False, "no ranking header before")
        return
    key, target, total_k, total_n = ctx.seg_rank
    value = m.group("value")
    sm = ctx.view.scope(ctx.scope) & ctx.view.segment(key, [value])
    n, k = int(sm.sum()), int((sm & target).sum())
    ctx.count(f"{key}={value} n", m.group("n"), n)
    ctx.count(f"{key}={value} counted", m.group("k"), k)
    ctx.pct(f"{key}={value} share", m.group("share") + "%", k, n)
    z = two_prop_z(k, n, total_k - k, total_n - n) if total_n > n else 0.0
    want = "beyond" if abs(z) >= Z95 else "within"
    ctx.figure(f"{key}={value} noise", m.group("noise") == want, m.group("noise"), want)
    share = k / n if n else 0.0
    if ctx.seg_listed:
        ok = share <= ctx.seg_listed[-1][0] + 1e-12
        ctx.figure(f"{key}={value} order", ok, "after a lower share", "in decreasing share")
    ctx.seg_listed.append((share, value))
    ctx.support(m.group("refs"), sm & target, f"{key}={value}'s counted complaints")


def period_masks(
    view: StoreView, scope: Scope, trend: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """The scope's verbatims (its own dates aside) in a trend's period and the one before."""
    base = view.scope(replace(scope, since=None, until=None))
    now, before = trend["period"], trend["previous"]
    return (
        base & view.period(date.fromisoformat(now["since"]), date.fromisoformat(now["until"])),
        base
        & view.period(date.fromisoformat(before["since"]), date.fromisoformat(before["until"])),
    )


def _trend_masks(ctx: LineContext) -> tuple[np.ndarray, np.ndarray] | None:
    """The scope's verbatims in the answer's period and in the one before, whose dates come
    from its `trend` block: the previous period must end the day before and be as long."""
    from datetime import timedelta

    t = ctx.trend
    if not t:
        ctx.verdict.add("figure", ctx.where("trend periods"), False, "no trend block")
        return None
    now, before = t["period"], t["previous"]
    a, b = date.fromisoformat(now["since"]), date.fromisoformat(now["until"])
    c, d = date.fromisoformat(before["since"]), date.fromisoformat(before["until"])
    ok = d == a - timedelta(days=1) and (d - c) == (b - a)
    ctx.figure("the previous period", ok, f"{c} to {d}", f"the {(b - a).days + 1} days before {a}")
    return period_masks(ctx.view, ctx.scope, t)


def _points(ctx: LineContext, m: re.Match[str], k1: int, n1: int, k2: int, n2: int) -> float:
    from benchmarks.faith_view import Z95, two_prop_z

    ctx.count("now", m.group("kn"), k1)
    ctx.pct("share now", m.group("pn"), k1, n1)
    ctx.count("before", m.group("kb"), k2)
    ctx.pct("share before", m.group("pb"), k2, n2)
    pts = 100 * ((k1 / n1 if n1 else 0.0) - (k2 / n2 if n2 else 0.0))
    ctx.figure("points", abs(float(m.group("pts")) - pts) < 0.051, m.group("pts"), f"{pts:+.2f}")
    want = "beyond" if abs(two_prop_z(k1, n1, k2, n2)) >= Z95 else "within"
    ctx.figure("noise", m.group("noise") == want, m.group("noise"), want)
    return pts


def trend_header(ctx: LineContext, m: re.Match[str]) -> None:
    """'Change in Southwest verbatims, 21-22 Feb 2015 vs the 2 days before (19-20 Feb 2015)
    (649 vs 636 verbatims, +2.0% per day, within noise):' recounted per period."""
    import math

    from benchmarks.faith_view import Z95

    who = m.group("who")
    ctx.figure("scope words", who == ctx.scope.who, who, ctx.scope.who)
    masks = _trend_masks(ctx)
    if masks is None:
        return
    now, before = (int(x.sum()) for x in masks)
    ctx.count("verbatims now", m.group("vn"), now)
    ctx.count("verbatims before", m.group("vb"), before)
    if m.group("chg") and ctx.trend:
        dn = int(ctx.trend["period"]["days_with_data"])
        db = int(ctx.trend["previous"]["days_with_data"])
        rn, rb = now / dn if dn else 0.0, before / db if db else 0.0
        chg = 100 * (rn - rb) / rb if rb else 0.0
        ok = abs(float(m.group("chg")) - chg) < 0.051
        ctx.figure("change per day", ok, m.group("chg"), f"{chg:+.2f}")
        se = math.sqrt(now / dn**2 + before / db**2) if dn and db else 0.0
        z = (rn - rb) / se if se else 0.0
        want = "beyond" if abs(z) >= Z95 else "within"
        ctx.figure("volume noise", m.group("noise") == want, m.group("noise"), want)
    ctx.trend_shown = {}


def trend_too_few(ctx: LineContext, m: re.Match[str]) -> None:
    """'Not enough evidence for a trend in American verbatims, ...: 2,602 and 2 verbatims (at
    least 30 in each period are needed).': both periods recounted, one of them under the
    minimum."""
    who = m.group("who")
    ctx.figure("scope words", who == ctx.scope.who, who, ctx.scope.who)
    masks = _trend_masks(ctx)
    if masks is None:
        return
    now, before = (int(x.sum()) for x in masks)
    ctx.count("verbatims now", m.group("vn"), now)
    ctx.count("verbatims before", m.group("vb"), before)
    least = ctx.view.settings.min_segment_n
    ctx.count("the minimum", m.group("min"), least)
    ctx.figure("too few", min(now, before) < least, f"{now:,} and {before:,}", f"< {least}")


def trend_negative(ctx: LineContext, m: re.Match[str]) -> None:
    masks = _trend_masks(ctx)
    if masks is None:
        return
    now, before = masks
    neg = ctx.view.polarity < 0
    _points(
        ctx, m, int((now & neg).sum()), int(now.sum()), int((before & neg).sum()), int(before.sum())
    )
    ctx.support(m.group("refs"), now & neg, "the period's negative verbatims")


def trend_theme(ctx: LineContext, m: re.Match[str]) -> None:
    """'- Rising: Cancellations: 22.5% (146) vs 5.3% (34) complain about it, +17.2 pts,
    beyond noise [3].': recounted; a rising or falling line moved beyond noise that way, and
    no theme that moved further that way was left out."""
    masks = _trend_masks(ctx)
    theme = _theme(ctx, m.group("label"))
    if masks is None or theme is None:
        return
    now, before = masks
    cm = ctx.view.complaint(theme)
    n1, n2 = int(now.sum()), int(before.sum())
    pts = _points(ctx, m, int((now & cm).sum()), n1, int((before & cm).sum()), n2)
    direction = m.group("dir")
    if direction:
        sign = 1 if direction == "Rising" else -1
        ctx.figure(f"'{theme}' {direction.lower()}", sign * pts > 0, f"{pts:+.1f}", direction)
        ctx.trend_shown.setdefault(direction, []).append((sign * pts, theme))
    ctx.support(m.group("refs"), now & cm, f"the period's '{theme}' complaints")


def none_tagged(ctx: LineContext, m: re.Match[str]) -> None:
    ctx.scope_words(m)
    scope = ctx.view.scope(ctx.scope)
    ctx.count("verbatims in scope", m.group("n"), int(scope.sum()))
    theme = _theme(ctx, m.group("label"))
    if theme:
        ctx.count(f"raise '{theme}'", "0", int((scope & ctx.view.theme(theme)).sum()))


def highest_by(ctx: LineContext, m: re.Match[str]) -> None:
    key, theme = m.group("key"), ctx.last_theme
    if theme is None:
        ctx.verdict.add("figure", ctx.where("segment breakdown"), False, "no theme line before")
        return
    base = ctx.view.scope(ctx.scope)
    tm = ctx.view.theme(theme)
    min_n = ctx.view.settings.min_segment_n
    shares: dict[str, tuple[int, int]] = {}
    for value in ctx.view.segment_values(key)[:50]:
        sm = base & ctx.view.segment(key, [value])
        n = int(sm.sum())
        if n >= min_n:
            shares[value] = (int((sm & tm).sum()), n)
    listed: list[tuple[int, str]] = []
    for part in m.group("parts").split("; "):
        p = PART.fullmatch(part.rstrip())
        if p is None:
            ctx.verdict.add("figure", ctx.where(f"'{part}'"), False, "not a segment share")
            continue
        value = p.group("value")
        k, n = shares.get(value, (-1, -1))
        ctx.count(f"{key}={value} n", p.group("n"), n)
        ctx.count(f"{key}={value} raising '{theme}'", p.group("k"), k)
        ctx.pct(f"{key}={value} share", p.group("share"), k, n)
        ctx.support(p.group("refs"), base & ctx.view.segment(key, [value]) & tm, value)
        listed.append((k, value))
    rank = {v: k / n for v, (k, n) in shares.items()}
    ctx.ranking(f"highest '{theme}' share by {key}", listed, rank, 3)


def complaints_header(ctx: LineContext, m: re.Match[str]) -> None:
    ctx.scope_words(m)
    scope = ctx.view.scope(ctx.scope)
    n, nc = int(scope.sum()), int((scope & ctx.view.any_complaint).sum())
    ctx.count("verbatims in scope", m.group("n"), n)
    ctx.count("raise at least one complaint", m.group("nc"), nc)
    ctx.complaint_header = (n, nc)
    ctx.listed = []


def complaint_item(ctx: LineContext, m: re.Match[str]) -> None:
    if ctx.complaint_header is None:
        ctx.verdict.add("figure", ctx.where("complaint item"), False, "no header line before")
        return
    n, nc = ctx.complaint_header
    theme = _theme(ctx, m.group("label"))
    if theme is None:
        return
    scope = ctx.view.scope(ctx.scope)
    k = int((scope & ctx.view.complaint(theme)).sum())
    ctx.count(f"complain about '{theme}'", m.group("k"), k)
    ctx.pct(f"'{theme}' share of all", m.group("p1"), k, n)
    ctx.pct(f"'{theme}' share of complaints", m.group("p2"), k, nc)
    ctx.support(m.group("refs"), scope & ctx.view.theme(theme), f"'{theme}' in scope")
    ctx.listed.append((k, theme))


def only_known(ctx: LineContext, m: re.Match[str]) -> None:
    """'Only 2 known theme(s) are raised as complaints here; 9 negative verbatims raise none of
    the known themes.': the themes with a complaint in scope, and the negative verbatims in it
    that raise none."""
    scope = ctx.view.scope(ctx.scope)
    raised = [t for t in ctx.view.taxonomy.themes if (scope & ctx.view.complaint(t)).any()]
    ctx.count("themes raised as complaints", m.group("k"), len(raised))
    bare = scope & (ctx.view.polarity < 0) & ~ctx.view.any_complaint
    ctx.count("negative verbatims in no theme", m.group("neg"), int(bare.sum()))


def across(ctx: LineContext, m: re.Match[str]) -> None:
    ctx.scope_words(m)
    scope = ctx.view.scope(ctx.scope)
    n = int(scope.sum())
    ctx.count("verbatims in scope", m.group("n"), n)
    ctx.pct("share negative", m.group("neg"), int((scope & (ctx.view.polarity < 0)).sum()), n)
    ctx.pct("share positive", m.group("pos"), int((scope & (ctx.view.polarity > 0)).sum()), n)
    ctx.support(m.group("refs"), scope, "the verbatims in scope")


def none_raise(ctx: LineContext, m: re.Match[str]) -> None:
    ctx.scope_words(m)
    scope = ctx.view.scope(ctx.scope)
    ctx.count("verbatims in scope", m.group("n"), int(scope.sum()))
    ctx.count("raise a complaint", "0", int((scope & ctx.view.any_complaint).sum()))


def nothing_matches(ctx: LineContext, m: re.Match[str]) -> None:
    ctx.scope_words(m)
    ctx.count("verbatims in scope", m.group("n"), int(ctx.view.scope(ctx.scope).sum()))


def none_indexed(ctx: LineContext, m: re.Match[str]) -> None:
    ctx.scope_words(m)
    ctx.count("verbatims in scope", "0", int(ctx.view.scope(ctx.scope).sum()))


def metric_refs(ctx: LineContext, m: re.Match[str]) -> None:
    ctx.support(m.group("refs"), ctx.view.kind == "metric", "internal reports")


def no_figures(ctx: LineContext, m: re.Match[str]) -> None:
    """Lines that state no figure of their own (segment lists, the method note)."""


def examples_of(ctx: LineContext, m: re.Match[str]) -> None:
    """ "Examples of Late or delayed (142 of 1,032 verbatims, 13.8%): [1][2]."."""
    ctx.scope_words(m)
    scope = ctx.view.scope(ctx.scope)
    tm = np.zeros(len(scope), dtype=bool)
    for label in m.group("label").split(" / "):
        theme = _theme(ctx, label)
        if theme is not None:
            tm |= ctx.view.theme(theme)
    k, n = int((scope & tm).sum()), int(scope.sum())
    ctx.count("verbatims in scope", m.group("n"), n)
    ctx.count("raising the theme", m.group("k"), k)
    ctx.pct("share raising the theme", m.group("pct"), k, n)
    ctx.support(m.group("refs"), scope & tm, "the theme's verbatims in scope")


def closest_of(ctx: LineContext, m: re.Match[str]) -> None:
    ctx.scope_words(m)
    scope = ctx.view.scope(ctx.scope)
    ctx.count("verbatims in scope", m.group("n"), int(scope.sum()))
    ctx.support(m.group("refs"), scope, "the verbatims in scope")


def _using(ctx: LineContext, words: str) -> tuple[np.ndarray, np.ndarray]:
    """The scope, and its verbatims that use every word (stemmed as search matches it), from
    the catalog's texts."""
    import Stemmer

    stem = Stemmer.Stemmer("english").stemWord

    def stems(text: str) -> set[str]:
        return {stem(w) for w in re.findall(r"(?u)\b\w\w+\b", text.lower())}

    scope = ctx.view.scope(ctx.scope)
    wanted = stems(words)
    found = np.zeros(len(scope), dtype=bool)
    for i in np.flatnonzero(scope):
        found[i] = wanted <= stems(str(ctx.view.rows[i]["text"]))
    return scope, found


def words_unused(ctx: LineContext, m: re.Match[str]) -> None:
    """ "None of the 226 Sweaters verbatims use the words 'pilling'.": the scope counted, and
    no verbatim in it uses them all."""
    ctx.scope_words(m)
    scope, found = _using(ctx, m.group("words"))
    ctx.count("verbatims in scope", m.group("n"), int(scope.sum()))
    ctx.count("using the words", "0", int(found.sum()))


def words_used(ctx: LineContext, m: re.Match[str]) -> None:
    """ "'see through': 12 of 4,000 verbatims (0.3%) use these words, 9 of them negative": each
    word looked for, stemmed as search matches it, recounted over the catalog's texts."""
    ctx.scope_words(m)
    scope, found = _using(ctx, m.group("words"))
    k, n = int(found.sum()), int(scope.sum())
    neg = int((found & (ctx.view.polarity < 0)).sum())
    ctx.count("verbatims in scope", m.group("n"), n)
    ctx.count("using the words", m.group("k"), k)
    ctx.pct("share using the words", m.group("pct"), k, n)
    ctx.count("of them negative", m.group("neg"), neg)
    ctx.pct("negative share of them", m.group("p2"), neg, k)
    ctx.support(m.group("refs"), found, "the verbatims using the words")


def praise_header(ctx: LineContext, m: re.Match[str]) -> None:
    """ "411 of 1,032 verbatims (39.8%) are positive. What they praise most:"."""
    ctx.scope_words(m)
    scope = ctx.view.scope(ctx.scope)
    pos = scope & (ctx.view.polarity > 0)
    k = int(pos.sum())
    ctx.count("verbatims in scope", m.group("n"), int(scope.sum()))
    ctx.count("positive verbatims", m.group("k"), k)
    ctx.pct("share positive", m.group("pct"), k, int(scope.sum()))
    sample = m.group("sample")
    if sample is not None:  # an evenly spaced sample of the positive verbatims was clustered
        ctx.figure("sample size", 0 < as_int(sample) < k, sample, f"fewer than {k:,}")
    ctx.praise = (pos, as_int(sample) if sample is not None else k)
    ctx.praise_themes = m.group(0).endswith("Of them:")
    ctx.praised = []


def praise_item(ctx: LineContext, m: re.Match[str]) -> None:
    """A theme's positive verbatims (recounted), or a topic named from their words: its count
    is the answer's own clustering, so it is bounded (within the positive verbatims, all the
    topics together too), its share recomputed, and each quote must be a positive verbatim in
    scope that uses the topic's words."""
    if ctx.praise is None:
        ctx.verdict.add("figure", ctx.where("praise item"), False, "no header line before")
        return
    pos, base = ctx.praise
    label, k = m.group("label"), as_int(m.group("k"))
    ctx.pct(f"'{label}' share of positive verbatims", m.group("pct"), k, base)
    if ctx.praise_themes:
        theme = _theme(ctx, label)
        if theme is None:
            return
        tm = pos & ctx.view.theme(theme)
        ctx.count(f"positive verbatims raising '{theme}'", m.group("k"), int(tm.sum()))
        ctx.support(m.group("refs"), tm, f"positive '{theme}' verbatims")
        return
    ctx.praised.append(k)
    total = sum(ctx.praised)
    ctx.figure(f"'{label}' within the positive verbatims", total <= base, total, f"<= {base:,}")
    ctx.support(m.group("refs"), pos, "the positive verbatims in scope")
    words = [w for w in re.findall(r"[a-z0-9]+", label.lower()) if len(w) > 1]
    for n in (int(x) for x in REF.findall(m.group("refs"))):
        c = ctx.cites.get(n)
        if c is None:
            continue
        text = str(c.get("text", "")).lower()
        ok = all(re.search(rf"\b{re.escape(w)}", text) for w in words)
        ctx.verdict.add(
            "support", ctx.where(f"[{n}] uses '{label}'"), ok, "" if ok else "quote lacks the words"
        )


def praise_rest(ctx: LineContext, m: re.Match[str]) -> None:
    if ctx.praise is None:
        ctx.verdict.add("figure", ctx.where("praise rest"), False, "no header line before")
        return
    _, base = ctx.praise
    printed = float(m.group("pct").rstrip("%"))
    most = 100 * (base - sum(ctx.praised)) / base if base else 0.0
    ok = printed > 50 and printed <= most + 0.05
    ctx.figure("share in no named topic", ok, m.group("pct"), f"> 50% and <= {most:.2f}%")


def praise_closest(ctx: LineContext, m: re.Match[str]) -> None:
    pos = ctx.praise[0] if ctx.praise else ctx.view.scope(ctx.scope) & (ctx.view.polarity > 0)
    ctx.support(m.group("refs"), pos, "the positive verbatims in scope")


PART = re.compile(
    rf"(?P<value>.+?) (?P<share>[\d.]+)% \((?P<k>{NUM})/(?P<n>{NUM})\) ?(?P<refs>{REFS})"
)
Rule = tuple[re.Pattern[str], Callable[[LineContext, re.Match[str]], None]]
RULES: list[Rule] = [
    (
        re.compile(
            rf"^Only (?P<k>{NUM}) known theme\(s\) are raised as complaints here; (?P<neg>{NUM}) "
            r"negative verbatims raise none of the known themes\.$"
        ),
        only_known,
    ),
    (
        re.compile(
            rf"^None of the (?P<n>{NUM}) {SCOPE} use the words '(?P<words>[^']+)'\. Not enough "
            r"evidence that customers raise it\.$"
        ),
        words_unused,
    ),
    (
        re.compile(
            r"^Not enough evidence for a trend in (?P<who>.*?)verbatims, .+? vs the \d+ days "
            rf"before \([^)]+\): (?P<vn>{NUM}) and (?P<vb>{NUM}) verbatims \(at least "
            r"(?P<min>\d+) in each period are needed\)\.$"
        ),
        trend_too_few,
    ),
    (
        re.compile(
            r"^Change in (?P<who>.*?)verbatims, (?P<now>.+?) vs the (?P<days>\d+) days before "
            rf"\((?P<before>[^)]+)\) \((?P<vn>{NUM}) vs (?P<vb>{NUM}) verbatims(?:, "
            r"(?P<chg>[+-]?[\d.]+)% per day, (?P<noise>beyond|within) noise)?\):$"
        ),
        trend_header,
    ),
    (
        re.compile(
            rf"^- Negative: (?P<pn>{PCT}) \((?P<kn>{NUM})\) vs (?P<pb>{PCT}) \((?P<kb>{NUM})\), "
            rf"(?P<pts>[+-]?[\d.]+) pts, (?P<noise>beyond|within) noise ?(?P<refs>{REFS})\.$"
        ),
        trend_negative,
    ),
    (
        re.compile(
            rf"^- (?:(?P<dir>Rising|Falling): )?(?P<label>[^:]+): (?P<pn>{PCT}) \((?P<kn>{NUM})\) "
            rf"vs (?P<pb>{PCT}) \((?P<kb>{NUM})\) complain about it, (?P<pts>[+-]?[\d.]+) pts, "
            rf"(?P<noise>beyond|within) noise ?(?P<refs>{REFS})\.$"
        ),
        trend_theme,
    ),
    (
        re.compile(
            rf"^(?P<what>.+?) by (?P<key>[^,]+), share of each one's {SCOPE} \(overall "
            rf"(?P<pct>{PCT}), (?P<k>{NUM}) of (?P<n>{NUM})\):$"
        ),
        segment_rank_header,
    ),
    (
        re.compile(
            rf"^- (?P<value>.+?): (?P<share>[\d.]+)% \((?P<k>{NUM}) of (?P<n>{NUM})\), "
            rf"(?P<noise>beyond|within) noise against the others ?(?P<refs>{REFS})$"
        ),
        segment_rank_item,
    ),
    (re.compile(r"^Then, in order: .*\.$"), no_figures),
    (re.compile(r"^Too few verbatims to rank \(under \d+\): .*\.$"), no_figures),
    (
        re.compile(
            rf"^Of (?P<n>{NUM}) {SCOPE}, (?P<neg>{NUM}) \((?P<negpct>{PCT}), 95% CI "
            rf"(?P<lo>[\d.]+)-(?P<hi>[\d.]+)%\) read as negative, (?P<pos>{NUM}) "
            rf"\((?P<pospct>{PCT})\) as positive and (?P<neu>{NUM}) as neutral ?(?P<refs>{REFS})\.$"
        ),
        share_line,
    ),
    (
        re.compile(
            rf"^(?P<label>[^:]+): (?P<k>{NUM}) of (?P<n>{NUM}) {SCOPE} \((?P<pct>{PCT})\) raise "
            rf"it, (?P<c>{NUM}) of them as a complaint ?(?P<refs>{REFS})\.$"
        ),
        theme_line,
    ),
    (
        re.compile(
            rf"^None of the (?P<n>{NUM}) {SCOPE} were tagged '(?P<label>[^']+)'\. Not enough "
            r"evidence to say customers raise it\.$"
        ),
        none_tagged,
    ),
    (re.compile(r"^\s+Highest by (?P<key>[^:]+): (?P<parts>.+)\.$"), highest_by),
    (
        re.compile(
            rf"^Most raised complaints among (?P<n>{NUM}) {SCOPE} \((?P<nc>{NUM}) raise at "
            r"least one\):$"
        ),
        complaints_header,
    ),
    (
        re.compile(
            rf"^- (?P<label>.+?): (?P<k>{NUM}) \((?P<p1>{PCT}) of all, (?P<p2>{PCT}) of "
            rf"complaints\) ?(?P<refs>{REFS})$"
        ),
        complaint_item,
    ),
    (
        re.compile(
            rf"^Across (?P<n>{NUM}) {SCOPE}, (?P<neg>{PCT}) are negative and (?P<pos>{PCT}) "
            rf"positive\. Closest matches: (?P<refs>{REFS})\.$"
        ),
        across,
    ),
    (
        re.compile(
            rf"^Of (?P<n>{NUM}) {SCOPE}, none raise a known theme as a complaint\. Not enough "
            r"evidence\.$"
        ),
        none_raise,
    ),
    (
        re.compile(
            rf"^Not enough evidence: nothing among (?P<n>{NUM}) {SCOPE} (?:matches|is close to "
            r"this question)\.$"
        ),
        nothing_matches,
    ),
    (re.compile(rf"^Not enough evidence: no {SCOPE} are indexed\.$"), none_indexed),
    (re.compile(rf"^Internal reports on this: (?P<refs>{REFS})\.$"), metric_refs),
    (
        re.compile(
            rf"^(?P<k>{NUM}) of (?P<n>{NUM}) {SCOPE} \((?P<pct>{PCT})\) are positive\.(?: What "
            r"they praise most, in their own words(?: \(an evenly spaced sample of "
            rf"(?P<sample>{NUM}) of them\))?:| "
            r"Too few of them share distinctive words to name what they praise\.| Of them:| "
            r"None of them raises that theme\.)$"
        ),
        praise_header,
    ),
    (
        re.compile(
            rf"^- (?P<label>.+?): (?P<k>{NUM}) \((?P<pct>{PCT}) of(?P<sampled> the sampled)? "
            rf"positive verbatims\) ?(?P<refs>{REFS})$"
        ),
        praise_item,
    ),
    (re.compile(rf"^(?P<pct>{PCT}) of them fall in no named topic: .*$"), praise_rest),
    (
        re.compile(
            rf"^Examples of (?P<label>.+?) \((?P<k>{NUM}) of (?P<n>{NUM}) {SCOPE}, "
            rf"(?P<pct>{PCT})\): (?P<refs>{REFS})\.$"
        ),
        examples_of,
    ),
    (re.compile(rf"^Closest of (?P<n>{NUM}) {SCOPE}: (?P<refs>{REFS})\.$"), closest_of),
    (
        re.compile(
            rf"^'(?P<words>[^']+)': (?P<k>{NUM}) of (?P<n>{NUM}) {SCOPE} \((?P<pct>{PCT})\) use "
            rf"these words, (?P<neg>{NUM}) of them negative \((?P<p2>{PCT})\) ?(?P<refs>{REFS})\.$"
        ),
        words_used,
    ),
    (re.compile(rf"^Closest positive verbatims: (?P<refs>{REFS})\.$"), praise_closest),
    (re.compile(r"^No verbatims have the segment .*\. Known segments: .*\.$"), no_figures),
    (re.compile(r"^Counts cover every matching record in the index; .*"), no_figures),
]
