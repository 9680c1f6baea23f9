"""A local OpenAI-compatible server over real HTTP, scripted per test.

It speaks the wire format the openai client (and so langchain-openai) expects: POST
/v1/chat/completions with a chat.completion body including usage tokens, errors as
{"error": {...}} with the real status codes and headers (Retry-After). POST /v1/embeddings
answers with a hashed bag-of-words vector per text (texts sharing words are close), as floats or
base64 as asked. A chat request whose response_format is the json_schema "structured_query"
(the question read into a query) is served from its own script (`push_query`, `always_query`),
so a test scripts the query and the synthesis apart. Every request is recorded, so tests can
read what the bot really sent.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from tests.fakes.http import send_json

EMBED_DIM = 64


@dataclass
class Reply:
    """One scripted response. `content` is the assistant message; `body` overrides the JSON."""

    status: int = 200
    content: str | None = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    body: bytes | None = None
    prompt_tokens: int = 812
    completion_tokens: int = 143


def ok(payload: dict[str, Any] | str, **kw: Any) -> Reply:
    """A 200 whose message content is this JSON object (or this raw string)."""
    content = payload if isinstance(payload, str) else json.dumps(payload)
    return Reply(content=content, **kw)


def claims(*items: tuple[str, list[int]]) -> Reply:
    """A 200 carrying {"claims": [{"text": ..., "citations": [...]}, ...]}."""
    return ok({"claims": [{"text": t, "citations": c} for t, c in items]})


def structured(**query: Any) -> Reply:
    """A 200 carrying a structured query; unset fields take the schema's empty values."""
    base: dict[str, Any] = {
        "intent": "general",
        "themes": [],
        "segments": [],
        "since": None,
        "until": None,
        "compare": None,
        "rank_by": None,
        "top_n": None,
        "score": False,
    }
    return ok({**base, **query})


def error(status: int, message: str = "error", headers: dict[str, str] | None = None) -> Reply:
    kind = {429: "rate_limit_exceeded", 500: "server_error", 503: "server_error"}
    body = {"error": {"message": message, "type": kind.get(status, "invalid_request_error")}}
    return Reply(status=status, body=json.dumps(body).encode(), headers=headers or {})


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    at: float

    @property
    def prompt(self) -> str:
        """All message contents, as the model would read them."""
        msgs = (self.body or {}).get("messages", [])
        return "\n".join(str(m.get("content", "")) for m in msgs)

    @property
    def raw(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)

    @property
    def is_query(self) -> bool:
        """A request for the structured query (json_schema "structured_query")."""
        fmt = (self.body or {}).get("response_format") or {}
        return (
            fmt.get("type") == "json_schema"
            and (fmt.get("json_schema") or {}).get("name") == "structured_query"
        )


class FakeOpenAI:
    """Start with `with FakeOpenAI() as fake:`; script with push() or always()."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._script: deque[Reply | Callable[[Request], Reply]] = deque()
        self._default: Reply | Callable[[Request], Reply] = error(500, "nothing scripted")
        self._query_script: deque[Reply | Callable[[Request], Reply]] = deque()
        self._query_default: Reply | Callable[[Request], Reply] = error(500, "nothing scripted")
        self._stop = threading.Event()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.embedding_error: Reply | None = None  # set: /embeddings answers with it
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def push(self, *replies: Reply | Callable[[Request], Reply]) -> FakeOpenAI:
        """Replies served in order, one per request; then the default."""
        self._script.extend(replies)
        return self

    def always(self, reply: Reply | Callable[[Request], Reply]) -> FakeOpenAI:
        self._default = reply
        return self

    def push_query(self, *replies: Reply | Callable[[Request], Reply]) -> FakeOpenAI:
        """Replies to structured-query requests, in order; then the query default."""
        self._query_script.extend(replies)
        return self

    def always_query(self, reply: Reply | Callable[[Request], Reply]) -> FakeOpenAI:
        self._query_default = reply
        return self

    def reset(self) -> None:
        """Forget requests and script: one server can serve a whole test module."""
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self._default = error(500, "nothing scripted")
            self._query_script.clear()
            self._query_default = error(500, "nothing scripted")

    @property
    def embedding_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/embeddings")]

    @property
    def chat_requests(self) -> list[Request]:
        """Chat requests other than structured-query ones (the answer's synthesis)."""
        return [r for r in self.requests if r.path.endswith("/chat/completions") and not r.is_query]

    @property
    def query_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/chat/completions") and r.is_query]

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # wakes handlers that are "thinking" so shutdown is quick
        self._server.shutdown()
        self._server.server_close()

    def _next(self, req: Request) -> Reply:
        with self._lock:
            if req.is_query:
                q = self._query_script
                item = q.popleft() if q else self._query_default
            else:
                item = self._script.popleft() if self._script else self._default
        return item(req) if callable(item) else item

    def _completion(self, req: Request, reply: Reply) -> bytes:
        body = {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": (req.body or {}).get("model", "fake"),
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            },
        }
        return json.dumps(body).encode()

    def _embeddings(self, req: Request) -> tuple[int, bytes]:
        body = req.body or {}
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return 400, error(400, "this server takes text input, not token ids").body or b""
        data = []
        for i, text in enumerate(texts):
            vec = embed_text(text)
            if body.get("encoding_format") == "base64":
                emb: Any = base64.b64encode(vec.astype("<f4").tobytes()).decode()
            else:
                emb = vec.tolist()
            data.append({"object": "embedding", "index": i, "embedding": emb})
        n = sum(len(t.split()) for t in texts)
        out = {
            "object": "list",
            "data": data,
            "model": body.get("model", "fake"),
            "usage": {"prompt_tokens": n, "total_tokens": n},
        }
        return 200, json.dumps(out).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _record(self) -> Request:
                n = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(n) if n else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                req = Request(
                    self.command, self.path, dict(self.headers.items()), body, time.monotonic()
                )
                fake.requests.append(req)
                return req

            def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                send_json(self, status, data, headers)

            def do_GET(self) -> None:  # noqa: N802
                self._record()
                if self.path.rstrip("/").endswith("/models"):
                    data = {"object": "list", "data": [{"id": "fake", "object": "model"}]}
                    self._send(200, json.dumps(data).encode(), {})
                else:
                    self._send(404, b'{"error": {"message": "not found"}}', {})

            def do_POST(self) -> None:  # noqa: N802
                req = self._record()
                if self.path.rstrip("/").endswith("/embeddings"):
                    if fake.embedding_error is not None:
                        err = fake.embedding_error
                        self._send(err.status, err.body or b"{}", err.headers)
                        return
                    self._send(*fake._embeddings(req), {})
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, b'{"error": {"message": "not found"}}', {})
                    return
                reply = fake._next(req)
                if reply.delay_s and fake._stop.wait(reply.delay_s):
                    return
                data = reply.body if reply.body is not None else fake._completion(req, reply)
                self._send(reply.status, data, reply.headers)

        return Handler


def embed_text(text: str) -> np.ndarray:
    """Words hashed into EMBED_DIM buckets, unit length: a crude but honest similarity."""
    vec = np.zeros(EMBED_DIM, dtype=np.float32)
    for word in re.findall(r"[a-z]{3,}", text.lower()):
        vec[zlib.crc32(word.encode()) % EMBED_DIM] += 1.0
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm else vec + 1.0 / np.sqrt(EMBED_DIM)
