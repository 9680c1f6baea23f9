"""`cxbot serve`: Socket Mode when SLACK_APP_TOKEN is set (no public URL needed), else HTTP.

HTTP mode serves bolt's own WSGI adapter (signature check, Events API, interactivity and the
slash command, all on /slack/events) plus GET /healthz, on a threaded stdlib WSGI server: one
thread per request, so a slow client never holds up Slack's 3-second acks. The same WSGI app
(`wsgi_app`) can be put behind gunicorn when more is needed. In Socket Mode /healthz is served
on the same port too (so one container health check fits both modes).
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.ask.spelling import is_english
from bot.slack.app import CxBot
from bot.slack.reply import secret
from ingest.config import Settings
from ingest.errors import ConfigError

log = logging.getLogger("cxbot.serve")

EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000  # Slack payloads are a few KB; anything this big is not from Slack


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default backlog of 5 resets connections under a burst


class QuietHandler(WSGIRequestHandler):
    """Access lines go to the logger at debug level, not to stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s - %s", self.address_string(), format % args)


def check_tokens(settings: Settings, http: bool) -> bool:
    """Decide the mode and fail early, naming the missing variable. Returns True for HTTP."""
    if secret(settings.slack_bot_token) is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set.",
            "Copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page.",
        )
    use_http = http or secret(settings.slack_app_token) is None
    if use_http and secret(settings.slack_signing_secret) is None:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set (HTTP mode cannot verify requests without it).",
            "Copy it from the app's Basic Information page, or set SLACK_APP_TOKEN (xapp-...) "
            "to use Socket Mode instead.",
        )
    return use_http


def _json(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def wsgi_app(
    bot: CxBot | None, health: Callable[[], dict[str, Any]] | None = None
) -> Callable[..., Iterable[bytes]]:
    """/slack/events to bolt (when `bot` is given), GET /healthz, 404 elsewhere."""
    handler = SlackRequestHandler(bot.app, path=EVENTS_PATH) if bot is not None else None

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            info = health() if health else {"ok": True}
            return _json(start_response, "200 OK" if info.get("ok") else "503 Unavailable", info)
        if handler is not None and path == EVENTS_PATH and method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                return _json(start_response, "413 Payload Too Large", {"ok": False})
            return handler(environ, start_response)
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not found"})

    return app


def make_http_server(
    app: Callable[..., Iterable[bytes]], host: str, port: int
) -> ThreadingWSGIServer:
    return make_server(
        host, port, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )  # type: ignore[return-value]


def _stop_on_sigterm(stop: Callable[[], None]) -> None:
    """`docker stop` sends SIGTERM: stop serving instead of being killed mid-request."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=stop).start())


def socket_handler(bot: CxBot, app_token: str) -> Any:
    """slack-bolt's Socket Mode handler, answering each envelope once: Slack redelivers an
    envelope it saw no ack for (also to another replica's connection) with the same envelope
    id, and interactive actions and slash commands carry no event id, so the envelope id goes
    through the shared dedupe table too; a repeat is acked empty and dropped."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.socket_mode.response import SocketModeResponse

    class OncePerEnvelope(SocketModeHandler):
        def handle(self, client: Any, req: Any) -> None:  # type: ignore[override]
            if req.envelope_id and not bot.seen.first(f"envelope:{req.envelope_id}"):
                log.info("duplicate envelope %s dropped", req.envelope_id)
                client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
                return
            super().handle(client, req)

    return OncePerEnvelope(bot.app, app_token)


def run(settings: Settings, http: bool = False, host: str = "0.0.0.0", port: int = 3000) -> None:
    """Run the bot until stopped (Ctrl-C or SIGTERM)."""
    use_http = check_tokens(settings, http)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    bot = CxBot(settings)
    try:  # load the model and the in-memory corpus now, not on the first question
        bot.engine.embed_query("warm up")
        bot.engine.assigner.prototypes  # noqa: B018 - computed on first use
        bot.engine.corpus()
        is_english("warm")  # the spelling word list
    except Exception as exc:  # nothing indexed yet is fine: the bot says so when asked
        log.warning("not warmed up at start-up (model or index): %s", exc)
    from bot.digest.schedule import start_digest_scheduler

    digests = start_digest_scheduler(settings, bot.engine)  # None without CXBOT_DIGEST_CHANNELS
    from bot.slack.watch import start_watch_scheduler

    watches = start_watch_scheduler(settings, bot.watcher)  # alerts and scheduled questions
    if use_http:

        def http_health() -> dict[str, Any]:
            return {"ok": True, "mode": "http", "indexed": settings.generation().exists()}

        server = make_http_server(wsgi_app(bot, http_health), host, port)
        _stop_on_sigterm(server.shutdown)
        log.info("cxbot listening on http://%s:%s%s (and /healthz)", host, port, EVENTS_PATH)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            if digests is not None:
                digests.shutdown(wait=False)
            watches.shutdown(wait=False)
        return
    handler = socket_handler(bot, secret(settings.slack_app_token))

    def health() -> dict[str, Any]:
        connected = handler.client.is_connected()
        return {"ok": connected, "mode": "socket", "connected": connected}

    health_server = None
    try:
        health_server = make_http_server(wsgi_app(None, health), host, port)
        threading.Thread(target=health_server.serve_forever, daemon=True).start()
    except OSError as exc:
        log.warning("no /healthz on %s:%s: %s", host, port, exc)
    stopped = threading.Event()
    _stop_on_sigterm(stopped.set)
    log.info("cxbot connecting to Slack in Socket Mode")
    try:
        handler.connect()
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
        if health_server is not None:
            health_server.shutdown()
        if digests is not None:
            digests.shutdown(wait=False)
        watches.shutdown(wait=False)
