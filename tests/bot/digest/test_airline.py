"""`cxbot digest --dry-run` on the 14,640 real airline tweets (16-24 Feb 2015) plus the DOT
on-time report: every figure in the digest is recounted here straight from the catalog with
sqlite3 (and the DOT CSV), not with the digest's own code."""

from __future__ import annotations

import csv
import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from matplotlib.image import imread

from ingest.config import Settings
from tests.bot.digest.test_build import cxbot
from tests.conftest import AIRLINE

pytestmark = pytest.mark.slow

NOW = ("2015-02-20", "2015-02-24")
BEFORE = ("2015-02-15", "2015-02-19")  # the 5 days before; the tweets start on 16 Feb


def recount(db: sqlite3.Connection, days: tuple[str, str]) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT id, polarity, themes, complaints, segments, day FROM records "
        "WHERE kind = 'verbatim' AND day BETWEEN ? AND ?",
        days,
    ).fetchall()
    return [
        {
            "id": r[0],
            "polarity": r[1],
            "themes": set(json.loads(r[2])),
            "complaints": set(json.loads(r[3])),
            "segments": json.loads(r[4]),
            "day": r[5],
        }
        for r in rows
    ]


def z_test(k1: int, n1: int, k2: int, n2: int) -> float:
    p = (k1 + k2) / (n1 + n2)
    return (k1 / n1 - k2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))


@pytest.fixture(scope="module")
def dry_run(airline_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("digest-airline")
    with pytest.MonkeyPatch.context() as mp:
        r = cxbot(
            ["digest", "--since", NOW[0], "--until", NOW[1], "--dry-run", "--out", str(out)],
            airline_settings.data_dir,
            mp,
        )
    assert r.returncode == 0, r.stderr
    figures = json.loads((out / "digest-figures.json").read_text())
    return r.stdout, figures, out


def test_volume_negative_share_and_theme_changes_match_an_independent_count(
    airline_settings: Settings, dry_run
) -> None:
    text, figures, _ = dry_run
    db = sqlite3.connect(airline_settings.catalog_path)
    now, before = recount(db, NOW), recount(db, BEFORE)
    assert figures["period"]["label"] == "20–24 Feb 2015"
    assert figures["previous"]["label"] == "16–19 Feb 2015"  # clipped to the data
    assert text.startswith("CX digest: 20–24 Feb 2015 vs 16–19 Feb 2015")

    n1, n2 = len(now), len(before)
    assert (figures["volume"]["now"], figures["volume"]["before"]) == (n1, n2)
    assert f"Volume: {n1:,} verbatims ({n1 / 5:,.1f}/day over 5 days) vs {n2:,} " in text

    neg1 = sum(r["polarity"] < 0 for r in now)
    neg2 = sum(r["polarity"] < 0 for r in before)
    assert figures["negative"]["now"]["k"] == neg1 and figures["negative"]["before"]["k"] == neg2
    assert f"Negative: {100 * neg1 / n1:.1f}% ({neg1:,} of {n1:,}" in text
    sig = abs(z_test(neg1, n1, neg2, n2)) >= 1.96
    assert figures["negative"]["significant"] is sig

    expected_rising = []
    for t in figures["themes"]:
        k1 = sum(t["theme"] in r["complaints"] for r in now)
        k2 = sum(t["theme"] in r["complaints"] for r in before)
        assert (t["now"]["k"], t["before"]["k"]) == (k1, k2), t["theme"]
        points = 100 * (k1 / n1 - k2 / n2)
        assert t["change_points"] == pytest.approx(points, abs=0.01)
        new = k2 / n2 < 0.01 and k1 / n1 >= 0.02  # listed as new instead
        if z_test(k1, n1, k2, n2) >= 1.96 and not new:
            expected_rising.append((points, t["theme"]))
    rising = [name for _, name in sorted(expected_rising, reverse=True)[:3]]
    assert figures["rising"] == rising and rising  # this week had real movers
    labels = {t["theme"]: t["label"] for t in figures["themes"]}
    first = next(t for t in figures["themes"] if t["theme"] == rising[0])
    assert (
        f"{labels[rising[0]]}: {100 * first['now']['k'] / n1:.1f}% ({first['now']['k']:,}) vs "
        in text
    )


def test_gaps_and_their_evidence_on_both_sides_match_the_catalog(
    airline_settings: Settings, dry_run
) -> None:
    text, figures, _ = dry_run
    db = sqlite3.connect(airline_settings.catalog_path)
    now = recount(db, NOW)
    by_id = {r["id"]: r for r in now}
    with (AIRLINE / "dot_metrics_2015_02.csv").open(newline="") as fh:
        dot = {row["tweets_airline"]: row for row in csv.DictReader(fh)}
    names = {t["label"]: t["theme"] for t in figures["themes"]}
    cites = {c["n"]: c for c in figures["citations"]}
    assert 1 <= len(figures["gaps"]) <= 3
    for g in figures["gaps"]:
        seg, themes = g["segment"], {names[label] for label in g["themes"]}
        assert g["metric_value"] == pytest.approx(float(dot[seg][g["metric"]]))
        mine = [r for r in now if r["segments"].get("airline") == seg]
        complaining = [r for r in mine if r["polarity"] < 0 or r["complaints"]]
        k = sum(bool(themes & r["complaints"]) for r in complaining)
        assert (g["n_complaining"], g["k"], g["n"]) == (len(complaining), k, len(mine))
        assert f"{seg}: " in text and f"of what its {len(complaining):,} complaining" in text

        about = [r for r in mine if themes & r["themes"]]
        positive = [r for r in about if r["polarity"] > 0 and not themes & r["complaints"]]
        counter = g["counter_evidence"]
        assert (counter["about_theme"], counter["positive"]) == (len(about), len(positive))
        # the quotes: a complaint of that segment, and one of its customers on the other side
        metric_line = cites[g["metric_citations"][0]]
        assert metric_line["kind"] == "metric" and g["metric"] in metric_line["text"]
        for n in g["complaint_citations"]:
            r = by_id[cites[n]["id"]]
            assert r["segments"]["airline"] == seg and themes & r["complaints"]
        assert len(counter["citations"]) == (1 if positive else 0)
        for n in counter["citations"]:
            r = by_id[cites[n]["id"]]
            assert r["segments"]["airline"] == seg and r["polarity"] > 0
            assert themes & r["themes"] and not themes & r["complaints"]
    verbatim_quotes = [c for c in figures["citations"] if c["kind"] == "verbatim"]
    assert 3 <= len(verbatim_quotes) <= 5 + 2 * len(figures["gaps"])
    for c in verbatim_quotes:  # every quote is from the period
        assert NOW[0] <= c["date"] <= NOW[1]
        assert f"[{c['n']}]" in text


def test_dry_run_writes_block_kit_within_slack_limits_and_a_readable_chart(dry_run) -> None:
    text, figures, out = dry_run
    message = json.loads((out / "digest.json").read_text())
    blocks = message["blocks"]
    assert 10 <= len(blocks) <= 50 and blocks[0]["type"] == "header"
    assert len(blocks[0]["text"]["text"]) <= 150
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
    shown = json.dumps(blocks, ensure_ascii=False)
    assert f"{figures['volume']['now']:,} verbatims" in shown and "<!" not in shown
    cited = [b["block_id"] for b in blocks if str(b.get("block_id", "")).startswith("cite-")]
    assert len(cited) == len(figures["citations"])
    height, width = imread(Path(out / "digest.png")).shape[:2]
    assert width >= 800 and height > width
