"""(5) Answer faithfulness of the extractive mode: questions of every shape are asked on the
real tweets (with the DOT report) and on the bundled demo data, and each answer's JSON goes
through benchmarks.faithfulness. A tampered answer is the control: the checker must fail it."""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path
from typing import Any

from benchmarks.common import EXAMPLES, VENV_BIN, child_env, settings_for, timed_command
from benchmarks.config import Ctx
from benchmarks.questions import FAITHFULNESS_AIRLINE, FAITHFULNESS_DEMO


def check_set(data_dir: Path, questions: list[str], budget_s: float) -> dict[str, Any]:
    from benchmarks.faithfulness import KINDS, Checker
    from bot.analysis.gaps import analyse
    from bot.engine import Engine

    settings = settings_for(data_dir)
    engine = Engine(settings)
    checker = Checker(settings, engine)
    rows, answers = [], []
    start = time.perf_counter()
    for q in questions:
        if time.perf_counter() - start > budget_s:
            break
        doc = json.loads(json.dumps(engine.ask(q).as_dict(), default=str))  # what --json prints
        answers.append(doc)
        t = time.perf_counter()
        v = checker.check(doc)
        rows.append({**v.as_dict(), "check_ms": (time.perf_counter() - t) * 1000})
    report = json.loads(json.dumps(analyse(engine).as_dict(engine), default=str))
    gap_report = checker.check(report).as_dict()
    totals = {
        k: [sum(r["checks"][k][x] for r in rows) for x in ("checked", "failed")] for k in KINDS
    }
    return {
        "answers": rows,
        "faithful": sum(r["faithful"] for r in rows),
        "totals": totals,
        "unverified": sum(len(r["unverified"]) for r in rows),
        "gaps_report": gap_report,
        "control": control(checker, answers),
    }


def tamper(doc: dict[str, Any]) -> dict[str, Any]:
    """One fabricated citation id and one figure off by one: both must be caught."""
    bad = copy.deepcopy(doc)
    bad["citations"][0]["id"] = "tweets.csv:000000000000000000"
    m = re.search(r"\b(\d+) of (\d[\d,]*)", bad["answer"])
    if m:
        bad["answer"] = bad["answer"].replace(
            m.group(0), f"{int(m.group(1)) + 1} of {m.group(2)}", 1
        )
    return bad


def control(checker: Any, answers: list[dict[str, Any]]) -> dict[str, Any]:
    doc = next(
        (a for a in answers if a["citations"] and re.search(r"\d+ of \d", a["answer"])), None
    )
    if doc is None:
        return {"ran": False}
    v = checker.check(tamper(doc))
    kinds = sorted({c.kind for c in v.failures})
    return {
        "ran": True,
        "question": doc["question"],
        "caught": not v.faithful,
        "failed_kinds": kinds,
    }


def faithfulness_worker(args: dict[str, Any]) -> dict[str, Any]:
    budget = float(args["budget_s"])
    return {
        "airline": check_set(Path(args["data_dir"]), args["airline"], budget / 2),
        "demo": check_set(Path(args["demo_dir"]), args["demo"], budget / 2),
    }


def run(ctx: Ctx) -> dict[str, Any]:
    cfg = ctx.cfg
    demo = ctx.workdir / "demo-index"
    cmd = [str(VENV_BIN / "cxbot"), "ingest", "--config", str(EXAMPLES / "sources.yaml")]
    _, code, _ = timed_command(cmd, child_env({"CXBOT_DATA_DIR": str(demo)}))
    if code != 0:
        raise RuntimeError(f"demo ingest exited {code}")
    ctx.say("faithfulness: checking extractive answers against the store")
    args = {
        "data_dir": ctx.index,
        "demo_dir": demo,
        "airline": FAITHFULNESS_AIRLINE[: cfg.faith_airline],
        "demo": FAITHFULNESS_DEMO[: cfg.faith_demo],
        "budget_s": cfg.budget_s,
    }
    return ctx.worker("faithfulness", args, cfg.budget_s + 300)
