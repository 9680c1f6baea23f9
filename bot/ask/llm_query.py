"""The structured query from the language model (CXBOT_LLM=openai), checked against the index.

The offline parser (`understand`) always runs first: it is the answer whenever the model is off,
slow, down, or replies with something unusable, and it supplies what the model is not asked
for (theme scores, the words of a count of mentions). The model gets the index's real segment
values, theme ids and date range, and must reply in a JSON schema; every value it gives is then
mapped onto the index (a segment value spelled otherwise, a theme label for its id) or dropped,
so it can never filter on something the index does not hold. One bounded attempt per question
(`llm_query_timeout_s`), cached per question and index version.
"""

from __future__ import annotations

import copy
import difflib
import logging
import threading
import time
from collections import OrderedDict
from datetime import date
from string import Template
from typing import TYPE_CHECKING, Any, get_args

import numpy as np

from bot.ask.understand import (
    MAX_TOP_N,
    METRIC_WORDS,
    Comparison,
    Intent,
    Understanding,
    _norm,
    find_segments,
    rank_terms,
    topic_terms,
    understand,
)
from bot.corpus import Corpus
from ingest.dates import parse_date
from ingest.themes import ThemeAssigner
from prompts import load

if TYPE_CHECKING:
    from bot.index import Index

log = logging.getLogger("cxbot.llm")

PROMPT = "query.txt"
SCHEMA_NAME = "structured_query"
INTENTS: tuple[str, ...] = get_args(Intent)
MAX_VALUES_SHOWN = 60  # per segment key in the prompt; longer keys are free text, not segments
CACHE_SIZE = 512

_NULLABLE_STR = {"type": ["string", "null"]}
_PERIOD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["since", "until"],
    "properties": {"since": {"type": "string"}, "until": {"type": "string"}},
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "intent",
        "themes",
        "segments",
        "since",
        "until",
        "compare",
        "rank_by",
        "top_n",
        "score",
    ],
    "properties": {
        "intent": {"type": "string", "enum": list(INTENTS)},
        "themes": {"type": "array", "items": {"type": "string"}},
        "segments": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "value"],
                "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
            },
        },
        "since": _NULLABLE_STR,
        "until": _NULLABLE_STR,
        "compare": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["axis", "key", "values", "include_rest", "periods"],
                    "properties": {
                        "axis": {"type": "string", "enum": ["segment", "period"]},
                        "key": _NULLABLE_STR,
                        "values": {"type": "array", "items": {"type": "string"}},
                        "include_rest": {"type": "boolean"},
                        "periods": {"type": "array", "items": _PERIOD},
                    },
                },
            ]
        },
        "rank_by": _NULLABLE_STR,
        "top_n": {"type": ["integer", "null"]},
        "score": {"type": "boolean"},
    },
}
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": SCHEMA},
}


class QueryRejected(Exception):
    """The model's reply cannot be used as a query; the offline parser answers instead."""


_CACHE: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def parse_question(
    index: Index, question: str, qvec: np.ndarray, segment: list[str] | None = None
) -> Understanding:
    """The structured query: the model's (validated) with CXBOT_LLM=openai, else the rules'."""
    corpus = index.corpus()
    assigner = index.assigner
    offline = understand(question, corpus, qvec, assigner, segment)
    s = index.settings
    if s.llm != "openai" or not s.llm_understand:
        return offline
    t0 = time.monotonic()
    try:
        raw = _model_query(index, question, corpus, assigner)
        u = from_model(raw, offline, corpus, assigner, segment)
    except QueryRejected as exc:
        offline.understood_note = str(exc)
        log.warning("llm query not used, offline parser answered: %s", exc)
        return offline
    except Exception as exc:  # noqa: BLE001 - a bug here must not cost the user the answer
        log.exception("llm query failed, offline parser answered")
        offline.understood_note = f"unexpected error ({type(exc).__name__})"
        return offline
    log.info(
        "llm query intent=%s (rules: %s) latency_ms=%.0f",
        u.intent,
        offline.intent,
        1000 * (time.monotonic() - t0),
    )
    return u


def _cache_key(index: Index, question: str, corpus: Corpus, assigner: ThemeAssigner) -> tuple:
    s = index.settings
    return (
        " ".join(question.lower().split()),
        str(s.data_dir),
        corpus.generation,
        corpus.version,
        tuple(assigner.names),
        s.llm_model,
        load(PROMPT),
    )


def _model_query(
    index: Index, question: str, corpus: Corpus, assigner: ThemeAssigner
) -> dict[str, Any]:
    """The model's raw structured query (cached), or QueryRejected saying why not."""
    from bot.ask.llm import ModelFailure, bounded, chat_model, classify, parse_json

    key = _cache_key(index, question, corpus, assigner)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return copy.deepcopy(_CACHE[key])
    s = index.settings
    try:
        chat = chat_model(s)
        messages = build_messages(question, corpus, assigner)
        timeout = s.llm_query_timeout_s
        try:
            msg = bounded(
                lambda: chat.invoke(messages, response_format=RESPONSE_FORMAT, timeout=timeout),
                timeout + 0.2,
            )
        except ModelFailure:
            raise
        except Exception as exc:  # noqa: BLE001 - every client error becomes a reason
            raise classify(exc) from None
        raw = parse_json(msg.content)
    except ModelFailure as exc:
        raise QueryRejected(exc.reason) from None
    if not isinstance(raw, dict):
        raise QueryRejected("its reply was not a JSON object")
    with _CACHE_LOCK:
        _CACHE[key] = copy.deepcopy(raw)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return raw


def build_messages(question: str, corpus: Corpus, assigner: ThemeAssigner) -> list[tuple[str, str]]:
    """System: the rules and the index's real segments, themes and dates. User: the question."""
    from bot.ask.llm import escape

    segs = []
    for key, values in corpus.segment_values.items():
        if len(values) > 500:
            continue
        shown = values[:MAX_VALUES_SHOWN]
        more = f" (and {len(values) - len(shown)} more)" if len(values) > len(shown) else ""
        segs.append(f"{escape(key)}: {', '.join(escape(v) for v in shown)}{more}")
    themes = [
        f"{escape(n)}: {escape(t.label)} - {escape(t.description)}"
        for n, t in assigner.taxonomy.themes.items()
    ]
    oldest, newest = corpus.date_range(corpus.kind == "verbatim")
    system = Template(load(PROMPT)).substitute(
        segments="\n".join(segs) or "(none)",
        themes="\n".join(themes) or "(none)",
        oldest=oldest.isoformat() if oldest else "unknown",
        newest=newest.isoformat() if newest else "unknown",
    )
    return [("system", system), ("user", escape(question))]


# ---------------------------------------------------------------------------- validation


def _segment_keys(corpus: Corpus) -> dict[str, list[str]]:
    return {k: v for k, v in corpus.segment_values.items() if len(v) <= 500}


def map_key(name: Any, corpus: Corpus) -> str | None:
    """A segment key of the index for the model's name of one ("airlines" -> "airline")."""
    if not isinstance(name, str) or not name.strip():
        return None
    keys = _segment_keys(corpus)
    n = _norm(name)
    for k in keys:
        nk = _norm(k)
        if n == nk or n.rstrip("s") == nk.rstrip("s"):
            return k
    return None


def map_value(value: Any, key: str | None, corpus: Corpus) -> tuple[str, str] | None:
    """(key, value) of the index for the model's value: exact, then as the rules read names
    ("Virgin" -> "Virgin America"), then a close spelling; None when the index has no such value."""
    if not isinstance(value, str) or not value.strip():
        return None
    keys = _segment_keys(corpus)
    order = ([key] if key in keys else []) + [k for k in keys if k != key]
    nv = _norm(value)
    for k in order:
        for v in keys[k]:
            if _norm(v) == nv:
                return k, v
    found = find_segments(value, corpus)
    for k in order:
        if found.get(k):
            return k, found[k][0]
    for k in order:
        close = difflib.get_close_matches(nv, [_norm(v) for v in keys[k]], n=1, cutoff=0.85)
        if close:
            return k, next(v for v in keys[k] if _norm(v) == close[0])
    return None


def map_theme(name: Any, assigner: ThemeAssigner) -> str | None:
    """A theme id of the taxonomy for the model's id or label of one."""
    if not isinstance(name, str):
        return None
    themes = assigner.taxonomy.themes
    if name in themes:
        return name
    n = _norm(name)
    by_form = {_norm(t): t for t in themes} | {_norm(th.label): t for t, th in themes.items()}
    if n in by_form:
        return by_form[n]
    close = difflib.get_close_matches(n, list(by_form), n=1, cutoff=0.85)
    return by_form[close[0]] if close else None


def _day(value: Any, lo: date | None, hi: date | None) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    d = parse_date(value.strip())
    if d is None:
        return None
    day = d.date()
    if lo and hi and not (lo.replace(year=lo.year - 1) <= day <= hi.replace(year=hi.year + 1)):
        return None  # far outside the data: a hallucinated year, not a period of this index
    return day


def _period(since: Any, until: Any, lo: date | None, hi: date | None) -> tuple[date, date] | None:
    a, b = _day(since, lo, hi), _day(until, lo, hi)
    if a and b and a > b:
        a, b = b, a
    if lo and hi and a and b and (b < lo or a > hi):
        return None  # no data in it at all
    return (a, b) if a and b else None


def from_model(
    raw: dict[str, Any],
    offline: Understanding,
    corpus: Corpus,
    assigner: ThemeAssigner,
    segment: list[str] | None = None,
) -> Understanding:
    """The model's query as an Understanding, every value mapped onto the index or dropped.
    What the user passed with --segment is kept whatever the model says."""
    intent = raw.get("intent")
    if intent not in INTENTS:
        raise QueryRejected(f"its intent {intent!r} is not one of {', '.join(INTENTS)}")
    u = copy.deepcopy(offline)
    u.understood_by = "llm"
    dropped: list[str] = []
    f = u.filters
    segments: dict[str, list[str]] = {}
    for value in segment or []:  # --segment: the user's own filter, kept as the rules read it
        for k, vs in offline.filters.segments.items():
            for v in vs:
                if _norm(v) == _norm(value) and v not in segments.setdefault(k, []):
                    segments[k].append(v)
    items = raw.get("segments") if isinstance(raw.get("segments"), list) else []
    for item in items:
        if not isinstance(item, dict):
            continue
        got = map_value(item.get("value"), map_key(item.get("key"), corpus), corpus)
        if got is None:
            dropped.append(f"segment {item.get('value')!r}")
            continue
        k, v = got
        if v not in segments.setdefault(k, []):
            segments[k].append(v)
    f.segments = {k: v for k, v in segments.items() if v}
    themes = []
    for t in raw.get("themes") or []:
        m = map_theme(t, assigner)
        if m is None:
            dropped.append(f"theme {t!r}")
        elif m not in themes:
            themes.append(m)
    f.themes = themes[:2]
    lo, hi = corpus.date_range(corpus.kind == "verbatim")
    since, until = _day(raw.get("since"), lo, hi), _day(raw.get("until"), lo, hi)
    if since and until and since > until:
        since, until = until, since
    given = any(isinstance(raw.get(k), str) and raw.get(k, "").strip() for k in ("since", "until"))
    if (
        (given and not (since or until))
        or (since and hi and since > hi)
        or (until and lo and until < lo)
    ):  # a period the index holds nothing of: the rules' reading of the time words instead
        dropped.append("a period with no data")
        f.since, f.until = offline.filters.since, offline.filters.until
    else:
        f.since, f.until = since, until
        f.time_phrase = f"{since or 'start'} to {until or 'now'}" if since or until else None
    top_n = raw.get("top_n")
    u.top_n = max(1, min(MAX_TOP_N, top_n)) if isinstance(top_n, int) and top_n > 0 else None
    rank_by = map_key(raw.get("rank_by"), corpus)
    u.rank_by = rank_by if intent == "rank" and rank_by and rank_by not in f.segments else None
    u.score = bool(raw.get("score")) or offline.score
    u.compare = None
    u.intent = intent
    cmp = raw.get("compare")
    if isinstance(cmp, dict):
        _apply_compare(u, cmp, corpus, lo, hi, dropped)
    elif intent == "compare":
        _compare_from_segments(u)
    if u.intent == "compare" and u.compare is None:
        u.intent = "rank"  # fewer than two things to put side by side: their complaints
        dropped.append("a comparison with fewer than two sides")
    if u.intent == "compare" and u.compare is not None and u.compare.key:
        f.segments.pop(u.compare.key, None)
    f.polarity = {"rank": -1, "praise": 1}.get(u.intent)
    named = [v for vs in f.segments.values() for v in vs]
    u.terms = topic_terms(u.question, named) if u.intent == "count" and not f.themes else []
    if u.intent == "rank" and u.rank_by and not f.themes:  # as the offline parser reads it
        u.terms = rank_terms(u.question, named, u.rank_by)
    u.mentions_metrics = bool(METRIC_WORDS.search(u.question)) or u.intent == "gap"
    u.understood_note = ("dropped " + ", ".join(dropped)) if dropped else None
    return u


def _apply_compare(
    u: Understanding,
    cmp: dict[str, Any],
    corpus: Corpus,
    lo: date | None,
    hi: date | None,
    dropped: list[str],
) -> None:
    if cmp.get("axis") == "period":
        raw_periods = cmp.get("periods") if isinstance(cmp.get("periods"), list) else []
        ps = [
            p
            for item in raw_periods
            if isinstance(item, dict)
            and (p := _period(item.get("since"), item.get("until"), lo, hi)) is not None
        ]
        if ps:  # the later period against the one before it: the trend shape
            later = max(ps)
            u.filters.since, u.filters.until = later
            u.filters.time_phrase = f"{later[0]} to {later[1]}"
            u.intent = "trend"
            u.compare = None
        elif u.intent == "compare":
            u.intent = "trend"
        return
    key = map_key(cmp.get("key"), corpus)
    values: list[str] = []
    for v in cmp.get("values") or []:
        got = map_value(v, key, corpus)
        if got is None:
            dropped.append(f"compared value {v!r}")
            continue
        if key is None:
            key = got[0]
        if got[0] == key and got[1] not in values:
            values.append(got[1])
    if key is None and u.filters.segments:
        key = next(iter(u.filters.segments))
    if key is not None and not values:
        values = list(u.filters.segments.get(key, []))
    if cmp.get("include_rest") and values:
        values = [*values, "(rest)"]
    if key is not None and len(values) >= 2:
        u.intent = "compare"
        u.compare = Comparison("segment", key, values)
    elif u.intent == "compare" and values and key:
        u.filters.segments[key] = [v for v in values if v != "(rest)"]


def _compare_from_segments(u: Understanding) -> None:
    """compare with no compare object: two values of one key among the segments."""
    for key, vals in u.filters.segments.items():
        if key != "(unknown)" and len(vals) >= 2:
            u.compare = Comparison("segment", key, list(vals))
            return


def clear_cache() -> None:
    """Forget every cached query (tests; a changed prompt is already part of the key)."""
    with _CACHE_LOCK:
        _CACHE.clear()
