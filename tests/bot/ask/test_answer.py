"""Extractive answers on the bundled demo data: counted figures, real citations, honest gaps."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bot.ask.understand import find_period
from bot.engine import Engine
from ingest.errors import QuestionError


def recount(engine: Engine, segment: str | None, theme: str) -> tuple[int, int]:
    corpus = engine.corpus()
    m = corpus.kind == "verbatim"
    if segment:
        m &= corpus.segments["region"] == segment
    return int((m & corpus.themes[theme]).sum()), int(m.sum())


def test_theme_question_counts_over_the_whole_index(demo_engine: Engine) -> None:
    a = demo_engine.ask("How many North customers complain about late deliveries?")
    k, n = recount(demo_engine, "North", "lateness")
    assert a.filters["segments"] == {"region": ["North"]}
    assert f"{k:,} of {n:,} North verbatims" in a.answer
    assert n > 100 and k > 20  # counted over all North rows, not over the top-k quotes
    cited = [c for c in a.citations if c.kind == "verbatim"]
    assert cited and all(c.segment.startswith("North") for c in cited)
    for c in a.citations:
        assert f"[{c.n}]" in a.answer
        assert c.id in demo_engine.corpus().index  # every citation is a stored record


def test_every_sentence_with_a_figure_carries_a_citation(demo_engine: Engine) -> None:
    a = demo_engine.ask("What do customers complain about most?")
    for line in a.answer.splitlines():
        if re.search(r"\d+(\.\d+)?%", line) and "Counts cover" not in line:
            assert re.search(r"\[\d+\]", line), line


def test_gap_question_cites_metric_line_and_verbatims(demo_engine: Engine) -> None:
    a = demo_engine.ask("Where do customers disagree with our delivery stats?")
    assert a.gaps, a.answer
    top = a.gaps[0]
    assert (top["segment"], top["metric"]) == ("North", "On-time delivery")
    kinds = {c["kind"] for c in top["citations"]}
    assert kinds == {"metric", "verbatim"}
    on_time = [g["segment"] for g in a.gaps if g["metric"] == "On-time delivery"]
    assert "South" not in on_time and "East" not in on_time  # they agree with the metric


def test_segment_option_filters_and_unknown_segment_is_explained(demo_engine: Engine) -> None:
    a = demo_engine.ask("What do customers say about delivery?", segment=["south"])
    assert a.filters["segments"] == {"region": ["South"]}
    assert all(c.segment.startswith("South") for c in a.citations)
    b = demo_engine.ask("What do customers say about delivery?", segment=["Atlantis"])
    assert not b.citations and "No verbatims have the segment Atlantis" in b.answer
    assert not b.enough_evidence


def test_off_topic_question_says_not_enough_evidence(demo_engine: Engine) -> None:
    a = demo_engine.ask("What is the airspeed velocity of an unladen swallow?")
    assert not a.enough_evidence
    assert "Not enough evidence" in a.answer
    assert not a.citations


def test_answer_states_freshness_and_limit(demo_engine: Engine) -> None:
    a = demo_engine.ask("What do customers say about refunds?", limit=2)
    assert len(a.citations) <= 2
    assert "verbatims dated 2026-09-01 to 2026-10-31" in a.freshness
    assert set(a.timings_ms) >= {"embed", "understand", "total"}


@pytest.mark.parametrize("q", ["", "   ", "🙂🙂🙂", "x" * 10_001])
def test_bad_questions_get_a_clear_error(demo_engine: Engine, q: str) -> None:
    with pytest.raises(QuestionError):
        demo_engine.ask(q)


def test_time_words_are_relative_to_the_newest_data() -> None:
    from datetime import date

    anchor = date(2015, 2, 24)
    assert find_period("complaints last week", anchor)[:2] == (date(2015, 2, 18), anchor)
    assert find_period("in February 2015", anchor)[:2] == (date(2015, 2, 1), date(2015, 2, 28))
    assert find_period("since 2015-02-20", anchor)[:2] == (date(2015, 2, 20), None)
    assert find_period("what do people say", anchor) == (None, None, None)


def test_near_duplicates_are_collapsed(demo_engine: Engine) -> None:
    a = demo_engine.ask("Delivery was late again", limit=8)
    texts = [c.text for c in a.citations if c.kind == "verbatim"]
    assert len(texts) == len(set(texts))


def test_hybrid_beats_neither_less_than_each_mode_alone(demo_engine: Engine) -> None:
    """Sanity: each mode returns records within the filters, best first."""
    from bot.filters import Filters

    f = Filters(segments={"region": ["West"]})
    for mode in ("hybrid", "dense", "bm25"):
        hits = demo_engine.search("arrived broken", f, k=5, mode=mode)  # type: ignore[arg-type]
        assert hits, mode
        scores = np.array([h.score for h in hits])
        assert (np.diff(scores) <= 1e-12).all()
        rows = demo_engine.corpus().records([h.idx for h in hits])
        assert all(r["segments"]["region"] == "West" for r in rows)


def test_how_many_are_unhappy_is_answered_with_the_share(demo_engine: Engine) -> None:
    a = demo_engine.ask("How many customers are unhappy?")
    corpus = demo_engine.corpus()
    verb = corpus.is_verbatim
    n, neg = int(verb.sum()), int((verb & (corpus.polarity < 0)).sum())
    assert a.extra["intent"] == "share"
    assert f"Of {n:,} verbatims, {neg:,} ({100 * neg / n:.1f}%, 95% CI" in a.answer
    assert a.citations and all(
        corpus.polarity[corpus.index[c.id]] < 0 for c in a.citations
    )  # the examples are unhappy ones
    south = demo_engine.ask("What share of South customers are dissatisfied?")
    assert south.extra["intent"] == "share" and south.filters["segments"] == {"region": ["South"]}


@pytest.mark.parametrize(
    ("question", "n"),
    [
        ("What are the top five complaints?", 5),
        ("Top 2 complaints?", 2),
        ("What do customers complain about most? Top 4 please", 4),
    ],
)
def test_top_n_complaints_means_n_lines(demo_engine: Engine, question: str, n: int) -> None:
    a = demo_engine.ask(question)
    ranked = [line for line in a.answer.splitlines() if line.startswith("- ")]
    themes_with_complaints = sum(
        1
        for m in demo_engine.corpus().complaints.values()
        if (m & demo_engine.corpus().is_verbatim).any()
    )
    assert len(ranked) == min(n, themes_with_complaints)
    assert a.extra["top_n"] == n
