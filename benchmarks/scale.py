"""(3) Scale: store and query cost as the corpus grows. The real index is the first point;
larger points are synthetic (benchmarks.synthetic), built through the real run_ingest with
only the embedding stubbed. At the largest point the same index is also served by a Chroma
server (`chroma run`, what CXBOT_CHROMA_URL points at) to show what moves out of the bot."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.common import (
    DOT,
    DOT_COLUMNS,
    SOURCE_NAME,
    WorkerError,
    disk_mb,
    peak_rss_mb,
    percentiles,
    rss_mb,
    settings_for,
)
from benchmarks.config import Ctx
from benchmarks.questions import varied_questions
from tests.chroma_server import ChromaServer


def jobs(csv_path: Path) -> list[Any]:
    from ingest.config import ColumnMap, SourceSpec
    from ingest.pipeline import Job

    dot = SourceSpec(kind="metrics", path=str(DOT), columns=ColumnMap(**DOT_COLUMNS))
    return [Job(SourceSpec(kind="survey", path=str(csv_path), name=SOURCE_NAME)), Job(dot)]


def forget_marks(settings: Any) -> None:
    from ingest import unchanged
    from ingest.catalog import Catalog

    cat = Catalog(settings.generation())
    try:
        with cat.transaction() as db:
            unchanged.forget(db)
    finally:
        cat.close()


def build_worker(args: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.stages import StageClock, instrument_ingest
    from benchmarks.synthetic import StubEmbedder, Synth
    from bot.warm import warm
    from ingest.embedder import get_embedder
    from ingest.pipeline import run_ingest

    data = Path(args["data_dir"])
    shutil.rmtree(data, ignore_errors=True)
    settings = settings_for(data)
    t = time.perf_counter()
    synth = Synth(Path(args["base_dir"]), int(args["n"]))
    csv_path = data.parent / f"{data.name}.csv"
    synth.write_csv(csv_path)
    generate_s = time.perf_counter() - t
    stub = StubEmbedder(synth, get_embedder(settings))
    clock = StageClock()
    missing = instrument_ingest(clock, embedder_cls=StubEmbedder)
    first = run_ingest(jobs(csv_path), settings, embedder=stub)
    clock.restore()
    warm_s = warm(settings)  # what `cxbot ingest` does after a change: the read caches
    again = run_ingest(jobs(csv_path), settings, embedder=stub)
    # the same files once more, their fingerprints cleared: the row-by-row check a source
    # whose file did change (one edited row is enough) still pays
    forget_marks(settings)
    rows = run_ingest(jobs(csv_path), settings, embedder=stub)
    csv_path.unlink()
    return {
        "n": int(args["n"]),
        "generate_s": generate_s,
        "added": first.added,
        "build_s": first.seconds,
        "stages": clock.table(first.seconds),
        "not_instrumented": missing,
        "warm_s": warm_s,
        "unchanged_s": again.seconds,
        "unchanged": again.unchanged,
        "unchanged_skipped": again.skipped,
        "unchanged_rows_s": rows.seconds,
        "real_model_texts": stub.misses,
        "peak_rss_mb": peak_rss_mb(),
        "disk_mb": disk_mb(data),
    }


def query_worker(args: dict[str, Any]) -> dict[str, Any]:
    """A fresh bot process on the index: load, first answer, then warm query costs."""
    from bot.analysis.gaps import analyse, render_gaps_text
    from bot.engine import Engine
    from bot.filters import Filters

    limits = ("dense_in_memory_max", "dense_exact_max")
    overrides = {k: args[k] for k in limits if k in args}
    settings = settings_for(Path(args["data_dir"]), args.get("chroma_url"), **overrides)
    t = time.perf_counter()
    engine = Engine(settings)
    engine_s = time.perf_counter() - t
    t = time.perf_counter()
    corpus = engine.corpus()
    corpus_s = time.perf_counter() - t
    rss_loaded = rss_mb()
    questions = varied_questions(int(args["n"]), seed=9)
    t = time.perf_counter()
    engine.ask(questions[0])  # may fetch and cache every vector for in-memory dense search
    first_ask_s = time.perf_counter() - t
    engine.ask(questions[1])
    limit = getattr(settings, "dense_in_memory_max", 0)
    col = engine.store.collection(create=False)
    budget, start = float(args["budget_s"]), time.perf_counter()
    timings: dict[str, list[float]] = {k: [] for k in ("ask", "dense", "bm25", "chroma", "bare")}

    def timed(name: str, fn: Any) -> Any:
        t = time.perf_counter()
        out = fn()
        timings[name].append((time.perf_counter() - t) * 1000)
        return out

    everything = Filters()
    answers: list[dict[str, Any]] = []
    asked: list[str] = []
    for q in questions:  # what the bot does: no direct Chroma query in this loop
        if time.perf_counter() - start > budget:
            break
        qv = engine.embed_query(q)
        answers.append(timed("ask", lambda q=q: engine.ask(q)).as_dict())
        timed("dense", lambda q=q, qv=qv: engine.search(q, everything, 10, "dense", qvec=qv))
        timed("bm25", lambda q=q, qv=qv: engine.search(q, everything, 10, "bm25", qvec=qv))
        asked.append(q)
    gaps_ms = []
    for _ in range(5):
        t = time.perf_counter()
        render_gaps_text(engine, analyse(engine), explain=False)
        gaps_ms.append((time.perf_counter() - t) * 1000)
    # the bot's memory, before this benchmark opens Chroma's index itself (below), which an
    # answer on the vector-file path never does
    rss_answering, peak_answering = rss_mb(), peak_rss_mb()
    if args.get("answers_out"):  # for a same-answers check between two versions
        lines = []
        for a in answers:
            a.pop("timings_ms", None)
            lines.append(json.dumps(a, sort_keys=True, default=str))
        Path(args["answers_out"]).write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Chroma's HNSW index directly: with the `kind` filter cxbot sends, and without
    warm = engine.embed_query(questions[0])
    engine.store.query(warm, 100, {"kind": "verbatim"})  # Chroma loads its index lazily
    col.query(query_embeddings=[warm], n_results=100)
    start = time.perf_counter()
    for q in asked:
        if time.perf_counter() - start > budget:
            break
        qv = engine.embed_query(q)
        timed("chroma", lambda qv=qv: engine.store.query(qv, 100, {"kind": "verbatim"}))
        timed("bare", lambda qv=qv: col.query(query_embeddings=[qv], n_results=100))
    return {
        "records": len(corpus),
        "dense_path": "in-memory exact"
        if limit and len(corpus) <= limit
        else (
            "int8 file, exact"
            if getattr(corpus, "dense", None) is not None
            and len(corpus) <= getattr(settings, "dense_exact_max", 0)
            else "Chroma HNSW"
        ),
        "engine_s": engine_s,
        "corpus_s": corpus_s,
        "first_ask_s": first_ask_s,
        "ask": percentiles(timings["ask"]),
        "dense_search": percentiles(timings["dense"]),
        "bm25_search": percentiles(timings["bm25"]),
        "dense": percentiles(timings["chroma"]),
        "dense_unfiltered": percentiles(timings["bare"]),
        "gaps": percentiles(gaps_ms),
        "rss_loaded_mb": rss_loaded,
        "rss_end_mb": rss_answering,
        "peak_rss_mb": peak_answering,
        "peak_rss_with_chroma_mb": peak_rss_mb(),
        "dense_file": corpus.dense is not None,
    }


@contextmanager
def chroma_server(path: Path, log: Path) -> Iterator[tuple[str, int]]:
    """`chroma run` on 127.0.0.1 over an existing persistent directory; stopped on exit."""
    server = ChromaServer(path, log=log)
    try:
        server.start(timeout=120)
    except RuntimeError:
        server.stop()
        raise WorkerError(f"chroma run did not start; see {log}") from None
    try:
        assert server.proc is not None
        yield server.url, server.proc.pid
    finally:
        server.stop(graceful=True)


def process_rss_mb(pid: int) -> float:
    import psutil

    p = psutil.Process(pid)
    return sum(x.memory_info().rss for x in [p, *p.children(recursive=True)]) / 2**20


def run(ctx: Ctx) -> dict[str, Any]:
    cfg = ctx.cfg
    qargs = {"n": cfg.scale_questions, "budget_s": cfg.budget_s / 4}
    points: list[dict[str, Any]] = []
    ctx.say("scale: the real index")
    real = ctx.worker("scale_query", {"data_dir": ctx.index, **qargs}, cfg.scale_timeout_s)
    points.append(
        {"n": real["records"], "kind": "real", "query": real, "disk_mb": disk_mb(ctx.index)}
    )
    for n in cfg.scale_points:
        ctx.say(f"scale: {n:,} synthetic records (build, then query)")
        data = ctx.workdir / f"scale-{n}"
        point: dict[str, Any] = {"n": n, "kind": "synthetic"}
        points.append(point)
        try:
            bargs = {"base_dir": ctx.index, "data_dir": data, "n": n}
            point["build"] = ctx.worker("scale_build", bargs, cfg.scale_timeout_s)
            qa = {"data_dir": data, **qargs}
            point["query"] = ctx.worker("scale_query", qa, cfg.scale_timeout_s)
            point["disk_mb"] = disk_mb(data)
            if n == cfg.scale_points[-1]:
                point.update(hnsw_paths(ctx, data, qa, point["query"]["dense_path"]))
        except WorkerError as exc:
            point["error"] = str(exc)
            ctx.say(f"scale: {exc}; larger points skipped")
            break
        finally:
            if not (ctx.keep and n == cfg.scale_points[-1]):  # smaller points: disk back
                shutil.rmtree(data, ignore_errors=True)
    return {"points": points}


def hnsw_paths(ctx: Ctx, data: Path, qa: dict[str, Any], path: str) -> dict[str, Any]:
    """The same index with dense search forced onto Chroma's HNSW index (what cxbot does above
    `dense_exact_max` records, or without a vector file): embedded, and served by `chroma run`
    (CXBOT_CHROMA_URL)."""
    timeout = ctx.cfg.scale_timeout_s
    forced = {**qa, "dense_in_memory_max": 0, "dense_exact_max": 0}
    out: dict[str, Any] = {}
    if path != "Chroma HNSW":
        ctx.say("scale: the same index, dense search on Chroma's HNSW index (embedded)")
        out["hnsw"] = ctx.worker("scale_query", forced, timeout)
    ctx.say("scale: the same index served by `chroma run` (CXBOT_CHROMA_URL)")
    with chroma_server(data / "chroma", ctx.workdir / "chroma-server.log") as (url, pid):
        out["server"] = ctx.worker("scale_query", {**forced, "chroma_url": url}, timeout)
        out["server"]["server_rss_mb"] = process_rss_mb(pid)
    return out


def main(argv: list[str] | None = None) -> int:
    """One synthetic point's build alone (first ingest, warm, unchanged re-ingest skipped and
    row by row), without the query runs: `python -m benchmarks.scale --build 1000000`."""
    import argparse
    import os
    import tempfile

    from benchmarks import ingest_bench
    from benchmarks.config import Config

    ap = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=main.__doc__)
    ap.add_argument("--build", type=int, required=True, help="synthetic records")
    ap.add_argument("--workdir", type=Path, help="scratch directory (kept; default: a temp dir)")
    args = ap.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cxbot-scale-"))
    ctx = Ctx(Config.make(False, args.build >= 1_000_000), workdir)
    if not (ctx.index / "catalog.sqlite").exists():
        ctx.say("building the real base index (the tweets)")
        ingest_bench.build_index(ctx)
    ctx.say(f"building {args.build:,} synthetic records")
    load0 = os.getloadavg()
    data = workdir / f"scale-{args.build}"
    bargs = {"base_dir": ctx.index, "data_dir": data, "n": args.build}
    try:
        res = ctx.worker("scale_build", bargs, ctx.cfg.scale_timeout_s)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    res.pop("stages", None)
    res["load_start"], res["load_end"] = load0, os.getloadavg()
    print(json.dumps(res, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
