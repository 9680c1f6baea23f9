"""Perception gaps on constructed data whose answer is known, plus the bad-input paths."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.analysis.gaps import analyse, period_range
from bot.analysis.stats import wilson
from bot.engine import Engine
from ingest.config import Settings, SourceSpec
from ingest.errors import CxbotError
from ingest.pipeline import Job, run_ingest

LATE = "My delivery arrived late again, {i} days after the promised date."
REFUND = "Still no refund for the order I returned, {i} emails and nothing."
FINE = "Nice product, friendly staff, would buy again ({i})."


def survey(path: Path, plan: dict[str, tuple[int, int, int]]) -> Path:
    """plan: region -> (verbatims, of which complain about lateness, about refunds)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "region", "comment"])
        n = 0
        for region, (total, late, refund) in plan.items():
            for i in range(total):
                n += 1
                text = (LATE if i < late else REFUND if i < late + refund else FINE).format(i=i + 1)
                w.writerow([f"{region[:1]}{n}", f"2026-10-{1 + i % 28:02d}", region, text])
    return path


def kpis(path: Path, rows: list[tuple[str, float, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["metric", "value", "unit", "period", "segment", "target"])
        for segment, value, unit, period in rows:
            w.writerow(["On-time delivery", value, unit, period, segment, 95])
    return path


def build(settings: Settings, tmp_path: Path, plan, rows) -> Engine:  # type: ignore[no-untyped-def]
    summary = run_ingest(
        [
            Job(SourceSpec(kind="survey", path=str(survey(tmp_path / "s.csv", plan)))),
            Job(SourceSpec(kind="metrics", path=str(kpis(tmp_path / "k.csv", rows)))),
        ],
        settings,
    )
    assert summary.ok, summary
    return Engine(settings)


PLAN = {
    "North": (80, 24, 16),
    "South": (80, 20, 20),
    "East": (80, 3, 30),
    "West": (80, 2, 30),
    "Tiny": (10, 6, 2),
}
ROWS = [
    ("North", 97.5, "%", "2026-10"),  # best metric, most complaints: the gap
    ("South", 90.0, "%", "2026-10"),  # worst metric, many complaints: customers agree
    ("East", 95.5, "%", "2026-10"),  # good metric, few complaints: agree
    ("West", 94.0, "%", "2026-10"),
    ("Tiny", 99.0, "%", "2026-10"),  # too few verbatims to rank
]


def test_known_gap_ranks_first_agreeing_segments_do_not_appear(
    settings: Settings, tmp_path: Path
) -> None:
    engine = build(settings, tmp_path, PLAN, ROWS)
    report = analyse(engine)
    assert [v.segment for v in report.gaps][:1] == ["North"]
    north = report.gaps[0]
    assert (north.n, north.k, north.n_c, north.rank, north.of) == (80, 24, 40, 1, 4)
    assert north.significant
    lo, hi = wilson(24, 40)
    assert lo < north.mix < hi and north.mix == 0.6
    listed = {v.segment for v in report.gaps}
    assert "South" not in listed and "West" not in listed
    assert [v.segment for v in report.not_ranked] == ["Tiny"]
    assert "Tiny" not in listed


def test_gap_json_fields_and_citations(settings: Settings, tmp_path: Path) -> None:
    engine = build(settings, tmp_path, PLAN, ROWS)
    a = engine.ask("Do customers agree with our on-time delivery stats?")
    assert a.gaps
    g = a.gaps[0]
    for key in (
        "metric",
        "segment",
        "period",
        "metric_value",
        "metric_rank",
        "customer_share",
        "ci_low",
        "ci_high",
        "n",
        "score",
        "citations",
    ):
        assert key in g
    assert g["segment"] == "North" and g["metric_value"] == 97.5 and g["n"] == 80
    assert g["share_of_complaints"] == 0.6 and g["customer_share"] == 0.3
    kinds = [c["kind"] for c in g["citations"]]
    assert kinds[0] == "metric" and "verbatim" in kinds
    assert all(c["segment"].startswith("North") for c in g["citations"])
    assert "Tiny (8 complaining of 10" in a.answer


def test_mixed_units_are_refused_not_compared(settings: Settings, tmp_path: Path) -> None:
    rows = [("North", 97.5, "%", "2026-10"), ("South", 3.0, "days", "2026-10")]
    engine = build(settings, tmp_path, PLAN, rows)
    report = analyse(engine)
    assert not report.gaps
    assert any("mixed units" in p for p in report.problems)


def test_unknown_segment_and_unmatched_period_are_reported(
    settings: Settings, tmp_path: Path
) -> None:
    rows = [
        ("North", 97.5, "%", "2026-10"),
        ("East", 95.5, "%", "2026-10"),
        ("Atlantis", 99.0, "%", "2026-10"),
        ("West", 94.0, "%", "2019-01"),
    ]
    engine = build(settings, tmp_path, PLAN, rows)
    report = analyse(engine)
    assert any("'Atlantis'" in p and "Add an alias" in p for p in report.problems)
    assert any("period '2019-01'" in p and "matches no verbatims" in p for p in report.problems)
    assert all(v.segment != "Atlantis" for v in report.gaps + report.agreeing)


def test_aliases_match_segments(settings: Settings, tmp_path: Path) -> None:
    rows = [
        ("North Region Ltd.", 97.5, "%", "2026-10"),
        ("East", 95.5, "%", "2026-10"),
        ("South", 90.0, "%", "2026-10"),
    ]
    summary = run_ingest(
        [
            Job(SourceSpec(kind="survey", path=str(survey(tmp_path / "s.csv", PLAN)))),
            Job(SourceSpec(kind="metrics", path=str(kpis(tmp_path / "k.csv", rows)))),
        ],
        settings,
        gap_config={"aliases": {"north region ltd": "North"}},
    )
    assert summary.ok
    report = analyse(Engine(settings))
    assert report.segment_matches["North Region Ltd."] == "region = North"
    assert report.gaps[0].segment == "North"


def test_no_metrics_indexed_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    run_ingest(
        [Job(SourceSpec(kind="survey", path=str(survey(tmp_path / "s.csv", PLAN))))], settings
    )
    with pytest.raises(CxbotError, match="No metric reports are indexed"):
        analyse(Engine(settings))


def test_period_parsing() -> None:
    from datetime import date

    assert period_range("2015-02", None) == (date(2015, 2, 1), date(2015, 2, 28))
    assert period_range("Q3 2026", None) == (date(2026, 7, 1), date(2026, 9, 30))
    assert period_range("October", 2026) == (date(2026, 10, 1), date(2026, 10, 31))
    assert period_range("sometime", 2026) is None


def test_a_segment_filter_shows_one_segment_still_compared_with_all(
    settings: Settings, tmp_path: Path
) -> None:
    engine = build(settings, tmp_path, PLAN, ROWS)
    everyone = analyse(engine)
    north = analyse(engine, segment="North")
    assert [v.segment for v in north.gaps] == ["North"]
    assert (north.gaps[0].rank, north.gaps[0].rest_share) == (1, everyone.gaps[0].rest_share)
    a = engine.ask("Do South customers agree with our on-time delivery stats?")
    # about South, not a claim that no segment has a gap (North has one)
    assert a.answer.startswith("No disagreement found for South: where its metrics look good")
    assert "South: On-time delivery 90% (2026-10) (rank 4 of 4) [1]" in a.answer
    assert "customers agree with the metric" in a.answer and a.enough_evidence
    tiny = engine.ask("Do Tiny customers agree with our on-time delivery stats?")
    assert tiny.answer.startswith("Too few verbatims from Tiny to compare")
    assert "No disagreement found" not in tiny.answer and not tiny.enough_evidence
