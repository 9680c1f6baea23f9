"""Score kinds: inferred from a column's name and values, set by sources.yaml or --score-kind,
stored per source; values the kind cannot hold are dropped from the row with a warning."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ingest.catalog import Catalog
from ingest.config import ColumnMap, Settings, SourceSpec, load_sources_config
from ingest.errors import ColumnError, ConfigError
from ingest.loaders import iter_survey, load_survey
from ingest.scores import infer_kind
from tests.conftest import ingest_file, make_settings, run_cli


def survey(
    tmp_path: Path, column: str, scores: list[str], name: str = "s.csv", first_id: int = 1
) -> Path:
    p = tmp_path / name
    rows = [f"id,{column},comment"] + [
        f"{i},{s},The parcel came on day {i} and it was fine"
        for i, s in enumerate(scores, first_id)
    ]
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return p


def kind_of(p: Path, **cols: object) -> str | None:
    spec = SourceSpec(kind="survey", path=str(p), columns=ColumnMap(**cols))  # type: ignore[arg-type]
    return iter_survey(p, spec).score_kind


@pytest.mark.parametrize(
    ("column", "scores", "kind"),
    [
        ("nps", ["3", "9", "10", "7"], "nps"),  # the name says it and the values fit
        ("score", ["0", "6", "9", "10", "8"], "nps"),  # whole numbers 0-10, some above 5
        ("csat", ["1", "4", "5", "3"], "csat"),
        ("rating", ["1", "4", "5", "3"], "stars"),
        ("score", ["1", "4.5", "5", "2"], "stars"),  # 1-5: the mean is the safe summary
        ("rating", ["0", "3", "10", "8"], "nps"),  # a "rating" on a 0-10 scale
        ("score", ["12", "55", "80", "100"], None),  # 0-100: no known kind
    ],
)
def test_kind_from_name_and_values(tmp_path: Path, column: str, scores: list[str], kind) -> None:  # type: ignore[no-untyped-def]
    assert kind_of(survey(tmp_path, column, scores), score=column) == kind


def test_one_bad_value_does_not_change_the_kind() -> None:
    assert infer_kind("nps", [float(x % 11) for x in range(200)] + [11.0]) == "nps"
    assert infer_kind("score", [float(x % 11) for x in range(200)] + [11.0]) == "nps"


def test_out_of_scale_and_text_scores_keep_the_row_with_a_warning(tmp_path: Path) -> None:
    p = survey(tmp_path, "nps", ["9", "11", "ten", "-1", "7.5", "0"] + ["8"] * 20)
    res = load_survey(p, SourceSpec(kind="survey", path=str(p)))
    assert [r.score for r in res.records][:7] == [9, None, None, None, None, 0, 8]
    by_row = {w.row: w for w in res.warnings}
    assert set(by_row) == {"3", "4", "5", "6"}
    eleven = str(by_row["3"])
    assert eleven.startswith("s.csv, row 3, field 'nps': '11' is outside the NPS scale (0-10")
    assert "kept without a score" in eleven and "score_kind" in eleven
    assert "'ten' is not a number; kept without a score" in str(by_row["4"])
    assert "'7.5' is outside the NPS scale" in str(by_row["6"])


def test_score_kind_overrides_the_inference(tmp_path: Path) -> None:
    p = survey(tmp_path, "score", ["1", "2", "5", "4"])
    assert kind_of(p, score="score") == "stars"
    assert kind_of(p, score="score", score_kind="csat") == "csat"
    spec = SourceSpec(kind="survey", path=str(p), columns=ColumnMap(score_kind="nps"))
    assert [r.score for r in load_survey(p, spec).records] == [1, 2, 5, 4]  # fit 0-10 too
    stars = survey(tmp_path, "stars", ["1", "4.5", "5"], "st.csv")
    spec = SourceSpec(kind="survey", path=str(stars), columns=ColumnMap(score_kind="csat"))
    res = load_survey(stars, spec)
    assert [r.score for r in res.records] == [1, None, 5]
    assert "'4.5' is outside the CSAT scale (1-5 (whole numbers))" in str(res.warnings[0])


def test_unknown_scale_is_kept_with_one_warning(tmp_path: Path) -> None:
    p = survey(tmp_path, "score", ["12", "55", "80", "100"])
    res = load_survey(p, SourceSpec(kind="survey", path=str(p)))
    assert [r.score for r in res.records] == [12, 55, 80, 100]
    (w,) = res.warnings
    assert w.field == "score" and w.row is None
    assert "fit no known scale" in w.reason and "score_kind" in w.reason


def test_score_kind_without_a_score_column_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("id,comment\n1,The parcel came late\n", encoding="utf-8")
    with pytest.raises(ColumnError, match="score_kind is nps but there is no score column"):
        kind_of(p, score_kind="nps")


def test_sources_yaml_score_kind_is_validated(tmp_path: Path) -> None:
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(
        "sources:\n  - kind: survey\n    path: s.csv\n    columns: {score: r, score_kind: nps}\n",
        encoding="utf-8",
    )
    assert load_sources_config(cfg).sources[0].columns.score_kind == "nps"
    cfg.write_text(cfg.read_text().replace("nps}", "percent}"), encoding="utf-8")
    with pytest.raises(ConfigError, match="sources.0.columns.score_kind"):
        load_sources_config(cfg)


def test_the_kind_is_stored_per_source(settings: Settings, tmp_path: Path) -> None:
    p = survey(tmp_path, "likelihood_to_recommend", ["0", "9", "10", "4", "12"])
    summary = ingest_file(settings, p, columns={"score": "likelihood_to_recommend"})
    assert summary.ok and [w.row for w in summary.warnings] == ["6"]
    cat = Catalog(settings.catalog_path)
    try:
        (src,) = cat.sources()
        assert (src["source"], src["score_kind"]) == ("s.csv", "nps")
        scores = [r["score"] for r in cat.rows("ORDER BY rowid")]
    finally:
        cat.close()
    assert scores == [0, 9, 10, 4, None]


def test_an_older_catalog_gains_the_score_kind_column(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE sources(source TEXT PRIMARY KEY, path TEXT, kind TEXT, indexed_at TEXT, "
        "records INTEGER)"
    )
    db.execute("INSERT INTO sources VALUES('s.csv','/x/s.csv','survey','2026-01-01',3)")
    db.commit()
    db.close()
    cat = Catalog(path)
    try:
        (src,) = cat.sources()
        assert (src["source"], src["records"], src["score_kind"]) == ("s.csv", 3, None)
    finally:
        cat.close()


def test_cli_score_kind(tmp_path: Path) -> None:
    p = survey(tmp_path, "score", ["1", "2", "5", "4"])
    data = tmp_path / "data"
    bad = run_cli(["ingest", str(p), "--kind", "survey", "--score-kind", "percent"], data)
    assert bad.returncode == 2 and "--score-kind 'percent' is not one of nps, csat, stars" in (
        bad.stderr
    )
    ok = run_cli(["ingest", str(p), "--kind", "survey", "--score-kind", "csat"], data)
    assert ok.returncode == 0, ok.stderr
    cat = Catalog(make_settings(data).catalog_path)
    try:
        assert cat.sources()[0]["score_kind"] == "csat"
    finally:
        cat.close()


def test_files_of_one_source_that_read_differently_are_named(
    settings: Settings, tmp_path: Path
) -> None:
    survey(tmp_path, "score", ["0", "9", "10", "8"], "a.csv")
    survey(tmp_path, "score", ["1", "5", "4", "2"], "b.csv", first_id=11)
    summary = ingest_file(settings, tmp_path / "*.csv", name="surveys")
    assert summary.ok
    (w,) = [w for w in summary.warnings if "read as" in w.reason]
    assert w.source == "surveys" and "b.csv's scores read as stars" in w.reason
    cat = Catalog(settings.catalog_path)
    try:
        assert cat.sources()[0]["score_kind"] == "nps"
    finally:
        cat.close()
