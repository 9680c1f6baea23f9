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
    cat = Catalog(index.settings.catalog_path)
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
    for items in by_metric.values():
        name = items[0][0].metric
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
    return GapReport(gaps, agreeing, not_ranked, links, matches, problems, overall=overall)


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


def gap_answer_lines(
    index: Index, u: Understanding, book: CitationBook, qvec: np.ndarray
) -> tuple[list[str], list[dict[str, Any]], bool]:
    """The ask path for gap questions: biggest disagreements first, each cited."""
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
    cite_gaps(index, report, book, qvec, filters=f)
    lines: list[str] = []
    if report.gaps:
        lines.append(
            "Where the internal metric looks good but customers of that segment "
            "complain about it more than elsewhere (biggest first):"
        )
        for i, v in enumerate(report.gaps[:3], start=1):
            lines.append(gap_line(index, report, v, i))
        if len(report.gaps) > 3:
            lines.append(f"{len(report.gaps) - 3} more gap(s): run `cxbot gaps` for all.")
    else:
        lines.append(
            "No disagreement found: where the metrics look good, customers do not "
            "complain about the linked themes more than elsewhere."
        )
        if f.segments:  # say how the segments asked about compare, with the report line
            corpus = index.corpus()
            for v in report.agreeing[:3]:
                themes = " / ".join(index.label(t).lower() for t in report._themes(v))
                ns = book.cite([_hit(corpus, v.record_idx)], 1)
                lines.append(
                    f"{v.segment}: {humanise(v.fact.metric)} {fmt_value(v.fact)} (rank {v.rank} "
                    f"of {v.of}) {refs(ns)}; {themes} is {100 * v.mix:.1f}% of what its "
                    f"{v.n_c:,} complaining customers raise vs {100 * v.rest_share:.1f}% for "
                    "the other segments: customers agree with the metric."
                )
    small = [v for v in report.not_ranked]
    if small:
        lines.append(
            "Not ranked, too few verbatims: " + ", ".join(sorted({_small(v) for v in small})) + "."
        )
    for p in report.problems[:5]:
        lines.append(f"Note: {p}")
    enough = bool(report.gaps) or bool(f.segments and report.agreeing)
    return lines, [report.gap_dict(index, v) for v in report.gaps], enough


def render_gaps_text(index: Index, report: GapReport, explain: bool) -> str:
    from bot.citations import CitationBook as Book

    book = Book(index.corpus(), 50)
    cite_gaps(index, report, book, None, max_gaps=len(report.gaps))
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
