"""Run cxbot in HTTP mode on a free port against the Slack emulator, and talk to it the way
Slack does: JSON event_callback bodies, form-encoded slash commands, form-encoded `payload=`
for buttons, each signed with slack_sdk's SignatureVerifier (v0 HMAC-SHA256 of v0:ts:body)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from benchmarks.common import child_env
from bot.engine import Engine
from bot.slack.app import CxBot
from bot.slack.serve import make_http_server, wsgi_app
from ingest.config import Settings
from tests.conftest import ROOT, make_settings
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, BOT_USER_ID, TEAM_ID, Call, FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def slack_settings(data_dir: Path, fake: FakeSlack, **kw: Any) -> Settings:
    """Explicit values only: the developer's environment never leaks in."""
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
        "slack_app_token": None,
        "slack_api_url": fake.api_url,
        "allowed_channels": [],
        "reindex_users": [],
        "reindex_usergroup": None,
        "sources_path": None,
        "production": False,
    }
    values.update(kw)
    return make_settings(data_dir, **values)


@dataclass
class Sent:
    status: int
    body: str
    ms: float  # time to the HTTP response: the acknowledgement Slack sees
    t0: float  # perf_counter when the request was sent


def citation_ids(call: Call) -> list[str]:
    """Record ids behind the numbered citations of a posted message (from their block_id)."""
    ids = []
    for b in call.body.get("blocks") or []:
        bid = b.get("block_id") or ""
        if bid.startswith("cite-"):
            ids.append(bid.split("-", 2)[2])
    return ids


def block_text(call: Call) -> str:
    """All the mrkdwn a user would read in a message."""
    out = []
    for b in call.body.get("blocks") or []:
        if b.get("text"):
            out.append(b["text"].get("text", ""))
        for e in b.get("elements") or []:
            if isinstance(e, dict) and e.get("type") == "mrkdwn":
                out.append(e.get("text", ""))
    return "\n".join(out)


def is_answer(call: Call) -> bool:
    return any(
        str(b.get("block_id") or "").startswith("summary") for b in call.body.get("blocks") or []
    )


class SlackSender:
    """Sends what Slack sends to an app at `url`, signed; reads what the app sent back."""

    def __init__(self, url: str, fake: FakeSlack) -> None:
        self.url = url
        self.fake = fake
        self.verifier = SignatureVerifier(SECRET)

    # ------------------------------------------------------------------ HTTP

    def signed_headers(self, body: bytes, ts: int | None = None, secret: str | None = None):
        ts = int(time.time()) if ts is None else ts
        verifier = self.verifier if secret is None else SignatureVerifier(secret)
        return {
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": verifier.generate_signature(timestamp=str(ts), body=body),
        }

    def send(
        self,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        path: str = "/slack/events",
        method: str = "POST",
    ) -> Sent:
        h = {"Content-Type": content_type}
        h.update(headers if headers is not None else self.signed_headers(body))
        req = urllib.request.Request(self.url + path, data=body, headers=h, method=method)
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        return Sent(status, text, (time.perf_counter() - t0) * 1000, t0)

    def get(self, path: str) -> Sent:
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        return Sent(status, text, (time.perf_counter() - t0) * 1000, t0)

    # ------------------------------------------------------------------ Slack payloads

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Sent:
        body = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0CX",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
        }
        raw = json.dumps(body).encode()
        h = self.signed_headers(raw)
        if retry is not None:
            h["X-Slack-Retry-Num"] = str(retry)
            h["X-Slack-Retry-Reason"] = "http_timeout"
        h.update(headers or {})
        return self.send(raw, "application/json", h)

    def mention(
        self,
        text: str,
        channel: str = "C0GENERAL",
        user: str = "U0ALICE",
        thread_ts: str | None = None,
        **kw: Any,
    ) -> tuple[str, Sent]:
        """@cxbot <text> as the user writes it; returns the message ts and the response."""
        ts = self.fake.add_message(channel, f"<@{BOT_USER_ID}> {text}", user, thread_ts)
        event = mention_event(text, channel, user, ts, thread_ts)
        return ts, self.event(event, **kw)

    def message(
        self,
        text: str,
        channel: str = "C0GENERAL",
        user: str = "U0ALICE",
        thread_ts: str | None = None,
        subtype: str | None = None,
        **extra: Any,
    ) -> tuple[str, Sent]:
        """A plain message (no mention) as message.channels / message.im deliver it."""
        ts = self.fake.add_message(channel, text, user, thread_ts)
        ev: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "channel_type": "im" if channel.startswith("D") else "channel",
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "client_msg_id": str(uuid.uuid4()),
            "team": TEAM_ID,
            **extra,
        }
        if thread_ts:
            ev["thread_ts"] = thread_ts
        if subtype:
            ev["subtype"] = subtype
        return ts, self.event(ev)

    def assistant_started(
        self, user: str = "U0ALICE", viewing: str | None = None
    ) -> tuple[str, str, Sent]:
        """The user opens the assistant panel while viewing channel ``viewing``: Slack makes a
        thread in the DM and sends assistant_thread_started. Returns (channel, thread_ts)."""
        channel, thread_ts = self.fake.start_assistant_thread(user)
        context: dict[str, Any] = {"team_id": TEAM_ID, "enterprise_id": None}
        if viewing:
            context["channel_id"] = viewing
        event = {
            "type": "assistant_thread_started",
            "assistant_thread": {
                "user_id": user,
                "context": context,
                "channel_id": channel,
                "thread_ts": thread_ts,
            },
            "event_ts": thread_ts,
        }
        return channel, thread_ts, self.event(event)

    def home_opened(self, user: str = "U0ALICE", tab: str = "home") -> Sent:
        """The user opens the app's Home tab (app_home_opened), as Slack sends it."""
        ts = f"{time.time():.6f}"
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.fake.dm_channel(user),
            "tab": tab,
            "event_ts": ts,
        }
        return self.event(event)

    def command(
        self, text: str, user: str = "U0ALICE", channel: str = "C0GENERAL", **kw: Any
    ) -> Sent:
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "cx-example",
            "channel_id": channel,
            "channel_name": "general" if channel.startswith("C") else "directmessage",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/cx",
            "text": text,
            "api_app_id": "A0CX",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(f"cmd-{uuid.uuid4().hex[:8]}"),
            "trigger_id": f"{uuid.uuid4().int % 10**13}.{uuid.uuid4().hex[:10]}",
        }
        raw = urlencode(form).encode()
        return self.send(raw, "application/x-www-form-urlencoded", **kw)

    def click(self, message: Call | dict[str, Any], action_id: str, user: str = "U0ALICE") -> Sent:
        """Press a button of a message the bot posted (as Slack sends block_actions)."""
        msg = message.body if isinstance(message, Call) else message
        button, block_id = None, None
        for b in msg.get("blocks") or []:
            for e in b.get("elements") or []:
                if isinstance(e, dict) and e.get("action_id") == action_id:
                    button, block_id = e, b.get("block_id")
        assert button is not None, f"no {action_id} button in {msg.get('blocks')}"
        channel = msg["channel"]
        ts = msg.get("ts")
        payload = {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": TEAM_ID,
            },
            "api_app_id": "A0CX",
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": False,
                **({"thread_ts": msg["thread_ts"]} if msg.get("thread_ts") else {}),
            },
            "trigger_id": f"{uuid.uuid4().int % 10**13}.{uuid.uuid4().hex[:10]}",
            "team": {"id": TEAM_ID, "domain": "cx-example"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "general"},
            "message": {
                "type": "message",
                "user": BOT_USER_ID,
                "ts": ts,
                "bot_id": "BCXBOT",
                "text": msg.get("text"),
                "blocks": msg.get("blocks"),
                **({"thread_ts": msg["thread_ts"]} if msg.get("thread_ts") else {}),
            },
            "state": {"values": {}},
            "response_url": self.fake.response_url(f"act-{uuid.uuid4().hex[:8]}"),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": button["text"],
                    "value": button.get("value"),
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        raw = urlencode({"payload": json.dumps(payload)}).encode()
        return self.send(raw, "application/x-www-form-urlencoded")

    def click_view(
        self, view: dict[str, Any], action_id: str, user: str = "U0ALICE", index: int = 0
    ) -> Sent:
        """Press the ``index``-th ``action_id`` button of a published view (the Home tab): a
        block_actions payload with a view container and no response_url, as Slack sends it."""
        found = [
            (b.get("block_id"), e)
            for b in view.get("blocks") or []
            for e in [b.get("accessory"), *(b.get("elements") or [])]
            if isinstance(e, dict) and e.get("action_id") == action_id
        ]
        assert len(found) > index, f"no {action_id} button #{index} in the view"
        block_id, button = found[index]
        payload = {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": TEAM_ID,
            },
            "api_app_id": "A0CX",
            "token": "legacy-verification-token",
            "container": {"type": "view", "view_id": view.get("id")},
            "trigger_id": f"{uuid.uuid4().int % 10**13}.{uuid.uuid4().hex[:10]}",
            "team": {"id": TEAM_ID, "domain": "cx-example"},
            "enterprise": None,
            "is_enterprise_install": False,
            "view": view,
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": button["text"],
                    "value": button.get("value"),
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        raw = urlencode({"payload": json.dumps(payload)}).encode()
        return self.send(raw, "application/x-www-form-urlencoded")

    # ------------------------------------------------------------------ waiting

    def final_message(self, channel: str, ts: str) -> dict[str, Any]:
        """The message as it now stands in the emulator (after chat.update)."""
        for m in self.fake.messages[channel]:
            if m["ts"] == ts:
                return {**m, "channel": channel}
        raise AssertionError(f"no message {ts} in {channel}")

    def wait_answer(self, channel: str, root: str | None = None, timeout: float = 60) -> Call:
        """The chat.update (or post) that put an answer in this channel (and thread)."""

        def in_thread(ts: object) -> bool:
            return any(
                m["ts"] == ts and m.get("thread_ts") == root for m in self.fake.messages[channel]
            )

        def match(c: Call) -> bool:
            if c.body.get("channel") != channel or not is_answer(c):
                return False
            if root is None:
                return True
            if c.method == "chat.update":
                return in_thread(c.body.get("ts"))
            return c.method == "chat.postMessage" and c.body.get("thread_ts") == root

        return self.fake.wait_for(None, match, timeout=timeout)[0]

    def answers(self, channel: str) -> list[Call]:
        return [c for c in self.fake.calls if c.body.get("channel") == channel and is_answer(c)]


class Harness(SlackSender):
    """cxbot's HTTP mode (the same WSGI app `cxbot serve --http` runs) on a free port."""

    def __init__(self, settings: Settings, engine: Engine | None, fake: FakeSlack) -> None:
        self.settings = settings
        self.bot = CxBot(settings, engine=engine)
        self.server = make_http_server(wsgi_app(self.bot), "127.0.0.1", 0)
        super().__init__(f"http://127.0.0.1:{self.server.server_address[1]}", fake)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def mention_event(
    text: str, channel: str, user: str, ts: str, thread_ts: str | None = None
) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "client_msg_id": str(uuid.uuid4()),
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "blocks": [],
    }
    if thread_ts:
        ev["thread_ts"] = thread_ts
    return ev


__all__ = ["APP_TOKEN", "Harness", "SlackSender", "block_text", "citation_ids", "slack_settings"]


def start_serve(
    data_dir: Path,
    fake: FakeSlack,
    args: list[str],
    token_env: bool = True,
    output: int = subprocess.PIPE,
    **env: str,
) -> subprocess.Popen:
    """`cxbot serve` as a real process, configured by its environment only; ``output``:
    PIPE to read its log afterwards, DEVNULL under load (a full pipe would block it)."""
    e = child_env(
        {"CXBOT_DATA_DIR": str(data_dir), "CXBOT_SLACK_API_URL": fake.api_url, **env},
        drop=("CXBOT_", "SLACK_"),
    )
    if token_env:
        e["SLACK_BOT_TOKEN"] = BOT_TOKEN
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", *args],
        cwd=ROOT,
        env=e,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_healthy(proc: subprocess.Popen, port: int, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"cxbot serve exited {proc.returncode}: {said}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                body = json.loads(r.read())
                if r.status == 200 and body.get("ok"):
                    return body
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("cxbot serve never became healthy")


def stop_serve(proc: subprocess.Popen) -> int:
    """SIGTERM, as `docker stop` sends; the exit code."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(20)
    finally:
        if proc.poll() is None:
            proc.kill()
