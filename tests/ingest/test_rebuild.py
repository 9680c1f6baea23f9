"""A full rebuild writes a new index generation and switches to it only when it is complete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.corpus import clear_cache
from bot.engine import Engine
from ingest import pipeline
from ingest.catalog import Catalog
from ingest.config import Settings, SourceSpec
from ingest.embedder import get_embedder
from ingest.errors import ConfigError
from ingest.pipeline import Job, run_ingest
from ingest.store import VectorStore
from tests.conftest import ingest_file
from tests.ingest.test_pipeline import ROWS, ExplodingEmbedder, write_csv

NEW_ROWS = [
    (str(i), "West", f"Refund number {i} never arrived, nobody answers the phone")
    for i in range(10, 20)
]
QUESTION = "Which deliveries were late?"


def collections(s: Settings) -> list[str]:
    e = get_embedder(s)
    return sorted(c.name for c in VectorStore(s, e.model_id, e.dim).client.list_collections())


def catalog_files(s: Settings) -> list[str]:
    return sorted(p.name for p in s.data_dir.glob("catalog*.sqlite"))


def rebuild(s: Settings, *paths: Path, **kw: object):  # type: ignore[no-untyped-def]
    jobs = [Job(SourceSpec(kind="survey", path=str(p))) for p in paths]
    return run_ingest(jobs, s, rebuild=True, **kw)  # type: ignore[arg-type]


class CrashOnChunk:
    """The real model; the ingest dies while embedding chunk ``n`` (earlier chunks are in)."""

    def __init__(self, n: int, settings: Settings) -> None:
        self.inner = get_embedder(settings)
        self.model_id, self.dim = self.inner.model_id, self.inner.dim
        self.calls, self.n = 0, n

    def embed(self, texts, progress=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == self.n:
            raise RuntimeError("simulated crash while embedding")
        return self.inner.embed(texts, progress)


def test_failed_rebuild_keeps_the_old_index_and_the_next_one_switches(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    ingest_file(settings, src)
    engine = Engine(settings)
    before = engine.ask(QUESTION)
    assert before.citations

    write_csv(src, NEW_ROWS)
    monkeypatch.setattr(pipeline, "CHUNK", 3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        rebuild(settings, src, embedder=CrashOnChunk(3, settings))
    # two chunks of the new generation were written, but nothing points at it
    assert settings.generation().number == 0
    e = get_embedder(settings)
    half = VectorStore(settings, e.model_id, e.dim, "cxbot-g1").collection(create=False)
    assert half.count() == 6
    clear_cache()
    after = engine.ask(QUESTION)  # the same engine, as in a running bot
    assert after.answer == before.answer
    assert [c.id for c in after.citations] == [c.id for c in before.citations]

    done = rebuild(settings, src)
    assert (done.added, done.generation) == (10, 1)
    assert settings.generation().number == 1
    # the running engine follows the switch on its next question: only new records now
    refunds = engine.ask("What do customers say about refunds?")
    assert refunds.citations
    assert {c.id for c in refunds.citations} <= {f"s.csv:{i}" for i, _, _ in NEW_ROWS}
    # the previous generation stays until the next run begins, then goes
    assert collections(settings) == ["cxbot", "cxbot-g1"]
    assert catalog_files(settings) == ["catalog-g1.sqlite", "catalog.sqlite"]
    again = ingest_file(settings, src)
    assert (again.unchanged, again.generation) == (10, 1)
    assert collections(settings) == ["cxbot-g1"]
    assert catalog_files(settings) == ["catalog-g1.sqlite"]


def test_unfinished_generation_is_discarded_not_reused(settings: Settings, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    ingest_file(settings, src)
    with pytest.raises(RuntimeError, match="simulated crash"):
        rebuild(settings, src, embedder=ExplodingEmbedder(get_embedder(settings)))
    write_csv(src, ROWS[:3])
    done = rebuild(settings, src)
    assert (done.added, done.generation) == (3, 1)
    e = get_embedder(settings)
    col = VectorStore(settings, e.model_id, e.dim, "cxbot-g1").collection(create=False)
    assert sorted(col.get()["ids"]) == ["s.csv:1", "s.csv:2", "s.csv:3"]  # nothing left over
    cat = Catalog(settings.catalog_path)
    assert cat.count() == 3
    cat.close()


def test_rebuild_that_would_drop_a_source_is_refused(settings: Settings, tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", ROWS)
    b = write_csv(tmp_path / "b.csv", [("9", "West", "Refund never came.")])
    ingest_file(settings, a)
    ingest_file(settings, b)
    with pytest.raises(ConfigError, match=r"1 indexed source\(s\) are not in this run: b.csv"):
        rebuild(settings, a)
    assert settings.generation().number == 0
    assert collections(settings) == ["cxbot"]
    assert Catalog(settings.catalog_path).count() == 6
    # a source that can no longer be read is named, with why
    b.write_bytes(b"")
    with pytest.raises(ConfigError, match="b.csv: the file is empty"):
        rebuild(settings, a, b)
    assert settings.generation().number == 0


def test_rebuild_keeps_the_gap_settings_and_the_sources_list(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    run_ingest(
        [Job(SourceSpec(kind="survey", path=str(src)))],
        settings,
        gap_config={"aliases": {"N": "North"}},
    )
    rebuild(settings, src)
    cat = Catalog(settings.catalog_path)
    assert json.loads(cat.meta("gap_config") or "{}") == {"aliases": {"N": "North"}}
    assert [s["source"] for s in cat.sources()] == ["s.csv"]
    cat.close()


def test_a_damaged_pointer_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    from ingest.errors import StoreError

    ingest_file(settings, write_csv(tmp_path / "s.csv", ROWS))
    (settings.data_dir / "generation.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(StoreError, match="generation.json is damaged.*--rebuild"):
        Engine(settings).ask(QUESTION)
