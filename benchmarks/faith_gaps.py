"""Rules for perception-gap figures: each gap line (and each `gaps` JSON entry) is matched to a
fresh `bot.analysis.gaps.analyse()` of the store, and its counts, shares, interval, rank, score and
significance are recounted independently from the catalog."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from benchmarks.faith_lines import NUM, REF, REFS, LineContext
from benchmarks.faith_view import StoreView, number_ok, two_prop_z, wilson


@dataclass
class Recount:
    n: int
    k: int
    n_c: int
    mask: np.ndarray  # the segment's verbatims (and period)
    themes: list[str]


def link_themes(report: Any, metric: str) -> list[str]:
    return next((lk.themes for lk in report.links if lk.metric == metric), [])


def recount(view: StoreView, report: Any, v: Any, base: np.ndarray) -> Recount:
    """n, k, n_c of one metric x segment (x period), from the catalog alone."""
    from bot.analysis.gaps import period_range

    mask = base.copy()
    if v.segment != "All customers":
        key = view.segment_key(v.segment)
        mask &= view.segment(key, [v.segment]) if key else np.zeros(len(view), dtype=bool)
    d0, d1 = view.verbatim_dates()
    if v.period_label and d1:
        rng = period_range(v.period_label, date.fromisoformat(d1).year)
        if rng:
            mask &= view.period(*rng)
    themes = link_themes(report, v.fact.metric)
    cmask = np.zeros(len(view), dtype=bool)
    for t in themes:
        cmask |= view.complaint(t)
    complaining = (view.polarity < 0) | view.any_complaint
    return Recount(
        int(mask.sum()), int((mask & cmask).sum()), int((mask & complaining).sum()), mask, themes
    )


@dataclass
class Expected:
    """A gap's figures as the store gives them, computed without bot.gaps' arithmetic."""

    rc: Recount
    mix: float
    share: float
    lo: float
    hi: float
    rest: float
    z: float
    score: float


def expected(view: StoreView, report: Any, v: Any, base: np.ndarray) -> Expected:
    rc = recount(view, report, v, base)
    ranked = report.gaps + report.agreeing
    group = [
        o
        for o in ranked
        if o.fact.metric == v.fact.metric and o.period_label == v.period_label and o is not v
    ]
    if not any(o is v for o in ranked):
        group = []  # not ranked, or the "All customers" line: no comparison is made
    others = [recount(view, report, o, base) for o in group]
    rest_k, rest_n = sum(o.k for o in others), sum(o.n_c for o in others)
    mix = rc.k / rc.n_c if rc.n_c else 0.0
    rest = rest_k / rest_n if rest_n else 0.0
    parts = []
    if v.of > 1:
        parts.append((v.of - v.rank) / (v.of - 1))
    if v.fact.target is not None:
        higher = v.fact.direction == "higher"
        parts.append(
            float(v.fact.value >= v.fact.target if higher else v.fact.value <= v.fact.target)
        )
    goodness = sum(parts) / len(parts) if parts else 0.5
    lo, hi = wilson(rc.k, rc.n_c)
    return Expected(
        rc=rc,
        mix=mix,
        share=rc.k / rc.n if rc.n else 0.0,
        lo=lo,
        hi=hi,
        rest=rest,
        z=two_prop_z(rc.k, rc.n_c, rest_k, rest_n) if rest_n else 0.0,
        score=goodness * (mix - rest) * 100 if rest_n else 0.0,
    )


def all_views(report: Any) -> list[Any]:
    return report.gaps + report.agreeing + report.not_ranked + report.overall


def head(v: Any) -> str:
    from bot.analysis.gaps import fmt_value, humanise

    period = f" ({v.period_label})" if v.period_label else ""
    return f"{humanise(v.fact.metric)} {fmt_value(v.fact)}{period}"


def check_metric_record(ctx: LineContext, refs: str, v: Any) -> None:
    """The metric citation is the report line the value came from, and that line says it."""
    ns = [int(x) for x in REF.findall(refs)]
    if not ns or ns[0] not in ctx.cites:
        ctx.verdict.add("support", ctx.where("metric citation"), False, "no metric record cited")
        return
    cid = str(ctx.cites[ns[0]]["id"])
    i = ctx.view.by_id.get(cid)
    facts = ctx.view.rows[i]["facts"] if i is not None else []
    ok = any(
        f.metric == v.fact.metric
        and abs(f.value - v.fact.value) < 1e-9
        and f.target == v.fact.target
        for f in facts
    )
    ctx.verdict.add(
        "support",
        ctx.where(f"[{ns[0]}] {cid}"),
        ok,
        "" if ok else f"the cited record does not report {v.fact.metric} = {v.fact.value:g}",
    )


def gap_line(ctx: LineContext, m: re.Match[str], report: Any, base: np.ndarray) -> None:
    seg = m.group("segment")
    cands = [v for v in all_views(report) if v.segment == seg and head(v) == m.group("head")]
    if not cands:
        ctx.verdict.add(
            "figure",
            ctx.where(f"gap '{seg}: {m.group('head')}'"),
            False,
            "no such metric x segment in a fresh gap analysis of the store",
        )
        return
    v = cands[0]
    e = expected(ctx.view, report, v, base)
    ctx.count("rank", m.group("rank") or "1", v.rank if m.group("rank") else 1)
    if m.group("of"):
        ctx.count("segments compared", m.group("of"), v.of)
    if m.group("target"):
        ok = v.fact.target is not None and number_ok(m.group("target"), v.fact.target)
        ctx.figure("target", ok, m.group("target"), v.fact.target)
    check_metric_record(ctx, m.group("mrefs"), v)
    themes = " / ".join(ctx.view.taxonomy.label(t).lower() for t in e.rc.themes)
    ctx.figure("linked themes", m.group("themes") == themes, m.group("themes"), themes)
    ctx.count("complaining customers (n_c)", m.group("nc"), e.rc.n_c)
    ctx.count("complaints about the theme (k)", m.group("k"), e.rc.k)
    ctx.count("segment verbatims (n)", m.group("n"), e.rc.n)
    for name, printed, true in (
        ("share of complaints", m.group("mix"), 100 * e.mix),
        ("CI low", m.group("lo"), 100 * e.lo),
        ("CI high", m.group("hi"), 100 * e.hi),
        ("other segments' share", m.group("rest"), 100 * e.rest),
        ("share of all verbatims", m.group("share"), 100 * e.share),
        ("score", m.group("score"), e.score),
    ):
        ctx.figure(name, number_ok(printed, true), printed, f"{true:.3f}")
    sig = "significant" if e.z >= 1.959963984540054 else "not significant at this n"
    ctx.figure("significance", m.group("sig") == sig, m.group("sig"), f"{sig} (z={e.z:.2f})")
    ctx.figure("segment named twice", m.group("seg2") == seg, m.group("seg2"), seg)
    tmask = np.zeros(len(ctx.view), dtype=bool)
    for t in e.rc.themes:
        tmask |= ctx.view.theme(t)
    ctx.support(m.group("vrefs"), e.rc.mask & tmask, f"{seg} verbatims raising the theme")


def not_ranked_line(ctx: LineContext, m: re.Match[str], report: Any, base: np.ndarray) -> None:
    small = {(v.segment, v.period_label): v for v in report.not_ranked}
    for p in SMALL.finditer(m.group("items")):
        v = small.get((p.group("seg"), p.group("period")))
        if v is None:
            ctx.verdict.add("figure", ctx.where(p.group(0)), False, "not a small segment")
            continue
        rc = recount(ctx.view, report, v, base)
        ctx.count(f"{v.segment} complaining", p.group("nc"), rc.n_c)
        ctx.count(f"{v.segment} verbatims", p.group("n"), rc.n)
        ctx.figure(
            f"{v.segment} is below the minimum",
            rc.n_c < ctx.view.settings.min_segment_n,
            rc.n_c,
            f"< {ctx.view.settings.min_segment_n}",
        )


def more_gaps(ctx: LineContext, m: re.Match[str], report: Any, base: np.ndarray) -> None:
    ctx.count("more gaps", m.group("more"), len(report.gaps) - 3)


def no_gap(ctx: LineContext, m: re.Match[str], report: Any, base: np.ndarray) -> None:
    ctx.figure("no gap", not report.gaps, f"{len(report.gaps)} gaps", "none")


def check_entry(ctx: LineContext, g: dict[str, Any], report: Any, base: np.ndarray) -> None:
    """One `gaps` JSON entry against the fresh analysis and the independent recount."""
    key = f"gap {g.get('metric')} / {g.get('segment')}"
    v = next(
        (
            x
            for x in all_views(report)
            if x.fact.metric == g.get("metric")
            and x.segment == g.get("segment")
            and x.period_label == g.get("period")
        ),
        None,
    )
    if v is None:
        ctx.verdict.add("figure", key, False, "not in a fresh gap analysis of the store")
        return
    e = expected(ctx.view, report, v, base)

    def same(name: str, got: Any, true: Any, places: int | None = None) -> None:
        ok = got == true if places is None else abs(float(got) - float(true)) <= 10**-places
        ctx.verdict.add("figure", f"{key}: {name}", ok, "" if ok else f"says {got}, store {true}")

    same("n", g.get("n"), e.rc.n)
    same("k", g.get("k"), e.rc.k)
    same("n_complaining", g.get("n_complaining"), e.rc.n_c)
    same("metric_value", g.get("metric_value"), v.fact.value)
    same("metric_rank", g.get("metric_rank"), v.rank)
    same("segments_compared", g.get("segments_compared"), v.of)
    same("customer_share", g.get("customer_share"), e.share, 4)
    same("share_of_complaints", g.get("share_of_complaints"), e.mix, 4)
    same("complaints_ci_low", g.get("complaints_ci_low"), e.lo, 4)
    same("complaints_ci_high", g.get("complaints_ci_high"), e.hi, 4)
    lo, hi = wilson(e.rc.k, e.rc.n)
    same("ci_low", g.get("ci_low"), lo, 4)
    same("ci_high", g.get("ci_high"), hi, 4)
    if v.ranked:
        same("rest_share_of_complaints", g.get("rest_share_of_complaints"), e.rest, 4)
        same("z", g.get("z"), e.z, 2)
        same("score", g.get("score"), e.score, 3)
        same("significant", g.get("significant"), e.z >= 1.959963984540054)


SMALL = re.compile(
    rf"(?:, )?(?P<seg>[^,(]+?) \((?P<nc>{NUM}) complaining of (?P<n>{NUM})"
    r"(?:, (?P<period>[^)]+))?\)"
)
GAP_RULES = [
    (
        re.compile(
            rf"^\d+\. (?P<segment>.+?): (?P<head>.+?) \((?:rank (?P<rank>\d+) of (?P<of>\d+)|"
            rf"only segment)(?:, target (?P<target>-?[\d.]+)%?)?\) ?(?P<mrefs>{REFS}), yet "
            rf"(?P<themes>.+?) is (?P<mix>[\d.]+)% of what its (?P<nc>{NUM}) complaining "
            rf"customers raise \(95% CI (?P<lo>[\d.]+)-(?P<hi>[\d.]+)%\) vs (?P<rest>[\d.]+)% "
            rf"for the other segments; (?P<k>{NUM}) of all (?P<n>{NUM}) (?P<seg2>.+?) verbatims "
            rf"\((?P<share>[\d.]+)%\) ?(?P<vrefs>{REFS})\. Score (?P<score>-?[\d.]+), "
            r"(?P<sig>significant|not significant at this n)\.$"
        ),
        gap_line,
    ),
    (re.compile(r"^Not ranked, too few verbatims: (?P<items>.+)\.$"), not_ranked_line),
    (re.compile(r"^(?P<more>\d+) more gap\(s\): run `cxbot gaps` for all\.$"), more_gaps),
    (re.compile(r"^No disagreement found: .*"), no_gap),
    (re.compile(r"^Where the internal metric looks good but customers .*:$"), None),
]
"""(pattern, rule); a rule of None marks a line that states no figure of its own."""
