"""The in-memory view of the catalog that answers are counted over, plus the BM25 index.

Loaded once per catalog version (a re-ingest bumps it), so a running bot picks up new data on
the next question without a restart.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ingest import lexical
from ingest.catalog import Catalog
from ingest.config import Settings
from ingest.errors import StoreError
from ingest.scores import infer_kind
from ingest.textnorm import dedupe_key

log = logging.getLogger("cxbot.corpus")


@dataclass
class Corpus:
    version: int
    last_indexed: str | None
    model_id: str | None
    rows: list[dict[str, Any]]
    ids: list[str]
    index: dict[str, int]
    kind: np.ndarray
    polarity: np.ndarray
    intent: np.ndarray  # complaint / request / praise / question / other, per record
    source: np.ndarray
    themes: dict[str, np.ndarray]  # theme -> bool mask
    complaints: dict[str, np.ndarray]  # theme -> raised as a complaint
    segments: dict[str, np.ndarray]  # segment key -> value per row ("" when absent)
    segment_values: dict[str, list[str]]
    dayn: np.ndarray  # YYYYMMDD as int, 0 when undated
    seg_codes: dict[str, np.ndarray]  # segment key -> int code per row (0: absent)
    seg_index: dict[str, dict[str, int]]  # segment key -> value -> code
    any_complaint: np.ndarray
    is_verbatim: np.ndarray
    dedupe: list[str]
    bm25: lexical.Lexical | None = None  # memory-mapped from the generation's saved index
    sources: list[dict[str, object]] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)  # per-version results (freshness line)
    cache_dir: Path | None = None
    generation: int = 0  # the index generation it was loaded from (see ingest.generations)
    collection: str | None = None  # that generation's Chroma collection
    # the respondent's own score (NaN when none) and its kind per record ("" when unknown):
    # what bot.analysis.drivers counts the score and its drivers over
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))
    score_kind: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    _vectors: np.ndarray | None = None
    _vectors_tried: bool = False

    def vectors(self, store: Any, max_rows: int) -> np.ndarray | None:
        """All embeddings in catalog order, for exact in-memory dense search.

        Fetched from Chroma once per index version and cached as .npy in the data dir; above
        ``max_rows`` records the answer is None and search goes to Chroma's HNSW index.
        """
        if not self.rows or len(self.rows) > max_rows:
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
                    self.cache_dir
                    / f"vectors-g{self.generation}-v{self.version}-{len(self.ids)}.npy"
                )
                if self.bm25 is not None:  # saved by ingest beside the BM25 index
                    self._vectors = self.bm25.vectors(len(self.ids))
                    if self._vectors is not None:
                        return self._vectors
                if path.exists():
                    try:
                        self._vectors = np.load(path, mmap_mode="r")
                        return self._vectors
                    except (OSError, ValueError):
                        pass
            vecs = store.fetch_vectors(self.ids)
            if vecs is None:
                return None
            self._vectors = vecs
            if path is not None:
                _save_cache(path, vecs)
            return self._vectors

    def __len__(self) -> int:
        return len(self.rows)

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
            return np.zeros(len(self.rows), dtype=bool)
        wanted = [self.seg_index[key][v] for v in values if v in self.seg_index[key]]
        if len(wanted) == 1:
            return codes == wanted[0]
        return np.isin(codes, wanted)

    def bm25_scores(self, query: str) -> np.ndarray:
        if self.bm25 is None or self.bm25.n_docs != len(self.ids):
            return np.zeros(len(self.ids), dtype=np.float32)
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


def build_corpus(catalog: Catalog) -> Corpus:
    rows = list(catalog.rows("ORDER BY rowid"))
    ids = [str(r["id"]) for r in rows]
    theme_names = sorted({t for r in rows for t in r["themes"]})
    seg_keys = sorted({k for r in rows for k in r["segments"]})
    segments = {
        k: np.array([r["segments"].get(k, "") for r in rows], dtype=object) for k in seg_keys
    }
    # values a question can name: customer segments only (metric rows carry their own labels)
    is_verbatim = np.array([r["kind"] == "verbatim" for r in rows], dtype=bool)
    seg_values = {
        k: vals
        for k in seg_keys
        if (vals := sorted({v for v, ok in zip(segments[k], is_verbatim, strict=True) if v and ok}))
    }
    seg_index: dict[str, dict[str, int]] = {}
    seg_codes: dict[str, np.ndarray] = {}
    for k in seg_keys:
        index: dict[str, int] = {}
        codes = np.zeros(len(rows), dtype=np.int32)
        for n, v in enumerate(segments[k]):
            if v:
                codes[n] = index.setdefault(v, len(index) + 1)
        seg_index[k], seg_codes[k] = index, codes
    sources = catalog.sources()
    score = np.array(
        [float(r["score"]) if r["score"] is not None else np.nan for r in rows], dtype=np.float64
    )
    return Corpus(
        version=catalog.version(),
        last_indexed=catalog.meta("last_indexed"),
        model_id=catalog.meta("model_id"),
        rows=rows,
        ids=ids,
        index={i: n for n, i in enumerate(ids)},
        kind=np.array([r["kind"] for r in rows], dtype=object),
        polarity=np.array([r["polarity"] for r in rows], dtype=np.int8),
        intent=np.array([r["intent"] for r in rows], dtype=object),
        source=np.array([r["source"] for r in rows], dtype=object),
        themes={t: np.array([t in r["themes"] for r in rows], dtype=bool) for t in theme_names},
        complaints={
            t: np.array([t in r["complaints"] for r in rows], dtype=bool) for t in theme_names
        },
        segments=segments,
        segment_values=seg_values,
        dayn=np.array(
            [int(str(r["day"]).replace("-", "")) if r["day"] else 0 for r in rows], dtype=np.int32
        ),
        seg_codes=seg_codes,
        seg_index=seg_index,
        any_complaint=np.array([bool(r["complaints"]) for r in rows], dtype=bool),
        is_verbatim=is_verbatim,
        dedupe=[dedupe_key(str(r["text"])) for r in rows],
        sources=sources,
        score=score,
        score_kind=_score_kinds(rows, sources, score, is_verbatim),
    )


def _score_kinds(
    rows: list[dict[str, Any]],
    sources: list[dict[str, object]],
    score: np.ndarray,
    is_verbatim: np.ndarray,
) -> np.ndarray:
    """Each verbatim's score kind: its source's stored kind, or (a catalog from before score
    kinds) the kind its stored values imply."""
    src = np.array([r["source"] for r in rows], dtype=object)
    out = np.full(len(rows), "", dtype=object)
    stored = {str(s["source"]): s.get("score_kind") for s in sources}
    has = is_verbatim & ~np.isnan(score)
    for name in sorted(set(src[has].tolist())):
        m = has & (src == name)
        kind = stored.get(name) or infer_kind(None, score[m].tolist())
        if kind:
            out[m] = kind
    return out


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


def load_corpus(settings: Settings) -> Corpus:
    """The current corpus, rebuilt only when the catalog version (or generation) changed."""
    gen = settings.generation()
    path = gen.catalog_path
    if not path.exists():
        raise StoreError(
            f"Nothing has been indexed yet in {settings.data_dir}.",
            "Run `cxbot ingest FILE --kind survey` (or `make demo`) first.",
        )
    key = str(settings.data_dir.resolve())
    stamp = _stamp(path)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and _STAMPS.get(key) == stamp:
            return cached
    catalog = Catalog(path)
    try:
        version = catalog.version()
        with _LOCK:
            _STAMPS[key] = stamp
            cached = _CACHE.get(key)
            if cached is not None and (cached.generation, cached.version) == (gen.number, version):
                return cached
            corpus = build_corpus(catalog)
            corpus.bm25 = lexical.open_for(catalog.db, gen, version, len(corpus.ids))
            corpus.cache_dir = settings.data_dir / "cache"
            corpus.generation, corpus.collection = gen.number, gen.collection
            _CACHE[key] = corpus
            return corpus
    finally:
        catalog.close()


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
        _STAMPS.clear()
