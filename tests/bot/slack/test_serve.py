"""`cxbot serve` as a user runs it: a real process, configured by environment variables only,
in HTTP mode and in Socket Mode, answering through the Slack emulator, stopped by SIGTERM."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.config import Settings
from tests.bot.slack_harness import (
    SECRET,
    SlackSender,
    block_text,
    is_answer,
    mention_event,
    start_serve,
    stop_serve,
    wait_healthy,
)
from tests.chroma_server import free_port
from tests.conftest import ROOT
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.fakes.socket_mode import FakeSocketModeServer


@pytest.fixture(scope="module")
def data_dir(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo index: the bot process must not share a Chroma folder with us."""
    dst = tmp_path_factory.mktemp("serve") / "data"
    shutil.copytree(demo_settings.data_dir, dst, ignore=shutil.ignore_patterns("slack.sqlite*"))
    return dst


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    f = FakeSlack()
    yield f
    f.close()


def test_serve_http_mode(data_dir: Path, fake: FakeSlack) -> None:
    port = free_port()
    proc = start_serve(data_dir, fake, ["--http", "--port", str(port)], SLACK_SIGNING_SECRET=SECRET)
    try:
        assert wait_healthy(proc, port)["mode"] == "http"
        sender = SlackSender(f"http://127.0.0.1:{port}", fake)
        ts, sent = sender.mention("What do West customers complain about?", channel="C0PROC")
        assert sent.status == 200
        answer = fake.wait_for(None, lambda c: c.body.get("channel") == "C0PROC" and is_answer(c))
        assert "West verbatims" in block_text(answer[0])
    finally:
        assert stop_serve(proc) == 0


def test_serve_takes_tokens_from_a_secrets_dir_and_never_logs_them(
    data_dir: Path, fake: FakeSlack, tmp_path: Path
) -> None:
    """Docker/Kubernetes style: one file per secret, nothing in the environment but the
    folder; at DEBUG level neither the token nor the signing secret reaches the log."""
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "SLACK_BOT_TOKEN").write_text(BOT_TOKEN + "\n")
    (secrets / "SLACK_SIGNING_SECRET").write_text(SECRET + "\n")
    port = free_port()
    proc = start_serve(
        data_dir,
        fake,
        ["--http", "--port", str(port)],
        token_env=False,
        CXBOT_SECRETS_DIR=str(secrets),
        CXBOT_LOG_LEVEL="DEBUG",
    )
    try:
        wait_healthy(proc, port)
        sender = SlackSender(f"http://127.0.0.1:{port}", fake)
        ts, sent = sender.mention("What do East customers complain about?", channel="C0SECRET")
        assert sent.status == 200  # signed with the secret from the file
        answer = fake.wait_for(None, lambda c: c.body.get("channel") == "C0SECRET" and is_answer(c))
        # posted with the token from the file: the emulator refuses any other (invalid_auth)
        assert "East verbatims" in block_text(answer[0])
    finally:
        assert stop_serve(proc) == 0
    log = proc.stdout.read()
    assert "DEBUG" in log
    assert BOT_TOKEN not in log and SECRET not in log


def test_serve_socket_mode_when_the_app_token_is_set(data_dir: Path) -> None:
    ws = FakeSocketModeServer()
    fake = FakeSlack(ws_url=ws.url)
    port = free_port()
    proc = start_serve(data_dir, fake, ["--port", str(port)], SLACK_APP_TOKEN=APP_TOKEN)
    try:
        ws.wait_connected(timeout=90)
        health = wait_healthy(proc, port)
        assert health == {"ok": True, "mode": "socket", "connected": True}
        ts = fake.add_message("C0SOCKPROC", "q", "U0ALICE")
        event = mention_event("What do East customers complain about?", "C0SOCKPROC", "U0ALICE", ts)
        body = {"type": "event_callback", "team_id": "T0CX", "event_id": "EvPROC1", "event": event}
        ws.send(
            {
                "envelope_id": "p-1",
                "type": "events_api",
                "payload": body,
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        ws.wait_ack("p-1")
        answer = fake.wait_for(
            None, lambda c: c.body.get("channel") == "C0SOCKPROC" and is_answer(c)
        )
        assert "East verbatims" in block_text(answer[0])
    finally:
        assert stop_serve(proc) == 0
        ws.close()
        fake.close()


def test_manifest_matches_what_the_app_uses() -> None:
    import yaml

    from bot.slack.app import COMMAND

    m = yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text())
    assert [c["command"] for c in m["features"]["slash_commands"]] == [COMMAND]
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.im",
        "message.channels",
        "message.groups",
        "assistant_thread_started",
        "assistant_thread_context_changed",
        "app_home_opened",
    }
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["features"]["assistant_view"]["assistant_description"]
    assert m["settings"]["interactivity"]["is_enabled"] is True
    # every Web API method the app calls in these tests, and the scope it needs
    needs = {
        "chat.postMessage": "chat:write",
        "chat.update": "chat:write",
        "chat.postEphemeral": "chat:write",
        "reactions.add": "reactions:write",
        "conversations.replies": "channels:history",
        "usergroups.users.list": "usergroups:read",
        "files.getUploadURLExternal": "files:write",
        "slash command": "commands",
        "app_mention": "app_mentions:read",
        "message.im": "im:history",
        "message.channels": "channels:history",
        "message.groups": "groups:history",
        "assistant.threads.setStatus": "assistant:write",
        "conversations.info": "channels:read",
        "conversations.open": "im:write",
    }
    assert set(needs.values()) <= set(m["oauth_config"]["scopes"]["bot"])
