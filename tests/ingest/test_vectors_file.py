"""The int8 vector file written by ingest: exact dense search without Chroma above
``dense_in_memory_max`` records (issue 18). Thresholds are set low so a small index takes the
path a 1M-record index takes."""

from __future__ import annotations

import csv
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.questions import varied_questions
from bot.corpus import clear_cache, load_corpus
from bot.engine import Engine
from bot.filters import Filters
from ingest import vectors_file
from ingest.catalog import Catalog
from ingest.config import Settings
from ingest.pipeline import remove_source
from tests.conftest import EXAMPLES, ingest_file, make_settings

SURVEY = EXAMPLES / "survey_responses.csv"
QUESTIONS = ["late delivery", "the courier was rude", "refund never arrived", "damaged parcel"]


def pointer(s: Settings) -> str | None:
    cat = Catalog(s.generation().catalog_path)
    try:
        return cat.meta(vectors_file.META_KEY)
    finally:
        cat.close()


def folders(s: Settings) -> list[str]:
    return sorted(p.name for p in s.data_dir.glob("dense-g*") if p.is_dir())


@pytest.fixture
def filed(tmp_path: Path) -> Settings:
    """The survey indexed as if it were above ``dense_in_memory_max``."""
    s = make_settings(tmp_path / "data", dense_in_memory_max=0)
    assert ingest_file(s, SURVEY).ok
    return s


def dense(s: Settings, query: str, filters: Filters, k: int = 20) -> list[tuple[str, float]]:
    """(text, similarity) of the top-k: duplicate texts tie, and which copy wins a tie is not
    what a reader sees."""
    clear_cache()
    engine = Engine(s)
    hits = engine.search(query, filters, k, "dense")
    texts = [r["text"] for r in engine.corpus().records([h.idx for h in hits])]
    return [(t, float(h.dense or 0.0)) for t, h in zip(texts, hits, strict=True)]


def same(a: list[tuple[str, float]], b: list[tuple[str, float]], atol: float) -> bool:
    return [t for t, _ in a] == [t for t, _ in b] and np.allclose(
        [x for _, x in a], [x for _, x in b], atol=atol
    )


def test_ingest_writes_it_and_search_equals_the_float32_and_chroma_paths(filed: Settings) -> None:
    name = pointer(filed)
    assert name is not None and folders(filed) == [name]
    corpus = load_corpus(filed)
    assert corpus.dense is not None and len(corpus.dense) == len(corpus)
    assert isinstance(corpus.dense.codes, np.memmap) and corpus.dense.codes.dtype == np.int8
    in_memory = make_settings(filed.data_dir)  # float32 vectors in RAM (the small-index path)
    chroma = make_settings(filed.data_dir, dense_in_memory_max=0, dense_exact_max=0)
    segment = Filters(segments={"region": ["West"]})
    for q in QUESTIONS:
        for f in (Filters(), segment, Filters(polarity=-1)):
            got = dense(filed, q, f)
            assert got and same(got, dense(in_memory, q, f), 1e-6)
            # Chroma returns float32 distances: similarities agree to 1e-5
            assert same(got, dense(chroma, q, f), 1e-5)
    # the survey holds many duplicate texts: answers are compared on the real tweets below


def test_answers_on_the_airline_tweets_equal_the_in_memory_path(
    airline_settings: Settings, airline_engine: Engine, tmp_path: Path
) -> None:
    """The same answers (text, citations by id) as float32 vectors in RAM, on a copy of the
    real tweets index given a vector file as if it held more than dense_in_memory_max."""
    data = tmp_path / "data"
    shutil.copytree(airline_settings.data_dir, data)
    filed = make_settings(data, dense_in_memory_max=0)
    cat = Catalog(filed.catalog_path)
    try:
        with cat.transaction() as db:
            gen = filed.generation()
            assert vectors_file.write(db, gen, airline_engine.store.fetch_vectors, 0, 10**6)
    finally:
        cat.close()
    clear_cache()
    engine = Engine(filed, embedder=airline_engine.embedder)
    assert engine.corpus().dense is not None
    for q in varied_questions(16, seed=9):
        a, b = engine.ask(q), airline_engine.ask(q)
        assert a.answer == b.answer, q
        assert [c.id for c in a.citations] == [c.id for c in b.citations], q


def test_a_missing_or_stale_file_is_rebuilt_by_the_next_ingest(filed: Settings) -> None:
    first = pointer(filed)
    assert first is not None
    ingest_file(filed, SURVEY)  # nothing changed: the same file answers
    assert pointer(filed) == first
    shutil.rmtree(filed.data_dir / first)  # lost: the bot still answers, from Chroma
    clear_cache()
    assert load_corpus(filed).dense is None
    expected = dense(make_settings(filed.data_dir, dense_exact_max=0), "late delivery", Filters())
    assert [i for i, _ in dense(filed, "late delivery", Filters())] == [i for i, _ in expected]
    summary = ingest_file(filed, SURVEY)
    assert summary.unchanged and not summary.added  # nothing to embed, yet a new file
    assert pointer(filed) not in (None, first) and folders(filed) == [pointer(filed)]
    clear_cache()
    assert load_corpus(filed).dense is not None
    # an index written before the vector file (no pointer): the next ingest writes one
    cat = Catalog(filed.catalog_path)
    with cat.transaction() as db:
        db.execute("DELETE FROM meta WHERE key=?", (vectors_file.META_KEY,))
    cat.close()
    ingest_file(filed, SURVEY)
    assert pointer(filed) is not None


def test_only_edited_records_are_read_from_chroma(
    filed: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with SURVEY.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["comment"] = "The umbrella handle snapped on the first day"
    src = tmp_path / "survey_responses.csv"  # the same source name: one record edited
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    caplog.set_level(logging.INFO, logger="cxbot.vectors_file")
    summary = ingest_file(filed, src)
    assert summary.updated == 1
    n = summary.unchanged + 1
    assert f"{n} records ({n - 1} reused)" in caplog.text
    clear_cache()
    corpus = load_corpus(filed)
    assert corpus.dense is not None
    full = np.load(filed.data_dir / str(pointer(filed)) / vectors_file.FULL)
    want = Engine(filed).store.fetch_vectors(list(corpus.ids))
    assert want is not None and np.array_equal(full, want)  # the edited record's new vector too
    hits = Engine(filed).search("umbrella handle snapped", Filters(), 1, "dense")
    assert corpus.record(corpus.index[hits[0].id])["text"].startswith("The umbrella")


def test_outside_the_thresholds_there_is_no_file(tmp_path: Path) -> None:
    small = make_settings(tmp_path / "a")  # below dense_in_memory_max: float32 in RAM
    ingest_file(small, SURVEY)
    assert pointer(small) is None and not folders(small)
    big = make_settings(tmp_path / "b", dense_in_memory_max=0, dense_exact_max=10)
    ingest_file(big, SURVEY)  # above dense_exact_max: Chroma's HNSW index
    assert pointer(big) is None and not folders(big)
    assert Engine(big).search("late delivery", Filters(), 3, "dense")
    remove_source(big, "survey_responses.csv")
    assert pointer(big) is None


def test_top_is_exact_even_where_int8_codes_cannot_tell_records_apart(tmp_path: Path) -> None:
    """Hundreds of near-copies of one vector (closer than the int8 step): the first candidates
    by code score are not enough and the bound must pull in the rest."""
    rng = np.random.default_rng(3)
    base = rng.normal(size=(2000, 384)).astype(np.float32)
    near = base[0] + rng.normal(0, 1e-3, size=(1500, 384)).astype(np.float32)
    vecs = np.concatenate([base, near])
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    folder = tmp_path / "dense"
    folder.mkdir()
    codes, scales, resid = vectors_file.quantise(vecs)
    np.save(folder / vectors_file.FULL, vecs)
    np.save(folder / vectors_file.CODES, codes)
    np.save(folder / vectors_file.SCALES, scales)
    np.save(folder / vectors_file.RESID, resid)
    (folder / vectors_file.INFO).write_text('{"format": 1, "n": 3500, "dim": 384}')
    vf = vectors_file.load(folder, len(vecs))
    assert vf is not None and vectors_file.load(folder, 10) is None
    for trial in range(6):
        q = vecs[0] + rng.normal(0, 0.01, size=384).astype(np.float32)
        q /= np.linalg.norm(q)
        mask = rng.random(len(vecs)) < (1.0 if trial % 2 else 0.5)
        got = vf.top(q, mask, 100)
        # brute force over every float32 vector (summed in float64; ties by position)
        sims = np.where(mask, vecs.astype(np.float64) @ q.astype(np.float64), -np.inf)
        want = np.lexsort((np.arange(len(vecs)), -np.round(sims, 9)))[:100]
        assert list(got) == want.tolist()
        assert np.allclose([got[int(i)] for i in want], sims[want], atol=1e-8)


def test_a_feedback_moved_vector_finds_what_a_full_scan_finds(tmp_path: Path) -> None:
    """Pseudo-relevance feedback searches again with the question moved towards its first
    hits; from the file that search looks only among the question's nearest (no second scan
    of every record) and must still return what an exact search returns."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 384)).astype(np.float32)
    vecs = centres[rng.integers(0, 40, 20_000)] + rng.normal(0, 0.6, (20_000, 384)).astype(
        np.float32
    )
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    folder = tmp_path / "dense"
    folder.mkdir()
    codes, scales, resid = vectors_file.quantise(vecs)
    for name, arr in (
        (vectors_file.FULL, vecs),
        (vectors_file.CODES, codes),
        (vectors_file.SCALES, scales),
        (vectors_file.RESID, resid),
    ):
        np.save(folder / name, arr)
    (folder / vectors_file.INFO).write_text('{"format": 1, "n": 20000, "dim": 384}')
    vf = vectors_file.load(folder, len(vecs))
    assert vf is not None
    for trial in range(6):
        q = centres[trial] + rng.normal(0, 1.0, 384).astype(np.float32)
        q /= np.linalg.norm(q)
        mask = rng.random(len(vecs)) < (1.0 if trial % 2 else 0.3)
        first = list(vf.top(q, mask, 5))
        v = q + 0.5 * vecs[first].mean(0)
        v /= np.linalg.norm(v)
        assert vf.top_near(v, q, mask, 100) == vf.top(v, mask, 100)
