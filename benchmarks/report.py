"""docs/benchmarks.md from one run's raw figures: machine, versions, commands, the five tables,
the goals of issue 8 with what was measured, an analysis and the headline ratios. Findings are
derived from the figures of the run (nothing is hard-coded), so the page stays true as the
library changes."""

from __future__ import annotations

from statistics import median
from typing import Any

from benchmarks.analysis import GB, analysis, findings, scale_fit
from benchmarks.tables import (
    faithfulness_tables,
    ingest_tables,
    latency_tables,
    n0,
    n1,
    pct,
    quality_tables,
    reading_tables,
    scale_tables,
    table,
)


def ok(flag: bool | None) -> str:
    return "n/a" if flag is None else ("yes" if flag else "**no**")


def embed_rate(res: dict[str, Any]) -> float | None:
    """Records/s of cxbot's embed stage in the cold ingest (to project re-index times)."""
    try:
        cold = res["ingest"]["cold"]
        s = next(x["s"] for x in cold["stages"] if x["stage"].startswith("embed"))
        return float(cold["added"] / s)
    except (KeyError, StopIteration, ZeroDivisionError):
        return None


def goals(res: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    ing = res.get("ingest", {})
    if "ratios" in ing:
        r = ing["ratios"]
        cr, cn = r["cold_vs_raw"], r["cold_vs_naive"]
        rows.append(["cold ingest vs raw embedding limit", ">= 80%", pct(cr), ok(cr >= 0.8)])
        rows.append(["cold ingest vs naive baseline", ">= 10x", f"{cn:.1f}x", ok(cn >= 10)])
        un = median(x["seconds"] for x in ing["unchanged"])
        wall = median(x["wall_s"] for x in ing["unchanged"])
        measured = f"{un:.2f} s in the pipeline ({wall:.2f} s CLI wall)"
        rows.append(["unchanged re-ingest", "< 2 s", measured, ok(un < 2)])
    lat = res.get("latency", {})
    if "ask" in lat:
        p95 = lat["ask"]["p95"]
        what = f"`ask` p95, warm, at {n0(lat['records'])} records"
        rows.append([what, "< 150 ms", f"{p95:.0f} ms", ok(p95 < 150)])
    fit = scale_fit(res, 1_000_000)
    if fit:
        p95, rss = f"{fit['p95']:.0f} ms ({fit['how']})", f"{fit['rss'] / GB:.1f} GB ({fit['how']})"
        rows.append(["`ask` p95 at 1M records", "< 500 ms", p95, ok(fit["p95"] < 500)])
        rows.append(["bot RSS at 1M records", "< 4 GB", rss, ok(fit["rss"] < 4 * GB)])
    q = res.get("quality", {}).get("summary", {}).get("mean")
    if q:
        h, d, b = q["hybrid"]["p10"], q["dense"]["p10"], q["bm25"]["p10"]
        vs = f"{h:.2f} vs {d:.2f} / {b:.2f}"
        rows.append(
            ["hybrid beats dense / BM25 (mean P@10)", "hybrid > both", vs, ok(h > max(d, b))]
        )
        rows.append(["hybrid mean precision@10", ">= 0.75", f"{h:.2f}", ok(h >= 0.75)])
    f = res.get("faithfulness", {})
    if "airline" in f:
        n = sum(len(f[k]["answers"]) for k in ("airline", "demo"))
        good = sum(f[k]["faithful"] for k in ("airline", "demo"))
        rows.append(
            ["extractive answers faithful to the store", "all", f"{good}/{n}", ok(good == n)]
        )
    return rows


def busy_warning(raw: dict[str, Any]) -> list[str]:
    """Other processes' share of the CPU during the measurements, worst task first."""
    shares: list[tuple[float, str]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "other_cpu" in node and not where.endswith("server"):  # its server is "other"
                shares.append((float(node["other_cpu"]), where))
            for k, v in node.items():
                walk(v, f"{where}/{k}" if where else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(raw["results"], "")
    if not shares:
        return []
    worst, where = max(shares)
    mean = sum(s for s, _ in shares) / len(shares)
    if worst < 0.1:
        return [f"Other processes used at most {pct(worst)} of the CPU during any measurement.", ""]
    return [
        f"> **Warning**: other processes used {pct(mean)} of the CPU on average during the "
        f"measurements, up to {pct(worst)} (in {where}): timings and ratios are noisy.",
        "",
    ]


def header(raw: dict[str, Any]) -> list[str]:
    meta, cfg = raw["meta"], raw["config"]
    out = ["# Benchmarks", ""]
    if cfg["quick"]:
        points = ", ".join(n0(x) for x in cfg["scale_points"])
        out += [
            f"> **QUICK RUN (`--quick`)**: small subsets for development ({n0(cfg['tweets'])} "
            f"tweets, {cfg['questions']} questions, scale points {points}). These figures are "
            "placeholders: `make bench` on a quiet machine replaces them with the real ones.",
            "",
        ]
    out += busy_warning(raw)
    cpu = (
        f"{meta['cpu']}, {meta['cores_logical']} logical / {meta['cores_physical']} physical cores"
    )
    load = f"start {fmt_load(meta['load_start'])}, end {fmt_load(meta['load_end'])}"
    out += [
        f"Generated by `{meta['command']}` on {meta['date']} in {meta['total_s'] / 60:.1f} min. "
        "Every comparison was measured side by side in this one run, each measurement in a fresh "
        "process. `make bench` rewrites this page.",
        "",
        "## Machine and versions",
        "",
        table(
            ["", ""],
            [
                ["CPU", cpu],
                ["RAM", f"{meta['ram_gb']:.1f} GB"],
                ["OS", meta["os"]],
                ["load average (1/5/15 min)", load],
                ["Python", meta["python"]],
                *[[k, v] for k, v in meta["versions"].items()],
                ["cxbot commit", meta["cxbot_commit"]],
            ],
        ),
        "",
        "## Reproduce",
        "",
        "```",
        "make bench                                    # .venv/bin/python -m benchmarks.run",
        "make bench BENCH_ARGS=--quick                 # small subsets, for development",
        "make bench BENCH_ARGS=--scale-1m              # adds the 1M-record scale point (long)",
        ".venv/bin/python -m benchmarks.run --only quality,faithfulness --keep --json out.json",
        'cxbot ask "..." --json > a.json && .venv/bin/python -m benchmarks.faithfulness a.json',
        "```",
        "",
        "Data: `../shared/data/airline/tweets.csv` (14,640 tweets, written without their label "
        "columns before ingest) and `dot_metrics_2015_02.csv` (US DOT on-time report, for gaps).",
        "",
    ]
    return out


SECTIONS = [
    ("1. Ingest throughput", "ingest"),
    ("2. Question latency", "latency"),
    ("3. Scale", "scale"),
    ("4. Retrieval quality (labels held out)", "quality"),
    ("5. Answer faithfulness (extractive mode)", "faithfulness"),
    ("6. How verbatims are read (labels held out)", "reading"),
    ("7. Key drivers: what costs the score (issue 17)", "drivers"),
    ("8. Question understanding (issue 16)", "understanding"),
    ("9. Themes that fit the data (issue 15)", "themes"),
    ("10. Slack under load: mentions, /cx, assistant threads, App Home (issue 20)", "slack_load"),
    ("11. Alert back-test on the airline tweets (issue 20)", "alerts"),
]


def section(key: str, r: dict[str, Any], res: dict[str, Any]) -> str:
    if key == "ingest":
        return ingest_tables(r)
    if key == "latency":
        return latency_tables(r)
    if key == "scale":
        return scale_tables(r, embed_rate(res)) + "\n\n" + SCALE_LEGEND
    if key == "quality":
        return QUALITY_LEGEND + "\n\n" + quality_tables(r)
    if key == "reading":
        return reading_tables(r)
    if key == "drivers":
        from benchmarks.drivers import tables as drivers_tables

        return drivers_tables(r)
    if key == "themes":
        from benchmarks.themes import tables as themes_tables

        return themes_tables(r)
    if key == "understanding":
        from benchmarks.understanding import tables as understanding_tables

        return understanding_tables(r)
    if key == "slack_load":
        from benchmarks.slack_load import tables as slack_load_tables

        return slack_load_tables(r)
    if key == "alerts":
        from benchmarks.alerts_backtest import tables as alerts_tables

        return alerts_tables(r)
    return FAITH_LEGEND + "\n\n" + faithfulness_tables(r)


def render(raw: dict[str, Any]) -> str:
    res = raw["results"]
    out = header(raw)
    out += ["## Goals (issue 8)", "", table(["goal", "target", "measured", "met"], goals(res)), ""]
    for title, key in SECTIONS:
        out += [f"## {title}", ""]
        r = res.get(key)
        if r is None:
            out += ["Not run (`--only`).", ""]
        elif "error" in r:
            out += [f"**Failed**: {r['error']}", ""]
        else:
            try:
                out += [section(key, r, res), ""]
            except (KeyError, TypeError, ZeroDivisionError, IndexError) as exc:
                out += [f"Incomplete results ({type(exc).__name__}: {exc}).", ""]
    out += ["## Analysis", ""] + [f"- {x}" for x in analysis(res)]
    found = list(findings(res))
    if found:
        out += ["", "### What the figures point to in the library", ""]
        out += [f"{i}. {x}" for i, x in enumerate(found, 1)]
    out += ["", "## Headline ratios", "", headline(res), ""]
    return "\n".join(out)


def fmt_load(x: Any) -> str:
    return " / ".join(f"{v:.2f}" for v in x)


def headline(res: dict[str, Any]) -> str:
    parts = []
    ing = res.get("ingest", {})
    if "ratios" in ing:
        r = ing["ratios"]
        parts.append(
            f"cold ingest {n1(ing['cold']['rec_s'])} records/s = **{pct(r['cold_vs_raw'])} of the "
            f"raw embedding limit** and **{r['cold_vs_naive']:.1f}x the naive langchain + Chroma "
            "baseline**"
        )
        parts.append(f"unchanged re-ingest {median(x['seconds'] for x in ing['unchanged']):.2f} s")
    lat = res.get("latency", {})
    if "ask" in lat:
        parts.append(f"`ask` p95 {lat['ask']['p95']:.0f} ms warm at {n0(lat['records'])} records")
    fit = scale_fit(res, 1_000_000)
    if fit:
        how = "measured" if fit["how"] == "measured" else "extrapolated"
        parts.append(f"1M records ({how}): p95 ~{fit['p95']:.0f} ms, RSS ~{fit['rss'] / GB:.1f} GB")
    q = res.get("quality", {}).get("summary", {}).get("mean")
    if q:
        h, d, b = q["hybrid"]["p10"], q["dense"]["p10"], q["bm25"]["p10"]
        parts.append(
            f"hybrid P@10 {h:.2f} = {h / max(d, 1e-9):.2f}x dense, {h / max(b, 1e-9):.2f}x BM25"
        )
    f = res.get("faithfulness", {})
    if "airline" in f:
        n = sum(len(f[k]["answers"]) for k in ("airline", "demo"))
        parts.append(f"{sum(f[k]['faithful'] for k in ('airline', 'demo'))}/{n} answers faithful")
    return "; ".join(parts) + "." if parts else "No results."


SCALE_LEGEND = (
    "The first row is the real index; larger ones are synthetic (a real tweet plus a few words of "
    "another, its vector a mix of theirs: `benchmarks/synthetic.py`), built through the real "
    "`run_ingest` with only the embedding stubbed, so *build s* is the pipeline without the "
    "model; *projected re-index* adds the embedding at the cold ingest's measured embed rate. "
    "*First answer*: corpus load plus the first `ask` of a fresh bot process (which may fetch "
    "every vector for in-memory search). *Dense / BM25 search*: `Engine.search` in that mode, "
    "k=10, no filter. *Chroma query*: one query of Chroma's index for the 100 nearest, with a "
    "filter that matches nearly every record (`kind = verbatim`) and without one (what cxbot "
    "sends on the HNSW path: one such query per question). At the largest point "
    "the index is also queried with dense search forced onto the HNSW path, embedded and "
    "through a `chroma run` server. RSS is the bot process's; disk includes the vector cache."
)
QUALITY_LEGEND = (
    'For each `negativereason` category (except "Can\'t Tell") 2-3 questions worded as a leader '
    "would ask them (`benchmarks/questions.py`); the labels never enter the index (ingested "
    "columns: tweet_id, airline, text, tweet_created). The same `Engine.understand` filters feed "
    "`Engine.search(k=10)` in each mode; a hit is relevant when its hidden label is the category. "
    "*`ask` cited precision* scores the verbatims `ask(limit=10)` actually cites."
)
FAITH_LEGEND = (
    "Every answer's JSON (`Answer.as_dict()`) is run through `benchmarks/faithfulness.py`: each "
    "citation must exist in the catalog and in Chroma with the same text and metadata, every "
    "figure must recount from the catalog (gap figures against a fresh `analyse()` and an "
    "independent recount), and each cited record must be one its line counts. The control "
    "answer has one fabricated citation and one figure off by one."
)
