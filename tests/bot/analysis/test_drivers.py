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
