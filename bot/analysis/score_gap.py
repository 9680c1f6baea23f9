"""The customer score side of a perception gap: an internal report's own NPS, CSAT or rating
("NPS 45", "CSAT 4.6" in an ops report) against the score the customers of that segment and
period gave themselves in the survey, with n and a 95% interval.

A metric is a score metric when its name says NPS / Net Promoter, CSAT / customer
satisfaction, or rating / stars, *and* its value lies on that scale: NPS -100..100; CSAT as a
share in % (0-100, compared with the share answering 4-5) or a 1-5 mean; a rating 1-5 (a mean).
The report disagrees with its customers when its value lies outside their interval; segments
with fewer than ``min_n`` scored verbatims are not compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from bot.analysis.drivers import ScoreView, fmt_score, score_view
from ingest.schema import MetricFact

Measure = Literal["nps", "share45", "mean5"]
MEASURE_LABEL = {"nps": "NPS", "share45": "share answering 4-5", "mean5": "mean score (1-5)"}
UNITS = {"nps": "points", "share45": "points", "mean5": "points on the 1-5 scale"}
# which customers' score kinds each internal measure can be compared with
COMPARABLE: dict[str, tuple[str, ...]] = {
    "nps": ("nps",),
    "share45": ("csat", "stars"),
    "mean5": ("csat", "stars"),
}
_NAME = [
    (re.compile(r"\bnps\b|net[\s_-]?promoter", re.I), "nps"),
    (re.compile(r"\bcsat\b|customer[\s_-]?satisfaction|satisfaction[\s_-]?score", re.I), "csat"),
    (re.compile(r"\b(?:stars?|ratings?|review[\s_-]?score)\b", re.I), "stars"),
]


def name_kind(metric: str) -> str | None:
    """nps / csat / stars when the metric's name says it is a customer score."""
    name = metric.replace("_", " ")
    return next((k for p, k in _NAME if p.search(name)), None)


def measure_for(f: MetricFact) -> Measure | None:
    """How a score metric's value reads, or None when it is not on that score's scale."""
    kind = name_kind(f.metric)
    if kind is None or f.unit not in ("", "%", "pts"):
        return None
    v = f.value
    if kind == "nps":
        return "nps" if -100 <= v <= 100 and f.unit != "%" else None
    if f.unit == "%" or 5 < v <= 100:
        return "share45" if 0 <= v <= 100 else None
    return "mean5" if 1 <= v <= 5 else None


def customers(measure: Measure, kind: str, s: np.ndarray) -> ScoreView:
    """The customers' own figure in the internal metric's terms."""
    if measure == "nps":
        return score_view("nps", s)
    if measure == "share45":
        return score_view("csat", s)  # the share of 4-5, whatever the 1-5 scale's kind
    return score_view("stars", s)


def fmt_measure(measure: str, v: float) -> str:
    return {"nps": fmt_score("nps", v), "share45": f"{v:.1f}%"}.get(measure, f"{v:.2f}")


@dataclass
class ScoreGap:
    """One internal score metric x segment (x period) against the customers' own score."""

    metric: str
    segment: str
    period_label: str | None
    fact: MetricFact
    record_idx: int
    measure: Measure
    kind: str  # the customers' score kind
    sources: list[str]
    view: ScoreView
    compared: bool = True  # False: fewer than min_n scored verbatims
    citations: list[int] = field(default_factory=list)

    @property
    def diff(self) -> float:
        """Internal minus customers (score points)."""
        return self.fact.value - self.view.value

    @property
    def verdict(self) -> str:
        """'higher' / 'lower': the report lies outside the customers' interval; 'agrees'."""
        if not self.compared:
            return "not compared"
        if self.fact.value > self.view.hi:
            return "higher"
        if self.fact.value < self.view.lo:
            return "lower"
        return "agrees"

    @property
    def disagrees(self) -> bool:
        return self.verdict in ("higher", "lower")

    def as_dict(self, cits: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "segment": self.segment,
            "period": self.period_label,
            "metric_value": self.fact.value,
            "unit": self.fact.unit,
            "target": self.fact.target,
            "measure": self.measure,
            "customer_measure": MEASURE_LABEL[self.measure],
            "customer_score_kind": self.kind,
            "sources": self.sources,
            "n": self.view.n,
            "customer_value": _r(self.view.value),
            "ci_low": _r(self.view.lo),
            "ci_high": _r(self.view.hi),
            "difference": _r(self.diff),
            "verdict": self.verdict,
            "compared": self.compared,
            "citations": cits,
        }


def _r(v: float) -> float | None:
    return None if v != v else round(float(v), 3)


def order(gaps: list[ScoreGap]) -> list[ScoreGap]:
    """Disagreements first (the report above its customers before below), largest first."""
    rank = {"higher": 0, "lower": 1, "agrees": 2, "not compared": 3}
    return sorted(gaps, key=lambda g: (rank[g.verdict], -abs(g.diff) if g.compared else 0))
