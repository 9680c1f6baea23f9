"""VADER's compound score and the score-scale guess; ingest/reading.py combines them."""

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
