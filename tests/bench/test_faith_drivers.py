"""The faithfulness checker recounts key-driver figures from the raw catalog rows: real driver
answers and `cxbot drivers --json` reports pass, wrong figures, orders and quotes are caught."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import numpy as np

from benchmarks.faithfulness import Checker
from bot.analysis.drivers import cite_drivers, driver_answer_lines, drivers
from bot.ask.understand import Understanding
from bot.citations import CitationBook, freshness
from bot.engine import Engine
from bot.filters import Filters
from ingest.config import Settings


def answer_doc(engine: Engine, question: str, f: Filters) -> dict[str, Any]:
    """What `cxbot ask --json` prints for a driver question (the compose path, minus the
    'Answered as' and method lines)."""
    book = CitationBook(engine.corpus(), 8)
    u = Understanding(question=question, filters=f, intent="drivers", mentions_metrics=False)  # type: ignore[arg-type]
    lines, data, _ = driver_answer_lines(engine, u, book, np.zeros(384))
    doc = {
        "question": question,
        "answer": "\n".join(lines),
        "citations": [c.as_dict() for c in book.items],
        "filters": f.as_dict(),
        "freshness": freshness(engine.corpus()),
        "drivers": data,
    }
    return json.loads(json.dumps(doc))


def report_doc(engine: Engine) -> dict[str, Any]:
    """What `cxbot drivers --json` prints."""
    report = drivers(engine)
    book = CitationBook(engine.corpus(), 40)
    cite_drivers(engine, report, book, top=len(report.drivers))
    doc = report.as_dict()
    doc["citations"] = [c.as_dict() for c in book.items]
    doc["freshness"] = freshness(engine.corpus())
    return json.loads(json.dumps(doc))


def test_driver_answers_and_reports_are_faithful(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    checker = Checker(demo_settings, demo_engine)
    for f in (Filters(), Filters(segments={"region": ["North"]})):
        v = checker.check(answer_doc(demo_engine, "What hurts our NPS most?", f))
        assert v.faithful, v.text()
        assert v.tally("figure")[0] >= 60 and v.tally("support")[0] >= 6
    v = checker.check(report_doc(demo_engine))
    assert v.faithful, v.text()
    assert v.tally("figure")[0] >= 50 and v.tally("citation")[0] >= 8


def test_wrong_driver_figures_orders_and_quotes_are_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    checker = Checker(demo_settings, demo_engine)
    doc = answer_doc(demo_engine, "What hurts our NPS most?", Filters())
    # an impact off by one point in the text
    bad = copy.deepcopy(doc)
    bad["answer"] = re.sub(
        r"impact (-\d+\.\d)",
        lambda m: f"impact {float(m.group(1)) + 1:.1f}",
        bad["answer"],
        count=1,
    )
    fails = checker.check(bad).failures
    assert any("impact" in c.what and c.kind == "figure" for c in fails), fails
    # a too-small theme counted wrong
    bad = copy.deepcopy(doc)
    bad["answer"] = re.sub(r"\((\d+)\)\.$", r"(9\1).", bad["answer"], flags=re.M, count=1)
    assert not checker.check(bad).faithful
    rep = report_doc(demo_engine)
    # the report: a quote swapped for a promoter's verbatim of the same theme
    corpus = demo_engine.corpus()
    cited = {c["id"] for c in rep["citations"]}
    j, happy = next(
        (j, int(i))
        for j, d in enumerate(rep["drivers"])
        if d["citations"]
        for i in np.flatnonzero(corpus.themes[d["theme"]])
        if corpus.score[i] >= 9 and corpus.ids[i] not in cited
    )
    bad = copy.deepcopy(rep)
    n = rep["drivers"][j]["citations"][0]["n"]
    row = corpus.record(happy)
    for c in bad["citations"] + bad["drivers"][j]["citations"]:
        if c["n"] == n:
            c.update(id=row["id"], text=row["text"], location=row["location"], date=row["day"])
            c["segment"] = ", ".join(row["segments"].values())
    fails = checker.check(bad).failures
    assert any(c.kind == "support" and row["id"] in c.what for c in fails), fails
    # a fix-first order that is not the impacts' order, an n off by one
    bad = copy.deepcopy(rep)
    bad["fix_first"] = bad["fix_first"][::-1]
    bad["drivers"][1]["n"] += 1
    what = {c.what for c in checker.check(bad).failures}
    assert "drivers: fix-first order" in what
    assert f"drivers: {rep['drivers'][1]['theme']} n" in what
