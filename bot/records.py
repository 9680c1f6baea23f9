"""Texts and metadata of the records an answer quotes, read from the catalog on demand.

The corpus keeps only arrays; a quote, a metric fact or a dedupe key is fetched here by row
id over one read-only connection (shared by the answer threads, under a lock). A row id that
no longer holds the same record (a re-ingest replaced it since the corpus was built) is read
again by its record id, so a quote always carries that record's current text; what was read
is kept until the catalog file next changes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from ingest.errors import StoreError
from ingest.pgcatalog import POSTGRES
from ingest.schema import MetricFact
from ingest.textnorm import dedupe_key

COLUMNS = (
    "id, kind, source, text, location, date, day, ts, segments, score, url, sentiment, "
    "polarity, themes, complaints, intent, facts, indexed_at"
)
CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit
KEPT = 4096  # parsed records kept per corpus (the quotes of recent answers)
DEDUPE_KEPT = 50_000  # dedupe keys kept (the search candidates of recent questions)


def _parse(row: tuple[Any, ...], cols: list[str]) -> dict[str, Any]:
    d = dict(zip(cols, row, strict=True))
    d["segments"] = json.loads(d["segments"])
    d["themes"] = json.loads(d["themes"])
    d["complaints"] = json.loads(d["complaints"])
    d["facts"] = [MetricFact(**f) for f in json.loads(d["facts"])]
    return d


class RecordReader:
    """On-demand reads of one catalog; ``rowids`` and ``ids`` are the corpus's columns.

    A SQLite file by default; ``connect`` (a catalog in PostgreSQL) opens the connection
    instead."""

    def __init__(
        self,
        path: Path,
        rowids: np.ndarray,
        ids: np.ndarray,
        connect: Callable[[], Any] | None = None,
    ) -> None:
        self.path = path
        self._connect = connect
        self.key = "rowid" if connect is None else POSTGRES.key
        self.rowids = rowids
        self.ids = ids  # utf-8 record ids as a numpy bytes array, in corpus order
        self._db: Any = None
        self._lock = threading.Lock()
        self._kept: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._keys: dict[int, str] = {}
        self._stamp: tuple[int, ...] = ()

    def _check_fresh(self) -> None:
        """Forget what was read once the catalog has committed again (a few µs: two stats)."""
        stamp: list[Any] = []
        if self._connect is not None:  # PostgreSQL: a reader lives as long as one catalog
            return  # version (a commit is a new corpus, with a new reader), no query per read
        for p in (self.path, self.path.with_name(self.path.name + "-wal")):
            try:
                st = p.stat()
                stamp += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                stamp += [0, 0]
        if tuple(stamp) != self._stamp:
            self._kept.clear()
            self._keys.clear()
            self._stamp = tuple(stamp)

    def _conn(self) -> Any:
        if self._db is None and self._connect is not None:
            self._db = self._connect()
        if self._db is None:
            uri = self.path.resolve().as_uri() + "?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA mmap_size=268435456")  # quotes by rowid: page reads, no copies
        return self._db

    def _query(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        try:
            return self._conn().execute(sql, tuple(params)).fetchall()
        except (sqlite3.Error, sa.exc.DBAPIError) as exc:
            raise StoreError(
                f"Could not read records from the catalog {self.path}: {exc}.",
                "Ask again; if it persists, re-run `cxbot ingest`.",
            ) from None

    def close(self) -> None:
        """Close the connection (a later read opens another)."""
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            db.close()

    def id_at(self, i: int) -> str:
        return bytes(self.ids[i]).decode("utf-8")

    def records(self, idx: Sequence[int]) -> list[dict[str, Any]]:
        """The records at corpus positions ``idx``, in that order."""
        want = [int(i) for i in idx]
        with self._lock:
            self._check_fresh()
            got = {i: r for i in want if (r := self._kept.get(i)) is not None}
            todo = sorted(set(want) - set(got))
            for start in range(0, len(todo), CHUNK):
                got.update(self._fetch(todo[start : start + CHUNK]))
            for i in todo:
                self._kept[i] = got[i]
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return [got[i] for i in want]

    def _fetch(self, idx: list[int]) -> dict[int, dict[str, Any]]:
        cols = [self.key, *COLUMNS.split(", ")]
        by_rowid = {int(self.rowids[i]): i for i in idx}
        marks = ",".join("?" * len(by_rowid))
        rows = self._query(
            f"SELECT {self.key}, {COLUMNS} FROM records WHERE {self.key} IN ({marks})",
            list(by_rowid),
        )
        out: dict[int, dict[str, Any]] = {}
        for row in rows:
            i = by_rowid[int(row[0])]
            if row[1] == self.id_at(i):
                out[i] = _parse(row, cols)
        moved = {self.id_at(i): i for i in idx if i not in out}
        if moved:  # replaced (new row id) since the corpus was built: read it by its id
            marks = ",".join("?" * len(moved))
            for row in self._query(
                f"SELECT {self.key}, {COLUMNS} FROM records WHERE id IN ({marks})", list(moved)
            ):
                out[moved[str(row[1])]] = _parse(row, cols)
        gone = [self.id_at(i) for i in idx if i not in out]
        if gone:
            raise StoreError(
                f"Record {gone[0]} is no longer in the index: a re-ingest removed it while "
                "this answer was being written.",
                "Ask again.",
            )
        return out

    def texts(self, idx: Sequence[int]) -> list[str]:
        """Only the texts: no metadata parsed, nothing kept (search candidates' dedupe keys)."""
        want = [int(i) for i in idx]
        with self._lock:
            self._check_fresh()
            got = {i: str(r["text"]) for i in want if (r := self._kept.get(i)) is not None}
            todo = sorted(set(want) - set(got))
            for start in range(0, len(todo), CHUNK):
                chunk = todo[start : start + CHUNK]
                by_rowid = {int(self.rowids[i]): i for i in chunk}
                marks = ",".join("?" * len(by_rowid))
                for rowid, rid, text in self._query(
                    f"SELECT {self.key}, id, text FROM records WHERE {self.key} IN ({marks})",
                    list(by_rowid),
                ):
                    i = by_rowid[int(rowid)]
                    if rid == self.id_at(i):
                        got[i] = str(text)
        missing = [i for i in want if i not in got]
        if missing:  # moved or removed since the corpus was built: the full path handles both
            got.update(zip(missing, (str(r["text"]) for r in self.records(missing)), strict=True))
        return [got[i] for i in want]

    def dedupe_keys(self, idx: Sequence[int]) -> list[str]:
        """Near-duplicate keys (normalised text), computed for the records asked about only."""
        want = [int(i) for i in idx]
        with self._lock:
            self._check_fresh()
            known = {i: k for i in want if (k := self._keys.get(i)) is not None}
        todo = [i for i in dict.fromkeys(want) if i not in known]
        keys = {i: dedupe_key(t) for i, t in zip(todo, self.texts(todo), strict=True)}
        with self._lock:
            if len(self._keys) + len(keys) > DEDUPE_KEPT:
                self._keys.clear()
            self._keys.update(keys)
        known.update(keys)
        return [known[i] for i in want]

    def positions(self, record_ids: Sequence[str]) -> list[int | None]:
        """Corpus position of each record id (None when it is not in this corpus)."""
        out: list[int | None] = [None] * len(record_ids)
        where: dict[str, list[int]] = {}
        for n, rid in enumerate(record_ids):
            where.setdefault(rid, []).append(n)
        keys = list(where)
        with self._lock:
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._query(
                    f"SELECT id, {self.key} FROM records WHERE id IN ({marks})", chunk
                )
                for rid, rowid in rows:
                    i = int(np.searchsorted(self.rowids, rowid))
                    if i < len(self.rowids) and self.rowids[i] == rowid and (self.id_at(i) == rid):
                        for n in where[rid]:
                            out[n] = i
        return out

    def verbatim_texts(self, chunk: int = 20_000) -> Iterator[tuple[np.ndarray, list[str]]]:
        """(positions, texts) of every verbatim in corpus order, a chunk at a time."""
        last = -1
        while True:
            with self._lock:
                rows = self._query(
                    f"SELECT {self.key}, text FROM records WHERE {self.key} > ? "
                    f"AND kind = 'verbatim' ORDER BY {self.key} LIMIT ?",
                    (last, chunk),
                )
            if not rows:
                return
            last = int(rows[-1][0])
            rowids = np.array([r[0] for r in rows], dtype=np.int64)
            pos = np.searchsorted(self.rowids, rowids)
            pos = np.minimum(pos, len(self.rowids) - 1)
            keep = self.rowids[pos] == rowids  # rows added after the corpus was built: skip
            texts = [str(r[1]) for r, k in zip(rows, keep.tolist(), strict=True) if k]
            yield pos[keep], texts


class Ids(Sequence[str]):
    """The corpus's record ids (compact bytes, decoded on access)."""

    def __init__(self, reader: RecordReader) -> None:
        self._reader = reader

    def __len__(self) -> int:
        return len(self._reader.ids)

    def __getitem__(self, i: Any) -> Any:  # type: ignore[override]
        if isinstance(i, (int, np.integer)):
            return self._reader.id_at(int(i))
        return [bytes(b).decode("utf-8") for b in self._reader.ids[i]]

    def __iter__(self) -> Iterator[str]:
        return (bytes(b).decode("utf-8") for b in self._reader.ids)


class IdIndex:
    """record id -> corpus position, looked up in the catalog (no dict of every id)."""

    def __init__(self, reader: RecordReader) -> None:
        self._reader = reader

    def get(self, rid: str, default: int | None = None) -> int | None:
        (i,) = self._reader.positions([rid])
        return default if i is None else i

    def many(self, rids: Sequence[str]) -> list[int | None]:
        return self._reader.positions(rids)

    def __getitem__(self, rid: str) -> int:
        i = self.get(rid)
        if i is None:
            raise KeyError(rid)
        return i

    def __contains__(self, rid: object) -> bool:
        return isinstance(rid, str) and self.get(rid) is not None
