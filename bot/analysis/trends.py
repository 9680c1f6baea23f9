"""Change over time: one period against the previous one of the same length, per theme and
for sentiment and volume, each change marked beyond noise or not for its n.

Shared by the weekly digest and by trend questions ("Is anything getting worse?"), so both say
the same thing about the same days: shares are of all dated verbatims in scope in each period
(never of search hits), a two-proportion z-test for shares and a Poisson rate test for volume,
both at 95%. Periods are relative to the newest verbatim, like the time words in questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.analysis.stats import Z95, poisson_rate_z, two_prop_z, wilson
from ingest.errors import ConfigError, CxbotError

if TYPE_CHECKING:
    from bot.corpus import Corpus
    from bot.index import Index

PERIOD_DAYS = 7
NEW_BEFORE_MAX = 0.01  # a theme is "new" when under 1% of the previous period's verbatims...
NEW_NOW_MIN = 0.02  # ...and at least 2% of this period's (and significantly up)


@dataclass
class Period:
    """Inclusive dates asked for; `covered` is the part within the data's date range."""

    since: date
    until: date
    covered: tuple[date, date] | None = None

    @property
    def key(self) -> str:
        return f"{self.since.isoformat()}/{self.until.isoformat()}"

    @property
    def days(self) -> int:
        if self.covered is None:
            return 0
        return (self.covered[1] - self.covered[0]).days + 1

    def label(self) -> str:
        a, b = self.covered or (self.since, self.until)
        return day_range(a, b)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "covered_since": self.covered[0].isoformat() if self.covered else None,
            "covered_until": self.covered[1].isoformat() if self.covered else None,
            "days_with_data": self.days,
            "label": self.label(),
        }


def day_range(a: date, b: date) -> str:
    """'20–24 Feb 2015', '28 Feb – 3 Mar 2015', '24 Feb 2015'."""
    if a == b:
        return f"{a.day} {a:%b %Y}"
    if (a.year, a.month) == (b.year, b.month):
        return f"{a.day}–{b.day} {b:%b %Y}"
    if a.year == b.year:
        return f"{a.day} {a:%b} – {b.day} {b:%b %Y}"
    return f"{a.day} {a:%b %Y} – {b.day} {b:%b %Y}"


@dataclass
class Rate:
    """k of n, with its Wilson 95% interval."""

    k: int
    n: int

    @property
    def share(self) -> float:
        return self.k / self.n if self.n else 0.0

    def as_dict(self) -> dict[str, Any]:
        lo, hi = wilson(self.k, self.n)
        return {
            "k": self.k,
            "n": self.n,
            "share": round(self.share, 4),
            "ci_low": round(lo, 4),
            "ci_high": round(hi, 4),
        }


@dataclass
class Change:
    """A share this period against the previous one."""

    now: Rate
    before: Rate

    @property
    def points(self) -> float:
        return 100 * (self.now.share - self.before.share)

    @property
    def z(self) -> float:
        return two_prop_z(self.now.k, self.now.n, self.before.k, self.before.n)

    @property
    def significant(self) -> bool:
        return abs(self.z) >= Z95

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.as_dict(),
            "before": self.before.as_dict(),
            "change_points": round(self.points, 2),
            "z": round(self.z, 2),
            "significant": self.significant,
        }


@dataclass
class ThemeChange(Change):
    theme: str = ""
    label: str = ""
    citations: list[int] = field(default_factory=list)

    @property
    def new(self) -> bool:
        return (
            self.before.share < NEW_BEFORE_MAX
            and self.now.share >= NEW_NOW_MIN
            and self.significant
            and self.points > 0
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "label": self.label,
            **super().as_dict(),
            "new": self.new,
            "citations": self.citations,
        }


@dataclass
class Volume:
    now: int
    before: int
    days_now: int
    days_before: int

    @property
    def per_day(self) -> tuple[float, float]:
        return (
            self.now / self.days_now if self.days_now else 0.0,
            self.before / self.days_before if self.days_before else 0.0,
        )

    @property
    def change_pct(self) -> float | None:
        now, before = self.per_day
        return 100 * (now - before) / before if before else None

    @property
    def z(self) -> float:
        """Poisson rate test (counts per day of data): is the daily volume really different?"""
        return poisson_rate_z(self.now, self.days_now, self.before, self.days_before)

    @property
    def significant(self) -> bool:
        return abs(self.z) >= Z95

    def as_dict(self) -> dict[str, Any]:
        now, before = self.per_day
        pct = self.change_pct
        return {
            "now": self.now,
            "before": self.before,
            "per_day_now": round(now, 2),
            "per_day_before": round(before, 2),
            "change_pct": None if pct is None else round(pct, 2),
            "z": round(self.z, 2),
            "significant": self.significant,
        }


def periods(
    corpus: Corpus, since: date | None = None, until: date | None = None
) -> tuple[Period, Period]:
    """This period and the previous one of the same length, each clipped to the data.

    Default: the 7 days ending at the newest dated verbatim. --since alone runs to the newest
    verbatim; --until alone covers the 7 days ending there.
    """
    verb = corpus.kind == "verbatim"
    first, last = corpus.date_range(verb)
    if last is None or first is None:
        raise CxbotError(
            "None of the verbatims has a date, so there is no period to compare.",
            "Ingest the surveys with a date column (--date-column).",
        )
    if until is None:
        until = last if since is None or since <= last else since + timedelta(PERIOD_DAYS - 1)
    if since is None:
        since = until - timedelta(days=PERIOD_DAYS - 1)
    if since > until:
        raise ConfigError(f"--since {since} is after --until {until}.")
    length = (until - since).days + 1
    previous = (since - timedelta(days=length), since - timedelta(days=1))

    def clip(a: date, b: date) -> Period:
        lo, hi = max(a, first), min(b, last)
        return Period(a, b, (lo, hi) if lo <= hi else None)

    return clip(since, until), clip(*previous)


@dataclass
class Trend:
    """Volume, negative share and every theme's complaint share, now against before."""

    period: Period
    previous: Period
    volume: Volume
    negative: Change
    themes: list[ThemeChange]  # most complained about now first


def period_changes(
    index: Index, now_p: Period, before_p: Period, scope: np.ndarray | None = None
) -> Trend:
    """Counted over every dated verbatim in ``scope`` (default: all verbatims) per period."""
    corpus = index.corpus()
    verb = corpus.kind == "verbatim"
    if scope is not None:
        verb = verb & scope
    m_now = verb & corpus.day_mask(now_p.since, now_p.until)
    m_before = verb & corpus.day_mask(before_p.since, before_p.until)
    n_now, n_before = int(m_now.sum()), int(m_before.sum())
    neg = corpus.polarity < 0
    themes = [
        ThemeChange(
            now=Rate(int((m_now & cmask).sum()), n_now),
            before=Rate(int((m_before & cmask).sum()), n_before),
            theme=t,
            label=index.label(t),
        )
        for t, cmask in corpus.complaints.items()
    ]
    themes.sort(key=lambda t: (-t.now.k, t.label))
    return Trend(
        period=now_p,
        previous=before_p,
        volume=Volume(n_now, n_before, now_p.days, before_p.days),
        negative=Change(
            Rate(int((m_now & neg).sum()), n_now), Rate(int((m_before & neg).sum()), n_before)
        ),
        themes=themes,
    )
