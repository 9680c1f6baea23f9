"""The catalog: every stored record's text, metadata and content hash in SQLite.

It is the manifest for incremental re-index (hashes), the source of counts for answers (figures
are counted here over every record, never over search hits) and the commit point of an ingest:
Chroma is written first, the catalog last in one transaction, so until that commit answers keep
reflecting the previous index.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ingest.dates import to_epoch
from ingest.schema import MetricFact, Record

SCHEMA = """
CREATE TABLE IF NOT EXISTS records(
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL,
  location TEXT NOT NULL, date TEXT, day TEXT, ts REAL, segments TEXT NOT NULL, score REAL,
  url TEXT, sentiment REAL, polarity INTEGER NOT NULL DEFAULT 0, themes TEXT NOT NULL,
  facts TEXT NOT NULL, hash TEXT NOT NULL, indexed_at TEXT NOT NULL,
  complaints TEXT NOT NULL DEFAULT '[]', intent TEXT NOT NULL DEFAULT 'other');
CREATE INDEX IF NOT EXISTS records_source ON records(source);
CREATE TABLE IF NOT EXISTS sources(
  source TEXT PRIMARY KEY, path TEXT, kind TEXT, indexed_at TEXT, records INTEGER,
  score_kind TEXT);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
"""


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        cols = {r[1] for r in self.db.execute("PRAGMA table_info(records)")}
        if "intent" not in cols:  # a catalog from before intents: the next ingest fills it in
            self.db.execute("ALTER TABLE records ADD COLUMN intent TEXT NOT NULL DEFAULT 'other'")
        cols = {r[1] for r in self.db.execute("PRAGMA table_info(sources)")}
        if "score_kind" not in cols:  # from before score kinds: the bot infers it meanwhile
            self.db.execute("ALTER TABLE sources ADD COLUMN score_kind TEXT")

    def close(self) -> None:
        self.db.close()

    # -- reads
    def hashes(self, source: str) -> dict[str, str]:
        cur = self.db.execute("SELECT id, hash FROM records WHERE source=?", (source,))
        return dict(cur.fetchall())

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def version(self) -> int:
        return int(self.meta("version", "0") or 0)

    def sources(self) -> list[dict[str, object]]:
        cur = self.db.execute(
            "SELECT source, path, kind, indexed_at, records, score_kind FROM sources "
            "ORDER BY source"
        )
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def rows(self, where: str = "", params: Iterable[object] = ()) -> Iterator[dict[str, object]]:
        cur = self.db.execute(
            "SELECT id, kind, source, text, location, date, day, ts, segments, score, url, "
            "sentiment, polarity, themes, complaints, intent, facts, indexed_at "
            f"FROM records {where}",
            tuple(params),
        )
        cols = [c[0] for c in cur.description]
        for r in cur:
            d = dict(zip(cols, r, strict=True))
            d["segments"] = json.loads(d["segments"])  # type: ignore[arg-type]
            d["themes"] = json.loads(d["themes"])  # type: ignore[arg-type]
            d["complaints"] = json.loads(d["complaints"])  # type: ignore[arg-type]
            d["facts"] = [MetricFact(**f) for f in json.loads(d["facts"])]  # type: ignore[arg-type]
            yield d

    # -- writes (one transaction per ingest)
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    @staticmethod
    def upsert(
        db: sqlite3.Connection, records: list[Record], polarities: list[int], fingerprint: str
    ) -> None:
        ts = now_iso()
        db.executemany(
            "INSERT OR REPLACE INTO records VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    r.id,
                    r.kind,
                    r.source,
                    r.text,
                    r.location,
                    r.date.isoformat() if r.date else None,
                    r.date.date().isoformat() if r.date else None,
                    to_epoch(r.date) if r.date else None,
                    json.dumps(r.segments, ensure_ascii=False),
                    r.score,
                    r.url,
                    r.sentiment,
                    p,
                    json.dumps(r.themes),
                    json.dumps([f.model_dump() for f in r.facts]),
                    f"{r.content_hash()}:{fingerprint}",
                    ts,
                    json.dumps(r.complaints),
                    r.intent,
                )
                for r, p in zip(records, polarities, strict=True)
            ],
        )

    @staticmethod
    def delete(db: sqlite3.Connection, ids: list[str]) -> None:
        db.executemany("DELETE FROM records WHERE id=?", [(i,) for i in ids])

    @staticmethod
    def record_source(
        db: sqlite3.Connection, source: str, path: str, kind: str, score_kind: str | None = None
    ) -> None:
        n = db.execute("SELECT COUNT(*) FROM records WHERE source=?", (source,)).fetchone()[0]
        db.execute(
            "INSERT OR REPLACE INTO sources(source, path, kind, indexed_at, records, score_kind) "
            "VALUES(?,?,?,?,?,?)",
            (source, path, kind, now_iso(), n, score_kind),
        )

    @staticmethod
    def bump(db: sqlite3.Connection, model_id: str) -> None:
        row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        version = int(row[0]) + 1 if row else 1
        for k, v in (
            ("version", str(version)),
            ("last_indexed", now_iso()),
            ("model_id", model_id),
            ("updated_ns", str(time.time_ns())),
        ):
            db.execute("INSERT OR REPLACE INTO meta VALUES(?,?)", (k, v))
