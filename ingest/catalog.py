"""The catalog: every stored record's text, metadata and content hash, in SQLite (a file per
generation in the data dir) or, with CXBOT_DATABASE_URL, in PostgreSQL (a schema per
generation, `ingest.pgcatalog`): the same SQL on both, with `Dialect` for what differs.

It is the manifest for incremental re-index (hashes), the source of counts for answers (figures
are counted here over every record, never over search hits) and the commit point of an ingest:
Chroma is written first, the catalog last in one transaction, so until that commit answers keep
reflecting the previous index.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ingest.dates import to_epoch
from ingest.generations import Generation
from ingest.pgcatalog import PgConn, connect, dialect
from ingest.schema import MetricFact, Record

RECORD_COLUMNS = (
    "id, kind, source, text, location, date, day, ts, segments, score, url, sentiment, "
    "polarity, themes, facts, hash, indexed_at, complaints, intent"
).split(", ")
SOURCE_COLUMNS = ["source", "path", "kind", "indexed_at", "records", "score_kind"]

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
    """One generation's catalog: a SQLite file (a path, or a generation without a database
    URL) or that generation's PostgreSQL schema (created on first use)."""

    def __init__(self, where: Path | Generation, readonly: bool = False) -> None:
        """``readonly``: a reader's PostgreSQL catalog is never created by it."""
        self.db: Any
        self.gen = where if isinstance(where, Generation) else None
        if isinstance(where, Generation) and where.database_url is not None:
            self.path = where.catalog_path  # nominal: no file; caches are named by generation
            self.db = connect(where.database_url, where.base, where.number, create=not readonly)
            return
        path = where.catalog_path if isinstance(where, Generation) else where
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

    @property
    def shared(self) -> bool:
        """True when the catalog is in PostgreSQL (other machines read it)."""
        return isinstance(self.db, PgConn)

    def close(self) -> None:
        self.db.close()

    def connector(self) -> Callable[[], Any] | None:
        """For a PostgreSQL catalog: how to open another connection to it (None: a file)."""
        gen = self.gen
        if gen is None or gen.database_url is None:
            return None
        url = gen.database_url
        return lambda: connect(url, gen.base, gen.number)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that all see one committed state (an ingest committing meanwhile is not)."""
        self.db.execute(dialect(self.db).snapshot)
        try:
            yield
        finally:
            self.db.execute("COMMIT")

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
            f"SELECT {', '.join(SOURCE_COLUMNS)} FROM sources "
            f"ORDER BY source{dialect(self.db).collate}"
        )
        return [dict(zip(SOURCE_COLUMNS, r, strict=True)) for r in cur.fetchall()]

    def rows(self, where: str = "", params: Iterable[object] = ()) -> Iterator[dict[str, object]]:
        cols = (
            "id, kind, source, text, location, date, day, ts, segments, score, url, "
            "sentiment, polarity, themes, complaints, intent, facts, indexed_at"
        ).split(", ")
        cur = self.db.execute(f"SELECT {', '.join(cols)} FROM records {where}", tuple(params))
        for r in cur:
            d = dict(zip(cols, r, strict=True))
            d["segments"] = json.loads(d["segments"])  # type: ignore[arg-type]
            d["themes"] = json.loads(d["themes"])  # type: ignore[arg-type]
            d["complaints"] = json.loads(d["complaints"])  # type: ignore[arg-type]
            d["facts"] = [MetricFact(**f) for f in json.loads(d["facts"])]  # type: ignore[arg-type]
            yield d

    # -- writes (one transaction per ingest)
    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One write transaction (SQLite: its write lock first; PostgreSQL: writers are one at
        a time under the ingest's advisory lock). Nothing of it is seen before it commits."""
        try:
            self.db.execute("BEGIN" if self.shared else "BEGIN IMMEDIATE")
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            try:
                self.db.execute("ROLLBACK")
            except Exception:  # noqa: BLE001 - a lost connection: the server rolled it back
                pass
            raise

    @staticmethod
    def upsert(db: Any, records: list[Record], polarities: list[int], fingerprint: str) -> None:
        ts = now_iso()
        db.executemany(
            dialect(db).upsert("records", RECORD_COLUMNS, ["id"]),
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
    def delete(db: Any, ids: list[str]) -> None:
        db.executemany("DELETE FROM records WHERE id=?", [(i,) for i in ids])

    @staticmethod
    def record_source(
        db: Any, source: str, path: str, kind: str, score_kind: str | None = None
    ) -> None:
        n = db.execute("SELECT COUNT(*) FROM records WHERE source=?", (source,)).fetchone()[0]
        db.execute(
            dialect(db).upsert("sources", SOURCE_COLUMNS, ["source"]),
            (source, path, kind, now_iso(), n, score_kind),
        )

    @staticmethod
    def set_meta(db: Any, key: str, value: str) -> None:
        db.execute(dialect(db).upsert("meta", ["key", "value"], ["key"]), (key, value))

    @staticmethod
    def bump(db: Any, model_id: str) -> None:
        row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        version = int(row[0]) + 1 if row else 1
        for k, v in (
            ("version", str(version)),
            ("last_indexed", now_iso()),
            ("model_id", model_id),
            ("updated_ns", str(time.time_ns())),
        ):
            Catalog.set_meta(db, k, v)
