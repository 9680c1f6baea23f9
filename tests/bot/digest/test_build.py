"""The digest on the demo data: periods relative to the newest verbatim, too little data said
plainly, and the CLI's one-line errors."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.digest.build import build_digest, digest_blocks, render_text
from bot.digest.chart import chart_png
from bot.engine import Engine
from ingest.config import Settings


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def cxbot(args: list[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """`cxbot ARGS` in-process: the session's indexes are open in this test process and an
    embedded store admits one process, so not a subprocess. Same arguments, streams and exit
    codes; the developer's CXBOT_/SLACK_ variables never leak in."""
    for key in list(os.environ):
        if key.startswith(("CXBOT_", "SLACK_")):
            monkeypatch.delenv(key)
    r = CliRunner().invoke(app, args, env={"CXBOT_DATA_DIR": str(data_dir), "NO_COLOR": "1"})
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return Result(r.exit_code, r.stdout, r.stderr)


def count(settings: Settings, first: str, last: str) -> int:
    db = sqlite3.connect(settings.catalog_path)
    q = "SELECT COUNT(*) FROM records WHERE kind='verbatim' AND day BETWEEN ? AND ?"
    return int(db.execute(q, (first, last)).fetchone()[0])


def test_default_period_is_the_last_7_days_of_data(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    d = build_digest(demo_engine)  # the demo's newest verbatim is dated 31 Oct 2026
    assert (d.period.since, d.period.until) == (date(2026, 10, 25), date(2026, 10, 31))
    assert (d.previous.since, d.previous.until) == (date(2026, 10, 18), date(2026, 10, 24))
    assert d.volume.now == count(demo_settings, "2026-10-25", "2026-10-31")
    assert d.volume.before == count(demo_settings, "2026-10-18", "2026-10-24")
    text = render_text(d)
    assert text.startswith("CX digest: 25–31 Oct 2026 vs 18–24 Oct 2026")
    assert "Rising complaints" in text and "most raised this period" in text
    assert 3 <= sum(len(t.citations) for t in d.themes) <= 5  # one quote per theme shown


def test_too_little_data_is_said_not_turned_into_trends(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    d = build_digest(demo_engine, date(2026, 10, 31), date(2026, 10, 31))
    n_now = count(demo_settings, "2026-10-31", "2026-10-31")
    n_before = count(demo_settings, "2026-10-30", "2026-10-30")
    assert n_now < 30 and n_before < 30
    text = render_text(d)
    assert (
        f"Too little data to call trends: {n_now} verbatims in 31 Oct 2026 and {n_before} in "
        "30 Oct 2026 (at least 30 in each period are needed)." in text
    )
    for trend in ("Rising", "Falling", "New complaints", "Perception gaps", "Volume:", "[1]"):
        assert trend not in text
    assert chart_png(d) is None and not d.citations
    blocks, notification = digest_blocks(d)
    assert "Too little data" in str(blocks) and "Too little data" in notification


def test_cli_dry_run_too_little_data_exits_1_and_errors_are_one_line(
    demo_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(args: list[str], data_dir: Path) -> Result:
        return cxbot(args, data_dir, monkeypatch)

    r = run(
        ["digest", "--since", "2026-10-31", "--until", "2026-10-31", "--dry-run"],
        demo_settings.data_dir,
    )
    assert r.returncode == 1 and "Too little data to call trends" in r.stdout

    r = run(["digest", "--since", "2026-13-01", "--dry-run"], demo_settings.data_dir)
    assert r.returncode == 2
    assert r.stderr.strip() == "Error: --since '2026-13-01' is not a date. Use YYYY-MM-DD."

    r = run(
        ["digest", "--since", "2026-10-20", "--until", "2026-10-10", "--dry-run"],
        demo_settings.data_dir,
    )
    assert (
        r.returncode == 2 and "Error: --since 2026-10-20 is after --until 2026-10-10." in r.stderr
    )

    r = run(["digest"], demo_settings.data_dir)  # no --dry-run, no channel configured
    assert r.returncode == 2 and "No channel to post the digest to." in r.stderr
    assert "Traceback" not in r.stderr

    r = run(["digest", "--dry-run"], tmp_path / "empty")
    assert r.returncode == 2 and "Nothing has been indexed yet" in r.stderr
