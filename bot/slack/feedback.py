"""Answers shown in Slack, each thread's context and thumbs up/down: slack.sqlite in the data
dir, or the CXBOT_DATABASE_URL database that several bot replicas share.

Feedback is only useful for evaluation with the question and the exact answer it judged, so
every answer is stored with its citations; the same rows let "More evidence" and thread
follow-ups keep working after a restart. Export: `python -m bot.feedback export [--out F]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from bot import state as t
from bot.filters import Filters
from bot.state import sqlite_store, state_db
from ingest.db import Database


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


class FeedbackStore:
    """Answers, thread context, votes, assistant threads and Home visitors: the `slack` store
    (slack.sqlite, or CXBOT_DATABASE_URL). Thread-safe: each call is one short transaction."""

    def __init__(self, db: Database | Path) -> None:
        self.db = sqlite_store(db, "slack") if isinstance(db, Path) else db
        self._threads: dict[tuple[str, str], Filters] = {}
        # another replica may change a thread's context: only a store of our own is cached
        self._cache = not self.db.shared
        with self.db.begin():
            pass  # schema created (or refused) now, not on the first question

    def save_answer(
        self,
        answer: dict[str, Any],
        channel: str | None,
        thread_ts: str | None,
        user: str | None,
        shown: int,
    ) -> str:
        answer_id = uuid.uuid4().hex[:16]
        with self.db.begin() as db:
            db.execute(
                sa.insert(t.answers).values(
                    id=answer_id,
                    created=now_iso(),
                    channel=channel,
                    thread_ts=thread_ts,
                    user=user,
                    question=answer.get("question", ""),
                    answer_json=json.dumps(answer, ensure_ascii=False, default=str),
                    shown=shown,
                )
            )
        return answer_id

    def answer(self, answer_id: str) -> dict[str, Any] | None:
        """The stored answer dict plus `shown` (citations displayed so far)."""
        with self.db.begin() as db:
            row = db.execute(sa.select(t.answers).where(t.answers.c.id == answer_id)).first()
        if row is None:
            return None
        d = json.loads(row.answer_json)
        d["shown"] = row.shown
        d["channel"], d["thread_ts"], d["user"] = row.channel, row.thread_ts, row.user
        return d

    def update_answer(self, answer_id: str, answer: dict[str, Any], shown: int) -> None:
        keep = {k: v for k, v in answer.items() if k not in ("shown", "channel", "thread_ts")}
        with self.db.begin() as db:
            db.execute(
                sa.update(t.answers)
                .where(t.answers.c.id == answer_id)
                .values(answer_json=json.dumps(keep, ensure_ascii=False, default=str), shown=shown)
            )

    def vote(self, answer_id: str, user: str, vote: int) -> bool:
        """Record (or change) a user's vote; False when the answer is unknown."""
        with self.db.begin(immediate=True) as db:  # read, then write: SQLite's lock first
            known = db.execute(sa.select(t.answers.c.id).where(t.answers.c.id == answer_id))
            if known.first() is None:
                return False
            ins = self.db.insert(t.feedback).values(
                answer_id=answer_id, user=user, vote=1 if vote > 0 else -1, at=now_iso()
            )
            db.execute(
                ins.on_conflict_do_update(
                    index_elements=["answer_id", "user"],
                    set_={"vote": ins.excluded.vote, "at": ins.excluded.at},
                )
            )
        return True

    def set_thread(self, channel: str, thread_ts: str, filters: Filters) -> None:
        ins = self.db.insert(t.threads).values(
            channel=channel,
            thread_ts=thread_ts,
            filters_json=filters_to_json(filters),
            updated=now_iso(),
        )
        with self.db.begin() as db:
            db.execute(
                ins.on_conflict_do_update(
                    index_elements=["channel", "thread_ts"],
                    set_={
                        "filters_json": ins.excluded.filters_json,
                        "updated": ins.excluded.updated,
                    },
                )
            )
        if self._cache:
            self._threads[(channel, thread_ts)] = filters

    def thread(self, channel: str, thread_ts: str) -> Filters | None:
        """The filters a follow-up in this thread inherits, from memory or the store."""
        hit = self._threads.get((channel, thread_ts))
        if hit is not None:
            return hit
        c = t.threads.c
        with self.db.begin() as db:
            row = db.execute(
                sa.select(c.filters_json).where(c.channel == channel, c.thread_ts == thread_ts)
            ).first()
        if row is None:
            return None
        f = context_filters(json.loads(row.filters_json))
        if self._cache:
            self._threads[(channel, thread_ts)] = f
        return f

    # ---------------------------------------------------------------- assistant panel

    def set_assistant_context(
        self, channel: str, thread_ts: str, context: dict[str, Any], user: str | None = None
    ) -> None:
        """The channel the user is viewing (assistant_thread_started / _context_changed)."""
        a = t.assistant_threads
        ins = self.db.insert(a).values(
            channel=channel,
            thread_ts=thread_ts,
            user=user,
            context_json=json.dumps(context),
            updated=now_iso(),
        )
        with self.db.begin() as db:
            db.execute(
                ins.on_conflict_do_update(
                    index_elements=["channel", "thread_ts"],
                    set_={
                        "context_json": ins.excluded.context_json,
                        "updated": ins.excluded.updated,
                        "user": sa.func.coalesce(ins.excluded.user, a.c.user),
                    },
                )
            )

    def assistant_context(self, channel: str, thread_ts: str) -> dict[str, Any] | None:
        c = t.assistant_threads.c
        with self.db.begin() as db:
            row = db.execute(
                sa.select(c.context_json).where(c.channel == channel, c.thread_ts == thread_ts)
            ).first()
        return json.loads(row.context_json) if row else None

    def first_title(self, channel: str, thread_ts: str) -> bool:
        """True once per assistant thread: its first question becomes its title."""
        a = t.assistant_threads
        with self.db.begin() as db:
            db.execute(
                self.db.insert(a)
                .values(channel=channel, thread_ts=thread_ts, context_json="{}", updated=now_iso())
                .on_conflict_do_nothing(index_elements=["channel", "thread_ts"])
            )
            cur = db.execute(
                sa.update(a)
                .where(a.c.channel == channel, a.c.thread_ts == thread_ts, a.c.titled == 0)
                .values(titled=1)
                .returning(a.c.channel)
            )
            return cur.first() is not None

    # ---------------------------------------------------------------- App Home

    def home_opened(self, user: str) -> None:
        ins = self.db.insert(t.home_users).values(user=user, opened=now_iso())
        with self.db.begin() as db:
            db.execute(
                ins.on_conflict_do_update(
                    index_elements=["user"], set_={"opened": ins.excluded.opened}
                )
            )

    def home_users(self, since_iso: str, limit: int = 500) -> list[str]:
        """Who opened the Home tab since then, most recent first (refreshed after a re-index)."""
        c = t.home_users.c
        with self.db.begin() as db:
            rows = db.execute(
                sa.select(c.user)
                .where(c.opened >= since_iso)
                .order_by(c.opened.desc())
                .limit(limit)
            ).all()
        return [r.user for r in rows]

    def votes(self) -> list[dict[str, Any]]:
        with self.db.begin() as db:
            rows = db.execute(sa.select(t.feedback).order_by(t.feedback.c.at)).all()
        return [dict(r._mapping) for r in rows]

    def export(self, out: IO[str]) -> int:
        """One JSON line per vote, with the question, answer text and citations judged."""
        n = 0
        f, a = t.feedback, t.answers
        with self.db.begin() as db:
            rows = db.execute(
                sa.select(
                    f.c.answer_id,
                    f.c.user,
                    f.c.vote,
                    f.c.at,
                    a.c.created,
                    a.c.channel,
                    a.c.question,
                    a.c.answer_json,
                )
                .join(a, a.c.id == f.c.answer_id)
                .order_by(f.c.at)
            ).all()
        for r in rows:
            d = json.loads(r.answer_json)
            out.write(
                json.dumps(
                    {
                        "answer_id": r.answer_id,
                        "vote": "up" if r.vote > 0 else "down",
                        "user": r.user,
                        "voted_at": r.at,
                        "asked_at": r.created,
                        "channel": r.channel,
                        "question": r.question,
                        "answer": d.get("answer"),
                        "citations": d.get("citations", []),
                        "filters": d.get("filters"),
                        "enough_evidence": d.get("enough_evidence"),
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
    settings = Settings() if args.data_dir is None else Settings(data_dir=args.data_dir)
    path = store_path(settings.data_dir)
    if settings.database_url is None and not path.exists():
        print(f"No Slack feedback recorded yet ({path} does not exist).", file=sys.stderr)
        return 1
    store = FeedbackStore(state_db(settings, "slack"))
    if args.out:
        with args.out.open("w", encoding="utf-8") as fh:
            n = store.export(fh)
        print(f"Wrote {n} feedback row(s) to {args.out}.", file=sys.stderr)
    else:
        n = store.export(sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
