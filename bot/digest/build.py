"""The weekly digest: what changed in the customer voice between a period and the one before,
and where customers disagree with the internal metrics, with cited evidence on both sides.

Every figure is counted over all dated verbatims of each period (never over search hits), and
every change says whether it is beyond noise for its n: a two-proportion z-test for shares, a
Poisson rate test for volume, both at 95%. Periods are relative to the newest verbatim, like
the time words in questions: on a 2015 data set "this week" is its last 7 days. When either
period has fewer than ``min_segment_n`` verbatims the digest says so and shows no trends.

Rendering lives here too (Block Kit for Slack, plain text for the CLI); the chart is in
`bot.digest_chart`, posting and scheduling in `bot.digest_post` and `bot.digest_schedule`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject

from bot.analysis.gaps import analyse, cite_score_gaps, humanise, score_gap_line
from bot.analysis.score_moves import ScoreMove, cite_moves, move_lines, score_move
from bot.analysis.stats import wilson
from bot.analysis.trends import (
    NEW_BEFORE_MAX,
    Change,
    Period,
    ThemeChange,
    Volume,
    day_range,
    period_changes,
    periods,
)
from bot.citations import Citation, CitationBook, Hit, freshness, refs
from bot.filters import Filters
from bot.slack import blocks as bk
from ingest.config import Settings
from ingest.errors import CxbotError

if TYPE_CHECKING:
    from bot.analysis.gaps import GapReport, SegmentView
    from bot.corpus import Corpus
    from bot.index import Index

MAX_GAPS = 3
MAX_THEME_LINES = 3  # rising / falling themes shown
QUOTES_MAX = 5  # representative verbatims: one per theme shown (3 most raised at least)
MAX_CITATIONS = 24
SHARE_NOTE = "share of the period's verbatims complaining about it, this period vs the previous"
SCORE_GAP_HEAD = (
    "Where customers score us differently from the report (the report's value lies outside "
    "the customers' 95% interval for that segment and period)"
)
SCORE_NOTE = "this period vs the previous, over every scored verbatim of each"
METHOD = (
    "Shares are of all dated verbatims in each period; changes are marked beyond noise at 95% "
    "(two-proportion z-test; Poisson test for volume). Quotes were picked by search."
)
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


# ---------------------------------------------------------------------------- figures


@dataclass
class GapItem:
    """A perception gap in the period, its figure in the previous period, and evidence from
    both sides: a complaint, and customers of that segment who confirm the metric."""

    view: dict[str, Any]  # GapReport.gap_dict
    before: dict[str, Any] | None  # the same metric x segment in the previous period
    theme_labels: list[str]
    metric_refs: list[int]
    complaint_refs: list[int]
    positive: int  # the segment's verbatims about the theme that are positive...
    about_theme: int  # ...of all its verbatims raising the theme
    counter_refs: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.view.items() if k != "citations"},
            "before": self.before,
            "metric_citations": self.metric_refs,
            "complaint_citations": self.complaint_refs,
            "counter_evidence": {
                "positive": self.positive,
                "about_theme": self.about_theme,
                "citations": self.counter_refs,
            },
        }


@dataclass
class Digest:
    period: Period
    previous: Period
    min_n: int
    volume: Volume
    negative: Change
    themes: list[ThemeChange]  # every theme, most complained about this period first
    gaps: list[GapItem] = field(default_factory=list)
    gap_note: str | None = None
    # internal NPS / CSAT / rating lines that disagree with the customers' own score this
    # period: the JSON of `cxbot gaps --json` "score_gaps" and the line shown for each
    score_gaps: list[dict[str, Any]] = field(default_factory=list)
    score_gap_text: list[str] = field(default_factory=list)
    score: ScoreMove | None = None  # None: no verbatim has a score (the section is left out)
    citations: list[Citation] = field(default_factory=list)
    freshness: str = ""

    @property
    def enough(self) -> bool:
        return self.volume.now >= self.min_n and self.volume.before >= self.min_n

    @property
    def note(self) -> str | None:
        if self.enough:
            return None
        return (
            f"Too little data to call trends: {self.volume.now:,} verbatims in "
            f"{self.period.label()} and {self.volume.before:,} in {self.previous.label()} "
            f"(at least {self.min_n} in each period are needed)."
        )

    @property
    def new(self) -> list[ThemeChange]:
        return [t for t in self.themes if t.new] if self.enough else []

    @property
    def rising(self) -> list[ThemeChange]:
        up = [t for t in self.themes if t.significant and t.points > 0 and not t.new]
        return sorted(up, key=lambda t: -t.points)[:MAX_THEME_LINES] if self.enough else []

    @property
    def falling(self) -> list[ThemeChange]:
        down = [t for t in self.themes if t.significant and t.points < 0]
        return sorted(down, key=lambda t: t.points)[:MAX_THEME_LINES] if self.enough else []

    @property
    def most_raised(self) -> list[ThemeChange]:
        """The complaints raised most this period, whatever their change."""
        return [t for t in self.themes if t.now.k][:MAX_THEME_LINES] if self.enough else []

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.as_dict(),
            "previous": self.previous.as_dict(),
            "enough_data": self.enough,
            "min_verbatims": self.min_n,
            "note": self.note,
            "volume": self.volume.as_dict(),
            "negative": self.negative.as_dict(),
            "themes": [t.as_dict() for t in self.themes],
            "rising": [t.theme for t in self.rising],
            "falling": [t.theme for t in self.falling],
            "new": [t.theme for t in self.new],
            "score": self.score.as_dict() if self.score and self.enough else None,
            "gaps": [g.as_dict() for g in self.gaps],
            "gap_note": self.gap_note,
            "score_gaps": self.score_gaps,
            "citations": [c.as_dict() for c in self.citations],
            "freshness": self.freshness,
        }


def build_digest(index: Index, since: date | None = None, until: date | None = None) -> Digest:
    """Counts, changes, gaps and the cited evidence for one period against the previous."""
    corpus = index.corpus()
    now_p, before_p = periods(corpus, since, until)
    trend = period_changes(index, now_p, before_p)
    d = Digest(
        period=now_p,
        previous=before_p,
        min_n=index.settings.min_segment_n,
        volume=trend.volume,
        negative=trend.negative,
        themes=trend.themes,
        freshness=freshness(corpus),
    )
    book = CitationBook(corpus, MAX_CITATIONS)
    if d.enough:
        _cite_themes(index, d, book)
        d.score = score_move(index, now_p, before_p)
        if d.score is not None and d.score.enough:
            cite_moves(index, d.score, now_p, before_p, book)
        _gaps(index, d, book)
    d.citations = book.items
    return d


def _period_filter(
    p: Period, polarity: int | None = None, segments: dict[str, list[str]] | None = None
) -> Filters:
    return Filters(since=p.since, until=p.until, polarity=polarity, segments=segments or {})


def _cite_themes(index: Index, d: Digest, book: CitationBook) -> None:
    """One complaint quote per theme worth showing: new and rising first, then the most
    raised this period, QUOTES_MAX at most."""
    corpus = index.corpus()
    order: dict[str, ThemeChange] = {}
    for t in d.new + d.rising + d.most_raised:
        if t.now.k:
            order.setdefault(t.theme, t)
    quoted = 0
    for t in order.values():
        if quoted >= QUOTES_MAX:
            break
        hits = index.search(t.label, _period_filter(d.period, -1), k=8, theme_filter=[t.theme])
        hits = [h for h in hits if corpus.complaints[t.theme][h.idx]]
        t.citations = book.cite(hits, 1)
        quoted += bool(t.citations)


def _gaps(index: Index, d: Digest, book: CitationBook) -> None:
    try:
        report = analyse(index, filters=_period_filter(d.period))
    except CxbotError as exc:  # e.g. no metric reports indexed: the rest of the digest stands
        d.gap_note = str(exc)
        return
    try:
        before = analyse(index, filters=_period_filter(d.previous))
    except CxbotError:
        before = None
    if not report.gaps and not report.agreeing and report.not_ranked:
        small = sorted({v.segment for v in report.not_ranked})
        d.gap_note = (
            f"No perception gap can be ranked this period: {len(small)} segment(s) have fewer "
            f"than {d.min_n} complaining verbatims ({', '.join(small[:8])})."
        )
    elif not report.gaps:
        d.gap_note = (
            "No perception gaps this period: where the metrics look good, customers of that "
            "segment do not complain about the linked theme more than elsewhere."
        )
    for v in report.gaps[:MAX_GAPS]:
        d.gaps.append(_gap_item(index, d, book, report, v, before))
    _score_gaps(index, d, book, report)


def _score_gaps(index: Index, d: Digest, book: CitationBook, report: GapReport) -> None:
    """Internal score lines (NPS, CSAT, rating) the period's customers disagree with, both
    sides cited; agreeing ones are not news for a digest and are left to `cxbot gaps`."""
    disagree = [g for g in report.scores if g.compared and g.disagrees][:MAX_GAPS]
    if not disagree:
        return
    cite_score_gaps(index, report, book, _period_filter(d.period), max_items=len(disagree))
    for g in disagree:
        if g.citations:  # the citation budget was not spent: both sides can be shown
            d.score_gaps.append(report.score_dict(g))
            d.score_gap_text.append(score_gap_line(g))
    if d.score_gaps and not d.gaps and d.gap_note:  # the note is about complaints only
        d.gap_note = d.gap_note.replace("No perception gaps", "No complaint gaps", 1)


def _sentiment(corpus: Corpus, i: int) -> float:
    value = corpus.record(i).get("sentiment")
    return float(value) if value is not None else 0.0


def _theme_names(report: GapReport, metric: str) -> list[str]:
    return next((lk.themes for lk in report.links if lk.metric == metric), [])


def _gap_item(
    index: Index,
    d: Digest,
    book: CitationBook,
    report: GapReport,
    v: SegmentView,
    before: GapReport | None,
) -> GapItem:
    corpus = index.corpus()
    themes = _theme_names(report, v.fact.metric)
    labels = [index.label(t) for t in themes]
    key = next((k for k, vals in corpus.segment_values.items() if v.segment in vals), None)
    segs = {key: [v.segment]} if key else {}
    about = np.zeros(len(corpus), dtype=bool)  # raises the metric's theme(s) at all
    complaint = np.zeros(len(corpus), dtype=bool)  # raises them as a complaint
    for t in themes:
        if t in corpus.themes:
            about |= corpus.themes[t]
            complaint |= corpus.complaints[t]
    scope = (corpus.kind == "verbatim") & corpus.day_mask(d.period.since, d.period.until)
    if key:
        scope &= corpus.segment_mask(key, [v.segment])
    confirming = scope & about & (corpus.polarity > 0) & ~complaint
    query = f"{humanise(v.fact.metric)} {' '.join(labels)}"

    metric_refs = book.cite([Hit(idx=v.record_idx, id=corpus.ids[v.record_idx], score=1.0)], 1)
    hits = index.search(query, _period_filter(d.period, -1, segs), k=6, theme_filter=themes)
    complaint_refs = book.cite([h for h in hits if complaint[h.idx]], 1)
    counter_refs: list[int] = []
    if confirming.any():
        # relevant first (search), then the most positive of those (VADER compound)
        positive_query = f"{query} good thank you"
        f = _period_filter(d.period, 1, segs)
        hits = index.search(positive_query, f, k=30, theme_filter=themes)
        picked = [h for h in hits if confirming[h.idx]][:10]
        if not picked:
            picked = [
                Hit(idx=int(i), id=corpus.ids[i], score=0.0) for i in np.flatnonzero(confirming)
            ]
        picked.sort(key=lambda h: -_sentiment(corpus, h.idx))
        counter_refs = book.cite(picked, 1)
    prev = None
    if before is not None:
        for o in before.gaps + before.agreeing + before.not_ranked:
            if (o.fact.metric, o.segment, o.period_label) == (
                v.fact.metric,
                v.segment,
                v.period_label,
            ):
                prev = {"share_of_complaints": round(o.mix, 4), "n_complaining": o.n_c, "k": o.k}
    return GapItem(
        view=report.gap_dict(index, v),
        before=prev,
        theme_labels=labels,
        metric_refs=metric_refs,
        complaint_refs=complaint_refs,
        positive=int(confirming.sum()),
        about_theme=int((scope & about).sum()),
        counter_refs=counter_refs,
    )


# ---------------------------------------------------------------------------- wording


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _pts(points: float) -> str:
    return f"{points:+.1f} pts"


def _noise(significant: bool) -> str:
    return "beyond noise" if significant else "within noise"


def title(d: Digest) -> str:
    return f"CX digest: {d.period.label()} vs {d.previous.label()}"


def summary_lines(d: Digest) -> list[str]:
    """The headline figures, plain text (callers escape for Slack)."""
    v = d.volume
    now_day, before_day = v.per_day
    lines = []
    clipped = [
        f"{day_range(p.since, p.until)} has data for {p.label()} only"
        for p in (d.period, d.previous)
        if p.covered and p.covered != (p.since, p.until)
    ]
    if clipped:
        lines.append("Days without data are left out: " + "; ".join(clipped) + ".")
    if not d.enough:
        lines.append(d.note or "")
        return lines
    change = v.change_pct
    lines.append(
        f"Volume: {v.now:,} verbatims ({now_day:,.1f}/day over {v.days_now} days) vs "
        f"{v.before:,} ({before_day:,.1f}/day over {v.days_before} days): "
        + (f"{change:+.1f}% per day, {_noise(v.significant)}." if change is not None else "n/a.")
    )
    n = d.negative
    lo, hi = wilson(n.now.k, n.now.n)
    lines.append(
        f"Negative: {_pct(n.now.share)} ({n.now.k:,} of {n.now.n:,}, 95% CI {_pct(lo)}-"
        f"{_pct(hi)}) vs {_pct(n.before.share)} ({n.before.k:,} of {n.before.n:,}): "
        f"{_pts(n.points)}, {_noise(n.significant)}."
    )
    return lines


def theme_line(t: ThemeChange) -> str:
    return (
        f"{t.label}: {_pct(t.now.share)} ({t.now.k:,}) vs {_pct(t.before.share)} "
        f"({t.before.k:,}), {_pts(t.points)} {refs(t.citations)}"
    ).rstrip()


def theme_sections(d: Digest) -> list[tuple[str, list[str]]]:
    """(heading, lines) for new, rising, falling and the most raised complaints."""
    if not d.enough:
        return []
    out = []
    out.append(("Rising complaints", [theme_line(t) for t in d.rising] or ["none beyond noise"]))
    out.append(
        (
            f"New complaints (under {100 * NEW_BEFORE_MAX:g}% before)",
            [theme_line(t) for t in d.new] or ["none"],
        )
    )
    out.append(("Falling complaints", [theme_line(t) for t in d.falling] or ["none beyond noise"]))
    shown = {t.theme for t in d.new + d.rising + d.falling}
    also = [theme_line(t) for t in d.most_raised if t.theme not in shown]
    if also:
        out.append(("Also most raised this period", also))
    return out


def score_lines(d: Digest) -> list[str]:
    """'What moved the score': empty when the data has no score or too little to call trends."""
    if not d.enough or d.score is None:
        return []
    return move_lines(d.score, d.period.label(), d.previous.label())


def gap_lines(d: Digest) -> list[str]:
    lines = []
    for i, g in enumerate(d.gaps, 1):
        v = g.view
        unit = v.get("unit") or ""
        value = fmt_value_dict(v["metric_value"], unit)
        rank = f"#{v['metric_rank']} of {v['segments_compared']}" if v["segments_compared"] else ""
        period = f", {v['period']}" if v.get("period") else ""
        themes = " / ".join(x.lower() for x in g.theme_labels)
        was = ""
        if g.before and g.before["n_complaining"]:
            was = (
                f" (previous period {_pct(g.before['share_of_complaints'])} of "
                f"{g.before['n_complaining']:,})"
            )
        sig = "significant" if v["significant"] else "not significant at this n"
        lines.append(
            f"{i}. {v['segment']}: {humanise(v['metric'])} {value} ({rank}{period}) "
            f"{refs(g.metric_refs)}, yet {themes} is {_pct(v['share_of_complaints'])} of what its "
            f"{v['n_complaining']:,} complaining customers raise vs "
            f"{_pct(v['rest_share_of_complaints'])} elsewhere{was}; {sig} "
            f"{refs(g.complaint_refs)}".rstrip()
        )
        if g.about_theme:
            verb = "reads as" if g.positive == 1 else "read as"
            lines.append(
                f"   Other side: {g.positive:,} of the {g.about_theme:,} {v['segment']} "
                f"verbatims about {themes} {verb} positive {refs(g.counter_refs)}".rstrip()
            )
        else:
            lines.append(
                f"   Other side: no {v['segment']} verbatim mentions {themes} this period."
            )
    return lines


def fmt_value_dict(value: float, unit: str) -> str:
    return f"{value:g}" + (unit if unit == "%" else f" {unit}" if unit else "")


# ---------------------------------------------------------------------------- rendering


def render_text(d: Digest) -> str:
    """What `cxbot digest --dry-run` prints: the same content as the Slack message."""
    lines = [title(d), *summary_lines(d)]
    sections = theme_sections(d)
    if sections:
        lines.append(f"Complaints by theme ({SHARE_NOTE}):")
    for heading, items in sections:
        if len(items) == 1 and not items[0][0].isupper():
            lines.append(f"{heading}: {items[0]}.")
        else:
            lines.append(f"{heading}:")
            lines += [f"  - {x}" for x in items]
    moved = score_lines(d)
    if moved:
        lines.append(f"What moved the score ({SCORE_NOTE}):")
        lines += [f"  {x}" for x in moved]
    if d.enough:
        if d.gaps:
            lines.append(
                "Perception gaps this period (the metric looks good, that segment's "
                "customers complain about it more than elsewhere):"
            )
            lines += [f"  {x}" for x in gap_lines(d)]
        elif d.gap_note:
            lines.append(d.gap_note)
        if d.score_gap_text:
            lines.append(f"{SCORE_GAP_HEAD}:")
            lines += [f"  {x}" for x in d.score_gap_text]
    if d.citations:
        lines.append("\nSources:")
        for c in d.citations:
            meta = ", ".join(x for x in (c.segment, c.date or "", f"{c.source} {c.location}") if x)
            label = "Report line: " if c.kind == "metric" else ""
            lines.append(f'  [{c.n}] {label}"{bk.trim(c.text, 300)}" ({meta})')
    lines.append(f"\n{d.freshness}")
    lines.append(METHOD)
    return "\n".join(lines)


def digest_blocks(d: Digest, note: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """Block Kit blocks (within Slack's limits, data escaped) and the notification text."""
    head: list[Block] = [HeaderBlock(text=PlainTextObject(text=bk.trim(title(d), 150)))]
    head += bk.sections("\n".join(bk.escape(x) for x in summary_lines(d)), "digest-summary")
    parts = []
    for heading, items in theme_sections(d):
        if len(items) == 1 and not items[0][0].isupper():  # "none", "none beyond noise"
            parts.append(f"*{bk.escape(heading)}:* {bk.escape(items[0])}.")
        else:
            parts.append(
                f"*{bk.escape(heading)}*\n" + "\n".join(f"• {bk.escape(x)}" for x in items)
            )
    if parts:
        head += bk.sections(
            f"_Complaints by theme ({SHARE_NOTE})_\n" + "\n".join(parts), "digest-themes"
        )
    moved = score_lines(d)
    if moved:
        text = f"*What moved the score* _({bk.escape(SCORE_NOTE)})_\n" + "\n".join(
            ("• " + bk.escape(x[2:]) if x.startswith("- ") else bk.escape(x)) for x in moved
        )
        head += bk.sections(text, "digest-score")
    if d.enough and (d.gaps or d.gap_note):
        if d.gaps:
            text = "*Where customers disagree with our metrics*\n" + "\n".join(
                ("  ↳ " if x.startswith(" ") else "") + bk.escape(x.strip()) for x in gap_lines(d)
            )
        else:
            text = bk.escape(d.gap_note or "")
        head += bk.sections(text, "digest-gaps")
    if d.enough and d.score_gap_text:
        text = f"*{SCORE_GAP_HEAD}*\n" + "\n".join(
            "• " + bk.escape(x[2:] if x.startswith("- ") else x) for x in d.score_gap_text
        )
        head += bk.sections(text, "digest-score-gaps")
    body: list[Block] = []
    if d.citations:
        body.append(DividerBlock())
        for c in d.citations:
            body += bk.citation_blocks(c)
    foot: list[Block] = []
    if note:
        foot.append(bk.context(note))
    foot.append(bk.context(bk.escape(f"{d.freshness} {METHOD}")))
    blocks = bk.fit(head, body, foot)
    first = summary_lines(d)[-1] if summary_lines(d) else ""
    return blocks, bk.fallback_text(f"{title(d)}. {first}")


def channel_refs(channels: list[str]) -> str:
    """Configured channel ids as Slack channel links (anything else shown as text)."""
    return ", ".join(f"<#{c}>" if _CHANNEL_ID.match(c) else bk.escape(c) for c in channels)


def preview_blocks(index: Index, settings: Settings) -> list[dict[str, Any]]:
    """`/cx digest`: the digest as it would be posted now, with when and where it goes."""
    d = build_digest(index)
    if settings.digest_channels:
        where = (
            f"Preview. Posted to {channel_refs(settings.digest_channels)} on schedule "
            f"`{bk.escape(settings.digest_cron)}` ({bk.escape(settings.digest_timezone)}), "
            "with a chart in the thread."
        )
    else:
        where = "Preview. No digest channels are configured (CXBOT_DIGEST_CHANNELS)."
    blocks, _ = digest_blocks(d, note=where)
    return blocks
