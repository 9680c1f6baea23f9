"""The in-memory view of the catalog that answers are counted over, plus the BM25 index.

Loaded once per catalog version (a re-ingest bumps it), so a running bot picks up new data on
the next question without a restart.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from ingest.catalog import Catalog
from ingest.config import Settings
from ingest.errors import StoreError
from ingest.textnorm import dedupe_key


def _tokenizer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


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
    day: np.ndarray  # ISO day strings, "" when undated
    source: np.ndarray
    themes: dict[str, np.ndarray]  # theme -> bool mask
    complaints: dict[str, np.ndarray]  # theme -> raised as a complaint
    segments: dict[str, np.ndarray]  # segment key -> value per row ("" when absent)
    segment_values: dict[str, list[str]]
    any_complaint: np.ndarray
    dedupe: list[str]
    bm25: Any = None
    stemmer: Any = None
    sources: list[dict[str, object]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def date_range(self, mask: np.ndarray | None = None) -> tuple[date | None, date | None]:
        days = self.day if mask is None else self.day[mask]
        days = [d for d in days.tolist() if d]
        if not days:
            return None, None
        return date.fromisoformat(min(days)), date.fromisoformat(max(days))

    def bm25_scores(self, query: str) -> np.ndarray:
        import bm25s

        if self.bm25 is None or not len(self.rows):
            return np.zeros(len(self.rows), dtype=np.float32)
        tokens = bm25s.tokenize(
            [query], stopwords="en", stemmer=self.stemmer, show_progress=False, return_ids=False
        )
        if not tokens or not tokens[0]:
            return np.zeros(len(self.rows), dtype=np.float32)
        vocab = self.bm25.vocab_dict
        known = [t for t in tokens[0] if t in vocab]
        if not known:
            return np.zeros(len(self.rows), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)


def build_corpus(catalog: Catalog) -> Corpus:
    import bm25s

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
    stemmer = _tokenizer()
    bm25 = None
    if rows:
        corpus_tokens = bm25s.tokenize(
            [str(r["text"]) for r in rows], stopwords="en", stemmer=stemmer, show_progress=False
        )
        bm25 = bm25s.BM25()
        bm25.index(corpus_tokens, show_progress=False)
        bm25.vocab_dict = corpus_tokens.vocab
    return Corpus(
        version=catalog.version(),
        last_indexed=catalog.meta("last_indexed"),
        model_id=catalog.meta("model_id"),
        rows=rows,
        ids=ids,
        index={i: n for n, i in enumerate(ids)},
        kind=np.array([r["kind"] for r in rows], dtype=object),
        polarity=np.array([r["polarity"] for r in rows], dtype=np.int8),
        day=np.array([r["day"] or "" for r in rows], dtype="<U10"),
        source=np.array([r["source"] for r in rows], dtype=object),
        themes={t: np.array([t in r["themes"] for r in rows], dtype=bool) for t in theme_names},
        complaints={
            t: np.array([t in r["complaints"] for r in rows], dtype=bool) for t in theme_names
        },
        segments=segments,
        segment_values=seg_values,
        any_complaint=np.array([bool(r["complaints"]) for r in rows], dtype=bool),
        dedupe=[dedupe_key(str(r["text"])) for r in rows],
        bm25=bm25,
        stemmer=stemmer,
        sources=catalog.sources(),
    )


_LOCK = threading.Lock()
_CACHE: dict[str, Corpus] = {}


def load_corpus(settings: Settings) -> Corpus:
    """The current corpus, rebuilt only when the catalog version changed."""
    path = settings.catalog_path
    if not path.exists():
        raise StoreError(
            f"Nothing has been indexed yet in {settings.data_dir}.",
            "Run `cxbot ingest FILE --kind survey` (or `make demo`) first.",
        )
    catalog = Catalog(path)
    try:
        version = catalog.version()
        key = str(path.resolve())
        with _LOCK:
            cached = _CACHE.get(key)
            if cached is not None and cached.version == version:
                return cached
            corpus = build_corpus(catalog)
            _CACHE[key] = corpus
            return corpus
    finally:
        catalog.close()


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
