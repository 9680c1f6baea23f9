"""The alert back-test's independent recount: SQL counts as of a day, its own z, the rule."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from benchmarks.alerts_backtest import ALL, periods, recount_day, sql_counts, z_two
from bot.analysis.stats import two_prop_z


def _db(rows: list[tuple[str, str, str, list[str]]]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE records(id TEXT, kind TEXT, day TEXT, segments TEXT, complaints TEXT)")
    db.executemany(
        "INSERT INTO records VALUES (?, 'verbatim', ?, ?, ?)",
        [(i, d, json.dumps({"airline": a}), json.dumps(c)) for i, d, a, c in rows],
    )
    return db


def test_periods_and_z() -> None:
    assert periods(date(2015, 2, 24), 1, 1) == (
        date(2015, 2, 24),
        date(2015, 2, 24),
        date(2015, 2, 17),
        date(2015, 2, 23),
    )
    assert abs(z_two(20, 100, 5, 200) - two_prop_z(20, 100, 5, 200)) < 1e-12


def test_counts_stop_at_the_day_and_the_rule_flags_a_spike() -> None:
    rows = [(f"b{i}", "2015-02-20", "Delta", ["lateness"] if i < 2 else []) for i in range(40)]
    rows += [(f"n{i}", "2015-02-21", "Delta", ["lateness"] if i < 12 else []) for i in range(30)]
    rows += [(f"x{i}", "2015-02-22", "Delta", ["lateness"]) for i in range(50)]  # after D
    db = _db(rows)
    n, k = sql_counts(db, date(2015, 2, 21), date(2015, 2, 28), date(2015, 2, 21))
    assert n[(ALL, ALL)] == 30 and n[("airline", "Delta")] == 30
    assert k[("lateness", "airline", "Delta")] == 12
    rule = {"z_min": 2.576, "min_complaints": 5, "min_points": 2.0, "min_baseline_n": 30}
    flagged = recount_day(db, date(2015, 2, 21), {"window_days": 1, "baseline_weeks": 1}, rule)
    assert set(flagged) == {("lateness", "airline", "Delta"), ("lateness", ALL, ALL)}
    assert flagged[("lateness", "airline", "Delta")]["k_before"] == 2
    # the same as of the 20th: no baseline, nothing flagged
    as_20 = recount_day(db, date(2015, 2, 20), {"window_days": 1, "baseline_weeks": 1}, rule)
    assert as_20 == {}
