"""The read model: counts from compact arrays, quotes read from the catalog on demand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.corpus import Corpus, clear_cache, load_corpus
from bot.engine import Engine
from ingest.catalog import Catalog
from ingest.config import Settings
from ingest.errors import StoreError
from tests.conftest import ingest_file

ROWS = [
    ("1", "North", "My parcel arrived five days late, again."),
    ("2", "North", "Delivery was late and the courier never called."),
    ("3", "South", "Lovely staff, quick delivery, thank you!"),
    ("4", "South", "The vase arrived broken, box completely crushed."),
    ("5", "East", "The parcel was late and nobody told me why."),
    ("6", "East", "Late delivery, the tracking page was wrong all week."),
]


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["id,region,comment"] + [f'{i},{r},"{t}"' for i, r, t in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored(settings: Settings) -> dict[str, dict[str, object]]:
    cat = Catalog(settings.catalog_path)
    try:
        return {str(r["id"]): r for r in cat.rows()}
    finally:
        cat.close()


def assert_quotes_match_catalog(engine: Engine, question: str, settings: Settings) -> dict:
    answer = engine.ask(question)
    assert answer.citations, answer.text
    rows = stored(settings)
    for c in answer.citations:
        row = rows[c.id]
        assert (c.text, c.location, c.source, c.date) == (
            row["text"],
            row["location"],
            row["source"],
            row["day"],
        )
        assert c.segment == row["segments"]["region"]
    return {c.id: c for c in answer.citations}


def test_quotes_carry_the_current_text_and_location_after_a_reingest(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    assert ingest_file(settings, src).ok
    engine = Engine(settings)
    before = assert_quotes_match_catalog(engine, "Which deliveries were late?", settings)
    # a new first row moves every line down one; record 2 is reworded, the last (6) removed
    edited = [("0", "West", "Late again, the van never came.")] + [
        (i, r, "Delivery was three days late and the courier never called." if i == "2" else t)
        for i, r, t in ROWS
        if i != "6"
    ]
    write_csv(src, edited)
    assert ingest_file(settings, src).ok
    after = assert_quotes_match_catalog(engine, "Which deliveries were late?", settings)
    assert "s.csv:6" not in after
    assert after["s.csv:2"].text.startswith("Delivery was three days late")
    moved = set(before) & set(after) - {"s.csv:2"}
    assert moved and all(before[i].location != after[i].location for i in moved)
    corpus = load_corpus(settings)
    assert len(corpus) == 6 and int(corpus.is_verbatim.sum()) == 6


def test_a_corpus_loaded_before_a_reingest_reads_the_current_record(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    assert ingest_file(settings, src).ok
    old = load_corpus(settings)
    two, five = old.index["s.csv:2"], old.index["s.csv:5"]
    assert old.record(two)["text"] == ROWS[1][2]
    write_csv(src, [(i, r, t + " Still waiting.") for i, r, t in ROWS if i != "5"])
    assert ingest_file(settings, src).ok
    # positions counted before the re-ingest still quote that record, as it now reads
    assert old.record(two)["text"] == ROWS[1][2] + " Still waiting."
    with pytest.raises(StoreError, match="no longer in the index"):
        old.record(five)
    new = load_corpus(settings)
    assert new.version > old.version and len(new) == 5
    assert new.record(new.index["s.csv:2"])["text"] == ROWS[1][2] + " Still waiting."


def test_counts_come_from_compact_arrays_not_row_dicts(settings: Settings, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    assert ingest_file(settings, src).ok
    corpus = load_corpus(settings)
    assert not hasattr(corpus, "rows")
    small = [corpus.polarity, corpus.kind.codes, corpus.source.codes, corpus.intent.codes]
    assert all(a.dtype.itemsize == 1 for a in small)
    assert corpus.seg_codes["region"].dtype == np.int32
    # the arrays agree with what the catalog stores, record by record
    rows = stored(settings)
    for i, rid in enumerate(corpus.ids):
        row = rows[rid]
        assert corpus.segments["region"][i] == row["segments"]["region"]
        assert int(corpus.polarity[i]) == row["polarity"]
        assert corpus.kind[i] == row["kind"] and corpus.intent[i] == row["intent"]
        assert {t for t, m in corpus.themes.items() if m[i]} == set(row["themes"])
    north = corpus.segment_mask("region", ["North"])
    assert north.sum() == 2 and (corpus.segments["region"] == "North").tolist() == north.tolist()
    assert isinstance(corpus, Corpus)


def test_a_restart_reads_the_cached_columns_and_a_reingest_never_does(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_csv(tmp_path / "s.csv", ROWS)
    assert ingest_file(settings, src).ok
    first = load_corpus(settings)
    (cached,) = (settings.data_dir / "cache").glob("columns-*.npz")
    clear_cache()  # a restart
    again = load_corpus(settings)
    assert again is not first and list(again.ids) == list(first.ids)
    assert (again.segments["region"] == "South").tolist() == (
        first.segments["region"] == "South"
    ).tolist()
    assert {t: m.tolist() for t, m in again.themes.items()} == {
        t: m.tolist() for t, m in first.themes.items()
    }
    write_csv(src, [*ROWS, ("7", "South", "Refund still not paid after a month.")])
    assert ingest_file(settings, src).ok
    after = load_corpus(settings)
    assert len(after) == 7 and int(after.segment_mask("region", ["South"]).sum()) == 3
    assert not cached.exists()  # one version kept
    # an unreadable cache file is rebuilt from the catalog, not trusted
    (newer,) = (settings.data_dir / "cache").glob("columns-*.npz")
    newer.write_bytes(b"not an npz")
    clear_cache()
    assert int(load_corpus(settings).segment_mask("region", ["South"]).sum()) == 3
