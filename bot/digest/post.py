"""Posting the digest: once per channel and period, however many processes try.

A ledger in its own SQLite file (data_dir/digest.sqlite; never the catalog, which an ingest
holds in a long write transaction) gets a claim row per (channel, period) *before* anything is
posted: the primary key makes the claim atomic across threads, restarts and replicas. The
message's ts is written as soon as Slack returns it and the row is marked done after the chart,
so a job that died halfway resumes where it stopped (the chart only) instead of posting again.
A claim left by a crashed process is taken over after `stale_s`.

Each Slack call is retried with tenacity: exponential backoff, or exactly the Retry-After a 429
asks for; only errors worth retrying are (rate limits, 5xx, refused connections). One failing
channel is logged and the others still get their digest.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import time
import urllib.error
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential

from bot.digest.build import Digest, build_digest, day_range, digest_blocks
from bot.digest.chart import chart_png
from bot.engine import Engine
from bot.slack.reply import api_error, make_client, upload_png
from ingest.config import Settings

log = logging.getLogger("cxbot.digest")

STALE_S = 15 * 60  # a claim older than this, not done, belongs to a process that died
ATTEMPTS = 5
BACKOFF_S = 2.0
MAX_BACKOFF_S = 120.0
RETRY_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}
T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS digest_posts (
    channel TEXT NOT NULL, period TEXT NOT NULL,
    status TEXT NOT NULL,            -- claimed | posted | done | failed
    owner TEXT NOT NULL, claimed_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 1,
    message_ts TEXT, file_id TEXT, error TEXT, updated_at REAL NOT NULL,
    PRIMARY KEY (channel, period));
"""


def ledger_path(settings: Settings) -> Path:
    return settings.data_dir / "digest.sqlite"


@dataclass
class Claim:
    channel: str
    period: str
    message_ts: str | None  # set when a previous attempt already posted the message


class Ledger:
    """Which digests went where. One short connection per call: safe across threads."""

    def __init__(self, path: Path, stale_s: float = STALE_S) -> None:
        self.path = path
        self.stale_s = stale_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def claim(self, channel: str, period: str) -> Claim | None:
        """The right to post (channel, period), or None when it is done or another live
        process holds it. BEGIN IMMEDIATE makes the read-then-take-over atomic."""
        now = time.time()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                cur = db.execute(
                    "INSERT OR IGNORE INTO digest_posts(channel, period, status, owner, "
                    "claimed_at, updated_at) VALUES (?, ?, 'claimed', ?, ?, ?)",
                    (channel, period, self.owner, now, now),
                )
                if cur.rowcount == 1:
                    db.execute("COMMIT")
                    return Claim(channel, period, None)
                status, claimed_at, ts = db.execute(
                    "SELECT status, claimed_at, message_ts FROM digest_posts "
                    "WHERE channel=? AND period=?",
                    (channel, period),
                ).fetchone()
                if status == "done" or (status != "failed" and now - claimed_at < self.stale_s):
                    db.execute("COMMIT")
                    return None
                db.execute(
                    "UPDATE digest_posts SET status=?, owner=?, claimed_at=?, updated_at=?, "
                    "attempts=attempts+1, error=NULL WHERE channel=? AND period=?",
                    ("posted" if ts else "claimed", self.owner, now, now, channel, period),
                )
                db.execute("COMMIT")
                return Claim(channel, period, ts)
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _set(self, claim: Claim, **values: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in values)
        with self._db() as db:
            db.execute(
                f"UPDATE digest_posts SET {cols}, updated_at=? "
                "WHERE channel=? AND period=? AND owner=?",
                (*values.values(), time.time(), claim.channel, claim.period, self.owner),
            )

    def posted(self, claim: Claim, ts: str) -> None:
        self._set(claim, status="posted", message_ts=ts)

    def done(self, claim: Claim, file_id: str | None) -> None:
        self._set(claim, status="done", file_id=file_id)

    def failed(self, claim: Claim, error: str) -> None:
        """Released for the next run (which resumes after the message when it was posted)."""
        self._set(claim, status="failed", error=error[:500])

    def status(self, channel: str, period: str) -> str | None:
        with self._db() as db:
            row = db.execute(
                "SELECT status FROM digest_posts WHERE channel=? AND period=?", (channel, period)
            ).fetchone()
        return row[0] if row else None

    def last_run(self, channel: str) -> float | None:
        """When a digest run last took up this channel (epoch seconds), or None: never."""
        with self._db() as db:
            row = db.execute(
                "SELECT MAX(claimed_at) FROM digest_posts WHERE channel=?", (channel,)
            ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def rows(self) -> list[dict[str, Any]]:
        with self._db() as db:
            cur = db.execute("SELECT * FROM digest_posts ORDER BY updated_at")
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


# ---------------------------------------------------------------------------- retries


def retry_after(exc: BaseException) -> float | None:
    """Seconds a 429 asks us to wait (Retry-After), if it says."""
    if not isinstance(exc, SlackApiError):
        return None
    headers = getattr(exc.response, "headers", None) or {}
    for key, value in headers.items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def transient(exc: BaseException) -> bool:
    """Worth another try: rate limits, Slack's 5xx, a refused or reset connection. Not
    `not_in_channel`, `invalid_auth` and the like: those need a person."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status == 429 or status >= 500 or api_error(exc) in RETRY_ERRORS
    if isinstance(exc, SlackRequestError):  # the upload URL refused the bytes
        return True
    return isinstance(exc, urllib.error.URLError | ConnectionError)


class Backoff:
    """tenacity wait: Retry-After when Slack sends one, else exponential backoff."""

    def __init__(self, first_s: float, max_s: float) -> None:
        self.exponential = wait_exponential(multiplier=first_s, max=max_s)
        self.max_s = max_s

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after(exc) if exc else None
        if asked is not None:
            return min(asked, self.max_s)
        return float(self.exponential(state))


def _log_retry(what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        why = api_error(exc) if isinstance(exc, SlackApiError) else repr(exc)
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s failed (%s), attempt %d; retrying in %.1fs", what, why, state.attempt_number, wait
        )

    return before_sleep


# ---------------------------------------------------------------------------- posting

Status = Literal["posted", "already posted", "busy", "failed"]


@dataclass
class Outcome:
    channel: str
    status: Status
    message_ts: str | None = None
    file_id: str | None = None
    error: str | None = None


def digest_client(settings: Settings) -> WebClient:
    """The bot's client (make_client) with retries left to tenacity here, so each retry is
    counted, paced by Retry-After and logged in one place. Connection retries stay."""
    client = make_client(settings)
    client.retry_handlers = [
        h for h in client.retry_handlers if isinstance(h, ConnectionErrorRetryHandler)
    ]
    return client


class DigestPoster:
    """Builds the digest once per run and posts it to each channel, at most once per period."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        client: WebClient | None = None,
        ledger: Ledger | None = None,
        attempts: int = ATTEMPTS,
        backoff_s: float = BACKOFF_S,
    ) -> None:
        self.settings = settings
        self.engine = engine or Engine(settings)
        self.client = client or digest_client(settings)
        self.ledger = ledger or Ledger(ledger_path(settings))
        self.attempts = attempts
        self.backoff_s = backoff_s

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=Backoff(self.backoff_s, MAX_BACKOFF_S),
            retry=retry_if_exception(transient),
            before_sleep=_log_retry(what),
            reraise=True,
        )
        return retrying(fn)

    def run(
        self,
        channels: list[str] | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[Outcome]:
        """Post to `channels` (default: the configured digest channels)."""
        targets = list(dict.fromkeys(channels or self.settings.digest_channels))
        if not targets:
            return []
        digest = build_digest(self.engine, since, until)
        blocks, text = digest_blocks(digest)
        png = chart_png(digest)
        outcomes = []
        for channel in targets:
            try:
                outcome = self.post(channel, digest, blocks, text, png)
            except Exception as exc:  # noqa: BLE001 - one channel must not stop the others
                log.exception("digest for %s in %s: unexpected failure", digest.period.key, channel)
                outcome = Outcome(channel, "failed", error=repr(exc))
            outcomes.append(outcome)
        return outcomes

    def post(
        self,
        channel: str,
        digest: Digest,
        blocks: list[dict[str, Any]],
        text: str,
        png: bytes | None,
    ) -> Outcome:
        period = digest.period.key
        claim = self.ledger.claim(channel, period)
        if claim is None:
            if self.ledger.status(channel, period) == "done":
                log.info("digest for %s already posted in %s", period, channel)
                return Outcome(channel, "already posted")
            log.info("digest for %s in %s is being posted by another process", period, channel)
            return Outcome(channel, "busy")
        ts = claim.message_ts
        try:
            if ts is None:
                resp = self._call(
                    f"chat.postMessage to {channel}",
                    lambda: self.client.chat_postMessage(
                        channel=channel,
                        text=text,
                        blocks=blocks,
                        unfurl_links=False,
                        unfurl_media=False,
                    ),
                )
                ts = str(resp["ts"])
                self.ledger.posted(claim, ts)
            else:
                log.info("digest message already in %s (ts %s); adding the chart", channel, ts)
            file_id = self._chart(channel, ts, digest, png) if png else None
        except Exception as exc:
            error = api_error(exc) if isinstance(exc, SlackApiError) else repr(exc)
            log.error("digest for %s not delivered to %s: %s", period, channel, error)
            self.ledger.failed(claim, error)
            return Outcome(channel, "failed", message_ts=ts, error=error)
        self.ledger.done(claim, file_id)
        log.info("digest for %s posted to %s (ts %s)", period, channel, ts)
        return Outcome(channel, "posted", message_ts=ts, file_id=file_id)

    def _chart(self, channel: str, ts: str, digest: Digest, png: bytes) -> str | None:
        """The chart in the digest's thread (the three-step upload, `upload_png`)."""
        p = digest.period
        return self._call(
            f"chart upload to {channel}",
            lambda: upload_png(
                self.client,
                channel,
                ts,
                png,
                filename=f"cx-digest-{p.since}-{p.until}.png",
                title=f"Complaints by theme, {day_range(p.since, p.until)} vs previous period",
                alt_txt="Bar chart: share of verbatims complaining about each theme, "
                "this period against the previous one.",
            ),
        )
