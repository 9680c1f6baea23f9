"""Answers shown in Slack, each thread's context and thumbs up/down, in SQLite in the data dir.

Feedback is only useful for evaluation with the question and the exact answer it judged, so
every answer is stored with its citations; the same rows let "More evidence" and thread
follow-ups keep working after a restart. Export: `python -m bot.feedback export [--out F]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Any

from bot.filters import Filters

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY, created TEXT NOT NULL, channel TEXT, thread_ts TEXT, user TEXT,
    question TEXT NOT NULL, answer_json TEXT NOT NULL, shown INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL, user TEXT NOT NULL, vote INTEGER NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user));
CREATE TABLE IF NOT EXISTS threads (
    channel TEXT NOT NULL, thread_ts TEXT NOT NULL, filters_json TEXT NOT NULL,
    updated TEXT NOT NULL, PRIMARY KEY (channel, thread_ts));
CREATE TABLE IF NOT EXISTS assistant_threads (
    channel TEXT NOT NULL, thread_ts TEXT NOT NULL, user TEXT, context_json TEXT NOT NULL,
    titled INTEGER NOT NULL DEFAULT 0, updated TEXT NOT NULL, PRIMARY KEY (channel, thread_ts));
CREATE TABLE IF NOT EXISTS home_users (
    user TEXT PRIMARY KEY, opened TEXT NOT NULL);
"""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def filters_to_json(f: Filters) -> str:
    return json.dumps(
        {
            "segments": f.segments,
            "since": f.since.isoformat() if f.since else None,
            "until": f.until.isoformat() if f.until else None,
            "sources": f.sources,
            "time_phrase": f.time_phrase,
            "intent": f.intent,
        }
    )


def context_filters(d: dict[str, Any]) -> Filters:
    """The part of an answer's filters a follow-up inherits: segments, dates, sources, and
    the shape of answer (a follow-up with no shape of its own keeps it)."""

    def day(v: Any) -> date | None:
        return date.fromisoformat(v) if v else None

    return Filters(
        segments={k: list(v) for k, v in (d.get("segments") or {}).items() if k != "(unknown)"},
        since=day(d.get("since")),
        until=day(d.get("until")),
        sources=list(d.get("sources") or []),
        time_phrase=d.get("time_phrase"),
        intent=d.get("intent"),
    )


@contextmanager
def short_connection(path: Path) -> Iterator[sqlite3.Connection]:
    """One short connection per call, committed on success: the Slack stores' pattern, so
    several threads (and processes sharing the data dir) never hold SQLite open."""
    db = sqlite3.connect(path, timeout=10)
    db.row_factory = sqlite3.Row
    try:
        with db:
            yield db
    finally:
        db.close()


class FeedbackStore:
    """Thread-safe: one short connection per call, WAL, and a lock around writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._threads: dict[tuple[str, str], Filters] = {}
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _db(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return short_connection(self.path)

    def save_answer(
        self,
        answer: dict[str, Any],
        channel: str | None,
        thread_ts: str | None,
        user: str | None,
        shown: int,
    ) -> str:
        answer_id = uuid.uuid4().hex[:16]
        with self._lock, self._db() as db:
            db.execute(
                "INSERT INTO answers VALUES (?,?,?,?,?,?,?,?)",
                (
                    answer_id,
                    now_iso(),
                    channel,
                    thread_ts,
                    user,
                    answer.get("question", ""),
                    json.dumps(answer, ensure_ascii=False, default=str),
                    shown,
                ),
            )
        return answer_id

    def answer(self, answer_id: str) -> dict[str, Any] | None:
        """The stored answer dict plus `shown` (citations displayed so far)."""
        with self._db() as db:
            row = db.execute("SELECT * FROM answers WHERE id=?", (answer_id,)).fetchone()
        if row is None:
            return None
        d = json.loads(row["answer_json"])
        d["shown"] = row["shown"]
        d["channel"], d["thread_ts"], d["user"] = row["channel"], row["thread_ts"], row["user"]
        return d

    def update_answer(self, answer_id: str, answer: dict[str, Any], shown: int) -> None:
        keep = {k: v for k, v in answer.items() if k not in ("shown", "channel", "thread_ts")}
        with self._lock, self._db() as db:
            db.execute(
                "UPDATE answers SET answer_json=?, shown=? WHERE id=?",
                (json.dumps(keep, ensure_ascii=False, default=str), shown, answer_id),
            )

    def vote(self, answer_id: str, user: str, vote: int) -> bool:
        """Record (or change) a user's vote; False when the answer is unknown."""
        with self._lock, self._db() as db:
            if db.execute("SELECT 1 FROM answers WHERE id=?", (answer_id,)).fetchone() is None:
                return False
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?,?,?,?)",
                (answer_id, user, 1 if vote > 0 else -1, now_iso()),
            )
        return True

    def set_thread(self, channel: str, thread_ts: str, filters: Filters) -> None:
        with self._lock:
            self._threads[(channel, thread_ts)] = filters
            with self._db() as db:
                db.execute(
                    "INSERT OR REPLACE INTO threads VALUES (?,?,?,?)",
                    (channel, thread_ts, filters_to_json(filters), now_iso()),
                )

    def thread(self, channel: str, thread_ts: str) -> Filters | None:
        """The filters a follow-up in this thread inherits, from memory or the data dir."""
        hit = self._threads.get((channel, thread_ts))
        if hit is not None:
            return hit
        with self._db() as db:
            row = db.execute(
                "SELECT filters_json FROM threads WHERE channel=? AND thread_ts=?",
                (channel, thread_ts),
            ).fetchone()
        if row is None:
            return None
        f = context_filters(json.loads(row["filters_json"]))
        self._threads[(channel, thread_ts)] = f
        return f

    # ---------------------------------------------------------------- assistant panel

    def set_assistant_context(
        self, channel: str, thread_ts: str, context: dict[str, Any], user: str | None = None
    ) -> None:
        """The channel the user is viewing (assistant_thread_started / _context_changed)."""
        with self._lock, self._db() as db:
            db.execute(
                "INSERT INTO assistant_threads(channel, thread_ts, user, context_json, updated) "
                "VALUES (?,?,?,?,?) ON CONFLICT(channel, thread_ts) DO UPDATE SET "
                "context_json=excluded.context_json, updated=excluded.updated, "
                "user=COALESCE(excluded.user, assistant_threads.user)",
                (channel, thread_ts, user, json.dumps(context), now_iso()),
            )

    def assistant_context(self, channel: str, thread_ts: str) -> dict[str, Any] | None:
        with self._db() as db:
            row = db.execute(
                "SELECT context_json FROM assistant_threads WHERE channel=? AND thread_ts=?",
                (channel, thread_ts),
            ).fetchone()
        return json.loads(row["context_json"]) if row else None

    def first_title(self, channel: str, thread_ts: str) -> bool:
        """True once per assistant thread: its first question becomes its title."""
        with self._lock, self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO assistant_threads(channel, thread_ts, context_json, "
                "updated) VALUES (?,?,?,?)",
                (channel, thread_ts, "{}", now_iso()),
            )
            cur = db.execute(
                "UPDATE assistant_threads SET titled=1 WHERE channel=? AND thread_ts=? "
                "AND titled=0",
                (channel, thread_ts),
            )
            return cur.rowcount == 1

    # ---------------------------------------------------------------- App Home

    def home_opened(self, user: str) -> None:
        with self._lock, self._db() as db:
            db.execute("INSERT OR REPLACE INTO home_users VALUES (?,?)", (user, now_iso()))

    def home_users(self, since_iso: str, limit: int = 500) -> list[str]:
        """Who opened the Home tab since then, most recent first (refreshed after a re-index)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT user FROM home_users WHERE opened >= ? ORDER BY opened DESC LIMIT ?",
                (since_iso, limit),
            ).fetchall()
        return [r["user"] for r in rows]

    def votes(self) -> list[dict[str, Any]]:
        with self._db() as db:
            return [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY at")]

    def export(self, out: IO[str]) -> int:
        """One JSON line per vote, with the question, answer text and citations judged."""
        n = 0
        with self._db() as db:
            rows = db.execute(
                "SELECT f.answer_id, f.user, f.vote, f.at, a.created, a.channel, a.question, "
                "a.answer_json FROM feedback f JOIN answers a ON a.id = f.answer_id "
                "ORDER BY f.at"
            ).fetchall()
        for r in rows:
            a = json.loads(r["answer_json"])
            out.write(
                json.dumps(
                    {
                        "answer_id": r["answer_id"],
                        "vote": "up" if r["vote"] > 0 else "down",
                        "user": r["user"],
                        "voted_at": r["at"],
                        "asked_at": r["created"],
                        "channel": r["channel"],
                        "question": r["question"],
                        "answer": a.get("answer"),
                        "citations": a.get("citations", []),
                        "filters": a.get("filters"),
                        "enough_evidence": a.get("enough_evidence"),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            n += 1
        return n


def store_path(data_dir: Path) -> Path:
    return data_dir / "slack.sqlite"


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.feedback export [--out FILE]`: feedback as JSONL for evaluation."""
    from ingest.config import Settings

    p = argparse.ArgumentParser(prog="python -m bot.feedback")
    p.add_argument("command", choices=["export"])
    p.add_argument("--out", type=Path, help="write here instead of stdout")
    p.add_argument("--data-dir", type=Path, help="default: CXBOT_DATA_DIR")
    args = p.parse_args(argv)
    path = store_path(args.data_dir or Settings().data_dir)
    if not path.exists():
        print(f"No Slack feedback recorded yet ({path} does not exist).", file=sys.stderr)
        return 1
    store = FeedbackStore(path)
    if args.out:
        with args.out.open("w", encoding="utf-8") as fh:
            n = store.export(fh)
        print(f"Wrote {n} feedback row(s) to {args.out}.", file=sys.stderr)
    else:
        n = store.export(sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
