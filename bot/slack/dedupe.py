"""Answer each Slack delivery once, across retries and replicas.

Insert-on-arrival into `slack_events` (the `slack` store: slack.sqlite, or the
CXBOT_DATABASE_URL database every replica shares), keyed by event id (a retried delivery) or
by channel and message ts (one message seen as a mention and as a DM): the first insert
answers, a duplicate is acked and dropped. When the database cannot be reached, this process
falls back to its own memory (a duplicate delivered to another replica may then be answered
twice) rather than answering nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import OrderedDict

import sqlalchemy as sa

from bot.state import slack_events
from ingest.db import Database
from ingest.errors import DatabaseError

log = logging.getLogger("cxbot.slack")

TTL_S = 3600.0  # Slack retries within minutes; a key is kept an hour
PRUNE_EVERY_S = 600.0


class Recent:
    """Keys seen in the last `ttl_s` seconds in this process (bounded)."""

    def __init__(self, ttl_s: float = TTL_S, max_items: int = 50_000) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._seen and (
                len(self._seen) >= self.max_items
                or now - next(iter(self._seen.values())) > self.ttl_s
            ):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


class Deduper:
    """`first(key)`: True for the first delivery of ``key`` anywhere, False for a repeat."""

    def __init__(self, db: Database, ttl_s: float = TTL_S) -> None:
        self.db = db
        self.ttl_s = ttl_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.local = Recent(ttl_s)
        self._pruned = 0.0

    def first(self, key: str) -> bool:
        now = time.time()
        try:
            with self.db.begin() as conn:
                if now - self._pruned > PRUNE_EVERY_S:
                    self._pruned = now
                    conn.execute(
                        sa.delete(slack_events).where(slack_events.c.at < now - self.ttl_s)
                    )
                cur = conn.execute(
                    self.db.insert(slack_events)
                    .values(key=key, at=now, owner=self.owner)
                    .on_conflict_do_nothing(index_elements=["key"])
                    .returning(slack_events.c.key)  # a row back: ours (rowcount is -1 on psycopg)
                )
                first = cur.first() is not None
        except DatabaseError as exc:
            log.warning("event dedupe falls back to this process's memory: %s", exc)
            return self.local.first(key)
        self.local.first(key)  # remembered here too, for the fallback
        return first
