"""Key drivers on data whose answer is known: the demo survey (NPS column) recounted from its
CSV, a constructed NPS survey with a planted costly theme, and the no-score path."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from bot.analysis.drivers import (
    NoScore,
    contribution,
    driver_answer_lines,
    drivers,
    score_view,
)
from bot.ask.understand import Understanding
from bot.citations import CitationBook
from bot.engine import Engine
from bot.filters import Filters
from ingest.config import Settings
from ingest.errors import CxbotError
from tests.conftest import EXAMPLES, ingest_file


def nps_of(scores: list[int]) -> float:
    """NPS the textbook way, independent of bot.analysis.drivers."""
    n = len(scores)
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / n


def demo_scores(region: str | None = None) -> list[int]:
    with (EXAMPLES / "survey_responses.csv").open(newline="", encoding="utf-8") as fh:
        return [int(r["nps"]) for r in csv.DictReader(fh) if region in (None, r["region"])]


def understanding(question: str, filters: Filters | None = None) -> Understanding:
    return Understanding(
        question=question, filters=filters or Filters(), intent="drivers", mentions_metrics=False
    )


def test_demo_nps_and_its_drivers(demo_engine: Engine) -> None:
    report = drivers(demo_engine)
    assert report.kind == "nps" and report.sources == ["survey_responses.csv"]
    scores = demo_scores()
    assert report.score.n == len(scores)
    assert report.score.value == pytest.approx(nps_of(scores))
    assert report.score.lo < report.score.value < report.score.hi
    # late deliveries come with 0-6 scores only in the demo generator: they cost points
    fix = [d.theme for d in report.fix_first]
    assert "lateness" in fix[:2]
    for d in report.drivers:
        assert d.n >= demo_engine.settings.min_segment_n and d.lo <= d.impact <= d.hi
        assert d.impact == pytest.approx(report.score.value - d.score_without)
    for d in report.too_small:
        assert d.n < demo_engine.settings.min_segment_n and not d.ranked and not d.fix_rank
    ranks = [d.fix_rank for d in report.fix_first]
    assert ranks == list(range(1, len(ranks) + 1))
    assert [d.impact for d in report.fix_first] == sorted(d.impact for d in report.fix_first)
    assert all(d.hi < 0 and d.adj_hi is not None and d.adj_hi < 0 for d in report.fix_first)


def test_segment_scope_and_answer_lines_cite_low_scores(demo_engine: Engine) -> None:
    f = Filters(segments={"region": ["North"]})
    corpus = demo_engine.corpus()
    book = CitationBook(corpus, 8)
    u = understanding("What hurts our NPS most in the North?", f)
    lines, data, enough = driver_answer_lines(demo_engine, u, book, np.zeros(384))
    assert enough and data is not None
    assert lines[0].startswith("NPS over 300 scored North verbatims: ")
    assert f"{nps_of(demo_scores('North')):+.1f} (95% CI" in lines[0]
    assert json.loads(json.dumps(data))["score"]["n"] == 300
    assert book.items, lines
    for c in book.items:  # every quote is a North detractor of the theme it is cited for
        i = corpus.index[c.id]
        assert corpus.segments["region"][i] == "North" and corpus.score[i] <= 6
    cited = [d for d in data["drivers"] if d["citations"]]
    assert cited and all(
        corpus.themes[d["theme"]][corpus.index[c["id"]]] for d in cited for c in d["citations"]
    )


def test_no_score_column_says_what_to_ingest(settings: Settings, tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text(
        "id,comment\n" + "".join(f"{i},My parcel arrived late again ({i})\n" for i in range(5)),
        encoding="utf-8",
    )
    assert ingest_file(settings, p).ok
    engine = Engine(settings)
    with pytest.raises(NoScore):
        drivers(engine)
    book = CitationBook(engine.corpus(), 8)
    lines, data, enough = driver_answer_lines(
        engine, understanding("What hurts our NPS?"), book, np.zeros(384)
    )
    assert not enough and data is None and not book.items
    assert "key drivers need a score column" in lines[0] and "--score-column" in lines[0]


def test_unknown_score_name_lists_the_scores(demo_engine: Engine) -> None:
    with pytest.raises(CxbotError, match="Scores: nps"):
        drivers(demo_engine, score="csat")
    assert drivers(demo_engine, score="survey_responses.csv").kind == "nps"


def test_score_formulas() -> None:
    s = np.array([0, 6, 7, 8, 9, 10], dtype=float)
    assert contribution("nps", s).tolist() == [-100, -100, 0, 0, 100, 100]
    v = score_view("nps", s)
    assert (v.value, v.promoters, v.detractors) == (0.0, 2, 2)
    c = score_view("csat", np.array([1, 2, 4, 5, 5], dtype=float))
    assert c.value == pytest.approx(60.0) and 0 < c.lo < 60 < c.hi < 100
    st = score_view("stars", np.array([1, 5, 4, 4], dtype=float))
    assert st.value == pytest.approx(3.5) and st.lo < 3.5 < st.hi


LATE = "My order arrived {i} days late."
REFUND = "I was charged twice and the refund for order {i} never came."
RUDE = "The staff member at the counter was rude to me, visit {i}."
FINE = "Lovely sofa, comfortable and good value, would buy again ({i})."


def planted(path: Path, seed: int = 5) -> Path:
    """300 respondents: late deliveries (20%) are detractors 9 times in 10, refunds (10%)
    score like everyone else, 10 rude-staff answers are too few to estimate."""
    import random

    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "region", "nps", "comment"])
        for i in range(300):
            if i < 60:
                text, score = LATE, rng.randint(0, 6) if rng.random() < 0.9 else 9
            elif i < 90:
                text, score = REFUND, rng.choice([2, 7, 8, 9, 9, 10, 10, 10])
            elif i < 100:
                text, score = RUDE, rng.randint(0, 4)
            else:
                text, score = FINE, rng.choice([2, 7, 8, 9, 9, 10, 10, 10])
            region = "North" if i % 2 else "South"
            w.writerow([f"P{i}", f"2026-10-{1 + i % 28:02d}", region, score, text.format(i=i)])
    return path


@pytest.fixture(scope="module")
def planted_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from tests.conftest import make_settings

    root = tmp_path_factory.mktemp("planted")
    s = make_settings(root / "data")
    assert ingest_file(s, planted(root / "nps.csv")).ok
    return Engine(s)


def test_planted_theme_ranks_first_and_small_themes_are_listed(planted_engine: Engine) -> None:
    report = drivers(planted_engine)
    corpus = planted_engine.corpus()
    late = corpus.themes["lateness"]
    scored = ~np.isnan(corpus.score)
    # the textbook figures over the catalog's own theme assignment
    all_nps = nps_of(corpus.score[scored].astype(int).tolist())
    without = nps_of(corpus.score[scored & ~late].astype(int).tolist())
    top = report.fix_first[0]
    assert top.theme == "lateness" and top.fix_rank == 1
    assert top.n == int((late & scored).sum()) >= 55
    assert top.impact == pytest.approx(all_nps - without)
    assert top.lo < top.impact < top.hi < 0 and top.adj_hi is not None and top.adj_hi < 0
    billing = next(d for d in report.drivers if d.theme == "billing")
    assert billing.fix_rank == 0 and billing.lo < 0 < billing.hi  # scores like everyone else
    small = {d.theme: d for d in report.too_small}
    assert small["staff_attitude"].n == 10 and not small["staff_attitude"].ranked
    assert all(d.n < 30 and not d.fix_rank for d in report.too_small)
    # the same call gives the same intervals (fixed seed)
    again = drivers(planted_engine).fix_first[0]
    assert (again.lo, again.hi, again.adj_lo, again.adj_hi) == (
        top.lo,
        top.hi,
        top.adj_lo,
        top.adj_hi,
    )


def test_segment_and_period_breakdowns(planted_engine: Engine) -> None:
    report = drivers(planted_engine)
    regions = {r["segment"]: r for r in report.segments["region"]}
    corpus = planted_engine.corpus()
    for value, row in regions.items():
        m = (corpus.segments["region"] == value) & ~np.isnan(corpus.score)
        assert row["n"] == int(m.sum())
        assert row["value"] == pytest.approx(nps_of(corpus.score[m].astype(int).tolist()), abs=1e-3)
        assert row["ci_low"] < row["value"] < row["ci_high"]
    assert report.periods == []  # one month only: no trend to show
    north = drivers(planted_engine, Filters(segments={"region": ["North"]}))
    assert north.score.n == 150 and "region" not in north.segments


def test_cli_drivers_text_json_and_exit_codes(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    data = tmp_path / "data"  # its own store: the in-process demo engine holds the shared one
    r = run_cli(["ingest", "--config", str(EXAMPLES / "sources.yaml")], data)
    assert r.returncode == 0, r.stderr
    text = run_cli(["drivers", "--segment", "north"], data)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("NPS over 300 scored North verbatims: ")
    assert "* 1. Late or delayed: " in text.stdout and "\nSources:\n  [1] " in text.stdout
    assert "Too small to estimate (fewer than 30 scored verbatims): " in text.stdout
    doc = json.loads(run_cli(["drivers", "--json", "--since", "2026-10-01"], data).stdout)
    assert doc["kind"] == "nps" and doc["filters"]["since"] == "2026-10-01"
    assert set(doc["score"]) >= {"value", "ci_low", "ci_high", "n", "promoters", "detractors"}
    first = doc["drivers"][0]
    assert set(first) >= {
        "theme", "label", "n", "share", "impact", "ci_low", "ci_high", "adjusted_impact",
        "adjusted_ci_low", "adjusted_ci_high", "fix_first", "citations",
    }  # fmt: skip
    assert doc["fix_first"][0] == first["label"] and first["citations"]
    assert {c["n"] for c in doc["citations"]} >= {c["n"] for c in first["citations"]}
    small = run_cli(["drivers", "--segment", "Islands"], data)
    assert small.returncode == 1 and "too few to estimate" in small.stdout
    bad = run_cli(["drivers", "--score", "csat"], data)
    assert bad.returncode == 2 and "Scores: nps (survey_responses.csv)" in bad.stderr
    unknown = run_cli(["drivers", "--segment", "Atlantis"], data)
    assert unknown.returncode == 2 and "No verbatims have the segment value 'Atlantis'" in (
        unknown.stderr
    )
