"""Spikes: every theme x segment against its own baseline of the previous weeks.

For a window (default: the 7 days ending at the newest dated verbatim, as trends and time
words count) and each theme, in all verbatims and in each segment value, the share of that
segment's dated verbatims raising the theme as a complaint is compared with the same share over
the baseline (the ``baseline_weeks`` weeks before the window). A spike is flagged when it is

* beyond noise for its n: a two-proportion z-test (`bot.analysis.stats`) of at least
  ``z_min``. The default, 2.58 (99% two-sided), is stricter than the 95% of answers because a
  daily check runs one test per theme x segment (about a hundred on the demo data): at 95%
  several would fire by chance every day;
* above a minimum size: at least ``min_complaints`` complaints in the window, at least
  ``min_n`` verbatims (CXBOT_MIN_SEGMENT_N) in the baseline, and up by ``min_points`` points.

Segments are compared with their own past, never with each other, so a segment that always
complains more does not fire; a spike is a change. The figures reuse `trends.Rate`/`Change`, so
a spike reads like a digest line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.analysis.trends import Change, Period, Rate
from bot.citations import CitationBook, Hit
from bot.filters import Filters
from ingest.errors import CxbotError

if TYPE_CHECKING:
    from bot.corpus import Corpus
    from bot.index import Index

WINDOW_DAYS = 7
BASELINE_WEEKS = 4
Z_ALERT = 2.5758293035489  # 99%, two-sided
MIN_COMPLAINTS = 5
MIN_POINTS = 2.0
ALL = "(all)"  # the segment key of "every verbatim"


@dataclass
class Spike:
    theme: str
    label: str
    key: str  # segment key, or ALL
    value: str  # segment value, or "all verbatims"
    change: Change
    records: np.ndarray  # corpus rows behind the spike: the window's complaints about it

    @property
    def ident(self) -> str:
        """What the cooldown remembers: the same theme in the same segment."""
        return f"{self.theme}|{self.key}={self.value}"

    @property
    def scope(self) -> str:
        return "all verbatims" if self.key == ALL else self.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "label": self.label,
            "segment_key": None if self.key == ALL else self.key,
            "segment": None if self.key == ALL else self.value,
            **self.change.as_dict(),
        }


@dataclass
class SpikeReport:
    window: Period
    baseline: Period
    spikes: list[Spike]  # strongest first
    tested: int  # theme x segment pairs with enough data to test
    too_small: int  # pairs left out for size
    settings: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.as_dict(),
            "baseline": self.baseline.as_dict(),
            "spikes": [s.as_dict() for s in self.spikes],
            "tested": self.tested,
            "too_small": self.too_small,
            "settings": self.settings,
        }


def _clip(a: date, b: date, first: date, last: date) -> Period:
    lo, hi = max(a, first), min(b, last)
    return Period(a, b, (lo, hi) if lo <= hi else None)


def windows(
    corpus: Corpus,
    until: date | None = None,
    window_days: int = WINDOW_DAYS,
    baseline_weeks: int = BASELINE_WEEKS,
) -> tuple[Period, Period]:
    """The window ending at ``until`` (default the newest dated verbatim) and the baseline
    weeks before it, each clipped to the data's dates."""
    first, last = corpus.date_range(corpus.kind == "verbatim")
    if first is None or last is None:
        raise CxbotError(
            "None of the verbatims has a date, so there is nothing to watch over time.",
            "Ingest the surveys with a date column (--date-column).",
        )
    end = until or last
    start = end - timedelta(days=window_days - 1)
    base_end = start - timedelta(days=1)
    base_start = start - timedelta(days=7 * baseline_weeks)
    return _clip(start, end, first, last), _clip(base_start, base_end, first, last)


def spikes(
    index: Index,
    until: date | None = None,
    window_days: int = WINDOW_DAYS,
    baseline_weeks: int = BASELINE_WEEKS,
    z_min: float = Z_ALERT,
    min_complaints: int = MIN_COMPLAINTS,
    min_points: float = MIN_POINTS,
    min_n: int | None = None,
) -> SpikeReport:
    """Every theme x segment (and x all verbatims) in the window against its baseline."""
    corpus = index.corpus()
    min_n = index.settings.min_segment_n if min_n is None else min_n
    window, baseline = windows(corpus, until, window_days, baseline_weeks)
    verb = corpus.kind == "verbatim"
    m_now = verb & corpus.day_mask(window.since, window.until)
    m_before = verb & corpus.day_mask(baseline.since, baseline.until)
    if window.covered is None:
        m_now &= False
    if baseline.covered is None:
        m_before &= False
    scopes: list[tuple[str, str, np.ndarray]] = [(ALL, "all verbatims", np.ones_like(verb))]
    for key, values in corpus.segment_values.items():
        scopes += [(key, v, corpus.segment_mask(key, [v])) for v in values]
    found: list[Spike] = []
    tested = small = 0
    for key, value, seg in scopes:
        now_s, before_s = m_now & seg, m_before & seg
        n_now, n_before = int(now_s.sum()), int(before_s.sum())
        for theme, complaint in corpus.complaints.items():
            hit_now = now_s & complaint
            k_now = int(hit_now.sum())
            if k_now < min_complaints or n_before < min_n:
                small += 1
                continue
            tested += 1
            ch = Change(Rate(k_now, n_now), Rate(int((before_s & complaint).sum()), n_before))
            if ch.z >= z_min and ch.points >= min_points:
                found.append(
                    Spike(theme, index.label(theme), key, value, ch, np.flatnonzero(hit_now))
                )
    found.sort(key=lambda s: (-s.change.z, s.label, s.value))
    return SpikeReport(
        window,
        baseline,
        found,
        tested,
        small,
        {
            "window_days": window_days,
            "baseline_weeks": baseline_weeks,
            "z_min": round(z_min, 3),
            "min_complaints": min_complaints,
            "min_points": min_points,
            "min_baseline_n": min_n,
        },
    )


def matches(s: Spike, themes: list[str], segments: dict[str, list[str]]) -> bool:
    """Whether a spike is in a watch's scope (no themes: any; no segments: any, overall too)."""
    if themes and s.theme not in themes:
        return False
    if segments:
        return s.key in segments and s.value in segments[s.key]
    return True


def cite_spike(
    index: Index, report: SpikeReport, s: Spike, book: CitationBook, k: int = 3
) -> list[int]:
    """Quotes behind a spike: the window's complaints about the theme in the segment, the
    closest to the theme first (search), else in date order."""
    corpus = index.corpus()
    allowed = set(int(i) for i in s.records)
    f = Filters(
        since=report.window.since,
        until=report.window.until,
        polarity=None,
        segments={} if s.key == ALL else {s.key: [s.value]},
    )
    hits = [
        h for h in index.search(s.label, f, k=4 * k + 8, theme_filter=[s.theme]) if h.idx in allowed
    ]
    if len(hits) < k:
        known = {h.idx for h in hits}
        hits += [
            Hit(idx=int(i), id=corpus.ids[int(i)], score=0.0)
            for i in s.records
            if int(i) not in known
        ][: 4 * k]
    return book.cite(hits, k)
