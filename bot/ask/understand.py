"""Question understanding without an LLM: segments, time words, themes and intent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import numpy as np

from bot.corpus import Corpus
from bot.filters import Filters
from ingest.dates import MONTHS as MONTH_NAMES
from ingest.dates import parse_date
from ingest.themes import ThemeAssigner

Intent = Literal["gap", "share", "complaints", "praise", "general"]

GAP_WORDS = re.compile(
    r"\b(disagree\w*|gaps?|perception|agree with|match(es)? (our|the)|contradict\w*|"
    r"line up with|at odds|versus|vs\.?|stats? say|numbers say|metrics? say)\b",
    re.I,
)
METRIC_WORDS = re.compile(
    r"\b(stats?|statistics|metrics?|kpis?|numbers|report(s|ed)?|targets?|"
    r"on[- ]time|rates?|scores?)\b",
    re.I,
)
COMPLAINT_WORDS = re.compile(
    r"\b(complain\w*|complaints?|issues?|problems?|pain ?points?|unhappy|frustrat\w*|angry|"
    r"negative|worst|hate|annoy\w*|upset|dissatisf\w*|wrong|bad|fail\w*)\b",
    re.I,
)
# "how many customers are unhappy?", "what share of reviews are negative?": a share, not a list
SHARE_WORDS = re.compile(
    r"\b(how many|what (share|percent\w*|proportion|fraction|part)|share of|percent\w* of|"
    r"proportion of|fraction of|how much of)\b.*\b(unhappy|happy|negative|positive|satisf\w*|"
    r"dissatisf\w*|angry|upset|annoyed|frustrated|pleased|delighted|complain\w*|detractors?|"
    r"promoters?)\b",
    re.I,
)
_NUMBERS = {w: i for i, w in enumerate(
    "one two three four five six seven eight nine ten".split(), start=1
)}  # fmt: skip
TOP_N = re.compile(
    r"\b(?:top|biggest|main|largest|most common|leading|first)\s+(\d{1,2}|"
    + "|".join(_NUMBERS)
    + r")\b|\b(\d{1,2}|"
    + "|".join(_NUMBERS)
    + r")\s+(?:biggest|main|largest|most common|top|leading|most (?:raised|frequent))\b",
    re.I,
)
MAX_TOP_N = 10


def find_top_n(question: str) -> int | None:
    """'top five', 'top 3', 'the 4 biggest': how many lines a ranked answer should have."""
    m = TOP_N.search(question)
    if not m:
        return None
    word = (m.group(1) or m.group(2)).lower()
    n = int(word) if word.isdigit() else _NUMBERS[word]
    return max(1, min(MAX_TOP_N, n))


PRAISE_WORDS = re.compile(
    r"\b(praise\w*|love|loved|like|happy|positive|compliment\w*|best|"
    r"delight\w*|thank\w*|great)\b",
    re.I,
)
MONTHS = {m: i for i, m in enumerate(MONTH_NAMES, start=1)}
MONTH_RE = re.compile(
    r"\b(in|during|for|since)?\s*(" + "|".join(MONTHS) + r"|jan|feb|mar|apr|"
    r"jun|jul|aug|sep|sept|oct|nov|dec)\b\.?\s*(\d{4})?",
    re.I,
)
ISO_RE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


@dataclass
class Understanding:
    question: str
    filters: Filters
    intent: Intent
    mentions_metrics: bool
    theme_scores: dict[str, float] = field(default_factory=dict)
    top_n: int | None = None  # "top five complaints": five lines, not the default three


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def find_segments(question: str, corpus: Corpus) -> dict[str, list[str]]:
    """Segment values named in the question ("United customers", "@united", "North region")."""
    q = " " + _norm(question) + " "
    q_compact = q.replace(" ", "")
    found: dict[str, list[str]] = {}
    for key, values in corpus.segment_values.items():
        if len(values) > 500:
            continue  # free-text-like column, not a segment
        for v in values:
            nv = _norm(v)
            if len(nv) < 2:
                continue
            hit = f" {nv} " in q
            handle = nv.replace(" ", "")
            if not hit and len(handle) >= 5 and re.search(r"@" + re.escape(handle), question, re.I):
                hit = True
            if not hit and len(handle) >= 8 and handle in q_compact:
                hit = True
            if hit:
                found.setdefault(key, []).append(v)
    # "United" inside "United States" or a longer value: keep only the longest overlapping
    for key, vals in found.items():
        found[key] = [v for v in vals if not any(v != w and _norm(v) in _norm(w) for w in vals)]
    return found


def find_period(question: str, anchor: date | None) -> tuple[date | None, date | None, str | None]:
    """Time words, relative to the newest data (an index of 2015 tweets has no 'last week'
    relative to today, so 'last week' means the last 7 days of data)."""
    q = question.lower()
    if anchor is None:
        anchor = date.today()
    m = re.search(r"\b(?:last|past|previous)\s+(\d+)\s+(day|week|month)s?\b", q)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        days = n * {"day": 1, "week": 7, "month": 30}[unit]
        return anchor - timedelta(days=days - 1), anchor, m.group(0)
    for phrase, days in (
        ("yesterday", None),
        ("today", 0),
        ("last week", 7),
        ("this week", 7),
        ("past week", 7),
        ("last month", 30),
        ("this month", 30),
        ("past month", 30),
    ):
        if re.search(r"\b" + phrase + r"\b", q):
            if phrase == "yesterday":
                d = anchor - timedelta(days=1)
                return d, d, phrase
            if days == 0:
                return anchor, anchor, phrase
            return anchor - timedelta(days=days - 1), anchor, phrase
    isos = [parse_date(x) for x in ISO_RE.findall(q)]
    isos = [d.date() for d in isos if d]
    if len(isos) >= 2:
        return min(isos), max(isos), f"{isos[0]} to {isos[1]}"
    if len(isos) == 1:
        if re.search(r"\b(before|until|up to)\s+\d{4}-", q):
            return None, isos[0], f"until {isos[0]}"
        if re.search(r"\b(since|after|from)\s+\d{4}-", q):
            return isos[0], None, f"since {isos[0]}"
        return isos[0], isos[0], str(isos[0])
    m = MONTH_RE.search(q)
    if m and (m.group(1) or m.group(3)):
        key = m.group(2).lower()
        month = MONTHS.get(key) or next(v for k, v in MONTHS.items() if k.startswith(key[:3]))
        year = (
            int(m.group(3))
            if m.group(3)
            else (anchor.year if month <= anchor.month else anchor.year - 1)
        )
        start = date(year, month, 1)
        end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        if m.group(1) and m.group(1).lower() == "since":
            return start, None, m.group(0).strip()
        return start, end, m.group(0).strip()
    return None, None, None


def detect_themes(
    question: str, qvec: np.ndarray, assigner: ThemeAssigner, threshold: float = 0.42
) -> tuple[list[str], dict[str, float]]:
    scores = assigner.scores([question], qvec[None, :])[0]
    named = {n: float(s) for n, s in zip(assigner.names, scores, strict=True)}
    for n, theme in assigner.taxonomy.themes.items():
        if _norm(theme.label) in _norm(question):
            named[n] = max(named[n], 1.0)
    picked = [n for n, s in sorted(named.items(), key=lambda x: -x[1]) if s >= threshold][:2]
    return picked, named


def understand(
    question: str,
    corpus: Corpus,
    qvec: np.ndarray,
    assigner: ThemeAssigner,
    segment: list[str] | None = None,
) -> Understanding:
    filters = Filters()
    filters.segments = find_segments(question, corpus)
    for value in segment or []:
        matched = False
        for key, values in corpus.segment_values.items():
            for v in values:
                if _norm(v) == _norm(value):
                    filters.segments.setdefault(key, [])
                    if v not in filters.segments[key]:
                        filters.segments[key].append(v)
                    matched = True
        if not matched:
            filters.segments.setdefault("(unknown)", []).append(value)
    _, anchor = corpus.date_range(corpus.kind == "verbatim")
    filters.since, filters.until, filters.time_phrase = find_period(question, anchor)
    filters.themes, theme_scores = detect_themes(question, qvec, assigner)
    if GAP_WORDS.search(question):
        intent: Intent = "gap"
    elif SHARE_WORDS.search(question) and not filters.themes:
        intent = "share"
    elif COMPLAINT_WORDS.search(question):
        intent = "complaints"
        filters.polarity = -1
    elif PRAISE_WORDS.search(question):
        intent = "praise"
        filters.polarity = 1
    else:
        intent = "general"
    return Understanding(
        question=question,
        filters=filters,
        intent=intent,
        mentions_metrics=bool(METRIC_WORDS.search(question)),
        theme_scores=theme_scores,
        top_n=find_top_n(question),
    )
