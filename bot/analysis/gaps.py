"""Perception gaps: the internal metric says "good" while customers of that very segment complain
about the linked theme more than customers elsewhere.

Per metric x segment (x period): internal value, rank among the compared segments, target; the
customer share raising the linked theme as a complaint (not positive), with n and a Wilson 95%
interval; and a disagreement score = metric goodness (0..1) x excess complaint share (points
above the other segments). Segments with fewer than ``min_segment_n`` verbatims are flagged,
never ranked.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.analysis.caveats import caveats_for
from bot.analysis.drivers import _score_index, available_scores, cite_low_scores
from bot.analysis.score_gap import (
    COMPARABLE,
    MEASURE_LABEL,
    ScoreGap,
    customers,
    fmt_measure,
    measure_for,
    name_kind,
    order,
)
from bot.analysis.stats import Z95, two_prop_z, wilson
from bot.citations import CitationBook, refs
from bot.filters import Filters
from ingest.catalog import Catalog
from ingest.dates import MONTHS
from ingest.errors import CxbotError
from ingest.facts import direction_for
from ingest.schema import MetricFact

if TYPE_CHECKING:
    from bot.ask.understand import Understanding
    from bot.index import Index

LINK_THRESHOLD = 0.40


def norm_key(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def humanise(metric: str) -> str:
    return re.sub(r"\s+", " ", metric.replace("_", " ")).strip()


def period_range(period: str | None, anchor_year: int | None) -> tuple[date, date] | None:
    """'2015-02', 'Feb 2015', 'October', 'Q3 2026', '2026', '2026-10-05' -> inclusive dates."""
    if not period:
        return None
    p = period.strip().lower()

    def month_end(y: int, m: int) -> date:
        return date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)

    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", p)
    if m:
        d = date(int(m[1]), int(m[2]), int(m[3]))
        return d, d
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", p)
    if m:
        y, mo = int(m[1]), int(m[2])
        return date(y, mo, 1), month_end(y, mo)
    m = re.fullmatch(r"q([1-4])\s?(\d{4})", p)
    if m:
        q, y = int(m[1]), int(m[2])
        return date(y, 3 * q - 2, 1), month_end(y, 3 * q)
    m = re.fullmatch(r"h([12])\s?(\d{4})", p)
    if m:
        h, y = int(m[1]), int(m[2])
        return date(y, 6 * h - 5, 1), month_end(y, 6 * h)
    m = re.fullmatch(r"(\d{4})", p)
    if m:
        y = int(m[1])
        return date(y, 1, 1), date(y, 12, 31)
    m = re.fullmatch(r"([a-z]+)\.?\s*(\d{4})?", p)
    if m:
        name = m[1]
        idx = next(
            (
                i
                for i, mn in enumerate(MONTHS, 1)
                if mn.startswith(name[:3]) and len(name) >= 3 and mn.startswith(name)
            ),
            None,
        )
        if idx:
            y = int(m[2]) if m[2] else anchor_year
            if y:
                return date(y, idx, 1), month_end(y, idx)
    return None


@dataclass
class Link:
    metric: str
    themes: list[str]
    why: str


@dataclass
class SegmentView:
    segment: str
    fact: MetricFact
    record_idx: int
    n: int  # verbatims of the segment (and period)
    k: int  # of which raise the linked theme as a complaint
    n_c: int  # of which complain about anything (negative, or raise any theme as a complaint)
    rank: int = 0
    of: int = 0
    goodness: float = 0.0
    rest_share: float = 0.0
    z: float = 0.0
    score: float = 0.0
    ranked: bool = True
    significant: bool = False
    period_label: str | None = None
    citations: list[int] = field(default_factory=list)

    @property
    def share(self) -> float:
        """Share of all the segment's verbatims."""
        return self.k / self.n if self.n else 0.0

    @property
    def mix(self) -> float:
        """Share of the segment's complaints: what the gap score compares across segments."""
        return self.k / self.n_c if self.n_c else 0.0


@dataclass
class GapReport:
    gaps: list[SegmentView]
    agreeing: list[SegmentView]
    not_ranked: list[SegmentView]
    links: list[Link]
    segment_matches: dict[str, str]
    problems: list[str]
    book: CitationBook | None = None
    overall: list[SegmentView] = field(default_factory=list)
    scores: list[ScoreGap] = field(default_factory=list)  # internal score vs customers' own

    def score_dict(self, g: ScoreGap) -> dict[str, Any]:
        # in the gap's own order (the report line first), not the book's: a verbatim cited
        # earlier in the answer keeps its lower number
        by_n = {c.n: c for c in (self.book.items if self.book else [])}
        return g.as_dict([by_n[n].as_dict() for n in g.citations if n in by_n])

    @property
    def score_disagreements(self) -> list[ScoreGap]:
        return [g for g in self.scores if g.disagrees]

    def gap_dict(self, index: Index, v: SegmentView) -> dict[str, Any]:
        lo, hi = wilson(v.k, v.n)
        mlo, mhi = wilson(v.k, v.n_c)
        cits = [c.as_dict() for c in (self.book.items if self.book else []) if c.n in v.citations]
        return {
            "metric": v.fact.metric,
            "segment": v.segment,
            "period": v.period_label,
            "metric_value": v.fact.value,
            "unit": v.fact.unit,
            "target": v.fact.target,
            "direction": v.fact.direction,
            "metric_rank": v.rank,
            "segments_compared": v.of,
            "themes": [index.label(t) for t in self._themes(v)],
            "customer_share": round(v.share, 4),
            "ci_low": round(lo, 4),
            "ci_high": round(hi, 4),
            "n": v.n,
            "k": v.k,
            "share_of_complaints": round(v.mix, 4),
            "complaints_ci_low": round(mlo, 4),
            "complaints_ci_high": round(mhi, 4),
            "n_complaining": v.n_c,
            "rest_share_of_complaints": round(v.rest_share, 4),
            "z": round(v.z, 2),
            "significant": v.significant,
            "ranked": v.ranked,
            "score": round(v.score, 3),
            "citations": cits,
            "caveats": caveats_for(index.corpus(), [v.segment]),
        }

    def _themes(self, v: SegmentView) -> list[str]:
        for link in self.links:
            if link.metric == v.fact.metric:
                return link.themes
        return []

    def as_dict(self, index: Index, explain: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "gaps": [self.gap_dict(index, v) for v in self.gaps],
            "not_ranked": [self.gap_dict(index, v) for v in self.not_ranked],
            "overall": [self.gap_dict(index, v) for v in self.overall],
            "score_gaps": [self.score_dict(g) for g in self.scores],
            "problems": self.problems,
        }
        if explain:
            d["links"] = [
                {"metric": lk.metric, "themes": lk.themes, "why": lk.why} for lk in self.links
            ]
            d["segment_matches"] = self.segment_matches
            d["agreeing"] = [self.gap_dict(index, v) for v in self.agreeing]
        return d


def gap_config(index: Index) -> dict[str, Any]:
    cat = Catalog(index.settings.generation(), readonly=True)
    try:
        raw = cat.meta("gap_config")
    finally:
        cat.close()
    return json.loads(raw) if raw else {}


def link_metric(index: Index, metric: str, overrides: dict[str, list[str]]) -> Link:
    for name, themes in overrides.items():
        if norm_key(name) == norm_key(metric):
            unknown = [t for t in themes if t not in index.assigner.names]
            if unknown:
                raise CxbotError(
                    f"sources.yaml metric_themes.{name}: unknown theme(s) {', '.join(unknown)}.",
                    f"Themes: {', '.join(index.assigner.names)}.",
                )
            return Link(metric, themes, "set in sources.yaml (metric_themes)")
    name = humanise(metric)
    tax = index.assigner.taxonomy
    hits = [t for t, th in tax.themes.items() if any(p.search(name) for p in th.metric_patterns)]
    if hits:
        words = [p.pattern for t in hits for p in tax.themes[t].metric_patterns if p.search(name)]
        return Link(metric, hits[:2], f"name matches {', '.join(repr(w) for w in words[:3])}")
    sims = index.embed_query(name) @ index.assigner.prototypes.T
    best = int(np.argmax(sims))
    if sims[best] >= LINK_THRESHOLD:
        t = index.assigner.names[best]
        return Link(
            metric, [t], f"name is closest to '{tax.label(t)}' (similarity {sims[best]:.2f})"
        )
    return Link(
        metric,
        [],
        f"no theme is close enough (best {sims[best]:.2f} < "
        f"{LINK_THRESHOLD}); set metric_themes in sources.yaml",
    )


def analyse(
    index: Index,
    metric: str | None = None,
    segment: str | None = None,
    filters: Filters | None = None,
) -> GapReport:
    corpus = index.corpus()
    cfg = gap_config(index)
    aliases = {norm_key(k): v for k, v in (cfg.get("aliases") or {}).items()}
    directions = cfg.get("metric_directions") or {}
    overrides = cfg.get("metric_themes") or {}
    min_n = index.settings.min_segment_n
    problems: list[str] = []

    verb = corpus.kind == "verbatim"
    complaining = (corpus.polarity < 0) | corpus.any_complaint
    if not verb.any():
        raise CxbotError(
            "No verbatims are indexed, so there is no customer view to compare.",
            "Ingest survey verbatims with `cxbot ingest FILE --kind survey`.",
        )
    # segments are compared with each other, so a segment filter (from the question or
    # --segment) only chooses which results are shown; time and source filters apply to all
    wanted = {norm_key(segment)} if segment else set()
    if filters:
        wanted |= {norm_key(v) for vals in filters.segments.values() for v in vals}
        base_mask = _without_segments(filters).mask(corpus)
    else:
        base_mask = verb
    # verbatim segment values by normalised form
    seg_lookup: dict[str, tuple[str, str]] = {}
    for key, values in corpus.segment_values.items():
        for v in values:
            seg_lookup.setdefault(norm_key(v), (key, v))
    _, last_day = corpus.date_range(verb)
    anchor_year = last_day.year if last_day else None
    dated = bool((corpus.dayn[verb] > 0).any())

    facts: list[tuple[MetricFact, int]] = []
    metric_rows = [int(i) for i in np.flatnonzero(corpus.kind == "metric")]
    for i, row in zip(metric_rows, corpus.records(metric_rows), strict=True):
        for f in row["facts"]:
            if metric and norm_key(metric) not in norm_key(f.metric):
                continue
            facts.append((f, int(i)))
    if not facts:
        if not (corpus.kind == "metric").any():
            raise CxbotError(
                "No metric reports are indexed.",
                "Ingest one with `cxbot ingest FILE --kind metrics`.",
            )
        raise CxbotError(
            f"No metric matches '{metric}'."
            if metric
            else "The metric reports contain no numbers I could read as metrics."
        )

    by_metric: dict[str, list[tuple[MetricFact, int]]] = {}
    for f, i in facts:
        by_metric.setdefault(norm_key(f.metric), []).append((f, i))

    links: list[Link] = []
    matches: dict[str, str] = {}
    groups: dict[tuple[str, str], list[SegmentView]] = {}
    seen_segments: dict[tuple[str, str], dict[str, float]] = {}
    overall: list[SegmentView] = []
    grouped: dict[tuple[str, str, str], list[str]] = {}  # one note per metric, not per row
    scoped = _Scoping(base_mask, seg_lookup, aliases, anchor_year, dated, problems, matches)
    score_gaps: list[ScoreGap] = []
    for items in by_metric.values():
        name = items[0][0].metric
        if name_kind(name) and not any(norm_key(k) == norm_key(name) for k in overrides):
            score_gaps += _score_side(index, items, scoped)
            continue
        units = {f.unit for f, _ in items}
        if len(units) > 1:
            problems.append(
                f"'{name}' is reported in mixed units ({', '.join(sorted(units))}); "
                "not compared. Report it in one unit."
            )
            continue
        direction = directions.get(name) or items[0][0].direction or direction_for(name)
        if direction is None:
            problems.append(
                f"'{name}': cannot tell whether higher or lower is better; skipped. "
                "Set metric_directions in sources.yaml."
            )
            continue
        link = link_metric(index, name, overrides)
        links.append(link)
        if not link.themes:
            problems.append(f"'{name}': {link.why}.")
            continue
        tmask = np.zeros(len(corpus), dtype=bool)
        cmask = np.zeros(len(corpus), dtype=bool)
        for t in link.themes:
            if t in corpus.themes:
                tmask |= corpus.themes[t]
                cmask |= corpus.complaints[t]
        for f, ridx in items:
            f = f.model_copy(update={"direction": direction})
            row = corpus.record(ridx)
            loc, src = row["location"], row["source"]
            if f.segment is None:
                if f.segment_key:
                    grouped.setdefault(("blank", name, src), []).append(loc.split(",")[0])
                    continue
                seg_mask = base_mask.copy()
                seg_label = "All customers"
            else:
                target = aliases.get(norm_key(f.segment), f.segment)
                hit = seg_lookup.get(norm_key(target))
                if hit is None:
                    grouped.setdefault(("unknown", name, src), []).append(f"'{f.segment}'")
                    continue
                key, value = hit
                matches[f.segment] = f"{key} = {value}"
                seg_mask = base_mask & corpus.segment_mask(key, [value])
                seg_label = value
            period_label = f.period
            if f.period and dated:
                rng = period_range(f.period, anchor_year)
                if rng is None:
                    problems.append(
                        f"{src} {loc}: period '{f.period}' not understood; compared with all dates."
                    )
                else:
                    pm = corpus.day_mask(rng[0], rng[1])
                    if not (seg_mask & pm).any():
                        d0, d1 = corpus.date_range(verb)
                        problems.append(
                            f"{src} {loc}: period '{f.period}' of '{name}' matches "
                            f"no verbatims (they are dated {d0} to {d1})."
                        )
                        continue
                    seg_mask = seg_mask & pm
            rng_key = period_range(f.period, anchor_year) if f.period else None
            group_key = (norm_key(name), str(rng_key or f.period))
            seen = seen_segments.setdefault(group_key, {})
            if seg_label in seen:
                if abs(seen[seg_label] - f.value) > 1e-9:
                    problems.append(
                        f"'{name}' for {seg_label} ({f.period}) is reported as both "
                        f"{seen[seg_label]:g} and {f.value:g}; the first is used."
                    )
                continue
            seen[seg_label] = f.value
            n = int(seg_mask.sum())
            k = int((seg_mask & cmask).sum())
            v = SegmentView(
                segment=seg_label,
                fact=f,
                record_idx=ridx,
                n=n,
                k=k,
                n_c=int((seg_mask & complaining).sum()),
                period_label=period_label,
            )
            if seg_label == "All customers":
                overall.append(v)
            else:
                groups.setdefault(group_key, []).append(v)

    for (what, name, src), items in grouped.items():
        listed = ", ".join(items[:8]) + (f" and {len(items) - 8} more" if len(items) > 8 else "")
        if what == "blank":
            problems.append(
                f"{src}: {len(items)} line(s) of '{name}' have no segment value "
                f"({listed}); skipped."
            )
        else:
            problems.append(
                f"{src}: segment(s) {listed} of '{name}' match no verbatim segment;"
                " skipped. Add an alias in sources.yaml if they are the same."
            )
    gaps: list[SegmentView] = []
    agreeing: list[SegmentView] = []
    not_ranked: list[SegmentView] = []
    for views in groups.values():
        big = [v for v in views if v.n_c >= min_n]
        for v in views:
            if v.n_c < min_n:
                v.ranked = False
                not_ranked.append(v)
        if not big:
            continue
        higher = big[0].fact.direction == "higher"
        ordered = sorted(big, key=lambda v: -v.fact.value if higher else v.fact.value)
        for r, v in enumerate(ordered, start=1):
            v.rank, v.of = r, len(ordered)
            better_than = (len(ordered) - r) / (len(ordered) - 1) if len(ordered) > 1 else None
            meets = None
            if v.fact.target is not None:
                meets = v.fact.value >= v.fact.target if higher else v.fact.value <= v.fact.target
            parts = [
                x for x in (better_than, None if meets is None else float(meets)) if x is not None
            ]
            v.goodness = sum(parts) / len(parts) if parts else 0.5
            rest_k = sum(o.k for o in ordered if o is not v)
            rest_n = sum(o.n_c for o in ordered if o is not v)
            v.rest_share = rest_k / rest_n if rest_n else 0.0
            v.z = two_prop_z(v.k, v.n_c, rest_k, rest_n) if rest_n else 0.0
            excess = (v.mix - v.rest_share) * 100 if rest_n else 0.0
            v.score = v.goodness * excess
            v.significant = v.z >= Z95
            if v.goodness >= 0.5 and v.score > 0:
                gaps.append(v)
            else:
                agreeing.append(v)
    gaps.sort(key=lambda v: (-v.significant, -v.score))
    if wanted:
        gaps, agreeing, not_ranked = (
            [v for v in views if norm_key(v.segment) in wanted]
            for views in (gaps, agreeing, not_ranked)
        )
        score_gaps = [g for g in score_gaps if norm_key(g.segment) in wanted]
    return GapReport(
        gaps,
        agreeing,
        not_ranked,
        links,
        matches,
        problems,
        overall=overall,
        scores=order(score_gaps),
    )


@dataclass
class _Scoping:
    """What matching a metric line to verbatims needs: the base mask (time and source
    filters), verbatim segment values by normalised form, aliases, the anchor year."""

    base: np.ndarray
    seg_lookup: dict[str, tuple[str, str]]
    aliases: dict[str, str]
    anchor_year: int | None
    dated: bool
    problems: list[str]
    matches: dict[str, str]


def _fact_mask(
    corpus: Any, f: MetricFact, src: str, loc: str, sc: _Scoping
) -> tuple[np.ndarray, str] | None:
    """The verbatims of a metric line's segment and period, and the segment's label; None
    (with a problem said) when the line matches none."""
    name = f.metric
    if f.segment is None:
        if f.segment_key:
            sc.problems.append(f"{src} {loc}: '{name}' has no segment value; skipped.")
            return None
        mask, label = sc.base.copy(), "All customers"
    else:
        hit = sc.seg_lookup.get(norm_key(sc.aliases.get(norm_key(f.segment), f.segment)))
        if hit is None:
            sc.problems.append(
                f"{src} {loc}: segment '{f.segment}' of '{name}' matches no verbatim segment; "
                "skipped. Add an alias in sources.yaml if they are the same."
            )
            return None
        sc.matches[f.segment] = f"{hit[0]} = {hit[1]}"
        mask, label = sc.base & corpus.segment_mask(hit[0], [hit[1]]), hit[1]
    if f.period and sc.dated:
        rng = period_range(f.period, sc.anchor_year)
        if rng is None:
            sc.problems.append(
                f"{src} {loc}: period '{f.period}' not understood; compared with all dates."
            )
        else:
            mask = mask & corpus.day_mask(rng[0], rng[1])
    return mask, label


def _score_side(index: Index, items: list[tuple[MetricFact, int]], sc: _Scoping) -> list[ScoreGap]:
    """Each line of an internal score metric against the customers' own score there."""
    corpus = index.corpus()
    name = items[0][0].metric
    avail = available_scores(corpus, sc.base)
    si = _score_index(corpus)
    out: list[ScoreGap] = []
    seen: set[tuple[str, str]] = set()
    for f, ridx in items:
        rec = corpus.record(ridx)
        measure = measure_for(f)
        if measure is None:
            sc.problems.append(
                f"{rec['source']} {rec['location']}: '{name}' {fmt_value(f)} is not on a "
                "customer score's scale (NPS -100 to 100, CSAT in % or 1-5, ratings 1-5); not "
                "compared with the customers' score."
            )
            continue
        kinds = [k for k in COMPARABLE[measure] if k in avail]
        if not kinds:
            have = ", ".join(sorted(avail)) or "none"
            sc.problems.append(
                f"'{name}' is a customer score ({MEASURE_LABEL[measure]}), but no verbatim has "
                f"a score it compares with (scores here: {have}). Ingest the survey's score "
                "with --score-column (and --score-kind)."
            )
            continue
        kind = max(kinds, key=lambda k: sum(avail[k].values()))
        got = _fact_mask(corpus, f, rec["source"], rec["location"], sc)
        if got is None:
            continue
        mask, label = got
        key = (label, str(period_range(f.period, sc.anchor_year) if f.period else None))
        if key in seen:
            continue
        seen.add(key)
        scored = mask & si.kinds[kind]
        view = customers(measure, kind, corpus.score[scored])
        out.append(
            ScoreGap(
                metric=name,
                segment=label,
                period_label=f.period,
                fact=f,
                record_idx=ridx,
                measure=measure,
                kind=kind,
                sources=sorted(avail[kind]),
                view=view,
                compared=view.n >= index.settings.min_segment_n,
            )
        )
    return out


def _without_segments(filters: Filters) -> Filters:
    f = copy.deepcopy(filters)
    f.segments = {}
    return f


def cite_gaps(
    index: Index,
    report: GapReport,
    book: CitationBook,
    qvec: np.ndarray | None,
    per_gap: int = 2,
    max_gaps: int = 3,
    filters: Filters | None = None,
) -> None:
    corpus = index.corpus()
    report.book = book
    for v in report.gaps[:max_gaps] + report.not_ranked[:0]:
        v.citations = book.cite([_hit(corpus, v.record_idx)], 1)
        themes = report._themes(v)
        f = copy.deepcopy(filters) if filters else Filters()
        if v.segment != "All customers":
            key = next((k for k, vals in corpus.segment_values.items() if v.segment in vals), None)
            if key:
                f.segments = {key: [v.segment]}
        f.polarity = -1
        rng = period_range(v.period_label, None) if v.period_label else None
        if rng:  # quote from the metric's period, within the caller's window if it has one
            f.since = max(rng[0], f.since) if f.since else rng[0]
            f.until = min(rng[1], f.until) if f.until else rng[1]
        query = f"{humanise(v.fact.metric)} {' '.join(index.label(t) for t in themes)}"
        hits = index.search(query, f, k=per_gap * 3, theme_filter=themes)
        v.citations += book.cite(hits, per_gap)


def _hit(corpus: Any, idx: int) -> Any:
    from bot.citations import Hit

    return Hit(idx=idx, id=corpus.ids[idx], score=1.0)


def _small(v: SegmentView) -> str:
    period = f", {v.period_label}" if v.period_label else ""
    return f"{v.segment} ({v.n_c} complaining of {v.n}{period})"


def fmt_value(f: MetricFact) -> str:
    unit = f.unit if f.unit == "%" else (f" {f.unit}" if f.unit else "")
    return f"{f.value:g}{unit}"


def gap_line(index: Index, report: GapReport, v: SegmentView, i: int) -> str:
    themes = " / ".join(index.label(t).lower() for t in report._themes(v))
    lo, hi = wilson(v.k, v.n_c)
    metric_refs = refs(v.citations[:1])
    verb_refs = refs(v.citations[1:])
    unit = "%" if v.fact.unit == "%" else ""
    target = f", target {v.fact.target:g}{unit}" if v.fact.target is not None else ""
    rank = f"rank {v.rank} of {v.of}" if v.of > 1 else "only segment"
    period = f" ({v.period_label})" if v.period_label else ""
    sig = "significant" if v.significant else "not significant at this n"
    return (
        f"{i}. {v.segment}: {humanise(v.fact.metric)} {fmt_value(v.fact)}{period} ({rank}"
        f"{target}) {metric_refs}, yet {themes} is {100 * v.mix:.1f}% of what its "
        f"{v.n_c:,} complaining customers raise (95% CI {100 * lo:.1f}-{100 * hi:.1f}%) vs "
        f"{100 * v.rest_share:.1f}% for the other segments; {v.k:,} of all {v.n:,} {v.segment} "
        f"verbatims ({100 * v.share:.1f}%) {verb_refs}. Score {v.score:.1f}, {sig}."
    )


def cite_score_gaps(
    index: Index,
    report: GapReport,
    book: CitationBook,
    filters: Filters | None = None,
    max_items: int = 3,
    per: int = 2,
) -> None:
    """The report line, then low-score verbatims of that segment and period (detractors for
    NPS, 1-3 for CSAT, 1-2 stars) for each score comparison shown."""
    corpus = index.corpus()
    report.book = book
    for g in [x for x in report.scores if x.compared][:max_items]:
        g.citations = book.cite([_hit(corpus, g.record_idx)], 1)
        f = copy.deepcopy(filters) if filters else Filters()
        f.themes = []
        if g.segment != "All customers":
            key = next((k for k, vals in corpus.segment_values.items() if g.segment in vals), None)
            if key:
                f.segments = {key: [g.segment]}
        else:
            f.segments = {}
        rng = period_range(g.period_label, None) if g.period_label else None
        if rng:
            f.since = max(rng[0], f.since) if f.since else rng[0]
            f.until = min(rng[1], f.until) if f.until else rng[1]
        g.citations += cite_low_scores(
            index, None, f, g.kind, g.sources, book, per, query=humanise(g.metric)
        )


def score_gap_line(g: ScoreGap) -> str:
    """One internal score against the customers' own, both sides cited."""
    period = f" ({g.period_label})" if g.period_label else ""
    target = f", target {g.fact.target:g}" if g.fact.target is not None else ""
    v, m = g.view, g.measure
    head = (
        f"- {g.segment}: {humanise(g.metric)} {fmt_value(g.fact)}{period} in the report"
        f"{target} {refs(g.citations[:1])}, vs the customers' own {MEASURE_LABEL[m]} "
        f"{fmt_measure(m, v.value)} (n={v.n:,} scored, 95% CI {fmt_measure(m, v.lo)} to "
        f"{fmt_measure(m, v.hi)}) {refs(g.citations[1:])}"
    )
    head = head.replace("  ", " ").replace(" ,", ",").replace(" )", ")")
    unit = "points" if m != "mean5" else "points on the 1-5 scale"
    if g.verdict == "agrees":
        return f"{head.rstrip()}: within their interval, customers agree."
    size = f"{abs(g.diff):.1f}" if m != "mean5" else f"{abs(g.diff):.2f}"
    return (
        f"{head.rstrip()}: the report is {size} {unit} {g.verdict} than its customers give, "
        "outside their interval."
    )


def score_gap_section(
    report: GapReport, min_n: int, limit: int | None = 3, cited_only: bool = False
) -> list[str]:
    """Lines for the score side: disagreements first, then those that agree (with
    ``cited_only``, only those the citation limit left room to cite)."""
    compared = [g for g in report.scores if g.compared]
    shown = compared if limit is None else compared[:limit]
    if cited_only:
        shown = [g for g in shown if g.citations]
    lines: list[str] = []
    if shown:
        lines.append(
            "Internal scores against the customers' own score for the same segment and period"
            " (a disagreement: the report's value lies outside the customers' 95% interval):"
        )
        lines += [score_gap_line(g) for g in shown]
        if len(compared) > len(shown):
            lines.append(
                f"{len(compared) - len(shown)} more score comparison(s): run `cxbot gaps`."
            )
    small = [g for g in report.scores if not g.compared]
    if small:
        items = ", ".join(
            f"{g.segment} ({g.view.n:,} scored"
            + (f", {g.period_label})" if g.period_label else ")")
            for g in small
        )
        lines.append(
            f"Score not compared, fewer than {min_n} scored verbatims: {humanise(small[0].metric)}"
            f" for {items}."
            if len({g.metric for g in small}) == 1
            else f"Scores not compared, fewer than {min_n} scored verbatims: {items}."
        )
    return lines


def agreement(v: SegmentView) -> str:
    """How a ranked segment that is no gap compares: a metric that looks good and no more
    complaints, or one that looks poor and as many or more, agree; a poor metric with fewer
    complaints than elsewhere is the other way round."""
    if v.goodness < 0.5 and v.mix < v.rest_share:
        return "the metric looks worse than its customers' complaints"
    return "customers agree with the metric"


def gap_answer_lines(
    index: Index,
    u: Understanding,
    book: CitationBook,
    qvec: np.ndarray,
    out: dict[str, Any] | None = None,
) -> tuple[list[str], list[dict[str, Any]], bool]:
    """The ask path for gap questions: biggest disagreements first, each cited; the score side
    (internal NPS/CSAT vs the customers' own) follows, its JSON into ``out["score_gaps"]``."""
    f = u.filters
    metric = None
    report = analyse(
        index, metric=metric, filters=f if (f.segments or f.since or f.until) else None
    )
    if f.themes:
        wanted = set(f.themes)
        themed = [v for v in report.gaps if wanted & set(report._themes(v))]
        if themed:
            report.gaps = themed
    # the citation limit holds for both sides: with a score side to show, the theme gaps
    # leave it room for a report line and a low-score verbatim (two when the limit allows)
    compared = [g for g in report.scores if g.compared]
    limit = book.limit
    score_budget = 0
    if compared and report.gaps:
        score_budget = 2 if limit < 12 else 4
    theme_k = 3 if not compared else max(1, min(3, (limit - score_budget) // 3))
    book.limit = max(1, limit - score_budget)
    cite_gaps(index, report, book, qvec, filters=f, max_gaps=theme_k)
    book.limit = limit
    cite_score_gaps(index, report, book, filters=f, per=1 if report.gaps else 2)
    lines: list[str] = []
    if report.gaps:
        lines.append(
            "Where the internal metric looks good but customers of that segment "
            "complain about it more than elsewhere (biggest first):"
        )
        for i, v in enumerate(report.gaps[:theme_k], start=1):
            lines.append(gap_line(index, report, v, i))
        if len(report.gaps) > theme_k:
            lines.append(f"{len(report.gaps) - theme_k} more gap(s): run `cxbot gaps` for all.")
    elif report.score_disagreements:
        pass  # the score side below is the disagreement
    elif f.segments:  # the segments asked about: how they compare, with the report line
        asked = " and ".join(dict.fromkeys(v for vals in f.segments.values() for v in vals))
        if report.agreeing:
            lines.append(
                f"No disagreement found for {asked}: where its metrics look good, its "
                "customers do not complain about the linked themes more than the other "
                "segments' customers."
            )
        else:
            lines.append(
                f"Too few verbatims from {asked} to compare with the other segments: "
                "no disagreement can be shown either way."
            )
        corpus = index.corpus()
        for v in report.agreeing[:3]:
            themes = " / ".join(index.label(t).lower() for t in report._themes(v))
            ns = book.cite([_hit(corpus, v.record_idx)], 1)
            period = f" ({v.period_label})" if v.period_label else ""
            lines.append(
                f"{v.segment}: {humanise(v.fact.metric)} {fmt_value(v.fact)}{period} "
                f"(rank {v.rank} of {v.of}) {refs(ns)}; {themes} is {100 * v.mix:.1f}% of what its "
                f"{v.n_c:,} complaining customers raise vs {100 * v.rest_share:.1f}% for "
                f"the other segments: {agreement(v)}."
            )
    else:
        lines.append(
            "No disagreement found: where the metrics look good, customers do not "
            "complain about the linked themes more than elsewhere."
        )
    small = [v for v in report.not_ranked]
    if small:
        lines.append(
            "Not ranked, too few verbatims: " + ", ".join(sorted({_small(v) for v in small})) + "."
        )
    lines += score_gap_section(report, index.settings.min_segment_n, cited_only=True)
    for p in report.problems[:5]:
        lines.append(f"Note: {p}")
    enough = bool(report.gaps) or bool(report.score_disagreements)
    enough = enough or bool(f.segments and (report.agreeing or compared))
    if out is not None and report.scores:
        out["score_gaps"] = [report.score_dict(g) for g in report.scores]
    return lines, [report.gap_dict(index, v) for v in report.gaps], enough


def render_gaps_text(index: Index, report: GapReport, explain: bool) -> str:
    from bot.citations import CitationBook as Book

    book = Book(index.corpus(), 50)
    cite_gaps(index, report, book, None, max_gaps=len(report.gaps))
    cite_score_gaps(index, report, book, max_items=len(report.scores))
    lines = []
    if report.gaps:
        lines.append("Perception gaps (metric looks good, customers complain more than elsewhere):")
        lines += [gap_line(index, report, v, i) for i, v in enumerate(report.gaps, 1)]
    else:
        lines.append("No perception gaps found.")
    if report.not_ranked:
        lines.append(
            "Not ranked (fewer than "
            f"{index.settings.min_segment_n} verbatims): "
            + ", ".join(sorted({_small(v) for v in report.not_ranked}))
        )
    lines += score_gap_section(report, index.settings.min_segment_n, limit=None)
    for p in report.problems:
        lines.append(f"Note: {p}")
    shown = [v.segment for v in report.gaps + report.not_ranked]
    lines += [f"Caveat: {c}" for c in caveats_for(index.corpus(), shown)]
    if explain:
        lines.append("\nMetric -> theme links:")
        for lk in report.links:
            themes = ", ".join(index.label(t) for t in lk.themes) or "(none)"
            lines.append(f"  {lk.metric} -> {themes}: {lk.why}")
        lines.append("Segment matches:")
        for a, b in sorted(report.segment_matches.items()):
            lines.append(f"  {a} -> {b}")
        if report.agreeing:
            lines.append("Segments where customers agree with the metric:")
            for v in report.agreeing:
                lines.append(
                    f"  {v.fact.metric} / {v.segment}: {fmt_value(v.fact)} rank "
                    f"{v.rank}/{v.of}, {100 * v.mix:.1f}% of complaints vs "
                    f"{100 * v.rest_share:.1f}% elsewhere"
                )
    if book.items:
        lines.append("\nSources:")
        for c in book.items:
            text = c.text if len(c.text) <= 240 else c.text[:237] + "..."
            meta = ", ".join(x for x in (c.segment, c.date or "", f"{c.source} {c.location}") if x)
            lines.append(f'  [{c.n}] "{text}" ({meta})')
    return "\n".join(lines)
