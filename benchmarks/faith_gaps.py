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
from benchmarks.faith_view import StoreView, as_int, number_ok, two_prop_z, wilson


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


def goodness(v: Any) -> float:
    """How good the metric looks, 0..1: its rank among the segments and whether it meets its
    target (the definition in bot.analysis.gaps, written out again)."""
    parts = []
    if v.of > 1:
        parts.append((v.of - v.rank) / (v.of - 1))
    if v.fact.target is not None:
        higher = v.fact.direction == "higher"
        parts.append(
            float(v.fact.value >= v.fact.target if higher else v.fact.value <= v.fact.target)
        )
    return sum(parts) / len(parts) if parts else 0.5


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
    lo, hi = wilson(rc.k, rc.n_c)
    return Expected(
        rc=rc,
        mix=mix,
        share=rc.k / rc.n if rc.n else 0.0,
        lo=lo,
        hi=hi,
        rest=rest,
        z=two_prop_z(rc.k, rc.n_c, rest_k, rest_n) if rest_n else 0.0,
        score=goodness(v) * (mix - rest) * 100 if rest_n else 0.0,
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
    ctx.gap_lines += 1
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
    ctx.count("more gaps", m.group("more"), len(report.gaps) - ctx.gap_lines)


def _asked(ctx: LineContext) -> list[str]:
    return list(dict.fromkeys(v for vals in ctx.scope.segments.values() for v in vals))


def no_gap(ctx: LineContext, m: re.Match[str], report: Any, base: np.ndarray) -> None:
    """No gap at all, or (``for X``) none among the segments asked about, which must have been
    ranked against the others."""
    who = m.group("who")
    if who is None:
        ctx.figure("no gap", not report.gaps, f"{len(report.gaps)} gaps", "none")
        return
    asked = _asked(ctx)
    ctx.figure("segments named", who == " and ".join(asked), who, " and ".join(asked))
    theirs = [v for v in report.gaps if v.segment in asked]
    ctx.figure(f"no gap for {who}", not theirs, f"{len(theirs)} gaps", "none")
    ranked = [v for v in report.agreeing if v.segment in asked]
    ctx.figure(f"{who} ranked", bool(ranked), "ranked", "not ranked")


def too_few(ctx: LineContext, m: re.Match[str], report: Any, base: np.ndarray) -> None:
    """The segments asked about are in no ranking: every view of them is below the minimum."""
    asked = _asked(ctx)
    who = m.group("who")
    ctx.figure("segments named", who == " and ".join(asked), who, " and ".join(asked))
    ranked = [v for v in report.gaps + report.agreeing if v.segment in asked]
    ctx.figure(f"{who} too few to rank", not ranked, f"{len(ranked)} ranked", "none")


def agreeing_line(ctx: LineContext, m: re.Match[str], report: Any, base: np.ndarray) -> None:
    """A segment asked about that is no gap: its metric, rank, complaint share and the other
    segments' share, recounted, and which way it agrees."""
    seg = m.group("segment")
    v = next((o for o in report.agreeing if o.segment == seg and head(o) == m["head"]), None)
    if v is None:
        ctx.verdict.add(
            "figure",
            ctx.where(f"agreeing '{seg}: {m.group('head')}'"),
            False,
            "not a ranked segment that is no gap in a fresh gap analysis of the store",
        )
        return
    e = expected(ctx.view, report, v, base)
    ctx.count("rank", m.group("rank"), v.rank)
    ctx.count("segments compared", m.group("of"), v.of)
    check_metric_record(ctx, m.group("mrefs"), v)
    themes = " / ".join(ctx.view.taxonomy.label(t).lower() for t in e.rc.themes)
    ctx.figure("linked themes", m.group("themes") == themes, m.group("themes"), themes)
    ctx.count("complaining customers (n_c)", m.group("nc"), e.rc.n_c)
    ctx.figure("share of complaints", number_ok(m.group("mix"), 100 * e.mix), m.group("mix"),
               f"{100 * e.mix:.3f}")  # fmt: skip
    ctx.figure("other segments' share", number_ok(m.group("rest"), 100 * e.rest),
               m.group("rest"), f"{100 * e.rest:.3f}")  # fmt: skip
    good = goodness(v)
    way = (
        "the metric looks worse than its customers' complaints"
        if good < 0.5 and e.mix < e.rest
        else "customers agree with the metric"
    )
    ctx.figure("which way", m.group("way") == way, m.group("way"), way)
    ctx.figure("no gap", not (good >= 0.5 and e.score > 0), f"score {e.score:.2f}", "<= 0")


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
    (re.compile(r"^No disagreement found(?: for (?P<who>.+?))?: .*"), no_gap),
    (re.compile(r"^Too few verbatims from (?P<who>.+?) to compare with the other .*"), too_few),
    (
        re.compile(
            rf"^(?P<segment>.+?): (?P<head>.+?) \(rank (?P<rank>\d+) of (?P<of>\d+)\) "
            rf"(?P<mrefs>{REFS}); (?P<themes>.+?) is (?P<mix>[\d.]+)% of what its (?P<nc>{NUM}) "
            r"complaining customers raise vs (?P<rest>[\d.]+)% for the other segments: "
            r"(?P<way>.+)\.$"
        ),
        agreeing_line,
    ),
    (re.compile(r"^Where the internal metric looks good but customers .*:$"), None),
]
"""(pattern, rule); a rule of None marks a line that states no figure of its own."""


# ---------------------------------------------------------------- the customer score side

SCORE_MEASURES = {"NPS": "nps", "share answering 4-5": "share45", "mean score (1-5)": "mean5"}
SCORE_KINDS = {"nps": ("nps",), "share45": ("csat", "stars"), "mean5": ("csat", "stars")}
SCORE_LOW = {"nps": 6.0, "share45": 3.0, "mean5": 3.0}
SIGNED_OR = r"[+-]?\d+(?:\.\d+)?%?"


@dataclass
class ScoreRecount:
    """The customers' own score of one segment and period, counted from the raw rows."""

    n: int
    value: float
    lo: float
    hi: float
    mask: np.ndarray  # scored verbatims counted
    loose: float  # how far an interval end may lie (t there, normal here, for means)


def score_recount(
    raw: Any,
    measure: str,
    kind: str,
    segment: str,
    period: str | None,
    scope: Any = None,
) -> ScoreRecount:
    """Textbook formulas over the raw catalog rows (benchmarks.faith_drivers.Raw): NPS = %9-10
    minus %0-6 with the variance of a difference of shares, the share of 4-5 with Wilson, the
    mean with a normal interval."""
    import math

    from benchmarks.faith_drivers import textbook
    from bot.analysis.gaps import period_range

    sources = [s for s, k in raw.kinds.items() if k == kind]
    m = raw.verbatim & ~np.isnan(raw.score) & np.isin(raw.source, sources)
    if segment != "All customers":
        m &= np.array([segment in seg.values() for seg in raw.segments], dtype=bool)
    days = [d for d, v in zip(raw.day, raw.verbatim, strict=True) if v and d]
    if period and days:
        rng = period_range(period, int(max(days)[:4]))
        if rng:
            lo, hi = rng[0].isoformat(), rng[1].isoformat()
            m &= np.array([bool(d) and lo <= d[:10] <= hi for d in raw.day], dtype=bool)
    if scope is not None and (scope.since or scope.until):
        a = scope.since.isoformat() if scope.since else "0000"
        b = scope.until.isoformat() if scope.until else "9999"
        m &= np.array([bool(d) and a <= d[:10] <= b for d in raw.day], dtype=bool)
    s = raw.score[m]
    n = len(s)
    if n == 0:
        return ScoreRecount(0, math.nan, math.nan, math.nan, m, 0.0)
    if measure == "nps":
        v, lo, hi, _, _ = textbook("nps", s)
        return ScoreRecount(n, v, lo, hi, m, 0.0)
    if measure == "share45":
        k = int((s >= 4).sum())
        wlo, whi = wilson(k, n)
        return ScoreRecount(n, 100 * k / n, 100 * wlo, 100 * whi, m, 0.0)
    v, lo, hi, _, _ = textbook("stars", s)
    return ScoreRecount(n, v, lo, hi, m, (hi - lo) / 2 * (1.5 / max(1, n - 1) + 0.01) + 1e-3)


def internal_value(ctx: LineContext, refs: str, metric: str) -> float | None:
    """The value the cited report line states for ``metric`` (checked as support)."""
    ns = [int(x) for x in REF.findall(refs)]
    if not ns or ns[0] not in ctx.cites:
        ctx.verdict.add("support", ctx.where("report line cited"), False, "no report line cited")
        return None
    cid = str(ctx.cites[ns[0]]["id"])
    i = ctx.view.by_id.get(cid)
    facts = ctx.view.rows[i]["facts"] if i is not None else []
    values = [f.value for f in facts if f.metric == metric]
    ok = bool(values)
    ctx.verdict.add(
        "support", ctx.where(f"[{ns[0]}] {cid}"), ok, "" if ok else f"does not report {metric}"
    )
    return values[0] if values else None


def score_gap_line(ctx: LineContext, m: re.Match[str], raw: Any) -> None:
    measure = SCORE_MEASURES[m.group("label")]
    seg, head = m.group("segment"), m.group("head")
    hm = re.match(
        r"^(?P<metric>.+?) (?P<value>-?[\d.]+)(?:%| [^\s(]+)?(?: \((?P<period>[^)]+)\))?$", head
    )
    if hm is None:
        ctx.verdict.add("figure", ctx.where(f"score line head '{head}'"), False, "unreadable")
        return
    from bot.analysis.gaps import humanise

    metric_shown, period = hm.group("metric"), hm.group("period")
    metric = next(
        (
            f.metric
            for n in REF.findall(m.group("mrefs"))
            if int(n) in ctx.cites
            for i in [ctx.view.by_id.get(str(ctx.cites[int(n)]["id"]))]
            if i is not None
            for f in ctx.view.rows[i]["facts"]
            if humanise(f.metric) == metric_shown
        ),
        metric_shown,
    )
    value = internal_value(ctx, m.group("mrefs"), metric)
    if value is not None:
        ctx.figure("internal value", number_ok(hm.group("value"), value), hm.group("value"), value)
    kinds = [k for k in SCORE_KINDS[measure] if k in set(raw.kinds.values())]
    if not kinds:
        ctx.verdict.add("figure", ctx.where("customer score kind"), False, "no comparable score")
        return
    rcs = [score_recount(raw, measure, k, seg, period, ctx.scope) for k in kinds]
    rc = max(rcs, key=lambda r: r.n)
    ctx.count("scored verbatims", m.group("n"), rc.n)
    for name, printed, true, tol in (
        ("customer score", m.group("value"), rc.value, 0.0),
        ("CI low", m.group("lo"), rc.lo, rc.loose),
        ("CI high", m.group("hi"), rc.hi, rc.loose),
    ):
        p = printed.rstrip("%").lstrip("+")
        ok = number_ok(p, true) or abs(float(p) - true) <= tol + 0.005
        ctx.figure(name, ok, printed, f"{true:.3f}")
    if value is not None and rc.n:
        lo, hi = float(m.group("lo").rstrip("%")), float(m.group("hi").rstrip("%"))
        want = "higher" if value > hi else "lower" if value < lo else "agrees"
        got = m.group("dir") or "agrees"
        ctx.figure("verdict (inside or outside the customers' interval)", got == want, got, want)
        if m.group("size"):
            ctx.figure(
                "difference",
                number_ok(m.group("size"), abs(value - rc.value)),
                m.group("size"),
                f"{abs(value - rc.value):.3f}",
            )
    low = rc.mask & (raw.score <= SCORE_LOW[measure])
    for n in (int(x) for x in REF.findall(m.group("vrefs") or "")):
        c = ctx.cites.get(n)
        i = raw.by_id.get(str(c["id"])) if c else None
        ok = i is not None and bool(low[i])
        ctx.verdict.add(
            "support",
            ctx.where(f"[{n}] {c['id'] if c else '?'}"),
            ok,
            "" if ok else f"not a low-score verbatim of {seg} in that period",
        )


def score_small_line(ctx: LineContext, m: re.Match[str], raw: Any) -> None:
    for p in re.finditer(
        rf"(?P<seg>[^,(]+?) \((?P<n>{NUM}) scored(?:, (?P<period>[^)]+))?\)", m.group("items")
    ):
        ns = [
            score_recount(raw, meas, k, p.group("seg").strip(), p.group("period"), ctx.scope).n
            for meas, kinds in SCORE_KINDS.items()
            for k in kinds
            if k in set(raw.kinds.values())
        ]
        ok = as_int(p.group("n")) in ns and as_int(p.group("n")) < as_int(m.group("min"))
        ctx.figure(f"{p.group('seg').strip()} scored verbatims", ok, p.group("n"), ns)
    ctx.count("minimum n", m.group("min"), ctx.view.settings.min_segment_n)


def check_score_entry(ctx: LineContext, g: dict[str, Any], raw: Any) -> None:
    """One `score_gaps` JSON entry, recounted from the raw rows."""
    key = f"score gap {g.get('metric')} / {g.get('segment')}"
    measure, kind = str(g.get("measure")), str(g.get("customer_score_kind"))
    ok_kind = kind in SCORE_KINDS.get(measure, ()) and kind in set(raw.kinds.values())
    ctx.verdict.add("figure", f"{key}: comparable kind", ok_kind, "" if ok_kind else kind)
    if not ok_kind:
        return
    rc = score_recount(raw, measure, kind, str(g.get("segment")), g.get("period"), ctx.scope)

    def same(name: str, got: Any, true: Any, tol: float | None = None) -> None:
        if tol is None:
            ok = got == true
        else:
            ok = got is not None and abs(float(got) - float(true)) <= tol
        ctx.verdict.add("figure", f"{key}: {name}", ok, "" if ok else f"says {got}, rows {true}")

    same("n", g.get("n"), rc.n)
    if rc.n == 0:
        return
    same("customer_value", g.get("customer_value"), rc.value, 1e-3)
    same("ci_low", g.get("ci_low"), rc.lo, rc.loose + 1e-3)
    same("ci_high", g.get("ci_high"), rc.hi, rc.loose + 1e-3)
    same("difference", g.get("difference"), float(g.get("metric_value", 0)) - rc.value, 1e-3)
    compared = rc.n >= ctx.view.settings.min_segment_n
    same("compared", g.get("compared"), compared)
    if compared:
        v = float(g["metric_value"])
        want = "higher" if v > g["ci_high"] else "lower" if v < g["ci_low"] else "agrees"
        same("verdict", g.get("verdict"), want)
    cites = g.get("citations") or []
    if compared and cites:
        first = cites[0]
        i = ctx.view.by_id.get(str(first["id"]))
        facts = ctx.view.rows[i]["facts"] if i is not None else []
        ok = any(
            f.metric == g["metric"] and abs(f.value - float(g["metric_value"])) < 1e-9
            for f in facts
        )
        ctx.verdict.add(
            "support", f"{key}: report line {first['id']}", ok, "" if ok else "does not state it"
        )
        low = rc.mask & (raw.score <= SCORE_LOW[measure])
        for c in cites[1:]:
            j = raw.by_id.get(str(c["id"]))
            ok = j is not None and bool(low[j])
            ctx.verdict.add(
                "support", f"{key}: [{c['n']}] {c['id']}", ok, "" if ok else "not a low score there"
            )


SCORE_GAP_RULES = [
    (
        re.compile(
            rf"^- (?P<segment>.+?): (?P<head>.+?) in the report(?:, target (?P<target>-?[\d.]+))? "
            rf"?(?P<mrefs>{REFS}), vs the customers' own (?P<label>NPS|share answering 4-5|"
            rf"mean score \(1-5\)) (?P<value>{SIGNED_OR}) \(n=(?P<n>{NUM}) scored, 95% CI "
            rf"(?P<lo>{SIGNED_OR}) to (?P<hi>{SIGNED_OR})\) ?(?P<vrefs>{REFS}): (?:within their "
            r"interval, customers agree|the report is (?P<size>[\d.]+) points(?: on the 1-5 "
            r"scale)? (?P<dir>higher|lower) than its customers give, outside their interval)\.$"
        ),
        score_gap_line,
    ),
    (
        re.compile(
            rf"^Scores? not compared, fewer than (?P<min>{NUM}) scored verbatims: "
            r"(?:.+? for )?(?P<items>.+)\.$"
        ),
        score_small_line,
    ),
    (re.compile(r"^Internal scores against the customers' own score .*:$"), None),
    (re.compile(rf"^{NUM} more score comparison\(s\): run `cxbot gaps`\.$"), None),
]
"""(pattern, rule(ctx, match, raw)); None marks a line with no figure of its own."""
