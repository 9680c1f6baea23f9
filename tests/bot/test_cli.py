"""The `cxbot` console script as a user runs it: real processes, real exit codes, real JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, run_cli


@pytest.fixture(scope="module")
def cli_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("cli") / "data"
    r = run_cli(["ingest", "--config", str(EXAMPLES / "sources.yaml")], d)
    assert r.returncode == 0, r.stderr
    assert "1,056 added" in r.stdout
    return d


def test_ask_json_schema(cli_data: Path) -> None:
    r = run_cli(
        ["ask", "Where do customers disagree with our delivery stats?", "--json", "--limit", "5"],
        cli_data,
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) >= {"question", "answer", "citations", "filters", "timings_ms", "gaps"}
    assert 1 <= len(d["citations"]) <= 5
    for c in d["citations"]:
        assert set(c) >= {"n", "id", "kind", "source", "text", "segment", "date", "score"}
        assert f"[{c['n']}]" in d["answer"]
    assert d["gaps"][0]["segment"] == "North"


def test_ask_text_prints_numbered_sources(cli_data: Path) -> None:
    r = run_cli(["ask", "What do West customers complain about most?"], cli_data)
    assert r.returncode == 0, r.stderr
    assert "Sources:" in r.stdout and "  [1] " in r.stdout
    assert "Data indexed" in r.stdout


def test_reingest_unchanged_is_a_no_op(cli_data: Path) -> None:
    r = run_cli(["ingest", "--config", str(EXAMPLES / "sources.yaml"), "--json"], cli_data)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert (s["added"], s["updated"], s["unchanged"], s["removed"]) == (0, 0, 1056, 0)
    assert s["skipped"], "unchanged files are not read again"
    r = run_cli(["ingest", "--config", str(EXAMPLES / "sources.yaml")], cli_data)
    assert "Not re-read, their files unchanged since the last ingest" in r.stdout
    assert "1,056 unchanged" in r.stdout


def test_stats_json(cli_data: Path) -> None:
    r = run_cli(["stats", "--json"], cli_data)
    d = json.loads(r.stdout)
    assert d["verbatims"] == 1032 and d["metric_lines"] == 24
    assert d["segments"]["region"]["North"] == 300


def test_gaps_explain(cli_data: Path) -> None:
    r = run_cli(["gaps", "--explain"], cli_data)
    assert r.returncode == 0, r.stderr
    assert "1. North: On-time delivery" in r.stdout
    assert "On-time delivery -> Late or delayed" in r.stdout
    j = json.loads(run_cli(["gaps", "--json", "--metric", "damaged"], cli_data).stdout)
    assert j["gaps"][0]["segment"] == "West" and j["gaps"][0]["metric"] == "Damaged items rate"
    assert {g["metric"] for g in j["gaps"]} == {"Damaged items rate"}


def test_errors_are_one_clear_line_and_non_zero(cli_data: Path, tmp_path: Path) -> None:
    r = run_cli(["ask", ""], cli_data)
    assert r.returncode == 2 and "Error: The question is empty." in r.stderr
    assert "Traceback" not in r.stderr
    r = run_cli(["ask", "anything at all"], tmp_path / "nothing-here")
    assert r.returncode == 2 and "Nothing has been indexed yet" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [\n")
    r = run_cli(["ingest", "--config", str(bad)], cli_data)
    assert r.returncode == 2 and "not valid YAML" in r.stderr and "Traceback" not in r.stderr
    r = run_cli(["ingest", str(tmp_path / "missing.csv"), "--kind", "survey"], cli_data)
    assert r.returncode == 2 and "missing.csv: no such file" in r.stderr


def test_rejected_rows_exit_1_and_are_listed(cli_data: Path, tmp_path: Path) -> None:
    f = tmp_path / "extra.csv"
    f.write_text("id,comment\n1,Parcel came late\n2,\n", encoding="utf-8")
    r = run_cli(["ingest", str(f), "--kind", "survey"], cli_data)
    assert r.returncode == 1
    assert "1 added" in r.stdout
    assert "extra.csv, row 3, field 'comment': empty text." in r.stderr


def test_examples_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    r = run_cli(["examples", "--out", str(tmp_path / "ex")], tmp_path / "d")
    assert r.returncode == 0, r.stderr
    for name in ("survey_responses.csv", "delivery_kpis.csv", "ops_review_q3.md", "sources.yaml"):
        assert (tmp_path / "ex" / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
