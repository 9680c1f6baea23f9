"""Two bot replicas (two Bolt apps, each with its own data dir) sharing one CXBOT_DATABASE_URL
on a real PostgreSQL: an event delivered to both is answered once, a thread answered by one
continues on the other, and the database going down is one line in Slack, then recovered."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine import Engine
from tests.bot.slack_harness import Harness, block_text, mention_event, slack_settings
from tests.fakes.postgres import PostgresServer
from tests.fakes.slack_api import BOT_USER_ID, FakeSlack


@pytest.fixture
def replicas(
    tmp_path: Path, fake: FakeSlack, pg_url: str, demo_engine: Engine
) -> Iterator[tuple[Harness, Harness]]:
    pair = tuple(
        Harness(
            slack_settings(tmp_path / name, fake, database_url=pg_url),
            demo_engine,
            fake,
        )
        for name in ("replica-a", "replica-b")
    )
    yield pair  # type: ignore[misc]
    for h in pair:
        h.close()


def posts_in(fake: FakeSlack, channel: str) -> list:
    return [
        c for c in fake.calls if c.method == "chat.postMessage" and c.body.get("channel") == channel
    ]


def test_an_event_delivered_to_both_replicas_is_answered_once(
    replicas: tuple[Harness, Harness], fake: FakeSlack
) -> None:
    a, b = replicas
    channel = "C0TWICE"
    question = "What do customers complain about most?"
    ts = fake.add_message(channel, f"<@{BOT_USER_ID}> {question}", "U0ALICE")
    event = mention_event(question, channel, "U0ALICE", ts)
    sent: list = []
    # the same delivery to both (a retry landing on the other replica), at the same moment,
    # and the same message once more under another event id (a mention and a DM event)
    deliveries = [(a, "Ev0TWICE000A"), (b, "Ev0TWICE000A"), (b, "Ev0TWICE000B")]
    threads = [
        threading.Thread(target=lambda h=h, e=e: sent.append(h.event(event, event_id=e)))
        for h, e in deliveries
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert [s.status for s in sent] == [200, 200, 200]
    assert max(s.ms for s in sent) < 3000  # every delivery acked within Slack's 3 seconds
    a.wait_answer(channel)
    time.sleep(2.0)  # a second answer would have posted its placeholder by now
    assert len(posts_in(fake, channel)) == 1
    assert len(a.answers(channel)) == 1


def test_a_thread_answered_by_one_replica_continues_on_the_other(
    replicas: tuple[Harness, Harness], fake: FakeSlack
) -> None:
    a, b = replicas
    channel = "C0HANDOFF"
    root, _ = a.mention("What are the top 2 complaints in the North?", channel=channel)
    a.wait_answer(channel, root=root)
    # the reply, without a mention, reaches the other replica: it knows the thread and its scope
    b.message("And for the South?", channel=channel, thread_ts=root)
    fake.wait_for(
        None,
        lambda c: (
            c.body.get("channel") == channel
            and "South" in block_text(c)
            and "Most raised complaints" in block_text(c)
        ),
        timeout=60,
    )


def test_the_database_down_while_answering_is_one_line_in_slack_and_then_recovers(
    replicas: tuple[Harness, Harness], fake: FakeSlack, postgres: PostgresServer
) -> None:
    a, _ = replicas
    channel = "C0DBDOWN"
    postgres.stop()
    try:
        a.mention("What do customers say about delivery?", channel=channel)
        said = fake.wait_for(
            None,
            lambda c: (
                c.body.get("channel") == channel and "Cannot reach the database" in block_text(c)
            ),
            timeout=60,
        )[0]
        text = block_text(said)
        assert f"127.0.0.1:{postgres.port}" in text and "try again once it is back" in text
        assert "\n" not in text.strip() and "Traceback" not in text
    finally:
        postgres.start()
    root, _ = a.mention("What do customers say about delivery?", channel=channel)
    answer = a.wait_answer(channel, root=None, timeout=60)
    assert "Cannot reach" not in block_text(answer)
    assert a.bot.store.answer(answer_id_of(answer)) is not None  # stored again


def answer_id_of(call) -> str:
    for b in call.body.get("blocks") or []:
        for e in b.get("elements") or []:
            if isinstance(e, dict) and e.get("action_id", "").startswith("cx_vote"):
                return str(e.get("value"))
    raise AssertionError("no vote button on the answer")
