"""The digest's "what moved the score", posted through the Slack Web API emulator: on a survey
whose score drop is planted in one theme, on the demo data against a recount from its CSV, and
left out where the data has no score."""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.digest.build import build_digest, render_text
from bot.digest.post import DigestPoster, Ledger
from bot.engine import Engine
from ingest.config import SourceSpec
from ingest.pipeline import Job, run_ingest
from tests.bot.slack_harness import slack_settings
from tests.conftest import EXAMPLES, make_settings
from tests.fakes.slack_api import FakeSlack

LATE = "My delivery arrived late again, {i} days after the promised date."
FINE = "Nice product, friendly staff, would buy again ({i})."
OK = "It was fine, nothing special to report ({i})."
START = date(2026, 3, 1)  # before: 1-7 March; now: 8-14 March


def nps(scores: list[int]) -> float:
    """The textbook NPS, independent of bot.analysis."""
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def plan_rows(with_score: bool) -> list[list[str]]:
    """Before: 100 promoters, 45 passives, 5 late detractors. Now: 90 promoters and 60 late
    detractors: the score falls and the late theme accounts for the fall."""
    weeks = [
        [(FINE, 10)] * 100 + [(OK, 8)] * 45 + [(LATE, 3)] * 5,
        [(FINE, 9)] * 90 + [(LATE, 1)] * 60,
    ]
    rows = []
    for w, week in enumerate(weeks):
        for i, (text, score) in enumerate(week):
            day = START + timedelta(days=7 * w + i % 7)
            row = [f"W{w}-{i}", day.isoformat(), "North", text.format(i=i + 1)]
            rows.append(row + ([str(score)] if with_score else []))
    return rows


def build(tmp: Path, with_score: bool) -> Engine:
    path = tmp / "survey.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "region", "comment"] + (["nps"] if with_score else []))
        w.writerows(plan_rows(with_score))
    s = make_settings(tmp / "data")
    summary = run_ingest([Job(SourceSpec(kind="survey", path=str(path)))], s)
    assert summary.ok, summary
    return Engine(s)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    f = FakeSlack()
    yield f
    f.close()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return build(tmp_path_factory.mktemp("planted"), with_score=True)


def post(fake: FakeSlack, engine: Engine, channel: str, ledger: Path) -> dict:
    """Post the digest to `channel` through the emulator; the message Slack accepted."""
    s = slack_settings(engine.settings.data_dir, fake, digest_channels=[channel])
    out = DigestPoster(s, engine=engine, ledger=Ledger(ledger), backoff_s=0.05).run([channel])
    assert [o.status for o in out] == ["posted"]
    return next(m for m in fake.messages[channel] if not m.get("thread_ts"))


def section(message: dict, block_id: str) -> str | None:
    """The text of a section (its blocks are block_id-0, block_id-1, ...), or None."""
    parts = [
        b["text"]["text"]
        for b in message["blocks"]
        if (b.get("block_id") or "").rsplit("-", 1)[0] == block_id
    ]
    return "\n".join(parts) if parts else None


def cited_ids(message: dict) -> dict[int, str]:
    """[n] -> record id, from the citation blocks (block_id cite-N-ID)."""
    out = {}
    for b in message["blocks"]:
        bid = b.get("block_id") or ""
        if bid.startswith("cite-"):
            n, rid = bid[5:].split("-", 1)
            out[int(n)] = rid
    return out


def test_planted_fall_is_posted_with_the_theme_that_moved_it(
    fake: FakeSlack, planted: Engine, tmp_path: Path
) -> None:
    msg = post(fake, planted, "C0SCORE", tmp_path / "ledger.sqlite")
    text = section(msg, "digest-score")
    assert text is not None and text.startswith("*What moved the score*")
    before = [10] * 100 + [8] * 45 + [3] * 5
    now = [9] * 90 + [1] * 60
    change = nps(now) - nps(before)
    assert f"NPS: {nps(now):+.1f} (n=150" in text and f"vs {nps(before):+.1f} (n=150" in text
    assert f"{change:+.1f} points" in text and "beyond noise" in text
    # the late theme accounts for the fall: its impact now vs before, recounted from the plan
    impact_now = nps(now) - nps([9] * 90)
    impact_before = nps(before) - nps([10] * 100 + [8] * 45)
    late = next(line for line in text.splitlines() if "Late or delayed" in line)
    assert late.startswith("• Late or delayed: ")
    assert f"{impact_now - impact_before:+.1f} (95% CI" in late
    assert f"impact {impact_now:+.1f} now (60 of 150" in late
    assert f"vs {impact_before:+.1f} before (5 of 150)" in late
    # quoted: low-score verbatims of the late theme, from the week it hurt most (now)
    refs = [int(x) for x in re.findall(r"\[(\d+)\]", late)]
    assert refs, late
    ids = cited_ids(msg)
    for n in refs:
        assert ids[n].split(":")[-1].startswith("W1-"), ids[n]  # this week's rows
    d = build_digest(planted)
    corpus = planted.corpus()
    for n in refs:
        c = next(c for c in d.citations if c.n == n)
        i = corpus.ids.index(c.id)
        assert corpus.score[i] <= 6 and "late" in c.text


def test_demo_digest_score_matches_the_survey_csv(demo_engine: Engine) -> None:
    d = build_digest(demo_engine)  # 25-31 Oct 2026 vs 18-24 Oct 2026
    with (EXAMPLES / "survey_responses.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    def scores(a: str, b: str) -> list[int]:
        return [int(r["nps"]) for r in rows if a <= r["submitted_at"][:10] <= b]

    now, before = scores("2026-10-25", "2026-10-31"), scores("2026-10-18", "2026-10-24")
    m = d.score
    assert m is not None and (m.now.n, m.before.n) == (len(now), len(before))
    assert math.isclose(m.now.value, nps(now)) and math.isclose(m.before.value, nps(before))
    text = render_text(d)
    assert "What moved the score" in text
    assert f"NPS: {nps(now):+.1f} (n={len(now)}" in text
    doc = d.as_dict()["score"]
    assert doc["kind"] == "nps" and doc["significant"] == (abs(doc["z"]) >= 1.96)
    assert doc["change_ci_low"] <= doc["change"] <= doc["change_ci_high"]


def test_no_score_leaves_the_section_out(fake: FakeSlack, tmp_path: Path) -> None:
    engine = build(tmp_path, with_score=False)
    d = build_digest(engine)
    assert d.enough and d.score is None and d.as_dict()["score"] is None
    assert "What moved the score" not in render_text(d)
    msg = post(fake, engine, "C0NOSCORE", tmp_path / "ledger.sqlite")
    assert section(msg, "digest-score") is None
    assert section(msg, "digest-summary") is not None


def test_faithfulness_checker_recounts_the_score_move(planted: Engine) -> None:
    from benchmarks.faithfulness import Checker

    doc = json.loads(json.dumps(build_digest(planted).as_dict()))
    checker = Checker(planted.settings, planted)
    verdict = checker.check(doc)
    assert verdict.faithful, verdict.text()
    assert verdict.tally("figure")[0] >= 12 and verdict.tally("support")[0] >= 1
    bad = json.loads(json.dumps(doc))
    bad["score"]["now"]["n"] += 1
    late = next(t for t in bad["score"]["themes"] if t["theme"] == "lateness")
    late["impact_now"] += 5
    failed = {c.what for c in checker.check(bad).failures}
    assert "score move: now n" in failed and "score move: lateness impact now" in failed


def test_demo_digest_shows_the_internal_nps_its_customers_disagree_with(
    demo_engine: Engine, fake: FakeSlack, tmp_path: Path
) -> None:
    """The demo's KPI export says North NPS 32 for October; North's own survey answers in the
    digest week give far less. The digest says so, cites both sides, and the checker recounts
    the customers' side from the raw rows of that week."""
    from benchmarks.faithfulness import Checker

    d = build_digest(demo_engine)  # 25-31 Oct 2026
    with (EXAMPLES / "survey_responses.csv").open(newline="", encoding="utf-8") as fh:
        week = [
            int(r["nps"])
            for r in csv.DictReader(fh)
            if r["region"] == "North" and "2026-10-25" <= r["submitted_at"][:10] <= "2026-10-31"
        ]
    north = next(g for g in d.score_gaps if g["segment"] == "North")
    assert north["metric_value"] == 32 and north["verdict"] == "higher"
    assert north["n"] == len(week)
    assert math.isclose(north["customer_value"], nps(week), abs_tol=1e-3)
    kinds = [c["kind"] for c in north["citations"]]
    assert kinds[0] == "metric" and "verbatim" in kinds[1:]
    text = render_text(d)
    assert "Where customers score us differently from the report" in text
    assert f"customers' own NPS {nps(week):.1f} (n={len(week)} scored" in text
    doc = json.loads(json.dumps(d.as_dict()))
    checker = Checker(demo_engine.settings, demo_engine)
    assert checker.check(doc).faithful
    doc["score_gaps"][0]["n"] += 3
    assert not checker.check(doc).faithful
    msg = post(fake, demo_engine, "C0SCOREGAP", tmp_path / "ledger.sqlite")
    slack = section(msg, "digest-score-gaps")
    assert slack is not None and "North: NPS 32" in slack
