"""Talking back to Slack: a WebClient that honours rate limits, one place that knows where a
reply goes (thread, channel, or the command's response_url when the bot may not post there),
and the guard that turns any failure into one clear message instead of a traceback."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.slack import blocks as bk
from ingest.config import Settings
from ingest.errors import ConfigError, CxbotError

log = logging.getLogger("cxbot.slack")

# chat.postMessage errors after which the reply goes through the command's response_url
FALLBACK_ERRORS = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


def secret(value: SecretStr | None) -> str | None:
    """A token's value, or None when unset or empty (docker compose passes unset as "")."""
    raw = value.get_secret_value().strip() if value is not None else ""
    return raw or None


def make_client(settings: Settings) -> WebClient:
    """A WebClient that honours Retry-After on 429 and retries connection and 5xx errors."""
    token = secret(settings.slack_bot_token)
    if token is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set.",
            "Copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page.",
        )
    base_url = settings.slack_api_url or WebClient.BASE_URL
    if settings.production and not base_url.startswith("https://"):
        raise ConfigError(
            f"CXBOT_SLACK_API_URL is {base_url}: in production the bot token only goes over HTTPS.",
            "Unset CXBOT_SLACK_API_URL (it is for tests) or use an https:// URL.",
        )
    client = WebClient(token=token, base_url=base_url, timeout=15)
    client.retry_handlers.extend(
        [RateLimitErrorRetryHandler(max_retry_count=2), ServerErrorRetryHandler(max_retry_count=2)]
    )
    if not any(isinstance(h, ConnectionErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(ConnectionErrorRetryHandler())
    return client


def upload_png(
    client: WebClient,
    channel: str,
    thread_ts: str | None,
    png: bytes,
    filename: str,
    title: str,
    alt_txt: str,
) -> str | None:
    """A PNG into a thread (or the channel): files.getUploadURLExternal -> POST the bytes ->
    files.completeUploadExternal (slack_sdk's files_upload_v2 runs the three steps). The
    file's id, when Slack says."""
    resp = client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        file=png,
        filename=filename,
        title=title,
        alt_txt=alt_txt,
        request_file_info=False,
    )
    file = resp.get("file") or {}
    return file.get("id")


def api_error(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error") or exc.response.status_code)
    except Exception:  # a response without JSON
        return str(exc)


class Reply:
    """Where a reply goes: a thread (or a channel) via the Web API, falling back to the command's
    or action's response_url when the bot may not post there (e.g. not invited)."""

    def __init__(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str | None = None,
        respond: Callable[..., Any] | None = None,
        user: str | None = None,
    ) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.respond = respond
        self.user = user
        self.placeholder: str | None = None

    def _send(self, text: str, blocks: list[dict[str, Any]] | None) -> str:
        resp = self.client.chat_postMessage(
            channel=self.channel,
            thread_ts=self.thread_ts,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(resp["ts"])

    def post(self, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None:
        """A new message; its ts, or None when it went through response_url."""
        try:
            return self._send(text, blocks)
        except SlackApiError as exc:
            if self.respond is not None and api_error(exc) in FALLBACK_ERRORS:
                self.respond(text=text, blocks=blocks, response_type="in_channel")
                return None
            raise

    def update(self, ts: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        self.client.chat_update(channel=self.channel, ts=ts, text=text, blocks=blocks or [])

    def start(self, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None:
        """The placeholder the answer replaces; shown only to the user if the bot cannot post
        here, and skipped (the answer is then posted) if Slack refuses it for another reason."""
        self.placeholder = None
        try:
            self.placeholder = self._send(text, blocks)
        except SlackApiError as exc:
            err = api_error(exc)
            log.warning("placeholder not posted in %s: %s", self.channel, err)
            if self.respond is not None and err in FALLBACK_ERRORS:
                self.respond(text=text, blocks=blocks, response_type="ephemeral")
        return self.placeholder

    def finish(self, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None:
        """Replace the placeholder in place, or post when there is none (or it is gone)."""
        if self.placeholder:
            try:
                self.update(self.placeholder, text, blocks)
                return self.placeholder
            except SlackApiError as exc:
                log.warning("chat.update failed (%s); posting instead", api_error(exc))
                self.thread_ts = self.thread_ts or self.placeholder
        try:
            return self.post(text, blocks)
        except SlackApiError as exc:
            ref = secrets.token_hex(4)
            log.error(
                "could not deliver a reply in %s: %s (ref %s)", self.channel, api_error(exc), ref
            )
            if self.respond is not None:
                self.respond(text=text, blocks=blocks, response_type="ephemeral")
            else:  # say so where only the asker sees it, with the reference in the log
                self.ephemeral(
                    f":warning: Slack refused my answer here ({api_error(exc)}; ref {ref})."
                )
            return None

    def ephemeral(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Only the user sees it: via response_url when there is one, else chat.postEphemeral."""
        blocks = blocks if blocks is not None else bk.message_blocks(text)
        if self.respond is not None:
            self.respond(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
            return
        if self.user is None:
            log.warning("an ephemeral reply in %s had no user to go to: %s", self.channel, text)
            return
        try:
            self.client.chat_postEphemeral(
                channel=self.channel,
                user=self.user,
                text=text,
                blocks=blocks,
                thread_ts=self.thread_ts,
            )
        except SlackApiError as exc:
            log.warning("chat.postEphemeral failed in %s: %s", self.channel, api_error(exc))

    def error(self, message: str) -> None:
        """A failure in one line; `message` is plain text (escaped here)."""
        text = f":warning: {bk.escape(message)}"
        short = bk.trim(text, bk.MAX_FALLBACK)
        if self.placeholder:
            self.finish(short, bk.message_blocks(text))
        else:
            self.ephemeral(short, bk.message_blocks(text))


@contextmanager
def guarded(reply: Reply, what: str) -> Iterator[None]:
    """Library errors become their own message; anything else a short apology with a reference
    to the server log. A Slack user never sees a traceback."""
    try:
        yield
    except CxbotError as exc:
        reply.error(str(exc))
    except Exception:
        ref = secrets.token_hex(4)
        log.exception("%s failed (ref %s)", what, ref)
        try:
            reply.error(
                f"Sorry, something went wrong while {what} (ref {ref}; details are logged)."
            )
        except Exception:
            log.exception("could not report error ref %s", ref)
