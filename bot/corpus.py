"""The in-memory view of the catalog that answers are counted over, plus the BM25 index.

Only compact arrays live here (codes, masks, dates, scores: a few bytes per record), read with
grouped column queries (`bot.columns`); texts and metadata are fetched on demand for the
records an answer quotes (`Corpus.records`, `bot.records`). Loaded once per catalog version
(a re-ingest bumps it), so a running bot picks up new data on the next question without a
restart.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from bot.columns import Labels, load_columns, read_columns, save_columns
from bot.records import IdIndex, Ids, RecordReader
from ingest import lexical, pgcatalog, vectors_file
from ingest.adapt import sync_themes
from ingest.catalog import Catalog
from ingest.config import Settings
from ingest.errors import StoreError
from ingest.generations import Generation
from ingest.pgcatalog import PgConn
from ingest.scores import infer_kind

log = logging.getLogger("cxbot.corpus")


@dataclass
class Corpus:
    version: int
    last_indexed: str | None
    model_id: str | None
    reader: RecordReader  # texts and metadata by position, read from the catalog on demand
    kind: Labels
    polarity: np.ndarray
    intent: Labels  # complaint / request / praise / question / other, per record
    source: Labels
    themes: dict[str, np.ndarray]  # theme -> bool mask
    complaints: dict[str, np.ndarray]  # theme -> raised as a complaint
    segments: dict[str, Labels]  # segment key -> value per row ("" when absent)
    segment_values: dict[str, list[str]]
    dayn: np.ndarray  # YYYYMMDD as int, 0 when undated
    seg_codes: dict[str, np.ndarray]  # segment key -> int code per row (0: absent)
    seg_index: dict[str, dict[str, int]]  # segment key -> value -> code
    any_complaint: np.ndarray
    is_verbatim: np.ndarray
    bm25: lexical.Lexical | None = None  # memory-mapped from the generation's saved index
    dense: vectors_file.VectorFile | None = None  # int8 codes + float32 rows, from ingest
    dense_name: str | None = None  # the vector file the catalog names for these records
    sources: list[dict[str, object]] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)  # per-version results (freshness line)
    cache_dir: Path | None = None
    generation: int = 0  # the index generation it was loaded from (see ingest.generations)
    collection: str | None = None  # that generation's Chroma collection
    # the respondent's own score (NaN when none) and its kind per record ("" when unknown):
    # what bot.analysis.drivers counts the score and its drivers over
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))
    score_kind: Labels = field(default_factory=lambda: Labels(np.zeros(0, dtype=np.int8), [""]))
    _vectors: np.ndarray | None = None
    _vectors_tried: bool = False

    @property
    def ids(self) -> Ids:
        """Record ids by position (decoded on access)."""
        return Ids(self.reader)

    @property
    def index(self) -> IdIndex:
        """Record id -> position, looked up in the catalog."""
        return IdIndex(self.reader)

    def record(self, i: int) -> dict[str, Any]:
        """One record's text and metadata (as `Catalog.rows` yields them), read on demand."""
        return self.reader.records([i])[0]

    def records(self, idx: Sequence[int]) -> list[dict[str, Any]]:
        return self.reader.records(idx)

    def dedupe_keys(self, idx: Sequence[int]) -> list[str]:
        """Near-duplicate keys of these records (search candidates, quotes), on demand."""
        return self.reader.dedupe_keys(idx)

    def vectors(self, store: Any, max_rows: int) -> np.ndarray | None:
        """All embeddings in catalog order, for exact in-memory dense search.

        Fetched from Chroma once per index version and cached as .npy in the data dir; above
        ``max_rows`` records the answer is None and search goes to Chroma's HNSW index.
        """
        if not len(self) or len(self) > max_rows:
            return None
        if self._vectors is not None or self._vectors_tried:
            return self._vectors
        with _LOCK:
            if self._vectors is not None or self._vectors_tried:
                return self._vectors
            self._vectors_tried = True
            path = None
            if self.cache_dir is not None:
                path = (
                    self.cache_dir / f"vectors-g{self.generation}-v{self.version}-{len(self)}.npy"
                )
                if self.bm25 is not None:  # saved by ingest beside the BM25 index
                    self._vectors = self.bm25.vectors(len(self))
                    if self._vectors is not None:
                        return self._vectors
                if path.exists():
                    try:
                        self._vectors = np.load(path, mmap_mode="r")
                        return self._vectors
                    except (OSError, ValueError):
                        pass
            vecs = store.fetch_vectors(list(self.ids))
            if vecs is None:
                return None
            self._vectors = vecs
            if path is not None:
                _save_cache(path, vecs)
            return self._vectors

    def __len__(self) -> int:
        return len(self.reader.rowids)

    def date_range(self, mask: np.ndarray | None = None) -> tuple[date | None, date | None]:
        days = self.dayn if mask is None else self.dayn[mask]
        days = days[days > 0]
        if not len(days):
            return None, None
        return _from_dayn(int(days.min())), _from_dayn(int(days.max()))

    def day_mask(self, since: date | None, until: date | None) -> np.ndarray:
        """Dated records within [since, until]; open ends allowed."""
        m = self.dayn > 0
        if since:
            m &= self.dayn >= _dayn(since)
        if until:
            m &= self.dayn <= _dayn(until)
        return m

    def segment_mask(self, key: str, values: list[str]) -> np.ndarray:
        codes = self.seg_codes.get(key)
        if codes is None:
            return np.zeros(len(self), dtype=bool)
        wanted = [self.seg_index[key][v] for v in values if v in self.seg_index[key]]
        if len(wanted) == 1:
            return codes == wanted[0]
        return np.isin(codes, wanted)

    def bm25_scores(self, query: str) -> np.ndarray:
        if self.bm25 is None or self.bm25.n_docs != len(self):
            return np.zeros(len(self), dtype=np.float32)
        return self.bm25.scores(query)


def _save_cache(path: Path, vecs: np.ndarray) -> None:
    """Best effort: on a full or read-only disk the bot still answers, fetching vectors again
    after a restart."""
    tmp = path.with_name(f".{path.stem}-{os.getpid()}.tmp.npy")  # two readers may race here
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("vectors-*.npy"):
            old.unlink(missing_ok=True)
        np.save(tmp, vecs)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.warning("could not cache vectors in %s: %s", path.parent, exc)


def _dayn(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _from_dayn(n: int) -> date:
    return date(n // 10000, n // 100 % 100, n % 100)


def build_corpus(catalog: Catalog, cache_dir: Path | None = None, generation: int = 0) -> Corpus:
    """The arrays of every record, from grouped column queries in one read snapshot (or from
    ``cache_dir``, where they are kept per generation and version for the next start)."""
    db = catalog.db
    with catalog.snapshot():  # one snapshot: an ingest committing meanwhile is seen next version
        version = catalog.version()
        stamp = catalog.meta("updated_ns") or "0"
        path = None
        if cache_dir is not None:
            path = cache_dir / f"columns-g{generation}-v{version}-{stamp}.npz"
        cols = load_columns(path) if path is not None and path.exists() else None
        if cols is None:
            cols = read_columns(db)
            if path is not None:
                save_columns(path, cols)
        sources = catalog.sources()
        last_indexed, model_id = catalog.meta("last_indexed"), catalog.meta("model_id")
    rowids, ids, kind, source, score = cols.rowids, cols.ids, cols.kind, cols.source, cols.score
    themes, complaints, seg_codes, seg_index = (
        cols.themes,
        cols.complaints,
        cols.seg_codes,
        cols.seg_index,
    )
    theme_names = sorted(themes)
    empty = np.zeros(len(rowids), dtype=bool)
    is_verbatim = kind == "verbatim"
    segments = {k: Labels(codes, ["", *seg_index[k]]) for k, codes in sorted(seg_codes.items())}
    # values a question can name: customer segments only (metric rows carry their own labels)
    seg_values = {}
    for k, col in segments.items():
        present = np.unique(col.codes[is_verbatim])
        if vals := sorted(col.names[c] for c in present.tolist() if c):
            seg_values[k] = vals
    return Corpus(
        version=version,
        last_indexed=last_indexed,
        model_id=model_id,
        reader=RecordReader(catalog.path, rowids, ids, catalog.connector()),
        kind=kind,
        polarity=cols.polarity,
        intent=cols.intent,
        source=source,
        themes={t: themes[t] for t in theme_names},
        complaints={t: complaints.get(t, empty) for t in theme_names},
        segments=segments,
        segment_values=seg_values,
        dayn=cols.dayn,
        seg_codes={k: segments[k].codes for k in segments},
        seg_index={k: seg_index[k] for k in segments},
        any_complaint=cols.any_complaint,
        is_verbatim=is_verbatim,
        sources=sources,
        score=score,
        score_kind=_score_kinds(source, sources, score, is_verbatim),
    )


def _score_kinds(
    src: Labels,
    sources: list[dict[str, object]],
    score: np.ndarray,
    is_verbatim: np.ndarray,
) -> Labels:
    """Each verbatim's score kind: its source's stored kind, or (a catalog from before score
    kinds) the kind its stored values imply."""
    names = [""]
    codes = np.zeros(len(score), dtype=np.int8)
    stored = {str(s["source"]): s.get("score_kind") for s in sources}
    has = is_verbatim & ~np.isnan(score)
    present = sorted({src.names[c] for c in np.unique(src.codes[has]).tolist()})
    for name in present:
        m = has & (src == name)
        kind = stored.get(name) or infer_kind(None, score[m].tolist())
        if kind:
            if kind not in names:
                names.append(str(kind))
            codes[m] = names.index(str(kind))
    return Labels(codes, names)


_LOCK = threading.RLock()
_CACHE: dict[str, Corpus] = {}
_STAMPS: dict[str, tuple[object, ...]] = {}


def _stamp(path: Path) -> tuple[object, ...]:
    """Changes whenever the catalog commits (WAL mode writes the -wal file), for a few µs."""
    out: list[object] = [str(path)]
    for p in (path, path.with_name(path.name + "-wal")):
        try:
            st = p.stat()
            out += [st.st_mtime_ns, st.st_size]
        except FileNotFoundError:
            out += [0, 0]
    return tuple(out)


_SHARED: dict[tuple[str, str], PgConn] = {}  # (url, collection) -> its live generation's


def _shared_conn(gen: Generation) -> PgConn:
    """The kept connection to ``gen``'s catalog (one per index: a switch closes the old one)."""
    assert gen.database_url is not None
    key = (gen.database_url, gen.base)
    conn = _SHARED.get(key)
    if conn is None or conn.schema != pgcatalog.schema_name(gen.base, gen.number):
        if conn is not None:
            conn.close()
        conn = _SHARED[key] = pgcatalog.connect(gen.database_url, gen.base, gen.number)
    return conn


def _shared_stamp(gen: Generation) -> tuple[object, ...] | None:
    """A catalog in PostgreSQL: (generation, version, commit stamp) in one query per question;
    None when nothing was indexed into it."""
    with _LOCK:
        conn = _shared_conn(gen)
        got = pgcatalog.stamp(conn)
    return None if got is None else (conn.schema, *got)


def _sync_themes(settings: Settings, gen: Generation) -> None:
    with _LOCK:
        sync_themes(settings, _shared_conn(gen))


def load_corpus(settings: Settings) -> Corpus:
    """The current corpus, rebuilt only when the catalog version (or generation) changed."""
    gen = settings.generation()
    path = gen.catalog_path
    stamp = _stamp(path) if gen.database_url is None else _shared_stamp(gen)
    if stamp is None or (gen.database_url is None and not path.exists()):
        raise StoreError(
            f"Nothing has been indexed yet in {settings.data_dir}.",
            "Run `cxbot ingest FILE --kind survey` (or `make demo`) first.",
        )
    key = str(settings.data_dir.resolve())
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and _STAMPS.get(key) == stamp:
            return cached
    if gen.database_url is not None:  # the themes the ingest machine published
        _sync_themes(settings, gen)
    catalog = Catalog(gen if gen.database_url else path, readonly=True)
    try:
        version = catalog.version()
        with _LOCK:
            _STAMPS[key] = stamp
            cached = _CACHE.get(key)
            if cached is not None and (cached.generation, cached.version) == (gen.number, version):
                return cached
            corpus = build_corpus(catalog, settings.data_dir / "cache", gen.number)
            corpus.bm25 = lexical.open_for(catalog.db, gen, version, len(corpus))
            corpus.dense = vectors_file.open_for(catalog.db, gen, len(corpus))
            corpus.dense_name = vectors_file.named(catalog.db)
            limits = settings.dense_in_memory_max, settings.dense_exact_max
            if (
                corpus.dense is None
                and gen.database_url is not None
                and vectors_file.wanted(len(corpus), *limits)  # this bot would search it
            ):
                _replicate_vectors(settings, gen, key, corpus.dense_name)
            corpus.cache_dir = settings.data_dir / "cache"
            corpus.generation, corpus.collection = gen.number, gen.collection
            if cached is not None:  # its reader reconnects if an answer still uses it
                cached.reader.close()
            _CACHE[key] = corpus
            return corpus
    finally:
        catalog.close()


_REPLICATING: set[tuple[str, str]] = set()


def _replicate_vectors(settings: Settings, gen: Generation, key: str, name: str | None) -> None:
    """The catalog in PostgreSQL names a vector file this data dir lacks (it lives on the
    ingest's machine): build this bot's own copy from the Chroma server in the background and
    hand it to the corpus when done. Until then dense search goes to Chroma's index, slower
    at a million records but the same answers' figures."""
    if name is None:
        return
    job = (key, name)
    with _LOCK:
        if job in _REPLICATING:
            return
        _REPLICATING.add(job)

    def run() -> None:
        from ingest.embedder import get_embedder
        from ingest.store import VectorStore

        try:
            embedder = get_embedder(settings)
            store = VectorStore(
                settings, embedder.model_id, embedder.dim, gen.collection, mode="read"
            )
            catalog = Catalog(gen, readonly=True)
            try:
                path = vectors_file.replicate(catalog.db, gen, store.fetch_vectors)
            finally:
                catalog.close()
            if path is None or path.name != name:
                return
            with _LOCK:
                cached = _CACHE.get(key)
                if cached is not None and cached.dense is None and cached.dense_name == name:
                    cached.dense = vectors_file.load(path, len(cached))
            log.info("this data dir's copy of the vector file is ready: %s", path)
        except Exception as exc:  # noqa: BLE001 - best effort: Chroma's index still answers
            log.warning("could not copy the vector file here (%s): using Chroma's index", exc)
        finally:
            with _LOCK:
                _REPLICATING.discard(job)

    threading.Thread(target=run, name="cxbot-vectors-copy", daemon=True).start()


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
        _STAMPS.clear()
