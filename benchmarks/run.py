"""`python -m benchmarks.run [--quick] [--scale-1m] [--only NAME,...]` (what `make bench` runs).

Runs the five benchmarks of issue 8 and the key drivers of issue 17 in order (ingest builds the
index the others read; drivers builds its own), each bounded in time and each in fresh child
processes, then rewrites docs/benchmarks.md and saves the raw figures as JSON next to it. A
benchmark that fails or times out is reported as such; the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import (
    alerts_backtest,
    answers,
    drivers,
    ingest_bench,
    latency,
    quality,
    reading,
    scale,
    slack_load,
    themes,
    understanding,
)
from benchmarks.common import ROOT, TWEETS, WorkerError
from benchmarks.config import Config, Ctx
from benchmarks.machine import machine_info
from benchmarks.report import render

BENCHES: list[tuple[str, Callable[[Ctx], dict[str, Any]]]] = [
    ("ingest", ingest_bench.run),
    ("latency", latency.run),
    ("quality", quality.run),
    ("reading", reading.run),
    ("faithfulness", answers.run),
    ("scale", scale.run),
    ("drivers", drivers.run),
    ("understanding", understanding.run),
    ("themes", themes.run),
    ("slack_load", slack_load.bench),
    ("alerts", alerts_backtest.run),
]
OWN_DATA = {
    "drivers",
    "slack_load",
}  # benchmarks that build their own indexes, not the tweets index


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--quick", action="store_true", help="small subsets, for development (~5 min)")
    p.add_argument("--scale-1m", action="store_true", help="add the 1,000,000-record point (long)")
    p.add_argument("--only", default="", help="comma-separated: " + ",".join(n for n, _ in BENCHES))
    p.add_argument("--workdir", type=Path, help="scratch directory (default: a new temp dir)")
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the scratch directory, with the largest scale point's index",
    )
    p.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "benchmarks.md", help="the page to rewrite"
    )
    p.add_argument("--json", type=Path, help="also save the raw figures here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not TWEETS.exists():
        print(
            f"Error: {TWEETS} is not present; the benchmarks need the airline tweets.",
            file=sys.stderr,
        )
        return 2
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    unknown = only - {n for n, _ in BENCHES}
    if unknown:
        print(f"Error: unknown benchmark(s) {', '.join(sorted(unknown))}.", file=sys.stderr)
        return 2
    cfg = Config.make(args.quick, args.scale_1m)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cxbot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = Ctx(cfg, workdir, keep=args.keep)
    meta = machine_info()
    meta["command"] = " ".join(
        ["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])]
    )
    ctx.say(f"benchmarks ({'quick' if cfg.quick else 'full'}) in {workdir}")
    for name, bench in BENCHES:
        if only and name not in only:
            if name == "ingest" and not only <= OWN_DATA:
                ctx.say("building the index (ingest not measured)")
                ingest_bench.build_index(ctx)
            continue
        t = time.perf_counter()
        try:
            ctx.results[name] = bench(ctx)
        except (WorkerError, RuntimeError, OSError, subprocess.SubprocessError) as exc:
            ctx.results[name] = {"error": str(exc)}
            ctx.say(f"{name}: FAILED: {exc}")
            if name == "ingest" and not (ctx.index / "catalog.sqlite").exists():
                break
        ctx.results[name]["bench_s"] = time.perf_counter() - t
    meta["load_end"] = os.getloadavg()
    meta["total_s"] = time.perf_counter() - ctx.t0
    raw = {"meta": meta, "config": cfg.__dict__, "results": ctx.results}
    blob = json.dumps(raw, indent=1, default=str) + "\n"
    (workdir / "results.json").write_text(blob, encoding="utf-8")
    if args.json:
        args.json.write_text(blob, encoding="utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(raw), encoding="utf-8")
    ctx.say(f"wrote {args.out} in {meta['total_s'] / 60:.1f} min")
    if not args.keep and args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all("error" not in r for r in ctx.results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
