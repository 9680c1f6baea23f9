"""Levers on cited precision, side by side (issue 16): the same labelled tweet questions asked
under each setting of `bot.ask.retrieval.LEVERS`, in one process over one index.

    python -m benchmarks.cite_levers --data /tmp/und-w/index [--json out.json]

Questions: section 4's (`benchmarks/questions.py`, cited at limit 10, a hit when its hidden
negativereason is the category) and every labelled tweet question of the understanding suites
(`leader_suite`, `leader_blind*`, cited at the default limit, a hit when its hidden sentiment
or reason is the one the question asks about). Labels are read only to score.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path
from typing import Any

from benchmarks.common import SOURCE_NAME, TWEETS, settings_for
from benchmarks.leader_blind import BLIND
from benchmarks.leader_blind2 import BLIND2
from benchmarks.leader_blind3 import BLIND3
from benchmarks.leader_suite import SUITE
from benchmarks.questions import LEADER_QUESTIONS

OFF: dict[str, Any] = {
    "expand_dense": 0.0,
    "expand_lex": False,
    "prf": 0,
    "prf_weight": 0.5,
    "share_side": False,
    "share_cites": 3,
}
CHOSEN = {"expand_lex": True, "prf": 5, "share_side": True, "share_cites": 5}
CONFIGS: dict[str, dict[str, Any]] = {
    "none (before)": {},
    "expand dense 0.5": {"expand_dense": 0.5},
    "expand dense 1.0": {"expand_dense": 1.0},
    "expand lexical": {"expand_lex": True},
    "PRF top 5, 0.5": {"prf": 5},
    "PRF top 10, 1.0": {"prf": 10, "prf_weight": 1.0},
    "share: asked side": {"share_side": True},
    "share: asked side + 5 cited": {"share_side": True, "share_cites": 5},
    "lexical + dense 1.0": {"expand_lex": True, "expand_dense": 1.0},
    "lexical + PRF 5": {"expand_lex": True, "prf": 5},
    "lexical + PRF 5 + share (kept)": CHOSEN,
}


def _labels() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    with TWEETS.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(
                f"{SOURCE_NAME}:{row['tweet_id']}",
                (row["airline_sentiment"], row["negativereason"]),
            )
    return out


def questions() -> list[tuple[str, str, str, int]]:
    """(set, question, label, limit)."""
    out = [("section 4", q, lab, 10) for lab, qs in LEADER_QUESTIONS.items() for q in qs]
    for name, suite in (("suite", SUITE), ("blind", BLIND), ("blind2", BLIND2), ("blind3", BLIND3)):
        out += [(name, c.question, c.label, 8) for c in suite if c.label and c.data == "tweets"]
    return out


def measure(engine: Any, labels: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    rows = []
    for name, q, label, limit in questions():
        a = engine.ask(q, limit=limit)
        cited = [c for c in a.citations if c.kind == "verbatim"]
        rel = 0
        for c in cited:
            sentiment, reason = labels.get(c.id, ("", ""))
            rel += sentiment == label if label in ("negative", "positive") else reason == label
        rows.append({"set": name, "q": q, "label": label, "cited": len(cited), "rel": rel})
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for name in dict.fromkeys(r["set"] for r in rows):
        mine = [r for r in rows if r["set"] == name]
        cited = sum(r["cited"] for r in mine)
        out[name] = {
            "pooled": sum(r["rel"] for r in mine) / cited if cited else 0.0,
            "per_answer": cited / len(mine),
        }
    ut = [r for r in rows if r["set"] != "section 4"]
    cited = sum(r["cited"] for r in ut)
    out["understanding, all"] = {
        "pooled": sum(r["rel"] for r in ut) / cited if cited else 0.0,
        "per_answer": cited / len(ut),
    }
    return out


def main() -> None:
    from bot.ask import retrieval
    from bot.engine import Engine

    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--json", type=Path)
    p.add_argument("--only", default="", help="config names, separated by ;")
    args = p.parse_args()
    engine = Engine(settings_for(args.data))
    labels = _labels()
    default = dict(retrieval.LEVERS)
    results: dict[str, Any] = {}
    only = [x for x in args.only.split(";") if x]
    for name, levers in CONFIGS.items():
        if only and name not in only:
            continue
        retrieval.LEVERS.clear()
        retrieval.LEVERS.update({**OFF, **levers})
        t0 = time.perf_counter()
        rows = measure(engine, labels)
        results[name] = {"rows": rows, "summary": summary(rows), "s": time.perf_counter() - t0}
        retrieval.LEVERS.clear()
        retrieval.LEVERS.update(default)
        s = results[name]["summary"]
        print(
            f"{name:22s} "
            + "  ".join(f"{k}: {v['pooled']:.3f} ({v['per_answer']:.1f})" for k, v in s.items()),
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
