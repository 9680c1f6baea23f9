"""Index generations: where the catalog and the Chroma collection that answer live.

A full rebuild (`cxbot ingest --rebuild`) writes generation N+1 (its own catalog file and
collection) beside generation N, and only when every record is in does it replace the small
pointer file `generation.json` (write, fsync, rename). A crash, kill -9, full disk or Chroma
error before that rename leaves N answering; the next run discards the unfinished N+1 and starts
it cleanly. The previous generation is kept until the next run begins, so a reader that loaded
it just before the switch can finish its answer.

Generation 0 is the layout of an index that was never rebuilt: `catalog.sqlite` and the
collection named by CXBOT_COLLECTION.

With CXBOT_DATABASE_URL the catalogs are PostgreSQL schemas and the pointer a row there
(`ingest.pgcatalog`): the same steps, seen by every machine without a shared disk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest import pgcatalog
from ingest.errors import StoreError

POINTER = "generation.json"


@dataclass(frozen=True)
class Generation:
    number: int
    data_dir: Path
    base: str  # CXBOT_COLLECTION
    database_url: str | None = None  # set: the catalog is in PostgreSQL (ingest.pgcatalog)

    @property
    def catalog_path(self) -> Path:
        name = "catalog.sqlite" if self.number == 0 else f"catalog-g{self.number}.sqlite"
        return self.data_dir / name

    @property
    def collection(self) -> str:
        return self.base if self.number == 0 else f"{self.base}-g{self.number}"

    def next(self) -> Generation:
        return Generation(self.number + 1, self.data_dir, self.base, self.database_url)

    def exists(self) -> bool:
        """Whether this generation's catalog has been created (anything indexed into it)."""
        if self.database_url is None:
            return self.catalog_path.exists()
        return pgcatalog.generation_exists(
            pgcatalog.database(self.database_url), self.base, self.number
        )


def current(data_dir: Path, base: str, database_url: str | None = None) -> Generation:
    """The generation that answers now (0 when the index was never rebuilt)."""
    if database_url is not None:
        number = pgcatalog.current(pgcatalog.database(database_url), base)
        return Generation(number, data_dir, base, database_url)
    path = data_dir / POINTER
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Generation(0, data_dir, base)
    except OSError as exc:
        raise StoreError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        number = int(json.loads(raw)["generation"])
    except (ValueError, KeyError, TypeError):
        raise StoreError(
            f"{path} is damaged: it should say which index generation answers.",
            "Restore it from a backup, or delete it and run `cxbot ingest --rebuild`.",
        ) from None
    return Generation(number, data_dir, base)


def switch(gen: Generation, info: dict[str, Any] | None = None) -> None:
    """Make ``gen`` the one that answers: an atomic rename (a committed row in PostgreSQL),
    durable once this returns."""
    if gen.database_url is not None:
        info = {"collection": gen.collection, **(info or {})}
        pgcatalog.switch(pgcatalog.database(gen.database_url), gen.base, gen.number, info)
        return
    path = gen.data_dir / POINTER
    tmp = path.with_name(POINTER + ".tmp")
    body = json.dumps({"generation": gen.number, "collection": gen.collection, **(info or {})})
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(body + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(gen.data_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _catalog_files(data_dir: Path) -> Iterable[tuple[int, Path]]:
    for p in data_dir.glob("catalog*.sqlite*"):
        m = re.fullmatch(r"catalog(?:-g(\d+))?\.sqlite(?:-wal|-shm|-journal)?", p.name)
        if m:
            yield int(m.group(1) or 0), p


def _collections(client: Any, base: str) -> Iterable[tuple[int, str]]:
    pattern = re.compile(rf"{re.escape(base)}(?:-g(\d+))?")
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        m = pattern.fullmatch(name)
        if m:
            yield int(m.group(1) or 0), name


def discard(
    client: Any,
    data_dir: Path,
    base: str,
    keep: set[int],
    chroma_dir: Path | None = None,
    database_url: str | None = None,
) -> list[int]:
    """Delete every generation not in ``keep`` (unfinished rebuilds, superseded ones).

    Called under the ingest lock, at the start of a run: nothing else writes then.
    ``chroma_dir``: the embedded store's folder, swept of the files deleted collections leave.
    """
    dropped: set[int] = set()
    for n, name in list(_collections(client, base)):
        if n not in keep:
            client.delete_collection(name)
            dropped.add(n)
    if database_url is not None:
        dropped.update(pgcatalog.drop_generations(pgcatalog.database(database_url), base, keep))
    else:
        for n, p in list(_catalog_files(data_dir)):
            if n not in keep:
                p.unlink(missing_ok=True)
                dropped.add(n)
    for p in data_dir.glob("bm25-g*"):  # a generation's saved BM25 (ingest.lexical)
        m = re.fullmatch(r"bm25-g(\d+)-.+", p.name)
        if m and int(m.group(1)) not in keep and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
    if dropped and chroma_dir is not None:
        sweep_segment_dirs(chroma_dir)
    return sorted(dropped)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def sweep_segment_dirs(chroma_dir: Path) -> list[Path]:
    """Remove vector-index folders that no collection refers to any more.

    Embedded Chroma (1.x) deletes a collection's rows but leaves its HNSW folder on disk
    (chroma-core/chroma#5520), so each rebuild would leak a copy of the index. A folder is
    removed only when its name is a segment id and no segment in chroma.sqlite3 has that id.
    """
    db_path = chroma_dir / "chroma.sqlite3"
    if not db_path.exists():
        return []
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        live = {str(r[0]) for r in db.execute("SELECT id FROM segments")}
    finally:
        db.close()
    removed = []
    for d in chroma_dir.iterdir():
        if d.is_dir() and _UUID.fullmatch(d.name) and d.name not in live:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed
