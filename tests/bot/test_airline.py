"""The real airline tweets (labels removed before ingest) and the US DOT on-time report.

Ingesting the 14,640 tweets takes about 1.5 minutes on 2 cores; it happens once per session.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from bot.analysis.gaps import analyse
from bot.engine import Engine
from tests.conftest import TWEETS, tweet_labels

# leader-style questions, not copies of the labels
QUERIES = {
    "Lost Luggage": "Which customers lost their luggage?",
    "Late Flight": "Which flights were late?",
    "Flight Attendant Complaints": "Were flight attendants rude to customers?",
}


def precision_at_10(engine: Engine, question: str, label: str, mode: str) -> float:
    labels = tweet_labels()
    u = engine.understand(question)
    hits = engine.search(question, u.filters, k=10, mode=mode)  # type: ignore[arg-type]
    assert len(hits) == 10
    return sum(labels.get(h.id.split(":", 1)[1]) == label for h in hits) / 10


def test_labels_were_not_ingested(airline_engine: Engine) -> None:
    corpus = airline_engine.corpus()
    row = corpus.record(corpus.index["tweets.csv:570306133677760513"])
    assert set(row["segments"]) == {"airline"}
    assert "negativereason" not in json.dumps(row)


def test_questions_retrieve_tweets_with_the_hidden_label(airline_engine: Engine) -> None:
    table = {}
    for label, q in QUERIES.items():
        table[label] = {
            m: precision_at_10(airline_engine, q, label, m) for m in ("hybrid", "dense", "bm25")
        }
    print("\nprecision@10 " + json.dumps(table))
    for label, p in table.items():
        assert p["hybrid"] >= 0.6, (label, p)
    mean = {m: np.mean([p[m] for p in table.values()]) for m in ("hybrid", "dense", "bm25")}
    assert mean["hybrid"] >= max(mean["dense"], mean["bm25"]), mean


def test_united_complaints_cite_united_tweets(airline_engine: Engine) -> None:
    a = airline_engine.ask("What do United customers complain about most?")
    assert a.filters["segments"] == {"airline": ["United"]}
    verbatims = [c for c in a.citations if c.kind == "verbatim"]
    assert len(verbatims) >= 4
    assert all(c.segment == "United" for c in verbatims)
    assert "United verbatims" in a.answer


def test_on_time_gap_is_found_and_holds_up_against_the_labels(airline_engine: Engine) -> None:
    report = analyse(airline_engine, metric="on_time_pct")
    top = report.gaps[0]
    assert (top.segment, top.rank, top.fact.value) == ("Delta", 1, 77.99)
    # Delta's complaints raise lateness more than the rest's. Under the learned reading (v3)
    # more tweets count as complaining on both sides and the difference is z ~1.4, no longer
    # beyond noise at this n; the answer says so ("not significant at this n")
    assert top.mix > top.rest_share and top.z > 1.0
    # the figures recount from the index
    corpus = airline_engine.corpus()
    delta = (corpus.kind == "verbatim") & (corpus.segments["airline"] == "Delta")
    assert top.n == int(delta.sum())
    assert top.k == int((delta & corpus.complaints["lateness"]).sum())
    # and the hidden labels agree: the negative tweets labelled Delta name "Late Flight" more
    # than others' (those tweets are addressed to @JetBlue: see the README's worked example)
    with TWEETS.open(newline="", encoding="utf-8") as fh:
        rows = {r["tweet_id"]: r for r in csv.DictReader(fh)}.values()
    neg = [r for r in rows if r["airline_sentiment"] == "negative"]
    share = lambda rs: sum(r["negativereason"] == "Late Flight" for r in rs) / len(rs)  # noqa: E731
    delta_share = share([r for r in neg if r["airline"] == "Delta"])
    rest_share = share([r for r in neg if r["airline"] != "Delta"])
    assert delta_share > rest_share + 0.05


@pytest.mark.parametrize("q", ["Where do customers disagree with the airlines' on-time stats?"])
def test_gap_question_answer_cites_dot_line_and_delta_tweets(
    airline_engine: Engine, q: str
) -> None:
    a = airline_engine.ask(q)
    assert a.gaps and a.gaps[0]["segment"] == "Delta"
    cits = a.gaps[0]["citations"]
    assert cits[0]["kind"] == "metric" and cits[0]["source"] == "dot_metrics_2015_02.csv"
    assert {c["segment"] for c in cits[1:]} == {"Delta"}


@pytest.mark.parametrize(
    "question",
    [
        "What do customers complain about?",
        "What do United customers say about late flights?",
        "Which customers lost their luggage?",
        "Where do customers disagree with our on-time stats?",
    ],
)
def test_chroma_hnsw_path_answers_like_the_in_memory_path(
    airline_settings, airline_engine: Engine, question: str
) -> None:
    """Above CXBOT_DENSE_IN_MEMORY_MAX records dense search goes to Chroma's HNSW index (one
    wide query per question, exact re-ranking of small candidate sets): same answer."""
    from tests.conftest import make_settings

    hnsw = Engine(
        make_settings(airline_settings.data_dir, dense_in_memory_max=0),
        embedder=airline_engine.embedder,
    )
    exact, approx = airline_engine.ask(question), hnsw.ask(question)
    assert approx.answer == exact.answer  # every figure and every [n] in its place
    got, want = [c.id for c in approx.citations], [c.id for c in exact.citations]
    assert len(got) == len(want)
    # HNSW is approximate: a near-tie may put another quote in one slot (seen on some hosts
    # with the same code and index), never more than one
    assert sum(g != w for g, w in zip(got, want, strict=True)) <= 1


def test_delta_figures_carry_a_caveat_that_its_tweets_address_jetblue(
    airline_engine: Engine,
) -> None:
    """The 'Delta' label of this data set holds tweets to @JetBlue: every figure says so."""
    a = airline_engine.ask("Where do customers disagree with our on-time stats?")
    delta = next(g for g in a.gaps or [] if g["segment"] == "Delta")
    (caveat,) = delta["caveats"]
    assert "'Delta' verbatims address @JetBlue" in caveat
    assert any("@JetBlue" in c for c in a.as_dict()["caveats"])
    united = airline_engine.ask("What do United customers complain about most?")
    assert united.caveats == []  # a segment whose tweets are its own carries none
    delta_q = airline_engine.ask("What do Delta customers complain about?")
    assert delta_q.caveats and "JetBlue" in delta_q.caveats[0]
    n_delta = int(airline_engine.corpus().segment_mask("airline", ["Delta"]).sum())
    assert f"of {n_delta:,} 'Delta' verbatims" in delta_q.caveats[0]


def test_polarity_matches_the_hidden_labels_far_better_than_vader(airline_engine: Engine) -> None:
    """Stored polarity against the annotators' sentiment (never ingested)."""
    labels = {}
    with TWEETS.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            labels.setdefault(row["tweet_id"], row["airline_sentiment"])
    corpus = airline_engine.corpus()
    verb = np.flatnonzero(corpus.is_verbatim)
    gold = np.array([labels[corpus.ids[i].split(":", 1)[1]] == "negative" for i in verb])
    neg = corpus.polarity[verb] < 0
    share = neg.mean()
    precision = (neg & gold).sum() / neg.sum()
    recall = (neg & gold).sum() / gold.sum()
    print(
        f"\nshare negative {share:.3f} (labels {gold.mean():.3f}) P {precision:.3f} R {recall:.3f}"
    )
    assert share > 0.45  # VADER read 30.4% of these tweets as negative; the labels say 62.7%
    assert precision > 0.85 and recall > 0.65
    complaint = corpus.intent[verb] == "complaint"
    assert (complaint == neg).all()  # a negative verbatim is a complaint, and only those
