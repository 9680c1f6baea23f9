"""(1) Ingest throughput: cxbot cold ingest vs the raw embedding limit vs the naive baseline,
and incremental re-ingest (nothing changed, 1% changed, a new taxonomy) through the real CLI.
Each measurement
runs in a fresh process (benchmarks.ingest_workers) on the same texts in the same run."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

from benchmarks.common import (
    DOT,
    DOT_COLUMNS,
    SOURCE_NAME,
    VENV_BIN,
    child_env,
    timed_command,
    write_unlabelled,
)
from benchmarks.config import Ctx


def cli_ingest(data_dir: Path, csv_path: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The real CLI: `cxbot ingest FILE --kind survey --name tweets.csv --json`."""
    cmd = [str(VENV_BIN / "cxbot"), "ingest", str(csv_path), "--kind", "survey"]
    cmd += ["--name", SOURCE_NAME, "--json"]
    env = {"CXBOT_DATA_DIR": str(data_dir), **(env or {})}
    wall, code, out = timed_command(cmd, child_env(env))
    if code not in (0, 1):
        raise RuntimeError(f"cxbot ingest exited {code}")
    summary = json.loads(out[out.index("{") :])
    return {
        "wall_s": wall,
        "exit": code,
        **{k: summary[k] for k in ("added", "updated", "unchanged", "removed", "seconds")},
    }


def change_rows(src: Path, dst: Path, share: float) -> int:
    """Copy ``src`` with the text of every (1/share)-th row edited; returns how many."""
    with src.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    step = max(1, round(1 / share))
    changed = 0
    for i in range(1, len(rows), step):
        rows[i][2] = rows[i][2] + " (update: still waiting for an answer)"
        changed += 1
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return changed


def taxonomy_variant(dst: Path) -> Path:
    """The built-in taxonomy plus one theme: every record's enrichment fingerprint changes."""
    import yaml

    from ingest.themes import load_taxonomy

    taxonomy = load_taxonomy(None).model_dump(exclude_none=True)
    taxonomy["themes"]["wifi"] = {
        "label": "Wi-Fi on board",
        "description": "The Wi-Fi or internet connection on board did not work or cost too much.",
        "keywords": [r"\bwi-?fi\b"],
    }
    dst.write_text(yaml.safe_dump(taxonomy), encoding="utf-8")
    return dst


def add_dot_metrics(data_dir: Path) -> dict[str, Any]:
    cmd = [str(VENV_BIN / "cxbot"), "ingest", str(DOT), "--kind", "metrics", "--json"]
    cmd += ["--segment-column", DOT_COLUMNS["segments"][0]]
    for m in DOT_COLUMNS["metrics"]:
        cmd += ["--metric-column", m]
    wall, code, _ = timed_command(cmd, child_env({"CXBOT_DATA_DIR": str(data_dir)}))
    if code not in (0, 1):
        raise RuntimeError(f"cxbot ingest of {DOT.name} exited {code}")
    return {"wall_s": wall}


def run(ctx: Ctx) -> dict[str, Any]:
    cfg = ctx.cfg
    rows = write_unlabelled(ctx.tweets_csv, cfg.tweets)
    res: dict[str, Any] = {"csv_rows": rows}
    timeout = 3600.0 if not cfg.quick else 600.0
    ctx.say(f"ingest: cxbot cold ingest of {rows:,} tweets (fresh process, empty index)")
    res["cold"] = ctx.worker("ingest", {"csv": ctx.tweets_csv, "data_dir": ctx.index}, timeout)
    ctx.say("ingest: raw embedding limit on the same texts")
    res["raw"] = ctx.worker("raw", {"data_dir": ctx.index, "sweep": cfg.sweep_texts}, timeout)
    ctx.say(f"ingest: naive langchain + Chroma baseline on {cfg.naive_texts} of the same texts")
    res["naive"] = ctx.worker(
        "naive", {"data_dir": ctx.index, "n": cfg.naive_texts, "workdir": ctx.workdir}, timeout
    )
    ctx.say("ingest: incremental re-ingest through the CLI")
    incr = ctx.workdir / "index-incremental"
    shutil.copytree(ctx.index, incr)
    res["unchanged_stages"] = ctx.worker(
        "ingest", {"csv": ctx.tweets_csv, "data_dir": incr, "reingest": True}, timeout
    )
    res["unchanged"] = [cli_ingest(incr, ctx.tweets_csv) for _ in range(cfg.cli_repeats)]
    changed_csv = ctx.workdir / "changed" / ctx.tweets_csv.name
    res["changed_rows"] = change_rows(ctx.tweets_csv, changed_csv, 0.01)
    res["changed"] = cli_ingest(incr, changed_csv)
    taxonomy = taxonomy_variant(ctx.workdir / "taxonomy.yaml")
    res["rethemed"] = cli_ingest(incr, changed_csv, {"CXBOT_TAXONOMY_PATH": str(taxonomy)})
    shutil.rmtree(incr, ignore_errors=True)
    ctx.say(f"ingest: cProfile of a {cfg.profile_texts}-tweet cold ingest")
    small = ctx.workdir / "profile" / "tweets.csv"
    write_unlabelled(small, cfg.profile_texts)
    res["profile"] = ctx.worker(
        "ingest",
        {"csv": small, "data_dir": ctx.workdir / "profile" / "index", "profile": True},
        timeout,
    )
    res["dot"] = add_dot_metrics(ctx.index)
    res["ratios"] = ratios(res)
    return res


def build_index(ctx: Ctx) -> None:
    """The index the other benchmarks read, when the ingest benchmark itself is skipped."""
    write_unlabelled(ctx.tweets_csv, ctx.cfg.tweets)
    ctx.worker("ingest", {"csv": ctx.tweets_csv, "data_dir": ctx.index}, 3600)
    add_dot_metrics(ctx.index)


def ratios(res: dict[str, Any]) -> dict[str, float]:
    cold, raw, naive = res["cold"]["rec_s"], res["raw"]["rec_s"], res["naive"]["rec_s"]
    return {"cold_vs_raw": cold / raw, "cold_vs_naive": cold / naive, "raw_vs_naive": raw / naive}
