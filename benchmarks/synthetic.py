"""Synthetic growth data for the scale benchmark, derived from the real tweets index.

Each synthetic record is a real tweet plus the last few words of another one (so texts stay
tweet-like for BM25, VADER and the theme keywords), with that tweet's airline and date. Its
vector is the two tweets' vectors mixed 80/20 plus a little fixed noise: clustered like real
embeddings, which matters to HNSW, at no embedding cost. The embedding cost is projected from
the measured rate instead, and the report says so.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from benchmarks.common import settings_for
from ingest.embedder import LOCAL_MODEL_ID

DIM = 384


class Synth:
    def __init__(self, base_dir: Path, n: int, seed: int = 8) -> None:
        from ingest.catalog import Catalog
        from ingest.store import VectorStore

        settings = settings_for(base_dir)
        cat = Catalog(settings.catalog_path)
        try:
            rows = list(cat.rows("WHERE kind='verbatim' ORDER BY rowid"))
        finally:
            cat.close()
        col = VectorStore(settings, LOCAL_MODEL_ID, DIM).collection(create=False)
        ids = [str(r["id"]) for r in rows]
        vecs: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), 5000):
            got = col.get(ids=ids[start : start + 5000], include=["embeddings"])
            vecs.update(zip(got["ids"], got["embeddings"], strict=True))
        self.texts = [str(r["text"]) for r in rows]
        self.airline = [str(r["segments"].get("airline", "")) for r in rows]
        self.date = [str(r["date"] or "") for r in rows]
        self.base = np.asarray([vecs[i] for i in ids], dtype=np.float32)
        rng = np.random.default_rng(seed)
        self.n = n
        self.a = rng.integers(len(rows), size=n)
        self.b = rng.integers(len(rows), size=n)
        self.tail = 3 + rng.integers(4, size=n)
        self.noise = rng.normal(0, 0.03, size=(1024, DIM)).astype(np.float32)
        self.lookup: dict[str, int] = {}

    def text(self, i: int) -> str:
        words = self.texts[self.b[i]].split()
        return f"{self.texts[self.a[i]]} {' '.join(words[-int(self.tail[i]) :])}"

    def write_csv(self, path: Path) -> None:
        """The synthetic source, and the text -> row lookup the stub embedder needs (keyed by
        the text exactly as the pipeline will embed it: normalised and redacted)."""
        from ingest.redact import redact
        from ingest.textnorm import normalise

        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["tweet_id", "airline", "text", "tweet_created"])
            for i in range(self.n):
                t = self.text(i)
                self.lookup[redact(normalise(t))] = i
                w.writerow([f"s{i:07d}", self.airline[self.a[i]], t, self.date[self.a[i]]])

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        v = 0.8 * self.base[self.a[rows]] + 0.2 * self.base[self.b[rows]]
        v += self.noise[rows % 1024] + self.noise[(rows * 7919) % 1024]
        return v / np.linalg.norm(v, axis=1, keepdims=True)


class StubEmbedder:
    """The real model's id and size, synthetic vectors for synthetic texts; anything else (the
    taxonomy, the metric lines, questions) goes to the real model."""

    model_id = LOCAL_MODEL_ID
    dim = DIM

    def __init__(self, synth: Synth, real: object) -> None:
        self.synth = synth
        self.real = real
        self.misses = 0

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        rows = np.array([self.synth.lookup.get(t, -1) for t in texts], dtype=np.int64)
        known = rows >= 0
        if known.any():
            out[known] = self.synth.vectors(rows[known])
        unknown = np.flatnonzero(~known)
        if len(unknown):
            self.misses += len(unknown)
            out[unknown] = self.real.embed([texts[j] for j in unknown])  # type: ignore[attr-defined]
        if progress:
            progress(len(texts))
        return out
