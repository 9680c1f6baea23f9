"""The customer score side of the perception gap: an internal CSAT / NPS line against the
survey's own score for the same segment and period, on a constructed CSAT survey whose answer
is known and on the demo data (its KPI export reports an NPS per region), through `cxbot gaps`,
`ask` and Slack."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.analysis.gaps import analyse
from bot.cli import app
from bot.engine import Engine
from ingest.config import SourceSpec
from ingest.pipeline import Job, run_ingest
from tests.bot.slack_harness import Harness, block_text, citation_ids
from tests.conftest import EXAMPLES, make_settings

UNHAPPY = "The delivery was late and support never called back ({i})."
HAPPY = "Quick delivery and friendly support, thank you ({i})."
# region -> CSAT answers (1-5) in October 2026
PLAN = {
    "North": [2] * 40 + [3] * 20 + [4] * 20 + [5] * 20,  # mean 3.2, 40% answer 4-5
    "South": [5] * 50 + [4] * 40 + [3] * 10,  # mean 4.4, 90% answer 4-5
    "Tiny": [2] * 5,
}
KPIS = [  # metric, value, unit, period, segment
    ("CSAT", 4.6, "", "2026-10", "North"),  # far above what North's customers give
    ("CSAT", 4.4, "", "2026-10", "South"),  # what South's customers give
    ("CSAT", 4.8, "", "2026-10", "Tiny"),  # 5 scored verbatims: not compared
    ("Customer satisfaction", 92, "%", "2026-10", "South"),  # vs 90% answering 4-5
    ("NPS", 450, "", "2026-10", "North"),  # not on the NPS scale
]


def cxbot(args: list[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """`cxbot ARGS` in-process: the test's embedded store admits one process."""
    for key in list(os.environ):
        if key.startswith(("CXBOT_", "SLACK_")):
            monkeypatch.delenv(key)
    r = CliRunner().invoke(app, args, env={"CXBOT_DATA_DIR": str(data_dir), "NO_COLOR": "1"})
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r


def mean_ci(xs: list[int]) -> tuple[float, float]:
    """The textbook mean and the half width of its normal 95% interval (independent of bot)."""
    n = len(xs)
    m = sum(xs) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    return m, 1.96 * sd / math.sqrt(n)


@pytest.fixture(scope="module")
def csat_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("gap-scores")
    survey, kpis = root / "survey.csv", root / "kpis.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "region", "csat", "comment"])
        for region, scores in PLAN.items():
            for i, s in enumerate(scores):
                text = (UNHAPPY if s <= 3 else HAPPY).format(i=i)
                w.writerow([f"{region}{i}", f"2026-10-{1 + i % 28:02d}", region, s, text])
    with kpis.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["metric", "value", "unit", "period", "segment", "target"])
        for metric, value, unit, period, segment in KPIS:
            w.writerow([metric, value, unit, period, segment, ""])
    s = make_settings(root / "data")
    summary = run_ingest(
        [
            Job(SourceSpec(kind="survey", path=str(survey))),
            Job(SourceSpec(kind="metrics", path=str(kpis))),
        ],
        s,
    )
    assert summary.ok, summary
    return Engine(s)


def test_internal_csat_is_compared_with_the_customers_own(csat_engine: Engine) -> None:
    report = analyse(csat_engine)
    by = {(g.metric, g.segment): g for g in report.scores}
    north = by[("CSAT", "North")]
    m, half = mean_ci(PLAN["North"])
    assert north.measure == "mean5" and north.kind == "csat" and north.view.n == 100
    assert north.view.value == pytest.approx(m)
    assert north.view.hi - north.view.value == pytest.approx(half, rel=0.02)  # t vs normal
    assert north.verdict == "higher" and north.diff == pytest.approx(4.6 - m)
    south = by[("CSAT", "South")]
    assert south.verdict == "agrees" and south.view.value == pytest.approx(4.4)
    share = by[("Customer satisfaction", "South")]
    assert share.measure == "share45" and share.view.value == pytest.approx(90.0)
    assert share.verdict == "agrees"  # 92% lies inside the interval of 90 of 100
    tiny = by[("CSAT", "Tiny")]
    assert not tiny.compared and tiny.view.n == 5 and tiny.verdict == "not compared"
    assert report.scores[0] is north  # disagreements first
    assert any("'NPS' 450 is not on a customer score's scale" in p for p in report.problems)
    assert not any(lk.metric in ("CSAT", "NPS") for lk in report.links)  # no theme linking


def test_cli_text_and_json_cite_both_sides(
    csat_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = cxbot(["gaps"], csat_engine.settings.data_dir, monkeypatch)
    assert r.exit_code == 0, r.stderr  # a score disagreement is a gap: exit 0
    m, _ = mean_ci(PLAN["North"])
    line = next(x for x in r.stdout.splitlines() if x.startswith("- North: CSAT 4.6"))
    assert f"vs the customers' own mean score (1-5) {m:.2f} (n=100 scored" in line
    assert f"the report is {4.6 - m:.2f} points on the 1-5 scale higher" in line
    assert "Score not compared, fewer than 30 scored verbatims: CSAT for Tiny (5 scored" in r.stdout

    r = cxbot(["gaps", "--json"], csat_engine.settings.data_dir, monkeypatch)
    doc = json.loads(r.stdout)
    north = next(g for g in doc["score_gaps"] if g["segment"] == "North")
    assert north["verdict"] == "higher" and north["n"] == 100
    assert north["customer_value"] == pytest.approx(m, abs=1e-3)
    kinds = [c["kind"] for c in north["citations"]]
    assert kinds[0] == "metric" and kinds.count("verbatim") == 2
    corpus = csat_engine.corpus()
    for c in north["citations"][1:]:  # low scores (1-3) of North in October
        i = corpus.ids.index(c["id"])
        assert corpus.score[i] <= 3 and c["segment"].startswith("North")
        assert c["date"].startswith("2026-10")
    metric = north["citations"][0]
    assert "CSAT" in metric["text"] and "4.6" in metric["text"]


def test_a_score_metric_without_a_comparable_score_is_said(tmp_path: Path) -> None:
    survey, kpis = tmp_path / "s.csv", tmp_path / "k.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "region", "comment"])
        w.writerows([f"S{i}", "2026-10-02", "North", HAPPY.format(i=i)] for i in range(40))
    kpis.write_text("metric,value,unit,period,segment\nNPS,45,,2026-10,North\n", encoding="utf-8")
    s = make_settings(tmp_path / "data")
    summary = run_ingest(
        [
            Job(SourceSpec(kind="survey", path=str(survey))),
            Job(SourceSpec(kind="metrics", path=str(kpis))),
        ],
        s,
    )
    assert summary.ok
    report = analyse(Engine(s))
    assert not report.scores
    assert any("'NPS' is a customer score" in p and "--score-column" in p for p in report.problems)


def demo_nps(region: str | None, month: str) -> tuple[int, float]:
    with (EXAMPLES / "survey_responses.csv").open(newline="", encoding="utf-8") as fh:
        xs = [
            int(r["nps"])
            for r in csv.DictReader(fh)
            if r["submitted_at"].startswith(month) and region in (None, r["region"])
        ]
    return len(xs), 100 * (sum(x >= 9 for x in xs) - sum(x <= 6 for x in xs)) / len(xs)


def test_demo_ask_shows_the_score_side_in_text_json_and_slack(
    demo_engine: Engine, slack: Harness
) -> None:
    a = engine_answer = demo_engine.ask("Where do customers disagree with our metrics?")
    n, value = demo_nps("North", "2026-10")
    line = next(x for x in a.answer.splitlines() if x.startswith("- North: NPS 32 (2026-10)"))
    assert f"vs the customers' own NPS {value:+.1f} (n={n} scored" in line
    assert "higher than its customers give, outside their interval" in line
    doc = a.as_dict()
    north = next(g for g in doc["score_gaps"] if g["segment"] == "North")
    assert north["verdict"] == "higher" and north["n"] == n
    cited = {c["id"] for c in north["citations"]}
    assert cited <= {c.id for c in engine_answer.citations}  # the answer's own numbered sources
    overall = next(g for g in doc["score_gaps"] if g["segment"] == "All customers")
    assert (overall["n"], overall["customer_value"]) == (
        demo_nps(None, "2026-10")[0],
        pytest.approx(demo_nps(None, "2026-10")[1], abs=1e-3),
    )
    # Slack: the same sentence, and its sources among the message's citations
    channel = "C0GAPSCORE"
    root, _ = slack.mention("Where do customers disagree with our metrics?", channel=channel)
    call = slack.wait_answer(channel, root=root)
    text = block_text(call)
    assert "North: NPS 32 (2026-10) in the report" in text
    assert f"NPS {value:+.1f} (n={n} scored" in text
    ids = citation_ids(call)
    assert any(i.startswith("delivery_kpis.csv") for i in ids)
