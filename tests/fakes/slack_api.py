"""A local Slack Web API emulator over real HTTP (stdlib, threaded, 127.0.0.1, free port).

Point `WebClient(base_url=fake.api_url)` (Settings.slack_api_url) at it. It implements what
cxbot calls - auth.test, chat.postMessage/update/postEphemeral, reactions.add/remove,
conversations.replies/info/list/open, usergroups.users.list, the files.getUploadURLExternal ->
upload URL -> files.completeUploadExternal flow, files.info, apps.connections.open, the
assistant.threads.setStatus/setSuggestedPrompts/setTitle methods of the assistant panel and
views.publish for the Home tab - plus `response_url` endpoints. Every request is recorded
(method, path, headers, parsed body, arrival time), and calls can be scripted to fail: HTTP 429
with Retry-After, or ok:false with an error code. Arguments are checked as Slack checks them
(at most 4 suggested prompts, a Home view of type "home", assistant calls only in a thread
the user opened in the assistant panel), so a call Slack would refuse fails here too.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import send_json

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
BOT_USER_ID = "UCXBOT"
BOT_ID = "BCXBOT"
TEAM_ID = "T0CX"
_TS = itertools.count(1)  # shared by every instance: a ts is never reused within a test run


@dataclass
class Call:
    """One request the app made."""

    method: str  # "chat.postMessage", or "upload" / "response" for non-API URLs
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes
    at: float  # time.perf_counter() on arrival

    def text_and_blocks(self) -> str:
        """Everything a user could see in this message: text plus blocks, as one JSON string."""
        return json.dumps({"text": self.body.get("text"), "blocks": self.body.get("blocks")})


@dataclass
class Scripted:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None


@dataclass
class FakeSlack:
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    ws_url: str | None = None
    channels: dict[str, str] = field(default_factory=dict)  # channel id -> name

    # Slack's documented limits, checked as Slack checks them
    MAX_PROMPTS = 4
    MAX_HOME_BLOCKS = 100

    def __post_init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.uploads: dict[str, bytes] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}  # user -> the Home view last published
        self.assistant_threads: set[tuple[str, str]] = set()  # (DM channel, thread_ts)
        self.dms: dict[str, str] = {}  # user -> their DM channel with the bot
        self._script: dict[str, deque[Scripted]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ public helpers

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/response/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls to `method` fail: HTTP `status` (429 with Retry-After) or
        200 with ok:false and `error`."""
        with self._lock:
            for _ in range(times):
                self._script[method].append(Scripted(status, error, retry_after))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._script.clear()

    def add_message(self, channel: str, text: str, user: str, thread_ts: str | None = None) -> str:
        """A message a user wrote (for conversations.replies); returns its ts."""
        ts = self._next_ts()
        with self._lock:
            self.messages[channel].append(
                {"type": "message", "ts": ts, "text": text, "user": user, "thread_ts": thread_ts}
            )
        return ts

    def start_assistant_thread(self, user: str) -> tuple[str, str]:
        """The user opens the assistant panel: Slack creates a DM thread (its ts) whose root
        is the app's own greeting; returns (DM channel, thread_ts)."""
        channel = self.dm_channel(user)
        ts = self._next_ts()
        with self._lock:
            self.assistant_threads.add((channel, ts))
            self.messages[channel].append(
                {"type": "message", "subtype": "assistant_app_thread", "ts": ts, "user": user}
            )
        return channel, ts

    def dm_channel(self, user: str) -> str:
        with self._lock:
            return self.dms.setdefault(user, "D" + user.removeprefix("U")[:9] + "X")

    def calls_to(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

    def wait_for(
        self,
        method: str | None,
        where: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 60.0,
    ) -> list[Call]:
        """Block until `count` matching calls arrived (method None: any); fail with what did.
        `where` runs under the emulator's lock: it may read `messages`, not call methods."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [
                    c
                    for c in self.calls
                    if method in (None, c.method) and (where is None or where(c))
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.body.get("text")) for c in self.calls[-15:]]
                    raise AssertionError(
                        f"timed out waiting for {count} x {method}; last calls: {seen}"
                    )
                self._cond.wait(min(left, 0.5))

    # ------------------------------------------------------------------ server side

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(_TS):06d}"

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        path = urlsplit(h.path).path
        headers = {k.lower(): v for k, v in h.headers.items()}
        # the upload URL takes the file's raw bytes (urllib labels them form-encoded)
        body = (
            {}
            if path.startswith("/upload/")
            else self._parse(raw, headers.get("content-type", ""), h.path)
        )
        if path.startswith("/api/"):
            method = path[len("/api/") :]
        elif path.startswith("/upload/"):
            method = "upload"
        elif path.startswith("/response/"):
            method = "response"
        else:
            method = "unknown"
        call = Call(method, path, headers, body, raw, time.perf_counter())
        with self._cond:
            self.calls.append(call)
            scripted = self._script[method].popleft() if self._script[method] else None
        status, payload, extra = self._answer(call, scripted)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        send_json(h, status, data, extra, "application/json; charset=utf-8")
        with self._cond:
            self._cond.notify_all()

    @staticmethod
    def _parse(raw: bytes, ctype: str, url: str) -> dict[str, Any]:
        body: dict[str, Any] = {}
        query = urlsplit(url).query
        if query:
            body.update({k: v[0] for k, v in parse_qs(query).items()})
        if "application/json" in ctype and raw:
            body.update(json.loads(raw))
        elif "application/x-www-form-urlencoded" in ctype and raw:
            body.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        for key in ("blocks", "files", "attachments", "prompts", "view", "metadata"):
            if isinstance(body.get(key), str):
                try:
                    body[key] = json.loads(body[key])
                except json.JSONDecodeError:
                    pass
        return body

    def _answer(
        self, call: Call, scripted: Scripted | None
    ) -> tuple[int, dict[str, Any] | bytes, dict[str, str]]:
        if scripted is not None:
            if scripted.status == 429:
                retry = str(scripted.retry_after if scripted.retry_after is not None else 1)
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": retry}
            if scripted.status != 200:
                return scripted.status, b"server error", {}
            return 200, {"ok": False, "error": scripted.error or "fatal_error"}, {}
        if call.method == "upload":
            self.uploads[call.path.rsplit("/", 1)[-1]] = call.raw
            return 200, b"OK - " + str(len(call.raw)).encode(), {}
        if call.method == "response":
            return 200, b"ok", {}
        auth = call.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() or str(call.body.get("token", ""))
        if call.method == "apps.connections.open":
            if token != APP_TOKEN:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            if not self.ws_url:
                return 200, {"ok": False, "error": "socket_mode_disabled"}, {}
            return 200, {"ok": True, "url": self.ws_url}, {}
        if token != BOT_TOKEN:
            return 200, {"ok": False, "error": "not_authed" if not token else "invalid_auth"}, {}
        impl = getattr(self, "_m_" + call.method.replace(".", "_"), None)
        if impl is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        return 200, impl(call.body), {}

    # ------------------------------------------------------------------ Web API methods

    def _m_auth_test(self, b: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://cx-example.slack.com/",
            "team": "CX Example",
            "user": "cxbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _m_chat_postMessage(self, b: dict[str, Any]) -> dict[str, Any]:
        channel = b.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not b.get("text") and not b.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        msg = {
            "type": "message",
            "ts": ts,
            "text": b.get("text"),
            "blocks": b.get("blocks"),
            "thread_ts": b.get("thread_ts"),
            "bot_id": BOT_ID,
            "user": BOT_USER_ID,
        }
        with self._lock:
            self.messages[channel].append(msg)
        return {"ok": True, "channel": channel, "ts": ts, "message": msg}

    def _m_chat_update(self, b: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            for msg in self.messages.get(b.get("channel", ""), []):
                if msg["ts"] == b.get("ts"):
                    msg["text"], msg["blocks"] = b.get("text"), b.get("blocks")
                    return {
                        "ok": True,
                        "channel": b["channel"],
                        "ts": msg["ts"],
                        "text": msg["text"],
                    }
        return {"ok": False, "error": "message_not_found"}

    def _m_chat_postEphemeral(self, b: dict[str, Any]) -> dict[str, Any]:
        if not b.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_reactions_add(self, b: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True} if b.get("name") and b.get("timestamp") else {"ok": False}

    def _m_reactions_remove(self, b: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True} if b.get("name") and b.get("timestamp") else {"ok": False}

    def _m_conversations_replies(self, b: dict[str, Any]) -> dict[str, Any]:
        ts = b.get("ts")
        with self._lock:
            thread = [
                m
                for m in self.messages.get(b.get("channel", ""), [])
                if m["ts"] == ts or m.get("thread_ts") == ts
            ]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        limit = int(b.get("limit") or 1000)
        return {"ok": True, "messages": thread[:limit], "has_more": len(thread) > limit}

    def _m_conversations_info(self, b: dict[str, Any]) -> dict[str, Any]:
        cid = str(b.get("channel") or "")
        if cid in self.channels:
            name = self.channels[cid]
            return {
                "ok": True,
                "channel": {"id": cid, "name": name, "is_channel": True, "is_member": True},
            }
        if cid.startswith("D"):
            return {"ok": True, "channel": {"id": cid, "is_im": True}}
        return {"ok": False, "error": "channel_not_found"}

    def _m_conversations_list(self, b: dict[str, Any]) -> dict[str, Any]:
        """Pages of `limit` channels; the cursor is the offset, as opaque as Slack's."""
        items = sorted(self.channels.items())
        start = int(b.get("cursor") or 0)
        limit = int(b.get("limit") or 100)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "ok": True,
            "channels": [{"id": c, "name": n, "is_channel": True} for c, n in page],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_conversations_open(self, b: dict[str, Any]) -> dict[str, Any]:
        users = str(b.get("users") or "")
        if not users or "," in users:
            return {"ok": False, "error": "users_list_not_supplied" if not users else "not_im"}
        return {"ok": True, "channel": {"id": self.dm_channel(users)}}

    def _assistant_thread(self, b: dict[str, Any]) -> dict[str, Any] | None:
        """The error Slack gives for a call about something that is not an assistant thread."""
        if not b.get("channel_id") or not b.get("thread_ts"):
            return {"ok": False, "error": "invalid_arguments"}
        if (b["channel_id"], b["thread_ts"]) not in self.assistant_threads:
            return {"ok": False, "error": "invalid_thread_ts"}
        return None

    def _m_assistant_threads_setStatus(self, b: dict[str, Any]) -> dict[str, Any]:
        if "status" not in b:
            return {"ok": False, "error": "invalid_arguments"}
        return self._assistant_thread(b) or {"ok": True}

    def _m_assistant_threads_setTitle(self, b: dict[str, Any]) -> dict[str, Any]:
        if not b.get("title"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._assistant_thread(b) or {"ok": True}

    def _m_assistant_threads_setSuggestedPrompts(self, b: dict[str, Any]) -> dict[str, Any]:
        prompts = b.get("prompts")
        if not isinstance(prompts, list) or not prompts or len(prompts) > self.MAX_PROMPTS:
            return {"ok": False, "error": "invalid_arguments"}
        if not all(isinstance(p, dict) and p.get("title") and p.get("message") for p in prompts):
            return {"ok": False, "error": "invalid_arguments"}
        return self._assistant_thread(b) or {"ok": True}

    def _m_views_publish(self, b: dict[str, Any]) -> dict[str, Any]:
        view = b.get("view")
        if not b.get("user_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        if view.get("type") != "home" or len(view.get("blocks") or []) > self.MAX_HOME_BLOCKS:
            return {"ok": False, "error": "invalid_arguments"}
        published = {**view, "id": f"V{next(_TS):08d}", "team_id": TEAM_ID}
        with self._lock:
            self.views[b["user_id"]] = published
        return {"ok": True, "view": published}

    def _m_usergroups_users_list(self, b: dict[str, Any]) -> dict[str, Any]:
        group = b.get("usergroup")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": self.usergroups[group]}

    def _m_files_getUploadURLExternal(self, b: dict[str, Any]) -> dict[str, Any]:
        if not b.get("filename") or not b.get("length"):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(_TS):08d}"
        self.files[file_id] = {"id": file_id, "name": b["filename"], "size": int(b["length"])}
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, b: dict[str, Any]) -> dict[str, Any]:
        files = b.get("files") or []
        out = []
        for f in files:
            if f.get("id") not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            info = self.files[f["id"]]
            info.update(title=f.get("title"), channels=[b.get("channel_id")])
            out.append(info)
        return {"ok": True, "files": out}

    def _m_files_info(self, b: dict[str, Any]) -> dict[str, Any]:
        info = self.files.get(b.get("file", ""))
        return {"ok": True, "file": info} if info else {"ok": False, "error": "file_not_found"}
