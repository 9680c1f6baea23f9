"""Loading surveys and metric reports: formats, column inference, and every bad-input path."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from ingest.config import ColumnMap, SourceSpec, load_sources_config
from ingest.errors import ColumnError, ConfigError, SourceError
from ingest.loaders import load_metrics, load_survey

SURVEY_CSV = (
    "response_id,submitted_at,region,nps,comment\n"
    "R1,2026-10-01 09:00,North,3,My parcel arrived four days late and nobody called.\n"
    'R2,2026-10-02 10:00,South,9,"Lovely staff and quick delivery, thank you!"\n'
    'R3,2026-10-03,East,7,"Fine, but the box was ""slightly"" crushed\non one side."\n'
)


def spec(path: Path, kind: str = "survey", **cols: object) -> SourceSpec:
    return SourceSpec(kind=kind, path=str(path), columns=ColumnMap(**cols))  # type: ignore[arg-type]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def test_csv_infers_columns_and_keeps_own_ids(tmp_path: Path) -> None:
    p = write(tmp_path, "survey.csv", SURVEY_CSV)
    res = load_survey(p, spec(p))
    assert [r.id for r in res.records] == ["survey.csv:R1", "survey.csv:R2", "survey.csv:R3"]
    first = res.records[0]
    assert first.text.startswith("My parcel arrived four days late")
    assert first.segments == {"region": "North"}
    assert first.score == 3
    assert first.date is not None and first.date.day == 1
    assert first.location == "row 2"
    # quotes and an embedded newline survive as one record
    assert res.records[2].text == 'Fine, but the box was "slightly" crushed on one side.'
    assert not res.rejected


def test_rows_without_an_id_column_get_stable_ids(tmp_path: Path) -> None:
    p = write(
        tmp_path, "plain.csv", "comment\nThe delivery was late again.\nGreat service today.\n"
    )
    ids1 = [r.id for r in load_survey(p, spec(p)).records]
    ids2 = [r.id for r in load_survey(p, spec(p)).records]
    assert ids1 == ids2 == ["plain.csv:row-2", "plain.csv:row-3"]


def test_xlsx_json_and_jsonl_load_the_same_records(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "comment": "Courier was rude and threw the parcel.", "region": "West"},
        {"id": "b", "comment": "Refund still not received after a month.", "region": "East"},
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "comment", "region"])
    for r in rows:
        ws.append([r["id"], r["comment"], r["region"]])
    x = tmp_path / "s.xlsx"
    wb.save(x)
    j = write(tmp_path, "s.json", json.dumps({"responses": rows}))
    jl = write(tmp_path, "s.jsonl", "\n".join(json.dumps(r) for r in rows))
    for p in (x, j, jl):
        res = load_survey(p, spec(p))
        assert [r.text for r in res.records] == [r["comment"] for r in rows], p
        assert [r.segments["region"] for r in res.records] == ["West", "East"]


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    p = write(tmp_path, "empty.csv", "")
    with pytest.raises(SourceError, match="empty.csv: the file is empty"):
        load_survey(p, spec(p))


def test_header_only_file_is_a_clear_error(tmp_path: Path) -> None:
    p = write(tmp_path, "header.csv", "id,comment\n")
    with pytest.raises(SourceError, match="header but no data rows"):
        load_survey(p, spec(p))


def test_binary_file_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, "data.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(SourceError, match="binary"):
        load_survey(p, spec(p))


def test_unknown_extension_lists_supported_ones(tmp_path: Path) -> None:
    p = write(tmp_path, "notes.docx", "whatever")
    with pytest.raises(SourceError, match=r"unknown file type '\.docx'.*Supported: .*\.csv"):
        load_survey(p, spec(p))


def test_latin1_file_is_read_with_a_warning_naming_the_line(tmp_path: Path) -> None:
    text = "id,comment\n1,Tout était parfait merci\n2,Livraison très en retard\n"
    p = write(tmp_path, "latin.csv", text.encode("latin-1"))
    res = load_survey(p, spec(p))
    assert [r.text for r in res.records] == ["Tout était parfait merci", "Livraison très en retard"]
    assert len(res.warnings) == 1
    w = str(res.warnings[0])
    assert "latin.csv" in w and "line 2" in w and "not UTF-8" in w


def test_utf8_bom_does_not_corrupt_the_first_column(tmp_path: Path) -> None:
    p = write(tmp_path, "bom.csv", "\ufeffid,comment\nx1,Arrived broken in two pieces\n".encode())
    res = load_survey(p, spec(p, id="id"))
    assert res.records[0].id == "bom.csv:x1"
    assert not res.warnings


def test_missing_text_column_lists_the_columns(tmp_path: Path) -> None:
    p = write(tmp_path, "nums.csv", "id,nps,region\n1,9,North\n2,3,South\n")
    with pytest.raises(ColumnError, match="no column that looks like free text.*id, nps, region"):
        load_survey(p, spec(p))


def test_ambiguous_text_columns_are_named(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "two.csv",
        "title,details\nDelivery was very late this week,The courier never showed up at all\n",
    )
    with pytest.raises(
        ColumnError, match=r"several text-like columns \(title, details\).*--text-column"
    ):
        load_survey(p, spec(p))
    assert load_survey(p, spec(p, text="details")).records[0].text.startswith("The courier")


def test_named_column_that_does_not_exist(tmp_path: Path) -> None:
    p = write(tmp_path, "s.csv", SURVEY_CSV)
    with pytest.raises(ColumnError, match="no column 'feedback'.*Columns: response_id"):
        load_survey(p, spec(p, text="feedback"))


def test_malformed_rows_are_rejected_by_row_and_good_rows_kept(tmp_path: Path) -> None:
    content = (
        "id,comment,region\n"
        "1,Good service,North\n"
        "2,Too many,fields,here,South\n"
        "3,,East\n"
        "4,Late again,West\n"
    )
    p = write(tmp_path, "bad.csv", content)
    res = load_survey(p, spec(p, text="comment"))
    assert [r.id for r in res.records] == ["bad.csv:1", "bad.csv:4"]
    msgs = [str(r) for r in res.rejected]
    assert any("bad.csv, row 3" in m and "expected 3 fields, found 5" in m for m in msgs)
    assert any("bad.csv, row 4, field 'comment': empty text" in m for m in msgs)


def test_duplicate_ids_keep_the_first_and_report_the_rest(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "dup.csv",
        "tweet_id,text\n10,first version of it\n11,another one\n10,second version of it\n",
    )
    res = load_survey(p, spec(p))
    assert [r.text for r in res.records] == ["first version of it", "another one"]
    assert len(res.rejected) == 1
    assert "row 4, field 'tweet_id': duplicate id '10' (first seen at row 2)" in str(
        res.rejected[0]
    )


def test_one_megabyte_text_field_is_rejected_not_truncated(tmp_path: Path) -> None:
    big = "x" * 1_048_576
    p = write(tmp_path, "big.csv", f"id,comment\n1,short and fine here\n2,{big}\n")
    res = load_survey(p, spec(p, text="comment"), max_text_chars=20_000)
    assert [r.id for r in res.records] == ["big.csv:1"]
    assert "row 3, field 'comment': text is 1,048,576 characters; the limit is 20,000" in str(
        res.rejected[0]
    )


def test_bad_date_and_score_keep_the_row_with_a_warning(tmp_path: Path) -> None:
    p = write(tmp_path, "w.csv", "id,date,score,comment\n1,not-a-date,ten,The app keeps crashing\n")
    res = load_survey(p, spec(p, date="date", score="score"))
    assert len(res.records) == 1 and res.records[0].date is None and res.records[0].score is None
    assert {w.field for w in res.warnings} == {"date", "score"}


def test_truncated_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["comment"])
    good = tmp_path / "good.xlsx"
    wb.save(good)
    p = write(tmp_path, "cut.xlsx", good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(SourceError, match="cut.xlsx: is not a readable XLSX"):
        load_survey(p, spec(p))


def test_bad_jsonl_lines_are_rejected_by_line(tmp_path: Path) -> None:
    p = write(tmp_path, "x.jsonl", '{"comment": "ok one here"}\n{broken\n{"comment": "ok two"}\n')
    res = load_survey(p, spec(p))
    assert len(res.records) == 2
    assert "line 2" in str(res.rejected[0])


def test_sources_yaml_errors_name_the_key(tmp_path: Path) -> None:
    bad_yaml = write(tmp_path, "bad.yaml", "sources:\n  - kind: survey\n    path: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_sources_config(bad_yaml)
    unknown = write(
        tmp_path, "u.yaml", "sources:\n  - kind: survey\n    path: a.csv\n    colour: red\n"
    )
    with pytest.raises(ConfigError, match=r"sources\.0\.colour: unknown key"):
        load_sources_config(unknown)
    wrong = write(tmp_path, "w.yaml", "sources:\n  - kind: reviews\n    path: a.csv\n")
    with pytest.raises(
        ConfigError, match=r"sources\.0\.kind: Input should be 'survey' or 'metrics'"
    ):
        load_sources_config(wrong)


def test_glob_that_matches_nothing_is_an_error(tmp_path: Path) -> None:
    s = SourceSpec(kind="survey", path="exports/*.csv")
    with pytest.raises(ConfigError, match=r"'exports/\*\.csv' matches no file"):
        s.files(tmp_path)


def test_long_form_metrics_csv(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "kpi.csv",
        "metric,value,unit,period,segment,target\n"
        "On-time delivery,96.4,%,2026-10,North,95\n"
        "Support wait time,4.2,min,2026-10,,5\n"
        "On-time delivery,n/a,%,2026-10,South,95\n",
    )
    res = load_metrics(p, spec(p, kind="metrics"))
    f = res.records[0].facts[0]
    assert (f.metric, f.value, f.unit, f.period, f.segment, f.target, f.direction) == (
        "On-time delivery",
        96.4,
        "%",
        "2026-10",
        "North",
        95.0,
        "higher",
    )
    assert res.records[1].facts[0].direction == "lower" and res.records[1].facts[0].segment is None
    assert "row 4, field 'value': 'n/a' is not a number" in str(res.rejected[0])


def test_wide_metrics_csv_every_numeric_column_is_a_metric(tmp_path: Path) -> None:
    p = write(
        tmp_path, "wide.csv", "region,on_time_pct,cancelled_pct\nNorth,96.1,1.2\nSouth,91.0,3.4\n"
    )
    res = load_metrics(p, spec(p, kind="metrics"))
    facts = [(r.facts[0].metric, r.facts[0].segment, r.facts[0].value) for r in res.records]
    assert facts == [
        ("on_time_pct", "North", 96.1),
        ("cancelled_pct", "North", 1.2),
        ("on_time_pct", "South", 91.0),
        ("cancelled_pct", "South", 3.4),
    ]
    assert res.records[0].location == "row 2, column on_time_pct"


def test_metric_file_without_numbers_is_a_clear_error(tmp_path: Path) -> None:
    p = write(tmp_path, "words.csv", "region,comment\nNorth,all good\n")
    with pytest.raises(ColumnError, match="no numeric column to read as a metric"):
        load_metrics(p, spec(p, kind="metrics"))


def _dates(res: object) -> list[str | None]:
    return [r.date.date().isoformat() if r.date else None for r in res.records]  # type: ignore[attr-defined]


def test_day_first_dates_are_read_day_first_from_the_column_itself(tmp_path: Path) -> None:
    """27-04-2023 settles the column: 03-05-2023 is then 3 May, never 5 March; no warnings."""
    rows = "".join(
        f"{i},{d},Comment number {i} about the order\n"
        for i, d in enumerate(["03-05-2023", "27-04-2023 14:05", "01-12-2023"], 1)
    )
    p = write(tmp_path, "eu.csv", "id,created_at,comment\n" + rows)
    res = load_survey(p, spec(p, text="comment"))
    assert _dates(res) == ["2023-05-03", "2023-04-27", "2023-12-01"]
    assert res.warnings == []


def test_month_first_dates_are_read_month_first(tmp_path: Path) -> None:
    rows = "1,03/05/2023,first comment here\n2,4/27/2023 1:05 PM,second comment here\n"
    p = write(tmp_path, "us.csv", "id,date,comment\n" + rows)
    res = load_survey(p, spec(p, text="comment"))
    assert _dates(res) == ["2023-03-05", "2023-04-27"]
    assert res.records[1].date.hour == 13  # type: ignore[union-attr]
    assert res.warnings == []


def test_ambiguous_date_column_warns_once_and_the_option_settles_it(tmp_path: Path) -> None:
    rows = "".join(f"{i},0{i}/02/2023,comment {i} on the service\n" for i in range(1, 6))
    p = write(tmp_path, "amb.csv", "id,date,comment\n" + rows)
    res = load_survey(p, spec(p, text="comment"))
    assert len(res.warnings) == 1
    w = str(res.warnings[0])
    assert "'date'" in w and "both day-first and month-first" in w and "--date-format" in w
    assert _dates(res)[0] == "2023-02-01"  # the default (day first) is said, not silent

    as_us = SourceSpec(
        kind="survey", path=str(p), columns=ColumnMap(text="comment"), date_format="mdy"
    )
    res = load_survey(p, as_us)
    assert res.warnings == [] and _dates(res)[0] == "2023-01-02"
    fmt = SourceSpec(
        kind="survey", path=str(p), columns=ColumnMap(text="comment"), date_format="%m/%d/%Y"
    )
    assert _dates(load_survey(p, fmt))[4] == "2023-05-02"


def test_mixed_date_orders_are_said_and_never_swapped(tmp_path: Path) -> None:
    rows = "1,27/04/2023,a comment here\n2,28/04/2023,another comment\n3,04/29/2023,third one\n"
    p = write(tmp_path, "mix.csv", "id,date,comment\n" + rows)
    res = load_survey(p, spec(p, text="comment"))
    assert _dates(res) == ["2023-04-27", "2023-04-28", None]  # 29 is no month: not guessed
    msgs = [str(w) for w in res.warnings]
    assert any("mixes day-first and month-first" in m for m in msgs)
    assert any("row 4, field 'date'" in m and "not a date" in m for m in msgs)


def test_a_bad_date_format_option_is_a_clear_error(tmp_path: Path) -> None:
    p = write(tmp_path, "x.csv", "id,date,comment\n1,01/02/2023,a comment here\n")
    bad = SourceSpec(
        kind="survey", path=str(p), columns=ColumnMap(text="comment"), date_format="yy"
    )
    with pytest.raises(SourceError, match="not a date format: use dmy"):
        load_survey(p, bad)
