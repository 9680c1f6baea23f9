"""Posting the digest: once per channel and period, however many processes try.

A ledger (data_dir/digest.sqlite, never the catalog, which an ingest holds in a long write
transaction; or the CXBOT_DATABASE_URL database replicas share) gets a claim row per (channel,
period) *before* anything is posted: the primary key makes the claim atomic across threads,
restarts and replicas. The message's ts is written as soon as Slack returns it and the row is
marked done after the chart, so a job that died halfway resumes where it stopped (the chart
only) instead of posting again. A claim left by a crashed process is taken over after
`stale_s`.

Each Slack call is retried with tenacity: exponential backoff, or exactly the Retry-After a 429
asks for; only errors worth retrying are (rate limits, 5xx, refused connections). One failing
channel is logged and the others still get their digest.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import urllib.error
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential

from bot.digest.build import Digest, build_digest, day_range, digest_blocks
from bot.digest.chart import chart_png
from bot.engine import Engine
from bot.slack.reply import api_error, make_client, upload_png
from bot.state import LEDGERS, sqlite_store, state_db
from ingest.config import Settings
from ingest.db import Database

log = logging.getLogger("cxbot.digest")

STALE_S = 15 * 60  # a claim older than this, not done, belongs to a process that died
ATTEMPTS = 5
BACKOFF_S = 2.0
MAX_BACKOFF_S = 120.0
RETRY_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}
T = TypeVar("T")


@dataclass
class Claim:
    channel: str
    period: str
    message_ts: str | None  # set when a previous attempt already posted the message


class Ledger:
    """Which digests (or alerts: ``ledger="alerts"``) went where; safe across threads and
    processes. ``db``: a Database, or the path of its SQLite file."""

    def __init__(
        self, db: Database | Path, stale_s: float = STALE_S, ledger: str = "digest"
    ) -> None:
        self.db = sqlite_store(db, ledger) if isinstance(db, Path) else db
        self.table = LEDGERS[ledger]
        self.stale_s = stale_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        with self.db.begin():
            pass  # schema created (or refused) now

    def _key(self, channel: str, period: str) -> Any:
        c = self.table.c
        return sa.and_(c.channel == channel, c.period == period)

    def claim(self, channel: str, period: str) -> Claim | None:
        """The right to post (channel, period), or None when it is done or another live
        process holds it. Insert-or-nothing, then a take-over that only one UPDATE can win
        (its WHERE re-checks the row): atomic on SQLite and PostgreSQL alike."""
        now = time.time()
        c = self.table.c
        with self.db.begin(immediate=True) as db:
            cur = db.execute(
                self.db.insert(self.table)
                .values(
                    channel=channel,
                    period=period,
                    status="claimed",
                    owner=self.owner,
                    claimed_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["channel", "period"])
                .returning(c.channel)  # a row back: ours (rowcount is -1 on psycopg)
            )
            if cur.first() is not None:
                return Claim(channel, period, None)
            took = db.execute(
                sa.update(self.table)
                .where(
                    self._key(channel, period),
                    c.status != "done",
                    sa.or_(c.status == "failed", c.claimed_at <= now - self.stale_s),
                )
                .values(
                    status=sa.case((c.message_ts.is_not(None), "posted"), else_="claimed"),
                    owner=self.owner,
                    claimed_at=now,
                    updated_at=now,
                    attempts=c.attempts + 1,
                    error=None,
                )
                .returning(c.message_ts)
            ).first()
        return None if took is None else Claim(channel, period, took.message_ts)

    def _set(self, claim: Claim, **values: Any) -> None:
        with self.db.begin() as db:
            db.execute(
                sa.update(self.table)
                .where(self._key(claim.channel, claim.period), self.table.c.owner == self.owner)
                .values(**values, updated_at=time.time())
            )

    def posted(self, claim: Claim, ts: str) -> None:
        self._set(claim, status="posted", message_ts=ts)

    def done(self, claim: Claim, file_id: str | None) -> None:
        self._set(claim, status="done", file_id=file_id)

    def failed(self, claim: Claim, error: str) -> None:
        """Released for the next run (which resumes after the message when it was posted)."""
        self._set(claim, status="failed", error=error[:500])

    def status(self, channel: str, period: str) -> str | None:
        with self.db.begin() as db:
            row = db.execute(
                sa.select(self.table.c.status).where(self._key(channel, period))
            ).first()
        return row[0] if row else None

    def last_run(self, channel: str) -> float | None:
        """When a digest run last took up this channel (epoch seconds), or None: never."""
        c = self.table.c
        with self.db.begin() as db:
            row = db.execute(
                sa.select(sa.func.max(c.claimed_at)).where(c.channel == channel)
            ).first()
        return float(row[0]) if row and row[0] is not None else None

    def rows(self) -> list[dict[str, Any]]:
        with self.db.begin() as db:
            rows = db.execute(sa.select(self.table).order_by(self.table.c.updated_at)).all()
        return [dict(r._mapping) for r in rows]


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
        self.ledger = ledger or Ledger(state_db(settings, "digest"))
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
