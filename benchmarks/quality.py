"""(4) Retrieval quality with the labels held out of the index: precision@10 and nDCG@10 of
the retrieved records against each tweet's hidden `negativereason`, for the full pipeline
(hybrid), dense-only and BM25-only, plus the records `ask` actually cites."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from benchmarks.common import SOURCE_NAME, settings_for, tweet_labels
from benchmarks.config import Ctx
from benchmarks.questions import LEADER_QUESTIONS

MODES = ("hybrid", "dense", "bm25")
K = 10


def ndcg(relevant: list[bool], total_relevant: int, k: int = K) -> float:
    """Binary-relevance nDCG@k; the ideal ranking puts min(k, total_relevant) hits first."""
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(relevant[:k]) if r)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, total_relevant)))
    return dcg / ideal if ideal else 0.0


def quality_worker(args: dict[str, Any]) -> dict[str, Any]:
    from bot.engine import Engine

    engine = Engine(settings_for(Path(args["data_dir"])))
    corpus = engine.corpus()
    prefix = f"{SOURCE_NAME}:"
    labels = {prefix + k: v for k, v in tweet_labels().items()}  # read only to score
    indexed = [labels.get(i) for i in corpus.ids]
    seg_keys = sorted(corpus.segments)
    rows = []
    start = time.perf_counter()
    for label, questions in LEADER_QUESTIONS.items():
        total = sum(x == label for x in indexed)
        for q in questions:
            if time.perf_counter() - start > float(args["budget_s"]):
                break
            u = engine.understand(q)
            row: dict[str, Any] = {"label": label, "question": q, "relevant_in_index": total}
            for mode in MODES:
                hits = engine.search(q, u.filters, k=K, mode=mode)  # type: ignore[arg-type]
                rel = [labels.get(h.id) == label for h in hits]
                row[mode] = {"p10": sum(rel) / K, "ndcg10": ndcg(rel, total), "hits": len(hits)}
            cited = [c for c in engine.ask(q, limit=K).citations if c.kind == "verbatim"]
            rel = [labels.get(c.id) == label for c in cited]
            row["ask"] = {
                "p_cited": sum(rel) / len(rel) if rel else 0.0,
                "ndcg10": ndcg(rel, total),
                "hits": len(cited),
            }
            rows.append(row)
    return {"questions": rows, "summary": summarise(rows), "segment_keys_in_index": seg_keys}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else float("nan")

    out: dict[str, Any] = {"by_label": {}, "mean": {}}
    labels = list(dict.fromkeys(r["label"] for r in rows))
    for label in labels:
        mine = [r for r in rows if r["label"] == label]
        out["by_label"][label] = {
            m: {
                "p10": mean([r[m]["p10"] for r in mine]),
                "ndcg10": mean([r[m]["ndcg10"] for r in mine]),
            }
            for m in MODES
        }
        out["by_label"][label]["ask"] = {"p_cited": mean([r["ask"]["p_cited"] for r in mine])}
        out["by_label"][label]["relevant_in_index"] = mine[0]["relevant_in_index"]
    for m in MODES:
        # mean over categories (each weighs the same, whatever its number of questions)
        out["mean"][m] = {
            "p10": mean([out["by_label"][x][m]["p10"] for x in labels]),
            "ndcg10": mean([out["by_label"][x][m]["ndcg10"] for x in labels]),
        }
    out["mean"]["ask"] = {"p_cited": mean([out["by_label"][x]["ask"]["p_cited"] for x in labels])}
    return out


def run(ctx: Ctx) -> dict[str, Any]:
    ctx.say("quality: precision@10 / nDCG@10 against the held-out labels")
    args = {"data_dir": ctx.index, "budget_s": ctx.cfg.budget_s}
    return ctx.worker("quality", args, ctx.cfg.budget_s + 300)
