"""The catalog in SQLite (the data dir) vs PostgreSQL (CXBOT_DATABASE_URL, a local server
started for the run): ingest time, a bot's first answer on its own data dir (columns, BM25
and themes rebuilt from the database), and ask / gaps p50-p95.

    python -m benchmarks.pg_catalog [--copies 4] [--repeats 5]

The data is the demo sources plus the demo survey repeated ``copies`` times (ids and texts made
distinct), embedded for real; vectors in a `chroma run` server for both, so only the catalog
differs.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.analysis.gaps import analyse
from bot.corpus import clear_cache
from bot.engine import Engine
from ingest.config import Settings, SourceSpec, load_sources_config
from ingest.pipeline import Job, run_ingest
from tests.chroma_server import ChromaServer
from tests.conftest import EXAMPLES, make_settings
from tests.fakes.postgres import PostgresServer

QUESTIONS = [
    "What do customers complain about most?",
    "What do North customers say about late deliveries?",
    "How many complaints about support wait times?",
    "What do app users praise?",
    "Which channel has the most complaints about refunds?",
]


def survey(path: Path, copies: int) -> int:
    rows = list(csv.reader((EXAMPLES / "survey_responses.csv").open(encoding="utf-8")))
    head, body = rows[0], rows[1:]
    out = [head]
    for c in range(copies):
        for r in body:
            out.append([f"{r[0]}-{c}", *r[1:5], r[5] if c == 0 else f"{r[5]} (batch {c})"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(out)
    return len(out) - 1


def pct(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def measure(ingest: Settings, bot: Settings, src: Path, repeats: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    cfg_path = EXAMPLES / "sources.yaml"
    cfg = load_sources_config(cfg_path)
    jobs = [Job(spec, cfg_path.parent) for spec in cfg.sources]
    jobs.append(Job(SourceSpec(kind="survey", path=str(src), name="survey-copies")))
    gap = cfg.model_dump(include={"metric_themes", "metric_directions", "aliases"})
    summary = run_ingest(jobs, ingest, gap_config=gap)
    ingest_s = time.perf_counter() - t0
    clear_cache()
    engine = Engine(bot)
    engine.embed_query("warm the model")
    t0 = time.perf_counter()
    engine.ask(QUESTIONS[0])
    first_s = time.perf_counter() - t0
    ask_ms, gaps_ms = [], []
    for _ in range(repeats):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            engine.ask(q)
            ask_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        analyse(engine)
        gaps_ms.append((time.perf_counter() - t0) * 1000)
    return {
        "records": summary.added,
        "ingest_s": ingest_s,
        "records_per_s": summary.added / ingest_s,
        "first_answer_s": first_s,
        "ask": pct(ask_ms),
        "gaps": pct(gaps_ms),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--pg-first", action="store_true", help="measure PostgreSQL first")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cxbot-pgcat-"))
    src = root / "survey.csv"
    n = survey(src, args.copies)
    chroma = ChromaServer(root / "chroma").start()
    pg = PostgresServer()
    try:
        url = pg.database()
        lite = make_settings(root / "lite", chroma_url=chroma.url, collection="lite")
        runs = {
            "sqlite": (lite, lite),
            "postgresql": (
                make_settings(root / "a", chroma_url=chroma.url, database_url=url),
                make_settings(root / "b", chroma_url=chroma.url, database_url=url),
            ),
        }
        order = ["postgresql", "sqlite"] if args.pg_first else ["sqlite", "postgresql"]
        res = {k: measure(*runs[k], src, args.repeats) for k in order}
    finally:
        pg.close()
        chroma.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"{n:,} records; ms p50 / p95")
    print("| | SQLite | PostgreSQL |")
    print("|---|---|---|")
    s, p = res["sqlite"], res["postgresql"]
    print(f"| cold ingest (s) | {s['ingest_s']:.1f} | {p['ingest_s']:.1f} |")
    print(f"| records/s | {s['records_per_s']:.0f} | {p['records_per_s']:.0f} |")
    print(f"| first answer (s) | {s['first_answer_s']:.2f} | {p['first_answer_s']:.2f} |")
    for k in ("ask", "gaps"):
        print(f"| {k} p50 / p95 | {s[k][0]:.0f} / {s[k][1]:.0f} | {p[k][0]:.0f} / {p[k][1]:.0f} |")


if __name__ == "__main__":
    main()
