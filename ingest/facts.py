"""Metric facts from report text: "On-time delivery was 96.4% in October (target 95%)"."""

from __future__ import annotations

import re

from ingest.schema import Direction, MetricFact

_HIGHER = re.compile(
    r"on[\s_-]?time|resolution|fcr|satisf|csat|nps|accura|uptime|retention|conversion|"
    r"completion|service level|sla|perfect order|fill rate|recommend|promoter",
    re.I,
)
_LOWER = re.compile(
    r"cancel|wait|delay|late|complain|churn|damage|defect|return|refund|error|abandon|lost|"
    r"mishandl|escalat|backlog|handle time|aht|cost|contact rate|divert|time to|ttr|hold time|"
    r"complaint|breakage|missing",
    re.I,
)

UNIT_WORDS = {
    "%": "%",
    "percent": "%",
    "per cent": "%",
    "pct": "%",
    "pts": "pts",
    "points": "pts",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "day": "days",
    "days": "days",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "seconds": "s",
}

MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|"
    "december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)

_NUM = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_UNIT = (
    r"(%|\s?percent|\s?per cent|\s?pts|\s?points|\s?minutes|\s?minute|\s?mins|\s?min|"
    r"\s?hours|\s?hour|\s?hrs|\s?hr|\s?days|\s?day|\s?seconds|\s?secs|\s?sec)?"
)
VALUE = re.compile(_NUM + _UNIT + r"(?![\w%])", re.I)
TARGET = re.compile(
    r"(?:target(?:ed)?|goal|sla)\s*(?:of|was|is|:|=)?\s*(?:under|below|above|over|at least|"
    r"at most|less than|more than|<|>|≤|≥)?\s*"
    + _NUM
    + _UNIT
    + r"|"
    + _NUM
    + _UNIT
    + r"\s+(?:target|goal)",
    re.I,
)
VERB = re.compile(
    r"\s+(?:was|were|is|are|reached|stood at|came in at|hit|averaged|improved to|fell to|"
    r"rose to|dropped to|increased to|decreased to|remained at|held at|of|at)\s+|\s*:\s+",
    re.I,
)
PERIOD = re.compile(
    r"\b(Q[1-4]\s?\d{4}|\d{4}-\d{2}(?:-\d{2})?|H[12]\s?\d{4}|(?:" + MONTHS + r")\.?(?:\s+\d{4})?|"
    r"week\s+\d{1,2}(?:\s+\d{4})?|(?:19|20)\d{2})\b",
    re.I,
)
SEGMENT = re.compile(
    r"\b(?:in|for|across|at)\s+(?:the\s+)?([A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*){0,3})\s+"
    r"(?:region|segment|market|store|channel|team|division|hub)\b"
    r"|\b([A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*){0,2})\s+(?:region|segment|market|hub)\b"
)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z(])")
_METRIC_CLEAN = re.compile(r"^(?:the|our|overall|average|avg\.?)\s+", re.I)


def direction_for(metric: str, overrides: dict[str, Direction] | None = None) -> Direction | None:
    """Which way is good, from the metric's name; None when the name does not say."""
    if overrides:
        for key, d in overrides.items():
            if key.lower() == metric.lower():
                return d
    name = metric.replace("_", " ")
    if re.search(r"on[\s-]?time", name, re.I):
        return "higher"
    if _LOWER.search(name):
        return "lower"
    if _HIGHER.search(name):
        return "higher"
    return None


def unit_for(metric: str) -> str:
    n = metric.lower()
    if re.search(r"pct|percent|rate|share|%|ratio", n):
        return "%"
    if re.search(r"(^|_|\s)min(utes)?($|_|\s)", n):
        return "min"
    if re.search(r"hours?|hrs?($|_)", n):
        return "h"
    if re.search(r"days?($|_)", n):
        return "days"
    return ""


def _unit(raw: str | None) -> str:
    return UNIT_WORDS.get((raw or "").strip().lower(), "")


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def extract_facts(
    text: str, heading: str = "", default_segment: str | None = None
) -> list[MetricFact]:
    """Read 'metric VERB value [period] [(target ...)]' statements, one per sentence at most."""
    facts: list[MetricFact] = []
    heading_seg = SEGMENT.search(heading)
    heading_period = PERIOD.search(heading)
    for sentence in _SENTENCE.split(text):
        target_m = TARGET.search(sentence)
        target = None
        masked = sentence
        if target_m:
            num = target_m.group(1) or target_m.group(3)
            target = _num(num)
            masked = (
                sentence[: target_m.start()]
                + " " * (target_m.end() - target_m.start())
                + sentence[target_m.end() :]
            )
        verb = VERB.search(masked)
        if not verb:
            continue
        value_m = VALUE.search(masked, verb.end())
        if not value_m or value_m.start() - verb.end() > 40:
            continue
        unit = _unit(value_m.group(2))
        if not unit and PERIOD.fullmatch(value_m.group(0).strip()):
            continue  # "in 2026" is a period, not a value
        metric = masked[: verb.start()].strip(" ,-–—*")
        metric = re.sub(
            r"^(?i:in|for|across|at)\s+(?:the\s+)?[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*)*"
            r"\s+(?:region|segment|market|hub|store|channel|team)\s*,?\s*",
            "",
            metric,
        )
        metric = re.sub(
            r"^(?:in|during|for)\s+(?:" + MONTHS + r"|Q[1-4])\S*(?:\s+\d{4})?\s*,?\s*",
            "",
            metric,
            flags=re.I,
        )
        metric = _METRIC_CLEAN.sub("", metric).strip()
        if not metric or len(metric) > 60 or not re.search(r"[A-Za-z]", metric):
            continue
        if len(metric.split()) > 7:
            continue
        seg_m = SEGMENT.search(sentence) or heading_seg
        segment = (seg_m.group(1) or seg_m.group(2)).strip() if seg_m else default_segment
        rest = sentence[verb.end() :]
        period_m = PERIOD.search(rest) or PERIOD.search(sentence[: verb.start()]) or heading_period
        facts.append(
            MetricFact(
                metric=metric[0].upper() + metric[1:],
                value=_num(value_m.group(1)),
                unit=unit or unit_for(metric),
                period=period_m.group(1) if period_m else None,
                segment=segment,
                target=target,
                direction=direction_for(metric),
            )
        )
    return facts
