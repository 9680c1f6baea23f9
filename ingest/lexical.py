"""BM25 over the catalog's texts, built by ingest and memory-mapped by the bot.

Building bm25s over 1M texts takes ~40 s; loading a saved index memory-mapped takes ~10 ms. So
ingest builds it inside the catalog transaction (from the rows that transaction is about to
commit, in rowid order: the order the bot numbers records in), saves it in a fresh folder
beside the generation's catalog and points the catalog's meta 'lexical' at that folder in the
same commit: a reader sees the new texts and their BM25 together, or neither. The dense
vectors in the same order ride along in that folder (``vectors.npy``) when the index is small
enough for exact in-memory search, so a reader never has to open Chroma to get them.

An index written before this (no pointer) still answers: the bot builds BM25 in memory as it
always did and, best effort, saves it for the next process (keyed by the catalog version).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.generations import Generation
from ingest.pgcatalog import dialect

log = logging.getLogger("cxbot.lexical")

# what a query must be tokenized with to match the index: saved with it, checked on load
STOPWORDS = "en"
STEMMER = "english"
FORMAT = 1
SETTINGS = "cxbot.json"
VECTORS = "vectors.npy"
META_KEY = "lexical"


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer(STEMMER)


@dataclass
class Lexical:
    """A loaded BM25 index and the stemmer its query tokens need."""

    bm25: Any
    stemmer: Any
    n_docs: int
    path: Path | None = None  # the folder it was loaded from (None: built in memory)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every record for ``query`` (0 where no query word occurs).

        bm25s' own top-k (``retrieve``) is not used: its numpy path costs 40-130 ms at 1M
        records, while these scores plus one argpartition take ~6 ms (docs/benchmarks.md).
        """
        import bm25s

        tokens = bm25s.tokenize(
            [query],
            stopwords=STOPWORDS,
            stemmer=self.stemmer,
            show_progress=False,
            return_ids=False,
        )
        vocab = self.bm25.vocab_dict
        known = [t for t in (tokens[0] if tokens else []) if t in vocab]
        if not known:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def doc_freq(self, words: list[str]) -> list[int]:
        """How many records use each word (stemmed as the index is); 0 for a word none uses.
        The index stores its scores column per word (CSC), so this is a subtraction."""
        vocab = self.bm25.vocab_dict
        indptr = self.bm25.scores["indptr"]
        out = []
        for stem in self.stemmer.stemWords([w.lower() for w in words]):
            t = vocab.get(stem)
            out.append(0 if t is None or t + 1 >= len(indptr) else int(indptr[t + 1] - indptr[t]))
        return out

    def vectors(self, n: int) -> np.ndarray | None:
        """The dense vectors saved with this index (memory-mapped), or None."""
        if self.path is None:
            return None
        try:
            vecs = np.load(self.path / VECTORS, mmap_mode="r")
        except (OSError, ValueError):
            return None
        return vecs if vecs.ndim == 2 and len(vecs) == n else None


def build(texts: list[str]) -> Lexical | None:
    """None when there is nothing to search (no records, or only stop words)."""
    import bm25s

    stemmer = _stemmer()
    tokens = bm25s.tokenize(texts, stopwords=STOPWORDS, stemmer=stemmer, show_progress=False)
    if not texts or not tokens.vocab:
        return None
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    bm25.vocab_dict = tokens.vocab
    return Lexical(bm25, stemmer, len(texts))


def save(lex: Lexical, path: Path, vectors: np.ndarray | None = None) -> None:
    """Write into a temporary folder, then rename it into place: a reader never sees half."""
    import bm25s

    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        lex.bm25.save(str(tmp), show_progress=False)
        if vectors is not None:
            np.save(tmp / VECTORS, np.asarray(vectors, dtype=np.float32))
        settings = {
            "format": FORMAT,
            "stopwords": STOPWORDS,
            "stemmer": STEMMER,
            "n_docs": lex.n_docs,
            "bm25s": bm25s.__version__,
        }
        (tmp / SETTINGS).write_text(json.dumps(settings), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    lex.path = path


def load(path: Path, n_docs: int) -> Lexical | None:
    """The index saved in ``path``, memory-mapped; None when missing, damaged, built with other
    tokenizer settings or for another number of records (then the caller builds one)."""
    import bm25s

    try:
        settings = json.loads((path / SETTINGS).read_text(encoding="utf-8"))
        if (
            settings.get("format") != FORMAT
            or settings.get("stopwords") != STOPWORDS
            or settings.get("stemmer") != STEMMER
            or settings.get("n_docs") != n_docs
        ):
            return None
        bm25 = bm25s.BM25.load(str(path), mmap=True, show_progress=False)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if path.exists():
            log.warning("cannot load the BM25 index in %s (%s): building it again", path, exc)
        return None
    return Lexical(bm25, _stemmer(), n_docs, path)


def _texts(db: Any) -> list[str]:
    return [str(r[0]) for r in db.execute(f"SELECT text FROM records ORDER BY {dialect(db).key}")]


def _pointer(db: Any) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key=?", (META_KEY,)).fetchone()
    return str(row[0]) if row else None


def stale(db: Any, gen: Generation) -> bool:
    """True when the catalog has no saved BM25 (written before this module, or lost)."""
    name = _pointer(db)
    return name is None or not (gen.data_dir / name / SETTINGS).exists()


def write(db: Any, gen: Generation, vectors: Any = None, max_vectors: int = 0) -> Path | None:
    """Build BM25 from the rows ``db``'s open transaction holds, save it in a new folder and
    point the catalog at it (committed with the transaction).

    ``vectors(ids) -> array | None``: the stored embeddings of those records, saved alongside
    when there are at most ``max_vectors`` records (the bot's exact in-memory search).
    """
    previous = _pointer(db)
    lex = build(_texts(db))
    if lex is None:  # nothing to search: the bot shows no lexical hits
        db.execute("DELETE FROM meta WHERE key=?", (META_KEY,))
        prune(gen, keep={previous or ""})
        return None
    ids = [str(r[0]) for r in db.execute(f"SELECT id FROM records ORDER BY {dialect(db).key}")]
    vecs = vectors(ids) if vectors is not None and len(ids) <= max_vectors else None
    path = gen.data_dir / f"bm25-g{gen.number}-{time.time_ns()}"
    save(lex, path, vecs)
    db.execute(dialect(db).upsert("meta", ["key", "value"], ["key"]), (META_KEY, path.name))
    prune(gen, keep={path.name, previous or ""})
    return path


def prune(gen: Generation, keep: set[str]) -> None:
    """Remove this generation's older BM25 folders (the previous one stays: a reader may have
    read the old pointer just before this commit)."""
    for p in gen.data_dir.glob(f"bm25-g{gen.number}-*"):
        if p.name not in keep and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


def open_for(db: Any, gen: Generation, version: int, n_docs: int) -> Lexical | None:
    """The BM25 index for the catalog ``db`` as it is now (``n_docs`` records).

    The saved one when the catalog points at it; otherwise (an index from before saved BM25)
    built in memory from the catalog, and saved best effort for the next process.
    """
    if not n_docs:
        return None
    name = _pointer(db)
    if name is not None:
        lex = load(gen.data_dir / name, n_docs)
        if lex is not None:
            return lex
    auto = gen.data_dir / f"bm25-g{gen.number}-v{version}"
    lex = load(auto, n_docs)
    if lex is not None:
        return lex
    t0 = time.perf_counter()
    lex = build(_texts(db))
    log.info("built BM25 over %d records in memory in %.1f s", n_docs, time.perf_counter() - t0)
    if lex is not None and lex.n_docs == n_docs:
        try:
            save(lex, auto)
        except OSError as exc:  # read-only or full disk: answers still work, just slower starts
            log.warning("could not save BM25 in %s: %s", auto, exc)
        else:  # a bot on its own data dir (catalog in PostgreSQL) builds one per version
            for old in gen.data_dir.glob("bm25-g*-v*"):
                if old != auto and old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
    return lex
