"""Hybrid retrieval: Chroma (dense) + bm25s (lexical), fused with RRF, then theme and sentiment
boosts from the question and near-duplicate collapse (retweets, copy-paste)."""

from __future__ import annotations

import re
import threading
from typing import Literal

import numpy as np

from bot.citations import Hit
from bot.corpus import Corpus
from bot.filters import Filters
from ingest.store import VectorStore

Mode = Literal["hybrid", "dense", "bm25"]
RRF_K = 60
CANDIDATES = 100
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
THEME_BOOST = 1.5
# levers on what gets quoted, each measured on the labelled tweet questions side by side
# (benchmarks/cite_levers.py, docs/benchmarks.md section 8): BM25 query expansion from the asked
# theme (its label and example phrases), pseudo-relevance feedback (Rocchio: the question's
# vector moved towards the stored vectors of its first `prf` hits, weight `prf_weight`, then
# dense search again), and a share question citing the side it asks
# about (`share_side`, `share_cites` quotes). `expand_dense` (the question's vector moved
# towards the theme's prototype) did not help and stays off.
LEVERS: dict[str, float | int | bool] = {
    "expand_dense": 0.0,
    "expand_lex": True,
    "prf": 5,
    "prf_weight": 0.5,
    "share_side": True,
    "share_cites": 5,
}
# words that say what kind of question it is, not what it is about: kept out of BM25
_META = re.compile(
    r"\b(customers?|clients?|people|passengers?|users?|complain\w*|complaints?|says?|said|"
    r"talk\w*|mention\w*|think\w*|feel\w*|what|which|who|whom|were|was|how|many|most|our|"
    r"us|we|do|does|did|about|unhappy|happy|any|tell|me|show)\b",
    re.I,
)


def lexical_query(query: str) -> str:
    stripped = _META.sub(" ", query)
    return stripped if stripped.strip() else query


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def collapse(corpus: Corpus, ranked: list[Hit], k: int, threshold: float = 0.7) -> list[Hit]:
    """Keep the best of each group of near-identical texts."""
    out: list[Hit] = []
    keys: set[str] = set()
    token_sets: list[set[str]] = []
    dedupe: dict[int, str] = {}
    step = max(2 * k, 20)  # keys of the first candidates only: most searches stop there
    for n, h in enumerate(ranked):
        if h.idx not in dedupe:
            idx = [x.idx for x in ranked[n : n + step]]
            dedupe.update(zip(idx, corpus.dedupe_keys(idx), strict=True))
        key = dedupe[h.idx]
        if key in keys:
            continue
        toks = set(key.split())
        if any(_jaccard(toks, t) >= threshold for t in token_sets):
            continue
        keys.add(key)
        token_sets.append(toks)
        out.append(h)
        if len(out) >= k:
            break
    return out


POOL = 2000  # nearest records fetched once per question on the HNSW path
FETCH_MAX = 1000  # below this many candidates, fetch their vectors (~30 µs each) instead
_POOLS_KEPT = 64
_POOLS_LOCK = threading.Lock()


def _hnsw_dense(
    corpus: Corpus,
    store: VectorStore,
    qvec: np.ndarray,
    filters: Filters,
    mask: np.ndarray,
    n: int,
) -> dict[int, float]:
    """Dense candidates from Chroma's HNSW index (above ``dense_in_memory_max`` records).

    A filtered Chroma query scans an allow-list (~260 ms at 100k records; an answer makes one
    per segment it quotes), an unfiltered one does not (~16 ms). So each question vector gets
    one unfiltered query for its POOL nearest records, kept with the corpus; a search whose
    mask keeps at least ``n`` of them takes its top ``n`` from the pool (exactly the filtered
    top ``n``: every record outside the pool is farther than all inside it). Only a search that
    finds too few there either reads the vectors of its (at most FETCH_MAX) records by id and
    ranks them exactly, or sends its filters to Chroma, without a kind clause (metric lines are
    few: fetch a few more and drop them with the mask).
    """
    pools: dict[bytes, list[tuple[int, float]]] = corpus.memo.setdefault("hnsw_pools", {})
    key = qvec.astype(np.float32).tobytes()
    pool = pools.get(key)
    if pool is None:
        hits = store.query(qvec, int(min(len(corpus), POOL)), None)
        found = corpus.index.many([rid for rid, _ in hits])
        pool = [(i, sim) for i, (_, sim) in zip(found, hits, strict=True) if i is not None]
        with _POOLS_LOCK:  # two answer workers share the corpus
            if len(pools) >= _POOLS_KEPT:
                pools.pop(next(iter(pools)), None)
            pools[key] = pool
    inside = [(i, sim) for i, sim in pool if mask[i]]
    if len(inside) >= n or len(pool) >= len(corpus):
        return dict(inside[:n])
    wanted = np.flatnonzero(mask)
    if len(wanted) <= FETCH_MAX:  # few records: their vectors by id, then exact similarity
        vecs = store.fetch_vectors(corpus.ids[wanted])
        if vecs is not None:
            sims = vecs @ qvec.astype(np.float32)
            top = np.argsort(-sims)[:n]
            return {int(wanted[j]): float(sims[j]) for j in top}
    dense: dict[int, float] = {}
    wide = int(min(len(corpus), 2 * n + 20))
    got = store.query(qvec, wide, filters.chroma_where(None))
    for i, (_, sim) in zip(corpus.index.many([rid for rid, _ in got]), got, strict=True):
        if i is not None and mask[i] and len(dense) < n:
            dense[i] = sim
    return dense


def _dense(
    corpus: Corpus,
    store: VectorStore,
    vectors: np.ndarray | None,
    qvec: np.ndarray,
    filters: Filters,
    mask: np.ndarray,
    near: np.ndarray | None = None,
) -> dict[int, float]:
    """``near``: the question's own vector, when ``qvec`` is it moved by feedback; from the
    int8 file it is then searched among the question's nearest (one scan of every record per
    question, not per search: at 1M a scan is ~40 ms, and an answer searches 4-8 times)."""
    n = int(min(CANDIDATES, mask.sum()))
    if vectors is None:
        if corpus.dense is not None and len(corpus) <= store.settings.dense_exact_max:
            if near is not None:
                return corpus.dense.top_near(qvec, near, mask, n)
            return corpus.dense.top(qvec, mask, n)  # exact, from ingest's int8 vector file
        return _hnsw_dense(corpus, store, qvec, filters, mask, n)
    # exact search in memory: a filtered Chroma query costs ~90 ms, this ~2 ms at 15k
    sims = vectors @ qvec.astype(np.float32)
    sims = np.where(mask, sims, -np.inf)
    top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
    return {int(i): float(sims[i]) for i in top if mask[i]}


def stored_rows(
    corpus: Corpus, store: VectorStore, vectors: np.ndarray | None, idx: np.ndarray
) -> np.ndarray | None:
    """The stored vectors of these records: from memory, else from Chroma by id."""
    if vectors is not None:
        return np.asarray(vectors[idx])
    if corpus.dense is not None:  # the float32 rows of ingest's vector file
        return corpus.dense.rows(idx)
    return store.fetch_vectors(list(corpus.ids[idx]))


def _fuse(dense: dict[int, float], lexical: dict[int, float]) -> dict[int, float]:
    """Reciprocal-rank fusion of the dense and lexical rankings."""
    fused: dict[int, float] = {}
    for ranking, weight in ((dense, DENSE_WEIGHT), (lexical, LEXICAL_WEIGHT)):
        for rank, i in enumerate(sorted(ranking, key=lambda x: -ranking[x])):
            fused[i] = fused.get(i, 0.0) + weight / (RRF_K + rank + 1)
    return fused


def search(
    corpus: Corpus,
    store: VectorStore,
    qvec: np.ndarray,
    query: str,
    filters: Filters,
    k: int = 8,
    mode: Mode = "hybrid",
    kind: str | None = "verbatim",
    theme_filter: list[str] | None = None,
) -> list[Hit]:
    """Top-k records for the query within the filters. ``theme_filter`` makes themes a hard
    filter (used to pick quotes for a counted theme); ``filters.themes`` only boosts."""
    mask = filters.mask(corpus, kind)
    if theme_filter:
        tm = np.zeros(len(corpus), dtype=bool)
        for t in theme_filter:
            if t in corpus.themes:
                tm |= corpus.themes[t]
        mask &= tm
    if filters.polarity == -1:
        # complaints: search among non-positive records first
        pm = mask & ((corpus.polarity < 0) | corpus.any_complaint)
        if pm.sum() >= k:
            mask = pm
    if not mask.any():
        return []

    if corpus.collection:
        store = store.at(corpus.collection)  # the generation the corpus came from
    dense: dict[int, float] = {}
    vectors = None
    if mode in ("hybrid", "dense"):
        vectors = corpus.vectors(store, store.settings.dense_in_memory_max)
        dense = _dense(corpus, store, vectors, qvec, filters, mask)
    lexical: dict[int, float] = {}
    if mode in ("hybrid", "bm25"):
        scores = corpus.bm25_scores(lexical_query(query))
        scores = np.where(mask, scores, 0.0)
        n = int(min(CANDIDATES, len(scores)))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        for i in top:
            if scores[i] > 0:
                lexical[int(i)] = float(scores[i])

    fused = _fuse(dense, lexical)
    m = int(LEVERS["prf"])
    if m and mode == "hybrid" and fused:
        # Rocchio: the question moved towards its own best hits, then dense search again (on
        # the HNSW path: their stored vectors by id, and one more pool query)
        first = np.array(sorted(fused, key=lambda x: (-fused[x], x))[:m], dtype=np.int64)
        fb = stored_rows(corpus, store, vectors, first)
        if fb is not None and len(fb):
            v = qvec + float(LEVERS["prf_weight"]) * np.asarray(fb, np.float32).mean(0)
            moved = _dense(corpus, store, vectors, v / np.linalg.norm(v), filters, mask, near=qvec)
            ids = np.fromiter(moved, dtype=np.int64, count=len(moved))
            own = stored_rows(corpus, store, vectors, ids) if len(ids) else None
            if own is not None:
                fused = _fuse(moved, lexical)
                # a hit's similarity stays the question's own: "is anything close?" is judged
                # on it
                sims = np.asarray(own, np.float32) @ qvec.astype(np.float32)
                dense = {int(i): float(x) for i, x in zip(ids, sims, strict=True)}
    if mode == "hybrid" and filters.themes:
        # the themes in the taxonomy are problems: prefer records that raise them as one
        raised = [m for t in filters.themes if (m := corpus.complaints.get(t)) is not None]
        for i in fused:
            if any(m[i] for m in raised):
                fused[i] *= THEME_BOOST
    if filters.polarity is not None:
        for i in fused:
            p = int(corpus.polarity[i])
            if p == filters.polarity:
                fused[i] *= 1.2
            elif p == -filters.polarity:
                fused[i] *= 0.5
    ranked = [
        Hit(idx=i, id=corpus.ids[i], score=s, dense=dense.get(i), lexical=lexical.get(i))
        for i, s in sorted(fused.items(), key=lambda x: (-x[1], x[0]))
    ]
    return collapse(corpus, ranked, k)
