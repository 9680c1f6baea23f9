"""Spike detection on a survey with a planted spike: late deliveries in the North jump in the
last week. The spike is flagged with the exact counts, the other segments and themes are not,
and a day-by-day back-test shows when it would first have fired."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.analysis.alerts import ALL, cite_spike, matches, spikes, windows
from bot.citations import CitationBook
from bot.engine import Engine
from ingest.config import Settings
from tests.conftest import ingest_file, make_settings

LAST = date(2026, 10, 31)
DAYS = 35
PLANT_FROM = LAST - timedelta(days=4)  # the spike's first day: five days of it
CALM = [
    "Everything arrived as expected, thank you.",
    "Good service and friendly staff.",
    "The order was complete and well packed.",
    "Easy to order on the website.",
    "Happy with the product quality.",
]
GRIPES = [
    "Support kept me waiting on the phone for an hour.",
    "I was charged twice and still have no refund.",
    "The box arrived damaged and the vase was broken.",
]
LATE = [
    "My parcel arrived four days late, again.",
    "Delivery was late and nobody told me why.",
    "Still waiting, the order is a week overdue.",
]


def write_spike_survey(path: Path, seed: int = 7) -> dict[str, int]:
    """Four verbatims per region and day for five weeks: mostly calm, a few gripes, one late
    delivery in 25 everywhere; from PLANT_FROM on, half of the North's are late deliveries.
    Returns the planted counts."""
    rnd = random.Random(seed)
    rows, planted = [], 0
    for d in range(DAYS):
        day = LAST - timedelta(days=DAYS - 1 - d)
        for region in ("North", "South", "East"):
            for j in range(4):
                r = rnd.random()
                if region == "North" and day >= PLANT_FROM and j < 2:
                    text, planted = rnd.choice(LATE), planted + 1
                elif r < 0.04:
                    text = rnd.choice(LATE)
                elif r < 0.2:
                    text = rnd.choice(GRIPES)
                else:
                    text = rnd.choice(CALM)
                rows.append((f"R{len(rows) + 1}", day.isoformat(), region, f"{text} (ref {d}-{j})"))
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "region", "comment"])
        w.writerows(rows)
    return {"planted": planted, "rows": len(rows)}


@pytest.fixture(scope="module")
def spike_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, int]]:
    root = tmp_path_factory.mktemp("spikes")
    planted = write_spike_survey(root / "survey.csv")
    s = make_settings(root / "data")
    summary = ingest_file(
        s,
        root / "survey.csv",
        columns={"id": "id", "text": "comment", "date": "date", "segments": ["region"]},
    )
    assert summary.ok, summary
    return s, planted


@pytest.fixture(scope="module")
def engine(spike_index: tuple[Settings, dict[str, int]]) -> Engine:
    return Engine(spike_index[0])


def test_the_planted_spike_fires_with_its_counts_and_nothing_else(engine: Engine) -> None:
    report = spikes(engine)
    assert (report.window.since, report.window.until) == (LAST - timedelta(days=6), LAST)
    assert report.baseline.until == LAST - timedelta(days=7)
    fired = {(s.theme, s.key, s.value) for s in report.spikes}
    north = [s for s in report.spikes if s.key == "region" and s.value == "North"]
    assert len(north) == 1 and north[0].theme == "lateness", fired
    assert all(s.value in ("North", "all verbatims") for s in report.spikes), fired

    # a recount from the catalog rows: the window's North verbatims and their late complaints
    corpus = engine.corpus()
    s = north[0]
    in_window = [
        i
        for i, r in enumerate(corpus.records(range(len(corpus))))
        if r["segments"].get("region") == "North"
        and report.window.since.isoformat() <= (r["day"] or "") <= LAST.isoformat()
    ]
    assert s.change.now.n == len(in_window) == 7 * 4
    assert s.change.now.k == sum(bool(corpus.complaints["lateness"][i]) for i in in_window)
    assert s.change.now.k >= 10  # the five planted days (two a day) plus the background
    assert s.change.z >= 2.58 and s.change.points >= 2
    assert sorted(int(i) for i in s.records) == [
        i for i in in_window if corpus.complaints["lateness"][i]
    ]


def test_scope_of_a_watch(engine: Engine) -> None:
    s = next(x for x in spikes(engine).spikes if x.value == "North")
    assert matches(s, [], {}) and matches(s, ["lateness"], {})
    assert matches(s, [], {"region": ["North"]}) and not matches(s, [], {"region": ["South"]})
    assert not matches(s, ["billing"], {})
    overall = [x for x in spikes(engine).spikes if x.key == ALL]
    assert all(not matches(x, [], {"region": ["North"]}) for x in overall)


def test_back_test_day_by_day(engine: Engine) -> None:
    """Which days the check would have fired: not before the spike began, every day once it
    is big enough, never for South or East."""
    fired_on = {}
    for back in range(10, -1, -1):
        day = LAST - timedelta(days=back)
        report = spikes(engine, until=day)
        for s in report.spikes:
            assert s.value in ("North", "all verbatims")
            fired_on.setdefault((s.theme, s.value), day)
    first = fired_on[("lateness", "North")]
    assert PLANT_FROM <= first <= LAST


def test_quotes_behind_the_spike_are_its_complaints(engine: Engine) -> None:
    report = spikes(engine)
    s = next(x for x in report.spikes if x.value == "North")
    book = CitationBook(engine.corpus(), 5)
    ns = cite_spike(engine, report, s, book, k=3)
    assert ns == [1, 2, 3]
    records = {engine.corpus().ids[int(i)] for i in s.records}
    assert all(c.id in records for c in book.items)


def test_no_dates_is_a_clear_error(tmp_path: Path) -> None:
    from ingest.errors import CxbotError

    (tmp_path / "s.csv").write_text("id,comment\n1,Late again\n")
    s = make_settings(tmp_path / "data")
    ingest_file(s, tmp_path / "s.csv")
    with pytest.raises(CxbotError, match="has a date"):
        windows(Engine(s).corpus())
