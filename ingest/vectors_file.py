"""The dense vectors as a local file, written by ingest, for exact search without Chroma.

Above ``dense_in_memory_max`` records (float32 in RAM: 1.5 GB at 1M) and up to
``dense_exact_max``, ingest writes the vectors in catalog (rowid) order into a folder beside
the generation's catalog and points the catalog's meta 'dense' at it in the same commit (as
`ingest.lexical` does for BM25): a reader sees the new records and their vectors together.

The folder holds each vector as int8 codes with a per-row scale (384 bytes a record: 384 MB at
1M, memory-mapped and shared by every bot process) plus the float32 vectors, which the bot
never maps whole: it reads only the rows it ranks. A search scans the codes (~60 ms at 1M on
one core), then ranks exactly: it reads the float32 rows of every record whose code score could
still beat the n-th best exact score (each row's quantisation error is bounded by its stored
residual norm), so the top n are the same records, with the same similarities, as an exact
float32 search over everything (the in-memory path, or a brute-force Chroma query).

Vectors of records whose (id, content hash) did not change are copied from the previous folder;
only new or edited records are read from Chroma.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.generations import Generation
from ingest.pgcatalog import dialect

log = logging.getLogger("cxbot.vectors_file")

META_KEY = "dense"
FORMAT = 1
INFO = "cxbot.json"
CODES, SCALES, RESID, FULL, KEYS = "codes.npy", "scales.npy", "resid.npy", "full.npy", "keys.npy"
CHUNK = 50_000  # rows read from Chroma / quantised at a time (bounded ingest memory)
SCAN_ROWS = 1024  # rows converted to float32 per BLAS call: stays in cache (~4x faster)
_SCANS_KEPT = 8  # code scores kept per question vector (4 MB each at 1M)
NEAR_POOL = 4096  # a moved question vector is searched among the question's nearest this many

Fetch = Callable[[Sequence[str]], "np.ndarray | None"]


def wanted(n: int, in_memory_max: int, exact_max: int) -> bool:
    """Whether an index of ``n`` records gets a vector file (between the two thresholds)."""
    return in_memory_max < n <= exact_max


def named(db: Any) -> str | None:
    """The vector file the catalog names (it lives in the ingest's data dir)."""
    row = db.execute("SELECT value FROM meta WHERE key=?", (META_KEY,)).fetchone()
    return str(row[0]) if row else None


def _count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT COUNT(*) FROM records").fetchone()[0])


def _info(path: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((path / INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("format") == FORMAT else None


def stale(db: sqlite3.Connection, gen: Generation, in_memory_max: int, exact_max: int) -> bool:
    """True when the catalog should have a vector file and has none for its current records
    (an index written before this module, a deleted folder, or a size that crossed a
    threshold); also when it has one it should not have."""
    n = _count(db)
    name = named(db)
    if not wanted(n, in_memory_max, exact_max):
        return name is not None
    info = _info(gen.data_dir / name) if name else None
    return info is None or info.get("n") != n


def _keys(rows: list[tuple[str, str]]) -> np.ndarray:
    """One 64-bit key per (id, content hash): equal keys, equal text, equal vector."""
    out = np.empty(len(rows), dtype=np.uint64)
    for j, (rid, h) in enumerate(rows):
        d = hashlib.blake2b(f"{rid}\x00{h}".encode(), digest_size=8).digest()
        out[j] = int.from_bytes(d, "little")
    return out


def quantise(vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """int8 codes, per-row scale and per-row L2 norm of the rounding error."""
    vecs = np.asarray(vecs, dtype=np.float32)
    peak = np.abs(vecs).max(axis=1) if len(vecs) else np.zeros(0, dtype=np.float32)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    codes = np.clip(np.rint(vecs / scales[:, None]), -127, 127).astype(np.int8)
    err = vecs - codes.astype(np.float32) * scales[:, None]
    return codes, scales, np.linalg.norm(err, axis=1).astype(np.float32)


def write(
    db: sqlite3.Connection,
    gen: Generation,
    fetch: Fetch,
    in_memory_max: int,
    exact_max: int,
) -> Path | None:
    """Write the vector file for the rows ``db``'s open transaction holds and point the
    catalog at it (committed with the transaction); None (and no pointer) when the index is
    outside the thresholds or Chroma lacks some vector (then the bot uses Chroma's index)."""
    previous = named(db)
    rows = _rows(db)
    if not wanted(len(rows), in_memory_max, exact_max):
        db.execute("DELETE FROM meta WHERE key=?", (META_KEY,))
        prune(gen, keep={previous or ""})
        return None
    path = gen.data_dir / f"dense-g{gen.number}-{time.time_ns()}"
    if not _build(rows, path, gen.data_dir / previous if previous else None, fetch):
        db.execute("DELETE FROM meta WHERE key=?", (META_KEY,))
        return None
    db.execute(dialect(db).upsert("meta", ["key", "value"], ["key"]), (META_KEY, path.name))
    prune(gen, keep={path.name, previous or ""})
    return path


def replicate(db: Any, gen: Generation, fetch: Fetch) -> Path | None:
    """A bot on its own data dir, the catalog in PostgreSQL: its own copy of the vector file
    the shared catalog names, built from the vectors in the Chroma server (rows its previous
    copy holds are copied from it), under the same name so `open_for` finds it. None when the
    catalog names none, changed meanwhile, or Chroma lacks some vector."""
    name = named(db)
    if name is None:
        return None
    path = gen.data_dir / name
    if _info(path) is not None:
        return path
    rows = _rows(db)
    if named(db) != name:  # an ingest switched meanwhile: the next question starts again
        return None
    older = sorted(
        (p for p in gen.data_dir.glob(f"dense-g{gen.number}-*") if _info(p) is not None),
        key=lambda p: p.name,
    )
    previous = older[-1] if older else None
    if not _build(rows, path, previous, fetch):
        return None
    prune(gen, keep={name, previous.name if previous else ""})
    return path


def _rows(db: Any) -> list[tuple[str, str]]:
    key = dialect(db).key  # SQLite's rowid, PostgreSQL's serial: the order the bot numbers in
    return [(str(a), str(b)) for a, b in db.execute(f"SELECT id, hash FROM records ORDER BY {key}")]


def _build(rows: list[tuple[str, str]], path: Path, previous: Path | None, fetch: Fetch) -> bool:
    """The folder at ``path`` for ``rows`` (renamed into place when complete); vectors from
    ``previous`` where its key matches, else fetched. False when some vector is missing."""
    t0 = time.perf_counter()
    keys = _keys(rows)
    old = _open_previous(previous) if previous else None
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    copied = 0
    try:
        n, dim = len(rows), None
        full = codes = None
        scales = np.empty(n, dtype=np.float32)
        resid = np.empty(n, dtype=np.float32)
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            vecs, reused = _chunk(rows, keys, start, stop, old, fetch)
            if vecs is None:
                log.warning("some vectors are missing from the store: no vector file")
                shutil.rmtree(tmp, ignore_errors=True)
                return False
            copied += reused
            if full is None or codes is None:
                dim = int(vecs.shape[1])
                full = np.lib.format.open_memmap(tmp / FULL, "w+", np.float32, (n, dim))
                codes = np.lib.format.open_memmap(tmp / CODES, "w+", np.int8, (n, dim))
            full[start:stop] = vecs
            codes[start:stop], scales[start:stop], resid[start:stop] = quantise(vecs)
        if full is not None and codes is not None:
            full.flush()
            codes.flush()
        del full, codes
        np.save(tmp / SCALES, scales)
        np.save(tmp / RESID, resid)
        np.save(tmp / KEYS, keys)
        info = {"format": FORMAT, "n": n, "dim": dim}
        (tmp / INFO).write_text(json.dumps(info), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("vector file: %d records (%d reused) in %.1f s", n, copied, time.perf_counter() - t0)
    return True


@dataclass
class _Previous:
    keys: np.ndarray  # sorted
    order: np.ndarray  # position of each sorted key in the file
    full: np.ndarray  # memory-mapped float32


def _open_previous(path: Path) -> _Previous | None:
    if _info(path) is None:
        return None
    try:
        keys = np.load(path / KEYS)
        full = np.load(path / FULL, mmap_mode="r")
    except (OSError, ValueError):
        return None
    if len(keys) != len(full):
        return None
    order = np.argsort(keys, kind="stable")
    return _Previous(keys[order], order, full)


def _chunk(
    rows: list[tuple[str, str]],
    keys: np.ndarray,
    start: int,
    stop: int,
    old: _Previous | None,
    fetch: Fetch,
) -> tuple[np.ndarray | None, int]:
    """Vectors of rows[start:stop]: from the previous file where the key is there, else
    from the store."""
    k = keys[start:stop]
    have = np.zeros(len(k), dtype=bool)
    src = np.zeros(len(k), dtype=np.int64)
    if old is not None and len(old.keys):
        at = np.minimum(np.searchsorted(old.keys, k), len(old.keys) - 1)
        have = old.keys[at] == k
        src = old.order[at]
    need = np.flatnonzero(~have)
    got = fetch([rows[start + int(j)][0] for j in need]) if len(need) else None
    if len(need) and got is None:
        return None, 0
    dim = got.shape[1] if got is not None else old.full.shape[1]  # type: ignore[union-attr]
    out = np.empty((len(k), dim), dtype=np.float32)
    if have.any() and old is not None:
        out[have] = old.full[np.sort(src[have])][np.argsort(np.argsort(src[have]))]
    if got is not None:
        out[need] = got
    return out, int(have.sum())


def similarity(rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Cosine similarity of float32 unit vectors, in float64 rounded to 1e-9: a product's
    last bit depends on how BLAS blocks the matrix, so two exact paths (all vectors in RAM, or
    the rows this file ranks) would otherwise order duplicate texts differently."""
    return np.round(np.asarray(rows, dtype=np.float64) @ np.asarray(q, dtype=np.float64), 9)


def best(idx: np.ndarray, sims: np.ndarray, n: int) -> dict[int, float]:
    """The ``n`` highest similarities, equal ones by position: the same records whichever
    path computed them."""
    order = np.lexsort((idx, -sims))[:n]
    return {int(idx[j]): float(sims[j]) for j in order}


def prune(gen: Generation, keep: set[str]) -> None:
    """Remove this generation's older vector folders (the previous one stays: a reader may
    have read the old pointer just before this commit)."""
    for p in gen.data_dir.glob(f"dense-g{gen.number}-*"):
        if p.name not in keep and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


@dataclass
class VectorFile:
    """A loaded vector file: exact top-n similarity search over a mask."""

    codes: np.ndarray  # (n, dim) int8, memory-mapped
    scales: np.ndarray
    resid: np.ndarray
    full: Any  # full.npy, open for reading: a later ingest may prune its folder meanwhile
    offset: int  # where the float32 rows start in full.npy
    dim: int
    _scans: dict[bytes, np.ndarray] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __len__(self) -> int:
        return len(self.codes)

    def scan(self, q: np.ndarray) -> np.ndarray:
        """Each record's similarity from its codes (within its error bound of the exact one);
        kept per question vector: an answer searches several masks with one vector."""
        key = q.tobytes()
        with self._lock:
            hit = self._scans.get(key)
        if hit is not None:
            return hit
        n = len(self.codes)
        out = np.empty(n, dtype=np.float32)
        buf = np.empty((SCAN_ROWS, self.dim), dtype=np.float32)
        for s in range(0, n, SCAN_ROWS):
            blk = self.codes[s : s + SCAN_ROWS]
            b = buf[: len(blk)]
            np.copyto(b, blk, casting="unsafe")
            np.dot(b, q, out=out[s : s + len(blk)])
        out *= self.scales
        with self._lock:
            if len(self._scans) >= _SCANS_KEPT:
                self._scans.pop(next(iter(self._scans)), None)
            self._scans[key] = out
        return out

    def rows(self, idx: np.ndarray) -> np.ndarray:
        """float32 vectors of ``idx`` (sorted), read from the file rather than mapped, so the
        bot's memory does not grow with every record it ever ranked."""
        size = self.dim * 4
        out = np.empty((len(idx), self.dim), dtype=np.float32)
        fd = self.full.fileno()
        for j, i in enumerate(idx.tolist()):
            out[j] = np.frombuffer(os.pread(fd, size, self.offset + i * size), np.float32)
        return out

    def top(self, qvec: np.ndarray, mask: np.ndarray, n: int) -> dict[int, float]:
        """The ``n`` records in ``mask`` most similar to ``qvec``: exactly those of a float32
        search over every vector (ties aside), with their float32 similarities."""
        q = np.ascontiguousarray(qvec, dtype=np.float32)
        approx = np.where(mask, self.scan(q), -np.inf)
        count = int(mask.sum())
        if not count or n <= 0:
            return {}
        m = min(count, max(4 * n, n + 256))
        first = np.argpartition(-approx, m - 1)[:m] if m < len(approx) else np.flatnonzero(mask)
        first = first[np.isfinite(approx[first])]
        cand = np.sort(first)
        sims = similarity(self.rows(cand), q)
        if count > len(cand):
            k = min(n, len(sims))
            nth = float(np.partition(sims, len(sims) - k)[len(sims) - k])
            # float32 rounding of both dot products, far below any quantisation error
            slack = 1e-4 * (1.0 + float(np.abs(q).sum()))
            upper = approx + self.resid * float(np.linalg.norm(q)) + slack
            extra = np.setdiff1d(np.flatnonzero(upper >= nth), cand, assume_unique=True)
            if len(extra):
                cand = np.concatenate([cand, extra])
                sims = np.concatenate([sims, similarity(self.rows(extra), q)])
        return best(cand, sims, n)

    def top_near(
        self, qvec: np.ndarray, near: np.ndarray, mask: np.ndarray, n: int, pool: int = NEAR_POOL
    ) -> dict[int, float]:
        """The ``n`` records in ``mask`` most similar to ``qvec`` among the ``pool`` closest
        to ``near`` (whose scan is kept): for a vector moved a little from the question
        (pseudo-relevance feedback), so a second search costs no scan of every record. Not
        exact: a record outside the question's own ``pool`` nearest is never found."""
        q = np.ascontiguousarray(qvec, dtype=np.float32)
        base = np.where(mask, self.scan(np.ascontiguousarray(near, dtype=np.float32)), -np.inf)
        count = int(mask.sum())
        if not count or n <= 0:
            return {}
        p = min(count, max(pool, 8 * n))
        cand = np.argpartition(-base, p - 1)[:p] if p < len(base) else np.flatnonzero(mask)
        cand = np.sort(cand[np.isfinite(base[cand])])
        approx = (np.asarray(self.codes[cand], dtype=np.float32) @ q) * self.scales[cand]
        m = min(len(cand), max(4 * n, n + 256))
        if m < len(cand):
            cand = np.sort(cand[np.argpartition(-approx, m - 1)[:m]])
        return best(cand, similarity(self.rows(cand), q), n)


def load(path: Path, n: int) -> VectorFile | None:
    """The vector file in ``path``, memory-mapped; None when missing, damaged or not for ``n``
    records (then the bot falls back to Chroma's index)."""
    info = _info(path)
    if info is None or info.get("n") != n:
        return None
    try:
        codes = np.load(path / CODES, mmap_mode="r")
        scales = np.load(path / SCALES)
        resid = np.load(path / RESID)
        full = np.load(path / FULL, mmap_mode="r")
    except (OSError, ValueError) as exc:
        log.warning("cannot load the vector file in %s (%s): using Chroma", path, exc)
        return None
    if not (len(codes) == len(scales) == len(resid) == len(full) == n):
        return None
    if full.dtype != np.float32 or not full.flags.c_contiguous:
        return None
    try:
        fh = (path / FULL).open("rb", buffering=0)
    except OSError:
        return None
    return VectorFile(codes, scales, resid, fh, int(full.offset), int(codes.shape[1]))


def open_for(db: sqlite3.Connection, gen: Generation, n: int) -> VectorFile | None:
    """The vector file the catalog ``db`` points at, or None."""
    name = named(db)
    return load(gen.data_dir / name, n) if name else None
