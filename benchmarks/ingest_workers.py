"""Ingest benchmark workers, each run in a fresh process by benchmarks.worker: the cold
ingest with its stage times, the raw embedding limit, and the naive langchain baseline."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import SOURCE_NAME, disk_mb, peak_rss_mb, settings_for


def index_records(data_dir: Path) -> list[dict[str, Any]]:
    """The verbatims of an index exactly as they were embedded (normalised, redacted), in
    ingest order: the raw limit and the naive baseline embed these very texts."""
    from ingest.catalog import Catalog

    cat = Catalog(settings_for(data_dir).catalog_path)
    try:
        return list(cat.rows("WHERE kind='verbatim' ORDER BY rowid"))
    finally:
        cat.close()


def evenly(items: list[Any], n: int) -> list[Any]:
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def raw_worker(args: dict[str, Any]) -> dict[str, Any]:
    """The limit: tokenize + ONNX only (length-sorted batches, no pooling, no store)."""
    from ingest.embedder import get_embedder

    texts = [str(r["text"]) for r in index_records(Path(args["data_dir"]))]
    t = time.perf_counter()
    emb = get_embedder(settings_for(Path("unused")))
    load_s = time.perf_counter() - t
    emb.embed(["warm up"])
    out: dict[str, Any] = {"texts": len(texts), "model_load_s": load_s}
    # the limit is the best this machine does: two passes, the faster one counts
    passes = [_raw_pass(emb, texts, emb.batch_size) for _ in range(2)]
    out.update(max(passes, key=lambda p: p["rec_s"]))
    out["passes_rec_s"] = [p["rec_s"] for p in passes]
    sweep = evenly(texts, int(args.get("sweep", 0)))
    if sweep:
        out["sweep_texts"] = len(sweep)
        out["sweep"] = [
            {"batch": b, **_raw_pass(emb, sweep, b)}
            for b in (8, 16, 32, 64, 128)
            if b <= len(sweep)
        ]
    return out


def _raw_pass(emb: Any, texts: list[str], batch: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    enc = emb.tokenizer.encode_batch(texts, add_special_tokens=True)
    t1 = time.perf_counter()
    order = sorted(range(len(texts)), key=lambda i: len(enc[i].ids))
    padded = 0
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        width = max(len(enc[i].ids) for i in idx)
        ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, i in enumerate(idx):
            e = enc[i].ids
            ids[row, : len(e)] = e
            mask[row, : len(e)] = 1
        padded += ids.size
        emb.session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
    t2 = time.perf_counter()
    tokens = sum(len(e.ids) for e in enc)
    return {
        "tokenize_s": t1 - t0,
        "onnx_s": t2 - t1,
        "seconds": t2 - t0,
        "rec_s": len(texts) / (t2 - t0),
        "mean_tokens": tokens / max(1, len(texts)),
        "padding_overhead": padded / max(1, tokens) - 1,
    }


def ingest_worker(args: dict[str, Any]) -> dict[str, Any]:
    """A cold `cxbot ingest` in a fresh process, with the time of every stage."""
    from benchmarks.stages import StageClock, instrument_ingest
    from ingest.config import SourceSpec
    from ingest.pipeline import Job, run_ingest

    data = Path(args["data_dir"])
    if not args.get("reingest"):
        shutil.rmtree(data, ignore_errors=True)
    settings = settings_for(data)
    clock = StageClock()
    missing = instrument_ingest(clock)
    job = Job(SourceSpec(kind="survey", path=str(args["csv"]), name=SOURCE_NAME))
    profile = None
    if args.get("profile"):
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    t = time.perf_counter()
    summary = run_ingest([job], settings)
    wall = time.perf_counter() - t
    clock.restore()
    out: dict[str, Any] = {
        "added": summary.added,
        "unchanged": summary.unchanged,
        "rejected": len(summary.rejected),
        "duplicates": summary.duplicates,
        "seconds": summary.seconds,
        "wall_s": wall,
        "rec_s": summary.added / summary.seconds if summary.seconds else 0.0,
        "stages": clock.table(summary.seconds),
        "not_instrumented": missing,
        "peak_rss_mb": peak_rss_mb(),
        "disk_mb": disk_mb(data),
    }
    if profile is not None:
        profile.disable()
        out["profile"] = top_functions(profile, 14)
    return out


def top_functions(profile: Any, n: int) -> list[dict[str, Any]]:
    import pstats

    stats = pstats.Stats(profile)
    rows = []
    for (file, line, func), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(file).name}:{line}({func})" if line else func
        rows.append({"function": where, "calls": calls, "tottime": tottime, "cumtime": cumtime})
    return sorted(rows, key=lambda r: -r["tottime"])[:n]


def naive_worker(args: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.naive import run_naive
    from ingest.embedder import get_embedder

    records = evenly(index_records(Path(args["data_dir"])), int(args["n"]))
    texts = [str(r["text"]) for r in records]
    metas = [
        {"airline": r["segments"].get("airline", ""), "date": r["date"] or ""} for r in records
    ]
    out = run_naive(texts, [str(r["id"]) for r in records], metas, Path(args["workdir"]))
    ours = get_embedder(settings_for(Path("unused"))).embed(texts)
    cos = np.sum(ours * out.pop("vectors"), axis=1)
    out.update(rec_s=out["records"] / out["seconds"], cosine_min=float(cos.min()))
    out["cosine_mean"] = float(cos.mean())
    return out
