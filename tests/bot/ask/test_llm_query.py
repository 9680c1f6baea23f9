"""The structured query read by the language model (CXBOT_LLM=openai), over real HTTP against
the scripted OpenAI-compatible server, on the demo data: what the model may and may not change,
and that every failure leaves the offline parser's reading in place."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.ask import llm_query
from bot.engine import Engine
from ingest.config import Settings
from tests.conftest import make_settings
from tests.fakes.openai_server import FakeOpenAI, error, ok, structured
from tests.fakes.openai_server import Reply as Scripted


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake: FakeOpenAI) -> None:
    fake.reset()
    llm_query.clear_cache()


def engine(s: Settings, fake: FakeOpenAI, **kw: Any) -> Engine:
    opts: dict[str, Any] = {
        "llm": "openai",
        "openai_base_url": fake.base_url,
        "openai_api_key": "sk-test-query-0123456789",
        "llm_query_timeout_s": 2.0,
        "llm_max_retries": 0,
        "llm_max_wait_s": 2.0,
    }
    opts.update(kw)
    return Engine(make_settings(s.data_dir, **opts))


Q = "What should I know before the regional review?"


def test_model_query_is_mapped_onto_the_index(
    demo_settings: Settings, demo_engine: Engine, fake: FakeOpenAI
) -> None:
    offline = demo_engine.understand(Q)
    assert offline.understood_by == "rules" and offline.intent != "compare"
    theme = next(iter(demo_engine.assigner.taxonomy.themes))
    label = demo_engine.label(theme)
    fake.push_query(
        structured(
            intent="compare",
            themes=[label.upper(), "teleportation"],  # a label for an id; an invented theme
            segments=[{"key": "planet", "value": "Mars"}],
            compare={
                "axis": "segment",
                "key": "regions",
                "values": ["north", "the South"],
                "include_rest": False,
                "periods": [],
            },
            top_n=40,
        )
    )
    u = engine(demo_settings, fake).understand(Q)
    assert u.understood_by == "llm"
    assert u.intent == "compare"
    assert u.compare is not None and u.compare.key == "region"
    assert u.compare.values == ["North", "South"]
    assert u.filters.themes == [theme]
    assert u.filters.segments == {}  # Mars is no segment of this index
    assert u.top_n == 10  # clamped to what an answer shows
    assert "teleportation" in (u.understood_note or "") and "Mars" in (u.understood_note or "")
    (req,) = fake.query_requests
    fmt = req.body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    system, user = req.body["messages"]
    assert '"North"' in system["content"] and theme in system["content"]  # the real values
    c = demo_engine.corpus()
    _, newest = c.date_range(c.kind == "verbatim")
    assert newest.isoformat() in system["content"]
    assert user["content"] == f'"{Q}"'  # the question as escaped data


def test_answer_says_which_parser_read_the_question(
    demo_settings: Settings, fake: FakeOpenAI
) -> None:
    fake.push_query(
        structured(
            intent="rank",
            segments=[{"key": "region", "value": "West"}],
            top_n=2,
        )
    )
    a = engine(demo_settings, fake).ask("Anything I should know about out west?")
    d = a.as_dict()
    assert d["understood_by"] == "llm"
    assert d["intent"] == "rank" and d["query"]["top_n"] == 2
    assert d["query"]["segments"] == {"region": ["West"]}
    assert len([ln for ln in a.answer.splitlines() if ln.startswith("- ")]) == 2
    assert "Answered as: top 2, most raised complaints; region West." in a.answer


def test_period_comparison_becomes_a_trend_of_the_later_period(
    demo_settings: Settings, demo_engine: Engine, fake: FakeOpenAI
) -> None:
    c = demo_engine.corpus()
    oldest, newest = c.date_range(c.kind == "verbatim")
    mid = oldest + (newest - oldest) / 2
    fake.push_query(
        structured(
            intent="compare",
            compare={
                "axis": "period",
                "key": None,
                "values": [],
                "include_rest": False,
                "periods": [
                    {"since": oldest.isoformat(), "until": mid.isoformat()},
                    {"since": mid.isoformat(), "until": newest.isoformat()},
                ],
            },
        )
    )
    u = engine(demo_settings, fake).understand("first half against second half?")
    assert u.intent == "trend" and u.compare is None
    assert (u.filters.since, u.filters.until) == (mid, newest)


def test_a_period_the_data_does_not_hold_gives_way_to_the_rules(
    demo_settings: Settings, demo_engine: Engine, fake: FakeOpenAI
) -> None:
    question = "What did customers complain about last week?"
    offline = demo_engine.understand(question)
    assert offline.filters.since is not None
    fake.push_query(structured(intent="rank", since="1999-01-01", until="1999-01-31"))
    u = engine(demo_settings, fake).understand(question)
    assert u.understood_by == "llm" and u.intent == "rank"
    assert (u.filters.since, u.filters.until) == (offline.filters.since, offline.filters.until)
    assert "period with no data" in (u.understood_note or "")


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (ok('{"intent": "rank", "themes": ['), "not valid JSON"),
        (ok({"intent": "teleport"}), "intent 'teleport'"),
        (error(500, "boom"), "HTTP 500"),
        (error(401, "bad key"), "HTTP 401"),
    ],
)
def test_broken_reply_leaves_the_offline_reading(
    demo_settings: Settings,
    demo_engine: Engine,
    fake: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
    reply: Scripted,
    why: str,
) -> None:
    question = "Top 3 complaints in the North?"
    offline = demo_engine.understand(question)
    fake.push_query(reply)
    caplog.set_level(logging.WARNING, logger="cxbot.llm")
    u = engine(demo_settings, fake).understand(question)
    assert u.understood_by == "rules"
    assert why in (u.understood_note or "")
    assert u.query() == offline.query()
    assert any("offline parser answered" in r.getMessage() for r in caplog.records)


def test_slow_model_costs_at_most_the_query_timeout(
    demo_settings: Settings, demo_engine: Engine, fake: FakeOpenAI
) -> None:
    question = "Which channel gets the most complaints?"
    offline = demo_engine.understand(question)
    fake.push_query(Scripted(delay_s=10, content="{}"))
    e = engine(demo_settings, fake, llm_query_timeout_s=0.4)
    t0 = time.monotonic()
    u = e.understand(question)
    assert time.monotonic() - t0 < 0.4 + 1.0
    assert u.understood_by == "rules" and "did not answer in time" in (u.understood_note or "")
    assert u.query() == offline.query()


def test_query_is_cached_per_question_and_index_version(
    demo_settings: Settings, fake: FakeOpenAI
) -> None:
    fake.always_query(structured(intent="praise"))
    e = engine(demo_settings, fake)
    assert e.understand("What makes people smile?").intent == "praise"
    assert e.understand("what makes  people smile?").intent == "praise"
    assert len(fake.query_requests) == 1  # same question, same index: asked once
    e.understand("What makes buyers smile?")
    assert len(fake.query_requests) == 2


def test_failures_are_not_cached(demo_settings: Settings, fake: FakeOpenAI) -> None:
    fake.push_query(error(503), structured(intent="praise"))
    e = engine(demo_settings, fake)
    assert e.understand("What makes people grin?").understood_by == "rules"
    assert e.understand("What makes people grin?").understood_by == "llm"


def test_switched_off_asks_no_model(demo_settings: Settings, fake: FakeOpenAI) -> None:
    fake.always_query(structured(intent="praise"))
    u = engine(demo_settings, fake, llm_understand=False).understand("What makes people beam?")
    assert u.understood_by == "rules" and fake.query_requests == []


def test_a_model_read_segment_ranking_about_words_counts_those_complaints(
    demo_settings: Settings, fake: FakeOpenAI
) -> None:
    """The model says 'rank regions'; the topic no theme holds is read from the question as
    the offline parser reads it, so the answer ranks the complaints that use its words."""
    q = "Which region has the most complaints about the courier?"
    fake.push_query(structured(intent="rank", rank_by="region"))
    e = engine(demo_settings, fake)
    u = e.understand(q)
    assert u.understood_by == "llm" and u.rank_by == "region" and u.terms == ["courier"]
    fake.push_query(structured(intent="rank", rank_by="region"))
    assert e.ask(q).answer.startswith("Complaints using the words 'courier' by region")
