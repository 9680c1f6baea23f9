"""The write path end to end with the real model and a real embedded Chroma."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.corpus import clear_cache
from bot.engine import Engine
from ingest.catalog import Catalog
from ingest.config import Settings, SourceSpec
from ingest.embedder import OnnxEmbedder, get_embedder
from ingest.errors import ModelError, StoreBusyError
from ingest.locks import ingest_lock
from ingest.pipeline import Job, remove_source, run_ingest
from ingest.store import VectorStore
from tests.conftest import ingest_file, make_settings

ROWS = [
    ("1", "North", "My parcel arrived five days late, again."),
    ("2", "North", "Delivery was late and the courier never called."),
    ("3", "South", "Lovely staff, quick delivery, thank you!"),
    ("4", "South", "The vase arrived broken, box completely crushed."),
    ("5", "East", "On hold for 50 minutes, write to me at bob@example.com"),
]


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["id,region,comment"] + [f'{i},{r},"{t}"' for i, r, t in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def chroma_docs(settings: Settings) -> dict[str, str]:
    e = get_embedder(settings)
    col = VectorStore(settings, e.model_id, e.dim).collection(create=False)
    got = col.get(include=["documents"])
    return dict(zip(got["ids"], got["documents"], strict=True))


def test_ingest_stores_records_with_enrichment(settings: Settings, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    summary = ingest_file(settings, src)
    assert (summary.added, summary.rejected, summary.failed_files) == (5, [], [])
    docs = chroma_docs(settings)
    assert set(docs) == {f"s.csv:{i}" for i, _, _ in ROWS}
    # PII redacted before storage, in Chroma and in the catalog
    assert "bob@example.com" not in docs["s.csv:5"] and "[email]" in docs["s.csv:5"]
    cat = Catalog(settings.catalog_path)
    rows = {r["id"]: r for r in cat.rows()}
    cat.close()
    assert "bob@example.com" not in str(rows["s.csv:5"]["text"])
    assert "lateness" in rows["s.csv:1"]["themes"]
    assert "lost_damaged" in rows["s.csv:4"]["themes"]
    assert rows["s.csv:3"]["polarity"] == 1 and rows["s.csv:1"]["polarity"] <= 0


def test_incremental_reingest_skips_updates_and_removes(settings: Settings, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    ingest_file(settings, src)
    again = ingest_file(settings, src)
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 5, 0)
    changed = [ROWS[0], (ROWS[1][0], "North", "Courier lost my parcel completely."), *ROWS[2:4]]
    write_csv(src, changed)
    s = ingest_file(settings, src)
    assert (s.added, s.updated, s.unchanged, s.removed) == (0, 1, 3, 1)
    docs = chroma_docs(settings)
    assert "s.csv:5" not in docs
    assert docs["s.csv:2"] == "Courier lost my parcel completely."


def test_a_named_glob_is_one_source_and_keeps_every_files_records(
    settings: Settings, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    write_csv(exports / "jan.csv", ROWS[:3])
    feb = write_csv(exports / "feb.csv", [("6", "West", "The refund never arrived.")])
    spec = SourceSpec(kind="survey", path=str(exports / "*.csv"), name="survey")
    first = run_ingest([Job(spec)], settings)
    assert (first.added, first.removed) == (4, 0)
    write_csv(feb, [("6", "West", "The refund never arrived, three weeks now.")])
    edited = run_ingest([Job(spec)], settings)
    assert (edited.added, edited.updated, edited.unchanged, edited.removed) == (0, 1, 3, 0)
    assert len(chroma_docs(settings)) == 4
    cat = Catalog(settings.catalog_path)
    assert cat.count() == 4
    cat.close()
    # one file unreadable this run: nothing of the source is removed, and the user is told
    good = feb.read_bytes()
    feb.write_bytes(b"\x00\x01\x02binary")
    broken = run_ingest([Job(spec)], settings)
    assert len(broken.failed_files) == 1 and broken.removed == 0
    assert any("could not be read" in w.reason for w in broken.warnings)
    assert len(chroma_docs(settings)) == 4
    feb.write_bytes(good)  # the files as at the last complete read: nothing to read again
    back = run_ingest([Job(spec)], settings)
    assert (back.added, back.removed, back.unchanged, back.skipped) == (0, 0, 4, ["survey"])


def test_an_unchanged_export_is_not_read_again_and_reports_the_same(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_csv(tmp_path / "s.csv", [*ROWS, ROWS[0], ("", "West", "No id and still a text")])
    with src.open("a", encoding="utf-8") as fh:
        fh.write('7,West,""\n')  # an empty text: rejected with its line
    first = ingest_file(settings, src)
    assert first.rejected and first.duplicates == 1 and not first.skipped
    again = ingest_file(settings, src)
    assert again.skipped == ["s.csv"]
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == first.added + first.updated + first.unchanged
    assert (again.duplicates, again.rejected, again.warnings) == (
        first.duplicates,
        first.rejected,
        first.warnings,
    )
    # other settings for the same bytes, new bytes, or records removed meanwhile: read again
    renamed = ingest_file(settings, src, segments={"area": "region"})
    assert not renamed.skipped
    with src.open("a", encoding="utf-8") as fh:
        fh.write("8,West,The driver left the parcel in the rain.\n")
    grown = ingest_file(settings, src, segments={"area": "region"})
    assert not grown.skipped and grown.added == 1
    remove_source(settings, "s.csv")
    back = ingest_file(settings, src, segments={"area": "region"})
    assert not back.skipped and back.added == grown.added + grown.updated + grown.unchanged


def test_a_bad_file_does_not_stop_the_good_one(settings: Settings, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", ROWS)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    summary = run_ingest(
        [
            Job(SourceSpec(kind="survey", path=str(bad))),
            Job(SourceSpec(kind="survey", path=str(good))),
        ],
        settings,
    )
    assert summary.added == 5
    assert len(summary.failed_files) == 1 and "binary" in str(summary.failed_files[0])


class ExplodingEmbedder:
    """The real model, with a fault injected after the first batch (a crash mid-ingest)."""

    def __init__(self, inner: OnnxEmbedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim

    def embed(self, texts, progress=None):  # type: ignore[no-untyped-def]
        if len(texts) > 3:
            raise RuntimeError("simulated crash while embedding")
        return self.inner.embed(texts, progress)


def test_failure_midway_leaves_previous_index_answering(settings: Settings, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    ingest_file(settings, src)
    engine = Engine(settings)
    before = engine.ask("Which deliveries were late?")
    assert before.citations
    new_rows = [
        (str(i), "West", f"Completely different comment number {i} about refunds")
        for i in range(10, 20)
    ]
    write_csv(src, new_rows)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_ingest(
            [Job(SourceSpec(kind="survey", path=str(src)))],
            settings,
            embedder=ExplodingEmbedder(get_embedder(settings)),
        )
    clear_cache()
    after = engine.ask("Which deliveries were late?")
    assert [c.id for c in after.citations] == [c.id for c in before.citations]
    assert after.answer == before.answer
    # and the next run completes cleanly
    done = ingest_file(settings, src)
    assert (done.added, done.removed) == (10, 5)


def test_model_mismatch_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    ingest_file(settings, write_csv(tmp_path / "s.csv", ROWS))

    class OtherModel:
        model_id = "some-other-model"
        dim = 384

        def embed(self, texts, progress=None):  # type: ignore[no-untyped-def]
            return np.zeros((len(texts), 384), dtype=np.float32)

    write_csv(tmp_path / "s.csv", ROWS[:2])
    with pytest.raises(ModelError, match="built with embedding model 'all-MiniLM-L6-v2-onnx-int8'"):
        run_ingest(
            [Job(SourceSpec(kind="survey", path=str(tmp_path / "s.csv")))],
            settings,
            embedder=OtherModel(),
        )  # type: ignore[arg-type]


def test_corrupt_model_file_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="sha256"):
        OnnxEmbedder(model_path=fake, expected_sha256="8199be6f" + "0" * 56)


def test_second_ingest_while_one_runs_is_refused(tmp_path: Path) -> None:
    s = make_settings(tmp_path / "d")
    with ingest_lock(s, who="alice"):
        with pytest.raises(StoreBusyError, match="already running \\(started by alice"):
            with ingest_lock(s):
                pass
    with ingest_lock(s):  # released afterwards
        pass


def test_removing_a_source_removes_its_records_and_nothing_else(
    settings: Settings, tmp_path: Path
) -> None:
    from ingest.errors import CxbotError
    from ingest.pipeline import remove_source

    ingest_file(settings, write_csv(tmp_path / "a.csv", ROWS))
    ingest_file(settings, write_csv(tmp_path / "b.csv", [("9", "West", "Refund never came.")]))
    assert remove_source(settings, "a.csv") == 5
    docs = chroma_docs(settings)
    assert set(docs) == {"b.csv:9"}
    cat = Catalog(settings.catalog_path)
    assert [r["id"] for r in cat.rows()] == ["b.csv:9"]
    assert [s["source"] for s in cat.sources()] == ["b.csv"]
    cat.close()
    with pytest.raises(CxbotError, match="no source named 'a.csv'.*Indexed sources: b.csv"):
        remove_source(settings, "a.csv")


class CountingEmbedder:
    """The real model; remembers every text it was asked to embed."""

    def __init__(self, inner: OnnxEmbedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.texts: list[str] = []

    def embed(self, texts, progress=None):  # type: ignore[no-untyped-def]
        self.texts += list(texts)
        return self.inner.embed(texts, progress)


def test_new_taxonomy_rethemes_every_record_without_embedding_them_again(
    settings: Settings, tmp_path: Path
) -> None:
    import yaml

    from ingest.themes import load_taxonomy

    src = write_csv(tmp_path / "s.csv", ROWS)
    ingest_file(settings, src)
    taxonomy = load_taxonomy(None).model_dump(exclude_none=True)
    taxonomy["themes"]["couriers"] = {
        "label": "Couriers",
        "description": "What the courier or delivery driver did.",
        "keywords": [r"\bcourier\b"],
    }
    path = tmp_path / "taxonomy.yaml"
    path.write_text(yaml.safe_dump(taxonomy), encoding="utf-8")
    custom = make_settings(settings.data_dir, taxonomy_path=path)
    counting = CountingEmbedder(get_embedder(custom))
    summary = run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], custom, embedder=counting)
    assert (summary.updated, summary.unchanged) == (5, 0)  # every record re-themed ...
    assert not set(counting.texts) & {t for _, _, t in ROWS}  # ... none embedded again
    cat = Catalog(custom.catalog_path)
    themes = {r["id"]: r["themes"] for r in cat.rows()}
    cat.close()
    assert "couriers" in themes["s.csv:2"]  # "the courier never called"
    col = VectorStore(custom, counting.model_id, counting.dim).collection(create=False)
    got = col.get(ids=["s.csv:2"], include=["metadatas", "embeddings"])
    assert "themes" not in got["metadatas"][0]  # themes are counted from the catalog alone
    again = get_embedder(custom).embed([ROWS[1][2]])[0]
    assert float(np.dot(got["embeddings"][0], again)) > 0.999  # the vector itself is kept


UPGRADE_ROWS = [
    ("1", "North", "Great, another delay on my parcel, thanks a lot"),
    ("2", "North", "Third time I've asked for a refund for the broken lamp"),
    ("3", "South", "The courier was lovely and the parcel came a day early"),
    ("4", "South", "Could you deliver to my work address next time?"),
]


def test_a_new_reading_version_rereads_stored_records_without_embedding_them(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index written by reading version 2 (the rules) is re-read by the learned reading
    at the next ingest, from the vectors already in Chroma."""
    import dataclasses

    import ingest.adapt
    import ingest.pipeline
    from ingest.reading import read, read_many
    from ingest.reading_model import bundled

    src = write_csv(tmp_path / "s.csv", UPGRADE_ROWS)
    with monkeypatch.context() as old:  # what version 2 wrote: rules only, its fingerprint
        old.setattr(ingest.adapt, "ENRICHMENT_VERSION", "1.r2")
        rules_only = dataclasses.replace(bundled(), model_id="none")
        old.setattr(ingest.pipeline, "bundled", lambda: rules_only)
        ingest_file(settings, src)
    cat = Catalog(settings.catalog_path)
    before = {r["id"]: (r["polarity"], r["intent"]) for r in cat.rows()}
    cat.close()
    assert before == {f"s.csv:{i}": (read(t).polarity, read(t).intent) for i, _, t in UPGRADE_ROWS}

    counting = CountingEmbedder(get_embedder(settings))
    summary = run_ingest(
        [Job(SourceSpec(kind="survey", path=str(src)))], settings, embedder=counting
    )
    assert (summary.updated, summary.unchanged, summary.added) == (4, 0, 0)
    assert counting.texts == []  # nothing embedded again
    e = get_embedder(settings)
    col = VectorStore(settings, e.model_id, e.dim).collection(create=False)
    ids = [f"s.csv:{i}" for i, _, _ in UPGRADE_ROWS]
    got = col.get(ids=ids, include=["embeddings"])
    order = [got["ids"].index(i) for i in ids]
    vectors = np.array([got["embeddings"][k] for k in order])
    want = read_many([t for _, _, t in UPGRADE_ROWS], vectors, names=("North", "South"))
    cat = Catalog(settings.catalog_path)
    after = {r["id"]: (r["polarity"], r["intent"]) for r in cat.rows()}
    cat.close()
    assert after == {i: (w.polarity, w.intent) for i, w in zip(ids, want, strict=True)}
    assert after != before  # the sarcastic "Great, another delay ... thanks" now reads negative
    assert after["s.csv:1"] == (-1, "complaint")
