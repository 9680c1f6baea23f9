"""What moved the score: the score (NPS, CSAT, stars) of one period against the period before,
and the themes whose impact on it changed most, for the weekly digest.

The score of each period comes with n and a 95% interval (`drivers.score_view`); the change
with its own interval (normal, the two periods independent: NPS from the variance of a
difference of shares, CSAT two shares, stars Welch) and is "beyond noise" when that interval
excludes 0. A theme's *impact* in a period is, as for the drivers, the period's score minus its
score without the theme's verbatims; its change between the periods is how many points of the
score's change the theme accounts for (score change = change without the theme + change in the
theme's impact). Its interval comes from bootstrapping each period's records independently.
Themes raised by fewer than ``min_n`` scored verbatims over both periods are too small, never
ranked. Each theme shown is quoted with low-score verbatims of the period it hurt most.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.analysis.drivers import (
    RESAMPLES,
    SEED,
    UNIT,
    ScoreView,
    _cells,
    _impacts,
    _score_index,
    cite_low_scores,
    contribution,
    fmt_delta,
    fmt_score,
    pick_score,
    score_view,
)
from bot.analysis.stats import Z95
from bot.citations import CitationBook, refs
from bot.filters import Filters
from ingest.scores import LABEL

if TYPE_CHECKING:
    from bot.analysis.trends import Period
    from bot.index import Index

MAX_THEMES = 3


@dataclass
class ThemeMove:
    """One theme's impact on the score in each period, and its change with a 95% interval."""

    theme: str
    label: str
    n_now: int  # scored verbatims raising it this period
    n_before: int
    impact_now: float
    impact_before: float
    lo: float
    hi: float
    ranked: bool = True
    citations: list[int] = field(default_factory=list)

    @property
    def change(self) -> float:
        return self.impact_now - self.impact_before

    @property
    def beyond_noise(self) -> bool:
        return self.ranked and (self.lo > 0 or self.hi < 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "label": self.label,
            "n_now": self.n_now,
            "n_before": self.n_before,
            "impact_now": _r(self.impact_now),
            "impact_before": _r(self.impact_before),
            "change": _r(self.change),
            "ci_low": _r(self.lo),
            "ci_high": _r(self.hi),
            "beyond_noise": self.beyond_noise,
            "ranked": self.ranked,
            "citations": self.citations,
        }


@dataclass
class ScoreMove:
    kind: str
    sources: list[str]
    now: ScoreView
    before: ScoreView
    min_n: int
    var_now: float  # the variance of each period's score (score units squared)
    var_before: float
    themes: list[ThemeMove] = field(default_factory=list)  # ranked, largest change first
    too_small: list[ThemeMove] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return LABEL[self.kind]

    @property
    def enough(self) -> bool:
        return self.now.n >= self.min_n and self.before.n >= self.min_n

    @property
    def change(self) -> float:
        return self.now.value - self.before.value

    @property
    def se(self) -> float:
        return math.sqrt(self.var_now + self.var_before)

    @property
    def lo(self) -> float:
        return self.change - Z95 * self.se

    @property
    def hi(self) -> float:
        return self.change + Z95 * self.se

    @property
    def z(self) -> float:
        return self.change / self.se if self.se > 0 else 0.0

    @property
    def significant(self) -> bool:
        return self.enough and abs(self.z) >= Z95

    @property
    def moved(self) -> list[ThemeMove]:
        """The themes shown: those whose impact changed beyond noise, largest first."""
        return [t for t in self.themes if t.beyond_noise][:MAX_THEMES] if self.enough else []

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "sources": self.sources,
            "now": self.now.as_dict(),
            "before": self.before.as_dict(),
            "enough_data": self.enough,
            "min_scored": self.min_n,
            "change": _r(self.change),
            "change_ci_low": _r(self.lo),
            "change_ci_high": _r(self.hi),
            "z": _r(self.z, 2),
            "significant": self.significant,
            "themes": [t.as_dict() for t in self.themes],
            "moved": [t.theme for t in self.moved],
            "too_small": [
                {"theme": t.theme, "label": t.label, "n": t.n_now + t.n_before}
                for t in self.too_small
            ],
            "notes": self.notes,
        }


def _r(v: float, nd: int = 3) -> float | None:
    return round(float(v), nd) if math.isfinite(v) else None


def score_var(kind: str, s: np.ndarray) -> float:
    """The variance of the score of ``s`` (NPS: a difference of two shares of one sample;
    CSAT: a share; stars: s^2 / n), in score units squared."""
    n = len(s)
    if n == 0:
        return math.nan
    if kind == "nps":
        p, d = float((s >= 9).mean()), float((s <= 6).mean())
        return 1e4 * max(0.0, p + d - (p - d) ** 2) / n
    if kind == "csat":
        p = float((s >= 4).mean())
        return 1e4 * p * (1 - p) / n
    return float(s.var(ddof=1)) / n if n > 1 else 0.0


def score_move(index: Index, now_p: Period, before_p: Period) -> ScoreMove | None:
    """The score now against before over all scored verbatims of each period; None when no
    verbatim has a score of a known kind (the digest then leaves the section out)."""
    corpus = index.corpus()
    m_now = Filters(since=now_p.since, until=now_p.until).mask(corpus)
    m_before = Filters(since=before_p.since, until=before_p.until).mask(corpus)
    kind, sources, notes = pick_score(corpus, m_now | m_before, None)
    if kind is None:  # scored elsewhere, not in these periods: the digest says so in a line
        kind, sources, notes = pick_score(corpus, corpus.is_verbatim, None)
    if kind is None:
        return None
    si = _score_index(corpus)
    scored = si.kinds[kind] & si.sources_mask(sources)
    idx_now = np.flatnonzero(m_now & scored)
    idx_before = np.flatnonzero(m_before & scored)
    s_now, s_before = corpus.score[idx_now], corpus.score[idx_before]
    move = ScoreMove(
        kind,
        sources,
        score_view(kind, s_now),
        score_view(kind, s_before),
        index.settings.min_segment_n,
        score_var(kind, s_now),
        score_var(kind, s_before),
        notes=notes,
    )
    if move.enough:
        _theme_moves(index, idx_now, idx_before, kind, move)
    return move


def _period_impacts(
    corpus: Any, idx: np.ndarray, kind: str, seed: int
) -> tuple[dict[str, float], dict[str, np.ndarray], dict[str, int]]:
    """Per theme: the period's impact, its bootstrap draws and its scored verbatims."""
    y = contribution(kind, corpus.score[idx])
    c = _cells(corpus, idx, y)
    if not c.names:
        return {}, {}, {}
    n = float(c.w.sum())
    impact = _impacts(c, c.w)[0]
    rng = np.random.default_rng(seed)
    boot = rng.multinomial(int(n), c.w / n, size=RESAMPLES).astype(np.float64)
    with np.errstate(invalid="ignore"):
        b = _impacts(c, boot)[0]
    nt = c.x.T @ c.w
    return (
        {t: float(impact[j]) for j, t in enumerate(c.names)},
        {t: b[:, j] for j, t in enumerate(c.names)},
        {t: int(nt[j]) for j, t in enumerate(c.names)},
    )


def _theme_moves(
    index: Index, idx_now: np.ndarray, idx_before: np.ndarray, kind: str, move: ScoreMove
) -> None:
    corpus = index.corpus()
    imp_now, boot_now, n_now = _period_impacts(corpus, idx_now, kind, SEED)
    imp_before, boot_before, n_before = _period_impacts(corpus, idx_before, kind, SEED + 1)
    zero = np.zeros(RESAMPLES)
    for t in sorted(set(imp_now) | set(imp_before)):
        # a theme absent from a period has impact 0 there: removing nothing changes nothing
        draws = boot_now.get(t, zero) - boot_before.get(t, zero)
        with np.errstate(invalid="ignore"):
            lo, hi = (float(x) for x in np.nanpercentile(draws, [2.5, 97.5]))
        tm = ThemeMove(
            theme=t,
            label=index.label(t),
            n_now=n_now.get(t, 0),
            n_before=n_before.get(t, 0),
            impact_now=imp_now.get(t, 0.0),
            impact_before=imp_before.get(t, 0.0),
            lo=lo,
            hi=hi,
        )
        full = tm.n_now == len(idx_now) or tm.n_before == len(idx_before)
        if tm.n_now + tm.n_before < move.min_n or full or not math.isfinite(tm.change):
            tm.ranked = False
            move.too_small.append(tm)
        else:
            move.themes.append(tm)
    move.themes.sort(key=lambda t: (-abs(t.change), t.theme))
    move.too_small.sort(key=lambda t: (-(t.n_now + t.n_before), t.theme))


def cite_moves(
    index: Index, move: ScoreMove, now_p: Period, before_p: Period, book: CitationBook, per: int = 2
) -> None:
    """Low-score verbatims of each theme shown, from the period where its impact was worse."""
    shown = move.moved or move.themes[:1]
    for t in shown:
        p = now_p if t.impact_now <= t.impact_before else before_p
        f = Filters(since=p.since, until=p.until)
        t.citations = cite_low_scores(index, t.theme, f, move.kind, move.sources, book, per)


# ---------------------------------------------------------------- wording


def _scored(v: ScoreView, kind: str) -> str:
    return (
        f"{fmt_score(kind, v.value)} (n={v.n:,}, 95% CI {fmt_score(kind, v.lo)} to "
        f"{fmt_score(kind, v.hi)})"
    )


def move_lines(move: ScoreMove, now_label: str, before_label: str) -> list[str]:
    """Plain-text lines (callers escape for Slack); the first states the score change."""
    k = move.kind
    if not move.enough:
        return [
            f"{move.label}: {move.now.n:,} scored verbatims in {now_label} and "
            f"{move.before.n:,} in {before_label}: too few to call a change (at least "
            f"{move.min_n} in each period are needed)."
        ]
    noise = "beyond noise" if move.significant else "within noise"
    lines = [
        f"{move.label}: {_scored(move.now, k)} vs {_scored(move.before, k)}: "
        f"{fmt_delta(k, move.change)} {UNIT[k]} (95% CI {fmt_delta(k, move.lo)} to "
        f"{fmt_delta(k, move.hi)}), {noise}."
    ]
    if move.moved:
        lines.append(
            f"Themes that moved it (change in each theme's impact on the {move.label}, in "
            f"{UNIT[k]}):"
        )
        lines += [theme_move_line(move, t) for t in move.moved]
    elif move.themes:
        lines.append(
            f"No theme's impact on the {move.label} changed beyond noise; the largest change: "
            + theme_move_line(move, move.themes[0]).removeprefix("- ")
        )
    if move.too_small:
        lines.append(
            f"Too small to estimate (fewer than {move.min_n} scored verbatims over both "
            "periods): "
            + ", ".join(f"{t.label} ({t.n_now + t.n_before:,})" for t in move.too_small)
            + "."
        )
    return lines


def theme_move_line(move: ScoreMove, t: ThemeMove) -> str:
    k = move.kind
    cites = f" {refs(t.citations)}" if t.citations else ""
    return (
        f"- {t.label}: {fmt_delta(k, t.change)} (95% CI {fmt_delta(k, t.lo)} to "
        f"{fmt_delta(k, t.hi)}); impact {fmt_delta(k, t.impact_now)} now "
        f"({t.n_now:,} of {move.now.n:,} scored verbatims) vs {fmt_delta(k, t.impact_before)} "
        f"before ({t.n_before:,} of {move.before.n:,}){cites}."
    )
