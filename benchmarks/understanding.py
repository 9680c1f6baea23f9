"""(8) Question understanding (issue 16): the leader-question suite parsed into structured
queries over the demo data, the real tweets and the clothing reviews; per-intent parse
accuracy, answer-shape checks, and the precision of what `ask` cites against the hidden tweet
labels. Every answer also goes through the faithfulness checker's citation rules (each figure
line cites, each citation is a stored record)."""

from __future__ import annotations

import csv
import json
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, SOURCE_NAME, TWEETS, settings_for
from benchmarks.config import Ctx
from benchmarks.leader_blind import BLIND
from benchmarks.leader_blind2 import BLIND2
from benchmarks.leader_blind3 import BLIND3
from benchmarks.leader_blind4 import BLIND4
from benchmarks.leader_blind5 import BLIND5
from benchmarks.leader_blind6 import BLIND6
from benchmarks.leader_suite import SUITE, Case
from benchmarks.reading import REVIEWS

REVIEWS_SUBSET = 4000  # enough for every department and class to be a segment


def _tweet_sentiment() -> dict[str, tuple[str, str]]:
    """tweet_id -> (airline_sentiment, negativereason); read only to score citations."""
    out: dict[str, tuple[str, str]] = {}
    with TWEETS.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["tweet_id"], (row["airline_sentiment"], row["negativereason"]))
    return out


def _build(kind: str, root: Path) -> Path:
    """The demo index, or a reviews subset index (text, rating, department, class)."""
    from ingest.config import SourceSpec, load_sources_config
    from ingest.pipeline import Job, run_ingest

    data = root / f"{kind}-index"
    s = settings_for(data)
    if kind == "demo":
        cfg = ROOT / "examples" / "sources.yaml"
        jobs = [Job(spec, cfg.parent) for spec in load_sources_config(cfg).sources]
    else:
        src = root / "reviews_subset.csv"
        with REVIEWS.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        step = len(rows) / REVIEWS_SUBSET
        rows = [rows[int(i * step)] for i in range(REVIEWS_SUBSET)]
        with src.open("w", newline="", encoding="utf-8") as out:
            w = csv.writer(out)
            w.writerow(["review_id", "review", "rating", "department", "class"])
            for r in rows:
                text = " ".join(x for x in (r["Title"], r["Review Text"]) if x)
                if text.strip():
                    w.writerow([r[""], text, r["Rating"], r["Department Name"], r["Class Name"]])
        jobs = [
            Job(
                SourceSpec(
                    kind="survey",
                    path=str(src),
                    columns={"score": "rating", "segments": ["department", "class"]},
                )
            )
        ]
    if not (data / "catalog.sqlite").exists() and not any(data.glob("**/catalog*.sqlite")):
        run_ingest(jobs, s)
    return data


def check(case: Case, u: Any) -> dict[str, bool]:
    """Which parts of the structured query match what the question asks."""
    named = {v for vs in u.filters.segments.values() for v in vs}
    if u.compare is not None:
        named |= {v for v in u.compare.values if v != "(rest)"}
    out = {
        "intent": u.intent == case.intent,
        "values": {v.lower() for v in named} == {v.lower() for v in case.values},
        "top_n": u.top_n == case.top_n,
        "rank_by": (u.rank_by or "").lower() == (case.rank_by or "").lower()
        if case.rank_by or u.intent == "rank"
        else True,
        "dated": bool(u.filters.since or u.filters.until) == case.dated,
    }
    out["all"] = all(out.values())
    return out


FIGURE = re.compile(r"\d+(\.\d+)?%")


ITEM = re.compile(r"^(- |\d+\. )")


def shape_ok(case: Case, a: Any) -> bool:
    """The answer has the shape its intent promises (a line per ranked item, both sides of a
    comparison, two periods for a trend...), every item line with a figure cites its evidence
    (totals in a heading are counted over the whole scope), and it says what it answered."""
    text = a.answer
    lines = text.splitlines()
    items = [ln for ln in lines if ITEM.match(ln)]
    cites_ok = all(re.search(r"\[\d+\]", ln) for ln in items if FIGURE.search(ln))
    ok = True
    if case.intent == "rank" and case.top_n and a.enough_evidence:
        ok = len(items) == case.top_n
    elif case.intent == "compare" and a.enough_evidence:
        ok = " vs " in lines[0] and all(v.lower() in text.lower() for v in case.values)
    elif case.intent == "trend" and a.enough_evidence:
        ok = "days before" in text and "Negative:" in text
    elif case.intent == "praise" and a.enough_evidence:
        ok = "positive" in text
    elif case.intent == "drivers":
        ok = bool(re.search(r"score|nps|csat|rating|stars", text, re.I))
    elif case.intent == "share":
        ok = "negative" in text and "95% CI" in text
    answered = any(ln.startswith("Answered as") for ln in lines)
    return cites_ok and ok and answered


def suite_worker(args: dict[str, Any]) -> dict[str, Any]:
    from bot.engine import Engine

    root = Path(args["workdir"])
    engines = {
        "tweets": Engine(settings_for(Path(args["data_dir"]))),
        "demo": Engine(settings_for(_build("demo", root))),
        "reviews": Engine(settings_for(_build("reviews", root))),
    }
    labels = {f"{SOURCE_NAME}:{k}": v for k, v in _tweet_sentiment().items()}
    from benchmarks.faithfulness import Checker

    checkers = {k: Checker(e.settings, e) for k, e in engines.items()}
    out: dict[str, Any] = {}
    for name, suite in (
        ("suite", SUITE),
        ("blind", BLIND),
        ("blind2", BLIND2),
        ("blind3", BLIND3),
        ("blind4", BLIND4),
        ("blind5", BLIND5),
        ("blind6", BLIND6),
    ):
        rows = _run(suite, engines, labels, checkers)
        out[name] = {"rows": rows, "summary": summarise(rows)}
    return out


def _run(
    suite: list[Case],
    engines: dict[str, Any],
    labels: dict[str, Any],
    checkers: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Each question parsed and answered; with ``checkers``, each answer also through the
    faithfulness checker (every figure recounted, every citation looked up)."""
    rows = []
    for case in suite:
        e = engines[case.data]
        t0 = time.perf_counter()
        u = e.understand(case.question)
        parse_ms = 1000 * (time.perf_counter() - t0)
        a = e.ask(case.question)
        row: dict[str, Any] = {
            "data": case.data,
            "question": case.question,
            "expected": case.intent,
            "got": u.intent,
            "checks": check(case, u),
            "shape_ok": shape_ok(case, a),
            "parse_ms": round(parse_ms, 2),
            "answered_as": next(
                (ln for ln in a.answer.splitlines() if ln.startswith("Answered as")), ""
            ),
        }
        if checkers is not None:
            v = checkers[case.data].check(json.loads(json.dumps(a.as_dict())))
            row["faithful"] = v.faithful
            row["unfaithful"] = [f"{c.what}: {c.detail}" for c in v.failures][:3]
            row["unverified"] = v.unverified[:3]
        if case.label and case.data == "tweets":
            cited = [c for c in a.citations if c.kind == "verbatim"]
            rel = []
            for c in cited:
                sentiment, reason = labels.get(c.id, ("", ""))
                want = case.label
                rel.append(
                    sentiment == want if want in ("negative", "positive") else reason == want
                )
            row["cited"] = len(cited)
            row["cited_relevant"] = sum(rel)
        rows.append(row)
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[r["expected"]].append(r)
    per_intent = {
        k: {
            "n": len(v),
            "intent_acc": sum(r["checks"]["intent"] for r in v) / len(v),
            "query_acc": sum(r["checks"]["all"] for r in v) / len(v),
            "shape_ok": sum(r["shape_ok"] for r in v) / len(v),
        }
        for k, v in sorted(by.items())
    }
    labelled = [r for r in rows if "cited" in r]
    cited = sum(r["cited"] for r in labelled)
    checked = [r for r in rows if "faithful" in r]
    return {
        "faithful": sum(r["faithful"] for r in checked) / len(checked) if checked else None,
        "checked": len(checked),
        "not_faithful": [
            {"q": r["question"], "failed": r["unfaithful"], "unverified": r["unverified"]}
            for r in checked
            if not r["faithful"]
        ],
        "n": len(rows),
        "intent_acc": sum(r["checks"]["intent"] for r in rows) / len(rows),
        "query_acc": sum(r["checks"]["all"] for r in rows) / len(rows),
        "shape_ok": sum(r["shape_ok"] for r in rows) / len(rows),
        "min_intent_acc": min(x["intent_acc"] for x in per_intent.values()),
        "per_intent": per_intent,
        "cited_precision": sum(r["cited_relevant"] for r in labelled) / cited if cited else None,
        "cited_per_answer": cited / len(labelled) if labelled else None,
        "labelled_questions": len(labelled),
        "parse_ms_max": max(r["parse_ms"] for r in rows),
        "wrong": [
            {"q": r["question"], "expected": r["expected"], "got": r["got"], "checks": r["checks"]}
            for r in rows
            if not r["checks"]["all"]
        ],
    }


def run(ctx: Ctx) -> dict[str, Any]:
    n = (
        len(SUITE)
        + len(BLIND)
        + len(BLIND2)
        + len(BLIND3)
        + len(BLIND4)
        + len(BLIND5)
        + len(BLIND6)
    )
    ctx.say(f"understanding: {n} leader questions parsed and answered")
    args = {"data_dir": ctx.index, "workdir": ctx.workdir}
    return ctx.worker("understanding", args, 1500)


def tables(r: dict[str, Any]) -> str:
    """Section 8 of docs/benchmarks.md: the suite, then the blind set."""
    out = [
        f"Seven question sets over the demo data, the real tweets and a {REVIEWS_SUBSET:,}-review "
        "subset of the clothing reviews, each question with the structured query a reader "
        "would fill in. *Suite* (`benchmarks/leader_suite.py`) was written with the parser, so "
        "it is not held out. The three blind sets were each written by a separate author who "
        "saw neither the parser nor its rules: *blind* (`leader_blind.py`, 60) scored 68.3% "
        "intent right on its first run and its misses were then seen; *second blind* "
        "(`leader_blind2.py`, 72) scored 51.4% at 7e2ad1f and 63.9% after general rules "
        "written before its results were read, then its misses were seen too; *third blind* "
        "(`leader_blind3.py`, 72, whose author also saw none of the other sets, the example "
        "questions or the commit history) scored 51.4% intent right at 7e2ad1f and 81.9% "
        "after two rounds of rules; its misses were then seen too, when the parser moved to "
        "structural cues (two values of one key, a value and the rest, a proportion over a "
        "sentiment), so none of those four is held out any more. *Fourth blind* "
        "(`leader_blind4.py`, 81, nine per intent, by a fifth author who saw only the `Case` "
        "format and the data) is held out: it scored 85.2% intent right at 56d4448 and 90.1% "
        "at 85f6833 on its first two runs, and its misses are not printed here so that it "
        "stays held out. *Fifth blind* (`leader_blind5.py`, 90, ten per intent, by a sixth "
        "author who saw only the `Case` format and the data, ten leaders of other industries "
        "and Englishes) scored 82.2% intent right and 75.6% query right at 1e78d86 on its "
        "first run; its misses were then read and general rules written (negated praise, the "
        "asking sentence of a long message, segment values out of the intent cues), so it is "
        "not held out. *Sixth blind* (`leader_blind6.py`, 90, ten per intent, by a seventh "
        "author who saw only the `Case` format and the data, ten more leaders) scored 83.3% "
        "intent right and 73.3% query right at 068c259 on its first run; its misses were then "
        "read and general rules written (days of a month as periods, request sentences "
        "without a question mark, a side-by-side or change asked after a gap word in the "
        "context, 'how negative'), so it is not held out either: *fourth blind* is the one "
        "held-out set. *Intent* = the answer "
        "shape; *query* = intent and the segment values, N, ranking key and period all right; "
        "*shape* = the answer has that shape (N lines for a top N, both sides of a comparison, "
        "both periods of a trend) and each item line with a figure cites. Goal: intent >= 95% "
        "for every intent; cited precision >= 0.75 with at least 5 cited.",
        "",
    ]
    for key, title in (
        ("suite", "Suite"),
        ("blind", "Blind set"),
        ("blind2", "Second blind set"),
        ("blind3", "Third blind set"),
        ("blind4", "Fourth blind set (held out: misses not listed)"),
        ("blind5", "Fifth blind set"),
        ("blind6", "Sixth blind set"),
    ):
        if key in r:
            summary = r[key]["summary"]
            out += [f"**{title}**", "", _set_table(summary, key != "blind4"), ""]
    return "\n".join(out)


def _set_table(s: dict[str, Any], list_wrong: bool = True) -> str:
    from benchmarks.tables import table

    rows = [
        [
            k,
            str(v["n"]),
            f"{100 * v['intent_acc']:.0f}%",
            f"{100 * v['query_acc']:.0f}%",
            f"{100 * v['shape_ok']:.0f}%",
        ]
        for k, v in s["per_intent"].items()
    ]
    rows.append(
        [
            "**all**",
            str(s["n"]),
            f"**{100 * s['intent_acc']:.1f}%**",
            f"**{100 * s['query_acc']:.1f}%**",
            f"**{100 * s['shape_ok']:.1f}%**",
        ]
    )
    cp = s["cited_precision"]
    out = [
        table(["intent", "questions", "intent right", "query right", "shape right"], rows),
        "",
        f"Cited precision against the hidden tweet labels ({s['labelled_questions']} labelled "
        f"questions; a cited tweet counts when its label is the one the question asks about): "
        f"**{cp:.2f}** with {s['cited_per_answer']:.1f} cited per answer (goal >= 0.75 with at "
        "least 5)."
        if cp is not None
        else "No labelled questions ran.",
        "",
        f"Slowest parse: {s['parse_ms_max']:.0f} ms (the first question of a data set embeds "
        "on a cold model).",
    ]
    if s.get("faithful") is not None:
        bad = s["not_faithful"]
        out += [
            "",
            f"Answers through the faithfulness checker: **{round(s['faithful'] * s['checked'])} "
            f"of {s['checked']}** faithful (every figure recounted from the catalog, every "
            "citation looked up, no line left unread)" + ("." if not bad else f"; {len(bad)} not:"),
        ]
        for b in bad if list_wrong else []:
            why = "; ".join(b["failed"] + [f"unread: {u}" for u in b["unverified"]])
            out.append(f'- "{b["q"]}": {why}')
    if s["wrong"] and list_wrong:
        out += ["", "Questions not parsed as expected:", ""]
        for w in s["wrong"]:
            bad = ", ".join(k for k, ok in w["checks"].items() if not ok and k != "all")
            out.append(f'- "{w["q"]}": expected {w["expected"]}, got {w["got"]} (wrong: {bad})')
    return "\n".join(out)
