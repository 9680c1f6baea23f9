"""Sizes and time bounds of one benchmark run (full, or --quick for development)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import run_worker


@dataclass(frozen=True)
class Config:
    quick: bool
    tweets: int | None  # None: all 14,640
    naive_texts: int  # the naive baseline pads every text to 256 tokens: a fixed subset
    sweep_texts: int  # batch-size sweep of the raw embedding limit
    profile_texts: int  # cProfile'd ingest
    questions: int  # warm latency, per path (ask, gaps)
    cli_repeats: int
    scale_points: tuple[int, ...]  # synthetic points; the real index is always a point too
    scale_questions: int
    faith_airline: int
    faith_demo: int
    budget_s: float  # time bound of each in-process loop (latency, quality, faithfulness)
    scale_timeout_s: float  # per scale worker (the 1M build took 67 min on 2 loaded cores)

    @classmethod
    def make(cls, quick: bool, scale_1m: bool) -> Config:
        if quick:
            return cls(
                quick=True,
                tweets=1000,
                naive_texts=50,
                sweep_texts=200,
                profile_texts=300,
                questions=20,
                cli_repeats=2,
                scale_points=(15_000, 50_000) + ((1_000_000,) if scale_1m else ()),
                scale_questions=10,
                faith_airline=6,
                faith_demo=3,
                budget_s=120,
                scale_timeout_s=900 if not scale_1m else 14400,
            )
        return cls(
            quick=False,
            tweets=None,
            naive_texts=500,
            sweep_texts=1000,
            profile_texts=1000,
            questions=200,
            cli_repeats=3,
            scale_points=(100_000,) + ((1_000_000,) if scale_1m else ()),
            scale_questions=50,
            faith_airline=100,
            faith_demo=100,
            budget_s=600,
            scale_timeout_s=1800 if not scale_1m else 14400,
        )


@dataclass
class Ctx:
    """What every benchmark gets: the config, a scratch directory, and a log for workers."""

    cfg: Config
    workdir: Path
    results: dict[str, Any] = field(default_factory=dict)
    t0: float = field(default_factory=time.perf_counter)
    keep: bool = False  # --keep: the largest scale point's index stays too (for a re-query)

    @property
    def log(self) -> Path:
        return self.workdir / "workers.log"

    @property
    def index(self) -> Path:
        """The real tweets index (plus the DOT report) that most benchmarks read."""
        return self.workdir / "index"

    @property
    def tweets_csv(self) -> Path:
        return self.workdir / "tweets" / "tweets.csv"

    def worker(self, task: str, args: dict[str, Any], timeout: float) -> dict[str, Any]:
        return run_worker(task, args, timeout, self.log)

    def say(self, msg: str) -> None:
        print(f"[{time.perf_counter() - self.t0:7.1f}s] {msg}", file=sys.stderr, flush=True)
