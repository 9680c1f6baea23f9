"""Socket Mode end to end: slack-bolt's SocketModeHandler gets its URL from apps.connections.open
on the emulator, connects to a local WebSocket server, receives envelopes as Slack sends them,
acknowledges each one, and answers through the Web API."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.engine import Engine
from bot.slack.app import CxBot
from bot.slack.serve import socket_handler
from ingest.config import Settings
from tests.bot.slack_harness import block_text, citation_ids, is_answer, mention_event
from tests.conftest import make_settings
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.fakes.socket_mode import FakeSocketModeServer


@pytest.fixture(scope="module")
def socket_bot(
    demo_settings: Settings, demo_engine: Engine
) -> Iterator[tuple[FakeSlack, FakeSocketModeServer]]:
    ws = FakeSocketModeServer()
    fake = FakeSlack(ws_url=ws.url)
    settings = make_settings(
        demo_settings.data_dir,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=None,  # Socket Mode needs no signing secret
        slack_app_token=APP_TOKEN,
        slack_api_url=fake.api_url,
    )
    bot = CxBot(settings, engine=demo_engine)
    handler = socket_handler(bot, APP_TOKEN)  # what `cxbot serve` runs
    handler.connect()
    ws.wait_connected()
    yield fake, ws
    handler.close()
    ws.close()
    fake.close()


def envelope(kind: str, payload: dict, envelope_id: str, retry: int = 0) -> dict:
    return {
        "envelope_id": envelope_id,
        "payload": payload,
        "type": kind,
        "accepts_response_payload": kind != "events_api",
        "retry_attempt": retry,
        "retry_reason": "timeout" if retry else "",
    }


def test_mention_over_socket_mode_is_acked_and_answered_once(
    socket_bot: tuple[FakeSlack, FakeSocketModeServer], demo_engine: Engine
) -> None:
    fake, ws = socket_bot
    assert fake.calls_to("apps.connections.open")[0].headers["authorization"].endswith(APP_TOKEN)
    channel = "C0SOCKET"
    ts = fake.add_message(channel, "q", "U0ALICE")
    body = {
        "type": "event_callback",
        "team_id": "T0CX",
        "api_app_id": "A0CX",
        "event_id": "EvSOCKET01",
        "event_time": int(time.time()),
        "event": mention_event("What do North customers complain about?", channel, "U0ALICE", ts),
    }
    t0 = time.perf_counter()
    ws.send(envelope("events_api", body, "env-1"))
    ws.wait_ack("env-1")
    ack_ms = (time.perf_counter() - t0) * 1000
    ws.send(envelope("events_api", body, "env-2", retry=1))  # Slack's redelivery
    ws.wait_ack("env-2")
    answer = fake.wait_for(None, lambda c: c.body.get("channel") == channel and is_answer(c))[0]
    answer_ms = (answer.at - t0) * 1000
    time.sleep(0.3)
    assert len([c for c in fake.calls if c.body.get("channel") == channel and is_answer(c)]) == 1
    assert "North verbatims" in block_text(answer)
    corpus = demo_engine.corpus()
    assert citation_ids(answer) and all(i in corpus.index for i in citation_ids(answer))
    print(f"\nLATENCY socket mode mention: ack {ack_ms:.0f} ms, answer {answer_ms:.0f} ms")


def test_slash_help_over_socket_mode_is_in_the_ack(
    socket_bot: tuple[FakeSlack, FakeSocketModeServer],
) -> None:
    _, ws = socket_bot
    command = {
        "token": "legacy",
        "team_id": "T0CX",
        "channel_id": "C0SOCKET",
        "user_id": "U0ALICE",
        "command": "/cx",
        "text": "help",
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": "1.2",
        "api_app_id": "A0CX",
    }
    ws.send(envelope("slash_commands", command, "env-3"))
    ack = ws.wait_ack("env-3")
    assert "/cx ask" in str(ack["payload"]["blocks"])


def test_an_envelope_delivered_twice_is_handled_once(
    socket_bot: tuple[FakeSlack, FakeSocketModeServer],
) -> None:
    """A slash command has no event id: Slack's redelivery of the same envelope (no ack seen,
    or to another replica's connection) is acked empty and not run again."""
    _, ws = socket_bot
    command = {
        "token": "legacy",
        "team_id": "T0CX",
        "channel_id": "C0SOCKET",
        "user_id": "U0ALICE",
        "command": "/cx",
        "text": "help",
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": "1.3",
        "api_app_id": "A0CX",
    }
    ws.send(envelope("slash_commands", command, "env-twice"))
    ws.wait_ack("env-twice")
    ws.send(envelope("slash_commands", command, "env-twice", retry=1))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        acks = [a for a in ws.acks if a.get("envelope_id") == "env-twice"]
        if len(acks) == 2:
            break
        time.sleep(0.05)
    assert len(acks) == 2, ws.acks
    answered = [a for a in acks if "/cx ask" in str(a.get("payload", ""))]
    assert len(answered) == 1 and not acks[1].get("payload")
