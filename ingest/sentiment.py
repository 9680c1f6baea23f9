"""Sentiment with VADER, combined with the respondent's own score when the source has one."""

from __future__ import annotations

from functools import lru_cache

NEGATIVE = -0.05
POSITIVE = 0.05


@lru_cache(maxsize=1)
def _analyzer():  # type: ignore[no-untyped-def]
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    return float(_analyzer().polarity_scores(text)["compound"])


def score_scale(scores: list[float]) -> float | None:
    """Guess the top of the scale: 5 (CSAT, stars), 10 (NPS) or 100."""
    if not scores:
        return None
    top = max(scores)
    for scale in (5.0, 10.0, 100.0):
        if top <= scale:
            return scale
    return None


def polarity(sentiment: float, score: float | None, scale: float | None) -> int:
    """-1 negative, 0 neutral, +1 positive. A low score (NPS detractor, 1-2 of 5) is negative
    whatever the words say; a high score alone does not make a complaint positive."""
    if score is not None and scale:
        low = score <= (2 if scale == 5 else 6 if scale == 10 else 60)
        if low:
            return -1
    if sentiment <= NEGATIVE:
        return -1
    if sentiment >= POSITIVE:
        return 1
    return 0
