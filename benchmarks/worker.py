"""Child-process entry point: `python -m benchmarks.worker TASK 'JSON ARGS'`.

One task per fresh process, so import costs, caches and resident memory never leak from one
measurement into the next. The result is one tagged JSON line on stdout (common.emit).
"""

from __future__ import annotations

import importlib
import json
import os
import sys

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TASKS = {
    "raw": "benchmarks.ingest_workers:raw_worker",
    "ingest": "benchmarks.ingest_workers:ingest_worker",
    "naive": "benchmarks.ingest_workers:naive_worker",
    "latency": "benchmarks.latency:latency_worker",
    "quality": "benchmarks.quality:quality_worker",
    "faithfulness": "benchmarks.answers:faithfulness_worker",
    "scale_build": "benchmarks.scale:build_worker",
    "scale_query": "benchmarks.scale:query_worker",
    "drivers_planted": "benchmarks.drivers:planted_worker",
    "drivers_latency": "benchmarks.drivers:latency_worker",
    "drivers_reviews": "benchmarks.drivers:reviews_worker",
    "understanding": "benchmarks.understanding:suite_worker",
    "themes_tweets": "benchmarks.themes:tweets_worker",
    "themes_reviews": "benchmarks.themes:reviews_worker",
    "themes_speed": "benchmarks.themes:speed_worker",
    "themes_discover": "benchmarks.themes:discover_worker",
    "slack_load": "benchmarks.slack_load:load_worker",
    "alerts_backtest": "benchmarks.alerts_backtest:backtest_worker",
}


def main() -> None:
    from benchmarks.common import emit

    task, raw = sys.argv[1], sys.argv[2]
    module, func = TASKS[task].split(":")
    before = cpu_snapshot()
    result = getattr(importlib.import_module(module), func)(json.loads(raw))
    result["other_cpu"] = other_cpu(before, cpu_snapshot())
    emit(result)


def cpu_snapshot() -> tuple[float, float, float]:
    """(wall, machine busy CPU seconds, this process's CPU seconds incl. children)."""
    import time

    import psutil

    c = psutil.cpu_times()
    busy = sum(getattr(c, f, 0.0) for f in ("user", "nice", "system", "irq", "softirq", "steal"))
    p = psutil.Process().cpu_times()
    own = p.user + p.system + p.children_user + p.children_system
    return time.perf_counter(), busy, own


def other_cpu(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """Share of the machine's CPU that *other* processes used while the task ran: the figure
    that says whether a timing can be trusted (0 on a quiet machine)."""
    wall = max(b[0] - a[0], 1e-9)
    return max(0.0, (b[1] - a[1]) - (b[2] - a[2])) / (wall * (os.cpu_count() or 1))


if __name__ == "__main__":
    main()
