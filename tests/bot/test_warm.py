"""`cxbot ingest` prepares the read caches, so the first question after it does not pay for
them (at 1M records: ~13 s of column reads and ~30 s of segment caveats)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import EXAMPLES, run_cli


def caches(data: Path) -> list[str]:
    return sorted(p.name.split("-")[0] for p in (data / "cache").glob("*-g0-v*"))


def test_an_ingest_that_changed_the_index_leaves_the_read_caches_ready(tmp_path: Path) -> None:
    data = tmp_path / "data"
    survey = EXAMPLES / "survey_responses.csv"
    r = run_cli(["ingest", str(survey), "--kind", "survey"], data)
    assert r.returncode == 0, r.stderr
    assert caches(data) == ["caveats", "columns"]
    first = sorted((data / "cache").iterdir())
    r = run_cli(["ask", "What do customers complain about most?"], data)
    assert r.returncode == 0 and "[1]" in r.stdout, r.stderr
    assert sorted((data / "cache").iterdir()) == first  # the question found them, wrote none
    r = run_cli(["ingest", str(survey), "--kind", "survey"], data)  # unchanged: nothing to do
    assert r.returncode == 0 and sorted((data / "cache").iterdir()) == first
