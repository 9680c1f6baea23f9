"""(2) Question latency: warm and in-process (p50/p95/max over varied questions, `ask` and
`gaps`), the cold start of a fresh process, and the real `cxbot ask` / `cxbot gaps` CLI."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import (
    VENV_BIN,
    child_env,
    peak_rss_mb,
    percentiles,
    rss_mb,
    settings_for,
    timed_command,
)
from benchmarks.config import Ctx
from benchmarks.questions import gap_variants, varied_questions


def latency_worker(args: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from bot.analysis.gaps import analyse, render_gaps_text
    from bot.engine import Engine
    from ingest.errors import CxbotError

    cold: dict[str, float] = {"import_s": time.perf_counter() - t0}
    t = time.perf_counter()
    engine = Engine(settings_for(Path(args["data_dir"])))
    cold["engine_s"] = time.perf_counter() - t  # model, taxonomy prototypes, Chroma client
    t = time.perf_counter()
    corpus = engine.corpus()
    cold["corpus_s"] = time.perf_counter() - t  # catalog rows, masks, BM25 index
    t = time.perf_counter()
    engine.ask("What do customers complain about most?")
    cold["first_ask_s"] = time.perf_counter() - t
    rss_loaded = rss_mb()

    budget = float(args["budget_s"])
    questions = varied_questions(int(args["n"]))
    for q in questions[:3]:  # warm-up, not counted
        engine.ask(q)
    ask_ms: list[float] = []
    stages: dict[str, list[float]] = {}
    intents: Counter[str] = Counter()
    enough = 0
    start = time.perf_counter()
    for q in questions:
        if time.perf_counter() - start > budget:
            break
        t = time.perf_counter()
        a = engine.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
        for k, v in a.timings_ms.items():
            stages.setdefault(k, []).append(v)
        intents["gap" if a.gaps is not None else _intent(a)] += 1
        enough += a.enough_evidence

    gap_ms: list[float] = []
    errors = 0
    variants = gap_variants()
    start = time.perf_counter()
    for i in range(int(args["n"])):
        if time.perf_counter() - start > budget:
            break
        v = variants[i % len(variants)]
        t = time.perf_counter()
        try:
            report = analyse(engine, metric=v["metric"], segment=v["segment"])
            render_gaps_text(engine, report, explain=False)
        except CxbotError:
            errors += 1
        gap_ms.append((time.perf_counter() - t) * 1000)
    return {
        "records": len(corpus),
        "cold": cold,
        "ask": percentiles(ask_ms),
        "ask_stages_p50": {k: percentiles(v)["p50"] for k, v in stages.items()},
        "ask_stages_p95": {k: percentiles(v)["p95"] for k, v in stages.items()},
        "intents": dict(intents),
        "enough_evidence": enough,
        "gaps": percentiles(gap_ms),
        "gap_errors": errors,
        "rss_loaded_mb": rss_loaded,
        "rss_end_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
    }


def _intent(a: Any) -> str:
    first = a.answer.split("\n", 1)[0]
    if first.startswith("Most raised complaints"):
        return "complaints"
    if first.startswith("Across"):
        return "general"
    if ": " in first and " raise it" in first:
        return "theme"
    return "not enough evidence" if not a.enough_evidence else "other"


def cold_cli(data_dir: Path, repeats: int) -> dict[str, Any]:
    """Wall time of the real CLI from a fresh process: interpreter, imports, model, corpus."""
    env = child_env({"CXBOT_DATA_DIR": str(data_dir)})
    cxbot = str(VENV_BIN / "cxbot")
    out: dict[str, Any] = {}
    for name, cmd in (
        ("ask", [cxbot, "ask", "What do United customers complain about most?", "--json"]),
        ("gaps", [cxbot, "gaps", "--json"]),
        ("python -c pass", [str(VENV_BIN / "python"), "-c", "pass"]),
        ("import chromadb", [str(VENV_BIN / "python"), "-c", "import chromadb"]),
    ):
        walls = []
        for _ in range(repeats):
            wall, code, _ = timed_command(cmd, env)
            if code not in (0, 1):
                raise RuntimeError(f"{' '.join(cmd[:2])} exited {code}")
            walls.append(wall)
        out[name] = percentiles([w * 1000 for w in walls])
    return out


def run(ctx: Ctx) -> dict[str, Any]:
    cfg = ctx.cfg
    ctx.say(f"latency: {cfg.questions} questions warm, ask and gaps")
    res = ctx.worker(
        "latency",
        {"data_dir": ctx.index, "n": cfg.questions, "budget_s": cfg.budget_s},
        3 * cfg.budget_s + 300,
    )
    ctx.say("latency: cold CLI start")
    res["cli"] = cold_cli(ctx.index, cfg.cli_repeats)
    return res
