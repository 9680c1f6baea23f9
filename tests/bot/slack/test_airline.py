"""A Slack mention on the 14,640 real airline tweets (ingested once per session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.engine import Engine
from ingest.config import Settings
from tests.bot.slack_harness import Harness, block_text, citation_ids, slack_settings
from tests.fakes.slack_api import FakeSlack


@pytest.fixture(scope="module")
def slack(airline_settings: Settings, airline_engine: Engine) -> Iterator[Harness]:
    fake = FakeSlack()
    h = Harness(slack_settings(airline_settings.data_dir, fake), airline_engine, fake)
    yield h
    h.close()
    fake.close()


def test_united_complaints_cite_united_tweets(slack: Harness, airline_engine: Engine) -> None:
    ts, sent = slack.mention("what do United customers complain about most?", channel="C0AIR")
    assert sent.status == 200 and sent.ms < 1000
    answer = slack.wait_answer("C0AIR", root=ts)
    text = block_text(answer)
    assert "United verbatims" in text
    corpus = airline_engine.corpus()
    rows = [corpus.record(corpus.index[i]) for i in citation_ids(answer)]
    tweets = [r for r in rows if r["kind"] == "verbatim"]
    assert len(tweets) >= 3
    assert all(r["segments"]["airline"] == "United" for r in tweets)
    assert all(r["id"].startswith("tweets.csv:") for r in tweets)
    # once the in-memory corpus is built (cxbot serve builds it at start-up): a warm answer
    ts2, warm = slack.mention("what do Delta customers complain about most?", channel="C0AIR")
    warm_answer = slack.wait_answer("C0AIR", root=ts2)
    print(
        f"\nLATENCY airline mention: ack {sent.ms:.0f} ms, answer "
        f"{(answer.at - sent.t0) * 1000:.0f} ms (first, builds the corpus), warm answer "
        f"{(warm_answer.at - warm.t0) * 1000:.0f} ms"
    )
