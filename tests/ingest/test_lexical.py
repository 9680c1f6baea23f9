"""BM25 built by ingest, saved beside the generation's catalog, memory-mapped by the bot."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from bot.corpus import clear_cache, load_corpus
from bot.engine import Engine
from bot.filters import Filters
from ingest import lexical
from ingest.catalog import Catalog
from ingest.config import Settings, SourceSpec
from ingest.pipeline import Job, remove_source, run_ingest
from tests.conftest import ingest_file
from tests.ingest.test_pipeline import ROWS, write_csv


def bm25_dirs(s: Settings) -> list[str]:
    return sorted(p.name for p in s.data_dir.glob("bm25-g*") if p.is_dir())


def pointer(s: Settings) -> str | None:
    cat = Catalog(s.catalog_path)
    try:
        return cat.meta(lexical.META_KEY)
    finally:
        cat.close()


def in_memory_scores(s: Settings, query: str) -> np.ndarray:
    """What the bot computed before saved BM25: an index built from the catalog's texts."""
    cat = Catalog(s.catalog_path)
    try:
        texts = [str(r["text"]) for r in cat.rows("ORDER BY rowid")]
    finally:
        cat.close()
    return lexical.build(texts).scores(query)


def test_the_bot_memory_maps_the_bm25_that_ingest_saved(settings: Settings, tmp_path: Path) -> None:
    ingest_file(settings, write_csv(tmp_path / "s.csv", ROWS))
    assert bm25_dirs(settings) == [pointer(settings)]
    clear_cache()
    corpus = load_corpus(settings)
    assert corpus.bm25 is not None and corpus.bm25.path == settings.data_dir / pointer(settings)
    assert isinstance(corpus.bm25.bm25.scores["data"], np.memmap)
    # the same scores as an index built in memory, so answers do not change
    for q in ("late delivery", "vase broken crushed", "courier never called"):
        assert np.allclose(corpus.bm25_scores(q), in_memory_scores(settings, q))
    hits = Engine(settings).search("crushed vase", Filters(), k=1, mode="bm25")
    assert hits[0].id == "s.csv:4"
    # the vectors ride along, so exact dense search needs no Chroma read
    vecs = corpus.bm25.vectors(len(corpus))
    assert isinstance(vecs, np.memmap) and vecs.shape == (5, 384)


def test_reingest_points_at_a_new_index_and_keeps_only_the_previous_one(
    settings: Settings, tmp_path: Path
) -> None:
    src = tmp_path / "s.csv"
    ingest_file(settings, write_csv(src, ROWS))
    first = pointer(settings)
    ingest_file(settings, src)  # nothing changed: the same index answers
    assert pointer(settings) == first
    rows = [*ROWS[:4], ("6", "West", "The umbrella handle snapped on day one.")]
    ingest_file(settings, write_csv(src, rows))
    second = pointer(settings)
    assert second != first and bm25_dirs(settings) == sorted([first, second])
    clear_cache()
    hits = Engine(settings).search("umbrella handle snapped", Filters(), k=1, mode="bm25")
    assert [h.id for h in hits] == ["s.csv:6"]
    ingest_file(settings, write_csv(src, ROWS))
    assert bm25_dirs(settings) == sorted([second, pointer(settings)])
    remove_source(settings, "s.csv")
    clear_cache()
    assert load_corpus(settings).bm25 is None  # nothing left to search
    assert pointer(settings) is None and len(bm25_dirs(settings)) == 1


def test_an_index_from_before_saved_bm25_still_answers_and_saves_one(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    ingest_file(settings, src)
    # what an older cxbot left behind: no pointer, no saved index
    cat = Catalog(settings.catalog_path)
    with cat.transaction() as db:
        db.execute("DELETE FROM meta WHERE key=?", (lexical.META_KEY,))
    version = cat.version()
    cat.close()
    for d in bm25_dirs(settings):
        shutil.rmtree(settings.data_dir / d)
    clear_cache()
    corpus = load_corpus(settings)
    assert np.allclose(
        corpus.bm25_scores("late delivery"), in_memory_scores(settings, "late delivery")
    )
    assert bm25_dirs(settings) == [f"bm25-g0-v{version}"]  # saved for the next process
    clear_cache()
    assert load_corpus(settings).bm25.path == settings.data_dir / f"bm25-g0-v{version}"
    ingest_file(settings, src)  # the next ingest, even with nothing new, writes the real one
    assert bm25_dirs(settings) == [pointer(settings)]


def test_a_damaged_saved_index_is_rebuilt_not_fatal(settings: Settings, tmp_path: Path) -> None:
    ingest_file(settings, write_csv(tmp_path / "s.csv", ROWS))
    (settings.data_dir / pointer(settings) / "indptr.csc.index.npy").write_bytes(b"junk")
    clear_cache()
    hits = Engine(settings).search("crushed vase", Filters(), k=1, mode="bm25")
    assert hits[0].id == "s.csv:4"


def test_a_rebuild_gets_its_own_bm25_and_the_old_generation_keeps_its_own(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    ingest_file(settings, src)
    old = pointer(settings)
    run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], settings, rebuild=True)
    assert settings.generation().number == 1
    new = pointer(settings)
    assert new.startswith("bm25-g1-") and old.startswith("bm25-g0-")
    assert bm25_dirs(settings) == sorted([old, new])  # generation 0 may still be answering
    run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], settings, rebuild=True)
    assert [d.split("-")[1] for d in bm25_dirs(settings)] == ["g1", "g2"]
