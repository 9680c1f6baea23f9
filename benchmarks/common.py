"""Shared helpers: data paths, explicit settings, statistics, memory/disk, child processes."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AIRLINE = ROOT.parent / "shared" / "data" / "airline"
TWEETS = AIRLINE / "tweets.csv"
DOT = AIRLINE / "dot_metrics_2015_02.csv"
EXAMPLES = ROOT / "examples"
SOURCE_NAME = "tweets.csv"  # the source name every tweets index uses, so ids are comparable
DOT_COLUMNS = {"segments": ["tweets_airline"], "metrics": ["on_time_pct", "cancelled_pct"]}
RESULT_TAG = "BENCH-RESULT "
VENV_BIN = Path(sys.executable).parent  # the `cxbot` and `chroma` of the running interpreter


def stop_process(proc: subprocess.Popen[Any], grace_s: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``grace_s``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def child_env(
    extra: dict[str, str] | None = None, drop: tuple[str, ...] = ("CXBOT_",)
) -> dict[str, str]:
    """The environment for a child `cxbot` (benchmarks and tests): no variable starting with
    one of ``drop`` (CXBOT_* by default; SLACK_*, OPENAI_* where they matter) leaks in from the
    developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        {"ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false", "PYTHONHASHSEED": "0"}
    )
    env.update(extra or {})
    return env


def settings_for(data_dir: Path, chroma_url: str | None = None, **overrides: Any) -> Any:
    """Every value explicit, as in tests/conftest.py: the shell's CXBOT_* never changes a figure.
    ``overrides`` naming a setting this version of cxbot does not have are ignored."""
    from ingest.config import Settings

    known = {k: v for k, v in overrides.items() if k in Settings.model_fields}
    return Settings(
        data_dir=data_dir,
        chroma_url=chroma_url,
        collection="cxbot",
        embeddings="local",
        model_path=None,
        tokenizer_path=None,
        taxonomy_path=None,
        min_segment_n=30,
        llm="none",
        **known,
    )


def write_unlabelled(dst: Path, limit: int | None = None) -> int:
    """tweets.csv without the labels (tweet_id, airline, text, tweet_created only).

    With ``limit`` an evenly spaced subset is written, so it spans every airline and day.
    Returns the number of data rows written.
    """
    with TWEETS.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if limit and limit < len(rows):
        step = len(rows) / limit
        rows = [rows[int(i * step)] for i in range(limit)]
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["tweet_id", "airline", "text", "tweet_created"])
        for r in rows:
            w.writerow([r["tweet_id"], r["airline"], r["text"], r["tweet_created"]])
    return len(rows)


def tweet_labels() -> dict[str, str]:
    """tweet_id -> negativereason (first annotation wins); read only when scoring."""
    labels: dict[str, str] = {}
    with TWEETS.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            labels.setdefault(row["tweet_id"], row["negativereason"])
    return labels


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/max/mean in the unit given; nearest-rank percentiles (no interpolation)."""
    if not values:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    s = sorted(values)

    def rank(p: float) -> float:
        return s[min(len(s), max(1, math.ceil(p / 100 * len(s)))) - 1]

    return {
        "n": len(s),
        "p50": rank(50),
        "p95": rank(95),
        "max": s[-1],
        "mean": sum(s) / len(s),
    }


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def disk_mb(path: Path) -> float:
    """Allocated size (what `du` reports), not the apparent size of sparse files."""
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                st = os.stat(os.path.join(root, f))
            except FileNotFoundError:
                continue
            total += getattr(st, "st_blocks", 0) * 512 or st.st_size
    return total / 2**20


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        yield t
    finally:
        t["s"] = time.perf_counter() - t0


def emit(result: dict[str, Any]) -> None:
    """How a worker hands its result to the parent: one tagged JSON line on stdout."""
    sys.stdout.write(RESULT_TAG + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()


class WorkerError(RuntimeError):
    pass


def run_worker(
    task: str, args: dict[str, Any], timeout: float, log: Path, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run `python -m benchmarks.worker TASK` in a fresh process, bounded by ``timeout``."""
    cmd = [sys.executable, "-m", "benchmarks.worker", task, json.dumps(args, default=str)]
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with log.open("a") as err:
        err.write(f"\n== {task} {json.dumps(args, default=str)}\n")
        err.flush()
        try:
            proc = subprocess.run(
                cmd,
                cwd=ROOT,
                env=env or child_env(),
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise WorkerError(f"{task} did not finish within {timeout:.0f} s") from None
    lines = [x for x in proc.stdout.splitlines() if x.startswith(RESULT_TAG)]
    if proc.returncode != 0 or not lines:
        raise WorkerError(f"{task} failed (exit {proc.returncode}); see {log}")
    result = json.loads(lines[-1][len(RESULT_TAG) :])
    result["process_wall_s"] = time.perf_counter() - t0
    return result


def timed_command(
    cmd: list[str], env: dict[str, str], timeout: float = 300
) -> tuple[float, int, str]:
    """Wall time of a command (e.g. the real `cxbot` CLI), its exit code and stdout."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return time.perf_counter() - t0, proc.returncode, proc.stdout
