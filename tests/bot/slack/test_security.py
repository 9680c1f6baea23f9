"""Slack traffic that must be refused, and secrets that must never reach the logs."""

from __future__ import annotations

import logging

import pytest

from tests.bot.slack_harness import SECRET, Harness
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack


def test_oversized_payload_is_refused_before_parsing(slack: Harness, fake: FakeSlack) -> None:
    import urllib.error

    raw = b'{"type": "event_callback", "pad": "' + b"x" * 1_200_000 + b'"}'
    try:
        r = slack.send(raw, "application/json", slack.signed_headers(raw))
        assert r.status == 413
    except urllib.error.URLError as exc:
        # the server answers 413 and closes without reading 1.2 MB: a client still sending
        # sees the connection closed under it, which is the refusal too
        assert isinstance(exc.reason, (BrokenPipeError, ConnectionResetError)), exc
    assert not fake.calls_to("chat.postMessage")


def test_tokens_and_signing_secret_never_reach_the_logs(
    slack: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        ts, sent = slack.mention("What do West customers complain about?", channel="C0LOGS")
        assert sent.status == 200
        slack.wait_answer("C0LOGS", root=ts)
    text = caplog.text
    assert text  # the app and slack_sdk did log at DEBUG
    assert BOT_TOKEN not in text and SECRET not in text
