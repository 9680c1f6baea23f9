"""Score kinds: what a respondent's number means, so the bot can say "NPS +12", not "mean 7.4".

NPS (0-10 whole numbers; promoters 9-10, passives 7-8, detractors 0-6; NPS = % promoters -
% detractors), CSAT (1-5 whole numbers; the share answering 4-5, in %) and stars (1-5; the
mean). The kind is inferred from the column's name and values at ingest, can be set with
``columns.score_kind`` / ``--score-kind``, and is stored per source in the catalog. Values the
kind cannot hold (11 on an NPS scale) are dropped from the row with a warning, as other bad
fields are; the row itself is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Literal

ScoreKind = Literal["nps", "csat", "stars"]
KINDS: tuple[ScoreKind, ...] = ("nps", "csat", "stars")
SCALE = {"nps": 10.0, "csat": 5.0, "stars": 5.0}  # the top of each scale (for the reading)
LABEL = {"nps": "NPS", "csat": "CSAT", "stars": "Star rating"}
RANGE_TEXT = {
    "nps": "0-10 (whole numbers)",
    "csat": "1-5 (whole numbers)",
    "stars": "1-5",
}
FIT = 0.95  # share of a column's values a kind must hold to be inferred from them
NAMED_FIT = 0.8  # less when the column's name says the kind: a few typos do not undo it

_NAME_KIND: list[tuple[re.Pattern[str], ScoreKind]] = [
    (re.compile(r"nps|net.?promoter|recommend|likelihood", re.I), "nps"),
    (re.compile(r"csat|satisf", re.I), "csat"),
    (re.compile(r"star|rating|rated", re.I), "stars"),
]


def fits(kind: str, value: float) -> bool:
    """Can a score of this kind be ``value``?"""
    if math.isnan(value):
        return False
    if kind == "nps":
        return 0 <= value <= 10 and value == int(value)
    if kind == "csat":
        return 1 <= value <= 5 and value == int(value)
    if kind == "stars":
        return 1 <= value <= 5
    return True


def infer_kind(column: str | None, values: Iterable[float]) -> ScoreKind | None:
    """The kind a column's name says, when its values fit it; else what the values say.

    Values alone: all within 1-5 reads as stars (a mean is the safe summary), whole numbers
    0-10 with some above 5 as NPS. None when nothing fits (a 0-100 scale, CES 1-7): the scores
    are kept, and the drivers ask for ``score_kind``.
    """
    vals = [v for v in values if not math.isnan(v)]
    if not vals:
        return None

    def share(kind: str) -> float:
        return sum(fits(kind, v) for v in vals) / len(vals)

    named = next((k for p, k in _NAME_KIND if column and p.search(column)), None)
    if named is not None and share(named) >= NAMED_FIT:
        return named
    if share("stars") >= FIT:
        return "csat" if named == "csat" else "stars"
    if share("nps") >= FIT and any(v > 5 for v in vals):
        return "nps"
    return None


def bad_value_reason(kind: str, raw: str) -> str:
    """The warning for a value the kind cannot hold, saying what to do."""
    return (
        f"'{raw}' is outside the {LABEL[kind]} scale ({RANGE_TEXT[kind]}); kept without a "
        "score. Fix the value, or set the score kind (columns.score_kind in sources.yaml, "
        "--score-kind on `cxbot ingest`) if the column is not "
        f"{LABEL[kind] if kind != 'stars' else 'a 1-5 rating'}."
    )
