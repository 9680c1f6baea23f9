"""Turn a question into an extractive, cited answer."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.analysis.caveats import caveats_for
from bot.analysis.stats import wilson
from bot.ask.llm_query import parse_question
from bot.ask.retrieval import LEVERS
from bot.ask.shapes import (
    compare_lines,
    examples_lines,
    mention_lines,
    praise_lines,
    segment_rank_lines,
    trend_lines,
)
from bot.ask.spelling import respell
from bot.ask.understand import INTENT_LABELS, Understanding, asked_sentiment, topic_terms
from bot.citations import Answer, CitationBook, Hit, freshness, lap, pct, refs, scope_label, timed
from bot.corpus import Corpus
from bot.filters import Filters
from ingest.errors import QuestionError

if TYPE_CHECKING:
    from bot.index import Index

MAX_QUESTION_CHARS = 2000
WEAK_SIMILARITY = 0.25
STRONG_SIMILARITY = 0.35
METHOD = (
    "Counts cover every matching record in the index; quotes were picked by hybrid "
    "search (semantic + keyword), best match first."
)


def clean_question(question: str) -> str:
    q = (question or "").strip()
    if not q:
        raise QuestionError(
            "The question is empty.", 'Ask e.g. "What do customers complain about most?"'
        )
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is {len(q):,} characters long; the limit is {MAX_QUESTION_CHARS:,}.",
            "Ask a shorter question.",
        )
    if not re.search(r"[^\W\d_]{2,}", q):
        raise QuestionError("The question has no words in it.", "Ask it in words.")
    return q


SHAPES = {
    "compare": compare_lines,
    "trend": trend_lines,
    "praise": praise_lines,
    "examples": examples_lines,
}


def answered_as(index: Index, u: Understanding) -> str:
    """What the question was understood as, so a wrong reading is visible at a glance."""
    f = u.filters
    what = INTENT_LABELS.get(u.intent, u.intent)
    if u.intent == "rank" and u.rank_by:
        what = f"complaints ranked by {u.rank_by}"
    if u.top_n and u.intent in ("rank", "praise", "compare", "trend"):
        what = f"top {u.top_n}, {what}"
    parts = [what]
    if u.compare is not None:
        parts.append(" vs ".join(v if v != "(rest)" else "the rest" for v in u.compare.values))
    if f.themes:
        parts.append("theme " + " / ".join(index.label(x) for x in f.themes))
    elif u.intent in ("count", "rank") and u.terms:
        parts.append("verbatims using the words '" + " ".join(u.terms) + "'")
    segs = [f"{k} {', '.join(v)}" for k, v in f.segments.items() if k != "(unknown)"]
    parts += segs
    if f.since or f.until:
        parts.append(f"dated {f.since or 'start'} to {f.until or 'now'}")
    parts += [f"read '{a}' as '{b}'" for a, b in u.respelled.items()]
    follow = " (kept from the question this replies to)" if u.inherited else ""
    return "Answered as: " + "; ".join(parts) + follow + "."


def _names(index: Index, corpus: Corpus) -> set[str]:
    """Words of segment values and theme labels: names, never respelled."""
    names = [v for vs in corpus.segment_values.values() if len(vs) <= 500 for v in vs]
    names += [index.label(t) for t in index.assigner.taxonomy.themes]
    return {w for n in names for w in re.findall(r"[a-z]+", n.lower())}


def _shaped(u: Understanding) -> bool:
    """Whether the shape applies: a segment nobody has goes to the list answer, which names
    the known segments; examples of no theme are the closest verbatims, checked for distance."""
    if "(unknown)" in u.filters.segments:
        return False
    return u.intent != "examples" or bool(u.filters.themes)


def _scope_only(u: Understanding) -> bool:
    """'pull some verbatims from the Islands customers': a scope and no topic asks for that
    scope's verbatims, not for ones that come close to the request's own words."""
    f = u.filters
    if f.themes or not (f.segments or f.since or f.until):
        return False
    return not topic_terms(u.question, [v for vs in f.segments.values() for v in vs])


def _driver_lines(
    index: Index, u: Understanding, book: CitationBook, qvec: np.ndarray, lines: list[str]
) -> tuple[bool, dict[str, object] | None]:
    """What costs the score; driver_answer_lines says so where the data has no score."""
    from bot.analysis.drivers import driver_answer_lines

    out_lines, data, enough = driver_answer_lines(index, u, book, qvec)
    lines.extend(out_lines)
    return enough, data


def _merge(base: Filters | None, new: Filters) -> Filters:
    """A thread follow-up keeps the first question's filters unless it names its own."""
    if base is None:
        return new
    merged = copy.deepcopy(base)
    if new.segments:
        merged.segments = new.segments
    if new.since or new.until:
        merged.since, merged.until, merged.time_phrase = new.since, new.until, new.time_phrase
    merged.themes = new.themes or []
    merged.polarity = new.polarity
    return merged


def _keep_shape(base: Filters | None, u: Understanding) -> None:
    """'and for Delta?', 'only last week': a follow-up with no shape of its own keeps the
    previous answer's shape (a comparison, whose values are not kept, becomes a ranking)."""
    if base is None or not base.intent or u.intent != "general":
        return
    intent = "rank" if base.intent == "compare" else base.intent
    if intent not in INTENT_LABELS or intent == "general":
        return
    u.intent = intent  # type: ignore[assignment]
    u.inherited = True
    u.filters.intent = intent
    u.filters.polarity = {"rank": -1, "praise": 1}.get(intent)


def compose(
    index: Index,
    question: str,
    segment: list[str] | None = None,
    limit: int = 8,
    base: Filters | None = None,
) -> Answer:
    t = timed()
    q = clean_question(question)
    corpus = index.corpus()
    q, respelled = respell(q, corpus, _names(index, corpus))  # "pillng" -> "pilling"
    qvec = index.embed_query(q)
    lap(t, "embed")
    u = parse_question(index, q, qvec, segment)  # the model's query, or the rules'
    u.respelled = respelled
    u.filters = _merge(base, u.filters)
    _keep_shape(base, u)
    u.filters.intent = u.intent
    f = u.filters
    lap(t, "understand")
    book = CitationBook(corpus, max(1, limit))
    lines: list[str] = []
    gaps_json = None
    drivers_json: dict[str, object] | None = None
    shape_data: dict[str, Any] = {}
    enough = True

    if u.intent == "gap" and (corpus.kind == "metric").any():
        from bot.analysis.gaps import gap_answer_lines

        gap_lines, gaps_json, enough = gap_answer_lines(index, u, book, qvec, out=shape_data)
        lines.extend(gap_lines)
        lap(t, "gaps")
    elif u.intent == "drivers":
        enough, drivers_json = _driver_lines(index, u, book, qvec, lines)
        lap(t, "drivers")
    elif u.intent == "trend" and _shaped(u):
        enough = trend_lines(index, u, book, qvec, lines, out=shape_data)  # + the chart's data
        lap(t, u.intent)
    elif u.intent == "count" and u.terms and not f.themes and _shaped(u):
        enough = mention_lines(index, u, book, qvec, lines)
        lap(t, "count")
    elif u.intent in SHAPES and _shaped(u):
        enough = SHAPES[u.intent](index, u, book, qvec, lines)
        lap(t, u.intent)
    else:
        enough = _verbatim_lines(index, u, book, qvec, lines)
        if (u.mentions_metrics or u.intent == "gap") and not book.full():
            metric_hits = index.search(q, f, k=3, kind="metric", qvec=qvec)
            if metric_hits:
                ns = book.cite(metric_hits, 3)
                if ns:
                    lines.append(f"Internal reports on this: {refs(ns)}.")
        lap(t, "retrieve")

    lines.append(answered_as(index, u))
    lines.append(METHOD)
    shown = [s for vs in f.segments.values() for s in vs]
    shown += [g["segment"] for g in gaps_json or []]
    if u.compare is not None:
        shown += [v for v in u.compare.values if v != "(rest)"]
    fresh = freshness(corpus)
    t["total"] = round((t["_last"] - t["_t0"]) * 1000, 2)
    timings = {k: v for k, v in t.items() if not k.startswith("_")}
    fd = f.as_dict()
    fd["themes"] = [index.label(x) for x in f.themes]
    return Answer(
        question=q,
        answer="\n".join(lines),
        citations=book.items,
        filters=fd,
        timings_ms=timings,
        freshness=fresh,
        gaps=gaps_json,
        enough_evidence=enough,
        caveats=caveats_for(corpus, shown),
        extra={
            "intent": u.intent,
            "top_n": u.top_n,
            "query": u.query(),
            "understood_by": u.understood_by,
            **({"understood_note": u.understood_note} if u.understood_note else {}),
            **({"drivers": drivers_json} if drivers_json is not None else {}),
            **shape_data,
        },
    )


def _verbatim_lines(
    index: Index,
    u,
    book: CitationBook,
    qvec: np.ndarray,  # type: ignore[no-untyped-def]
    lines: list[str],
) -> bool:
    corpus = index.corpus()
    f = u.filters
    scope = f.mask(corpus)
    n = int(scope.sum())
    who = scope_label(f)
    when = ""
    if f.since or f.until:
        when = f" dated {f.since or 'start'} to {f.until or 'now'}"
    if n == 0:
        unknown = f.segments.get("(unknown)")
        if unknown:
            lines.append(
                f"No verbatims have the segment {', '.join(unknown)}. Known segments: "
                + "; ".join(f"{k}: {', '.join(v[:12])}" for k, v in corpus.segment_values.items())
                + "."
            )
        else:
            lines.append(f"Not enough evidence: no {who}verbatims{when} are indexed.")
        return False
    none = np.zeros(len(corpus), dtype=bool)
    if u.intent == "rank" and u.rank_by:
        return segment_rank_lines(index, u, book, qvec, lines)
    if f.themes:
        for theme in f.themes[:2]:
            tm = scope & corpus.themes.get(theme, none)
            k = int(tm.sum())
            c = int((scope & corpus.complaints.get(theme, none)).sum())
            label = index.label(theme)
            if k == 0:
                lines.append(
                    f"None of the {n:,} {who}verbatims{when} were tagged "
                    f"'{label}'. Not enough evidence to say customers raise it."
                )
                continue
            hits = index.search(u.question, f, k=9, theme_filter=[theme], qvec=qvec)
            ns = book.cite(hits, 3)
            lines.append(
                f"{label}: {k:,} of {n:,} {who}verbatims{when} ({pct(k, n)}) raise it, "
                f"{c:,} of them as a complaint {refs(ns)}."
            )
            _segment_breakdown(index, u, book, qvec, theme, lines)
        return True
    if u.intent == "share":
        return _share_lines(index, u, book, qvec, scope, f"{who}verbatims{when}", lines)
    if u.intent == "rank":
        counts = []
        any_complaint = none.copy()
        for theme, cmask in corpus.complaints.items():
            any_complaint |= cmask
            k = int((scope & cmask).sum())
            if k:
                counts.append((k, theme))
        counts.sort(reverse=True)
        n_c = int((scope & any_complaint).sum())
        if not counts:
            lines.append(
                f"Of {n:,} {who}verbatims{when}, none raise a known theme as a "
                "complaint. Not enough evidence."
            )
            return False
        lines.append(
            f"Most raised complaints among {n:,} {who}verbatims{when} ({n_c:,} raise at least one):"
        )
        uncovered = int((scope & (corpus.polarity < 0) & ~any_complaint).sum())
        shown = counts[: u.top_n or 3]
        per_line = 2 if 2 * len(shown) <= book.limit else 1  # every line cites, within --limit
        for k, theme in shown:
            hits = index.search(
                u.question + " " + index.label(theme), f, k=6, theme_filter=[theme], qvec=qvec
            )
            ns = book.cite(hits, per_line)
            lines.append(
                f"- {index.label(theme)}: {k:,} ({pct(k, n)} of all, "
                f"{pct(k, n_c)} of complaints) {refs(ns)}"
            )
        if u.top_n and len(counts) < u.top_n:
            lines.append(
                f"Only {len(counts)} known theme(s) are raised as complaints here; {uncovered:,} "
                "negative verbatims raise none of the known themes."
            )
        return True
    hits = index.search(u.question, f, k=min(5, book.limit), qvec=qvec)
    if not hits:
        lines.append(f"Not enough evidence: nothing among {n:,} {who}verbatims{when} matches.")
        return False
    if not strong_enough(hits) and not _scope_only(u):
        lines.append(
            f"Not enough evidence: nothing among {n:,} {who}verbatims{when} is close "
            "to this question."
        )
        return False
    neg, pos = _polarity_counts(corpus, scope)
    ns = book.cite(hits, 5)
    lines.append(
        f"Across {n:,} {who}verbatims{when}, {pct(neg, n)} are negative and "
        f"{pct(pos, n)} positive. Closest matches: {refs(ns)}."
    )
    return True


def _share_lines(
    index: Index,
    u: Understanding,
    book: CitationBook,
    qvec: np.ndarray,
    scope: np.ndarray,
    what: str,
    lines: list[str],
) -> bool:
    """'How many customers are unhappy?': the share, with its interval, and examples of it."""
    corpus = index.corpus()
    n = int(scope.sum())
    neg, pos = _polarity_counts(corpus, scope)
    lo, hi = wilson(neg, n)
    f = copy.deepcopy(u.filters)
    f.polarity = asked_sentiment(u.question) if LEVERS["share_side"] else -1
    want = int(LEVERS["share_cites"])
    hits = [
        h
        for h in index.search(u.question, f, k=want + 5, qvec=qvec)
        if corpus.polarity[h.idx] == f.polarity or not LEVERS["share_side"]
    ]
    ns = book.cite(hits, want)
    lines.append(
        f"Of {n:,} {what}, {neg:,} ({pct(neg, n)}, 95% CI {100 * lo:.1f}-{100 * hi:.1f}%) read as "
        f"negative, {pos:,} ({pct(pos, n)}) as positive and {n - neg - pos:,} as neutral "
        f"{refs(ns)}."
    )
    return bool(n)


def _polarity_counts(corpus: Corpus, scope: np.ndarray) -> tuple[int, int]:
    """Negative and positive verbatims in scope."""
    return int((scope & (corpus.polarity < 0)).sum()), int((scope & (corpus.polarity > 0)).sum())


def strong_enough(hits: list[Hit]) -> bool:
    """Close in meaning, or a keyword match that is at least loosely close in meaning."""
    best = max((h.dense or 0.0) for h in hits)
    both = any((h.dense or 0.0) >= WEAK_SIMILARITY and h.lexical for h in hits)
    return best >= STRONG_SIMILARITY or both


def _segment_breakdown(
    index: Index,
    u,
    book: CitationBook,
    qvec: np.ndarray,  # type: ignore[no-untyped-def]
    theme: str,
    lines: list[str],
) -> None:
    """Where a theme is raised most, by the first segment key not already filtered."""
    corpus = index.corpus()
    f = u.filters
    keys = [k for k in corpus.segment_values if k not in f.segments]
    if not keys or book.full():
        return
    key = keys[0]
    base = f.mask(corpus)
    tmask = corpus.themes.get(theme)
    if tmask is None:
        return
    rows = []
    for value in corpus.segment_values[key][:50]:
        m = base & corpus.segment_mask(key, [value])
        n = int(m.sum())
        if n < index.settings.min_segment_n:
            continue
        k = int((m & tmask).sum())
        rows.append((k / n, k, n, value))
    if len(rows) < 2:
        return
    rows.sort(reverse=True)
    parts = []
    for share, k, n, value in rows[:3]:
        seg_filter = copy.deepcopy(f)
        seg_filter.segments = {**f.segments, key: [value]}
        ns = book.cite(
            index.search(u.question, seg_filter, k=3, theme_filter=[theme], qvec=qvec), 1
        )
        parts.append(f"{value} {100 * share:.1f}% ({k:,}/{n:,}) {refs(ns)}".rstrip())
    lines.append(f"  Highest by {key}: " + "; ".join(parts) + ".")
