"""Markdown tables for docs/benchmarks.md, one function per benchmark section."""

from __future__ import annotations

from statistics import median
from typing import Any


def table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def n0(x: float) -> str:
    return f"{x:,.0f}"


def n1(x: float) -> str:
    return f"{x:,.1f}"


def n2(x: float) -> str:
    return f"{x:,.2f}"


def ms(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:.1f}"


def pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def ingest_tables(r: dict[str, Any]) -> str:
    raw, cold, naive, rat = r["raw"], r["cold"], r["naive"], r["ratios"]
    passes = ", ".join(n1(x) for x in raw.get("passes_rec_s", []))
    rows = [
        [
            "raw embedding limit (tokenize + ONNX only)",
            n0(raw["texts"]),
            n1(raw["seconds"]),
            n1(raw["rec_s"]),
            "1.00x",
            f"{raw['rec_s'] / naive['rec_s']:.1f}x",
        ],
        [
            "**cxbot cold ingest** (`run_ingest`, fresh process, empty index)",
            n0(cold["added"]),
            n1(cold["seconds"]),
            f"**{n1(cold['rec_s'])}**",
            f"**{rat['cold_vs_raw']:.2f}x**",
            f"**{rat['cold_vs_naive']:.1f}x**",
        ],
        [
            "naive: langchain `Chroma.add_texts` + stock ONNX MiniLM "
            f"({n0(naive['records'])}-text subset)",
            n0(naive["records"]),
            n1(naive["seconds"]),
            n1(naive["rec_s"]),
            f"{naive['rec_s'] / raw['rec_s']:.2f}x",
            "1.0x",
        ],
    ]
    out = [
        table(["path", "records", "seconds", "records/s", "vs raw limit", "vs naive"], rows),
        "",
        f"Mean {raw['mean_tokens']:.1f} tokens per text; dynamic padding adds "
        f"{pct(raw['padding_overhead'])} pad tokens, the stock function pads every text to 256. "
        f"Raw limit: the faster of two passes ({passes} records/s). "
        f"The naive store holds the same vectors (cosine with cxbot's: min "
        f"{naive['cosine_min']:.4f}). Model load: {raw['model_load_s']:.2f} s (not in the raw "
        f"limit; inside the cold ingest).",
        "",
        "Incremental re-ingest of the same file (the real CLI, `cxbot ingest ... --json`):",
        "",
    ]
    un = r["unchanged"]
    ch = r["changed"]
    out.append(
        table(
            ["case", "rows", "updated", "unchanged", "in-pipeline s", "CLI wall s"],
            [
                [
                    f"nothing changed (median of {len(un)})",
                    n0(un[0]["unchanged"] + un[0]["updated"]),
                    n0(un[0]["updated"]),
                    n0(un[0]["unchanged"]),
                    n2(median(x["seconds"] for x in un)),
                    n2(median(x["wall_s"] for x in un)),
                ],
                [
                    f"1% of rows changed ({n0(r['changed_rows'])} texts edited)",
                    n0(ch["unchanged"] + ch["updated"]),
                    n0(ch["updated"]),
                    n0(ch["unchanged"]),
                    n2(ch["seconds"]),
                    n2(ch["wall_s"]),
                ],
                *(
                    [
                        [
                            "a new taxonomy (one theme added: every record re-themed, "
                            "stored vectors reused)",
                            n0(rt["unchanged"] + rt["updated"]),
                            n0(rt["updated"]),
                            n0(rt["unchanged"]),
                            n2(rt["seconds"]),
                            n2(rt["wall_s"]),
                        ]
                    ]
                    if (rt := r.get("rethemed"))
                    else []
                ),
            ],
        )
    )
    out += ["", "Where the cold ingest's time goes (exclusive time per stage, same run):", ""]
    out.append(stage_table(cold["stages"]))
    if r.get("unchanged_stages"):
        out += [
            "",
            "Where an unchanged re-ingest's time goes (fresh process, nothing to embed):",
            "",
        ]
        out.append(stage_table(r["unchanged_stages"]["stages"], top=6))
    if raw.get("sweep"):
        out += [
            "",
            f"Raw limit by ONNX batch size ({n0(raw['sweep_texts'])} texts; cxbot uses 32):",
            "",
        ]
        out.append(
            table(
                ["batch", "records/s", "pad overhead"],
                [[s["batch"], n1(s["rec_s"]), pct(s["padding_overhead"])] for s in raw["sweep"]],
            )
        )
    prof = r.get("profile", {}).get("profile")
    if prof:
        out += [
            "",
            f"<details><summary>cProfile of a {n0(r['profile']['added'])}-record cold ingest "
            "(top functions by own time)</summary>",
            "",
            table(
                ["function", "calls", "own s", "cumulative s"],
                [
                    [f"`{p['function']}`", n0(p["calls"]), n2(p["tottime"]), n2(p["cumtime"])]
                    for p in prof
                ],
            ),
            "",
            "</details>",
        ]
    return "\n".join(out)


def stage_table(stages: list[dict[str, Any]], top: int = 20) -> str:
    return table(
        ["stage", "seconds", "share", "calls"],
        [
            [
                s["stage"],
                n2(s["s"]),
                pct(s["share"]),
                n0(s.get("calls", 0)) if s.get("calls") else "",
            ]
            for s in stages[:top]
        ],
    )


def latency_tables(r: dict[str, Any]) -> str:
    out = [
        table(
            ["path (warm, in-process)", "questions", "p50 ms", "p95 ms", "max ms", "mean ms"],
            [
                [
                    f"`ask` (extractive) on {n0(r['records'])} records",
                    r["ask"]["n"],
                    ms(r["ask"]["p50"]),
                    f"**{ms(r['ask']['p95'])}**",
                    ms(r["ask"]["max"]),
                    ms(r["ask"]["mean"]),
                ],
                [
                    "`gaps` (analyse + render, 21 metric x segment variants)",
                    r["gaps"]["n"],
                    ms(r["gaps"]["p50"]),
                    f"**{ms(r['gaps']['p95'])}**",
                    ms(r["gaps"]["max"]),
                    ms(r["gaps"]["mean"]),
                ],
            ],
        ),
        "",
        "Question mix: "
        + ", ".join(f"{k} {v}" for k, v in sorted(r["intents"].items(), key=lambda x: -x[1]))
        + f"; {r['enough_evidence']} of {r['ask']['n']} answered with enough evidence.",
        "",
        "`ask` stages (from `timings_ms`):",
        "",
        table(
            ["stage", "p50 ms", "p95 ms"],
            [[k, ms(v), ms(r["ask_stages_p95"][k])] for k, v in r["ask_stages_p50"].items()],
        ),
        "",
        "Cold start (a fresh process):",
        "",
    ]
    c = r["cold"]
    rows = [
        ["import bot + ingest", n2(c["import_s"])],
        ["`Engine()`: model, taxonomy prototypes, Chroma client", n2(c["engine_s"])],
        ["first corpus load: catalog rows, masks, BM25 index", n2(c["corpus_s"])],
        ["first `ask`", n2(c["first_ask_s"])],
    ]
    rows += [
        [f"CLI wall: `{k}` (median of {v['n']})", n2(v["p50"] / 1000)] for k, v in r["cli"].items()
    ]
    out.append(table(["step", "seconds"], rows))
    rss, peak = n0(r["rss_loaded_mb"]), n0(r["peak_rss_mb"])
    out += ["", f"Resident memory after loading: {rss} MB (peak {peak} MB)."]
    return "\n".join(out)


def _scale_row(p: dict[str, Any], q: dict[str, Any], embed_rate: float | None) -> list[str]:
    b = p.get("build")
    if b:
        build = f"{n1(b['build_s'])} (stub embed)"
        proj = n0(b["build_s"] + p["n"] / embed_rate) if embed_rate else "n/a"
        unchanged = n1(b["unchanged_s"])
        if "unchanged_rows_s" in b:  # files skipped / the row-by-row check
            unchanged = f"{unchanged} / {n1(b['unchanged_rows_s'])}"
    else:
        build, proj, unchanged = "see ingest", "", ""
    chroma = f"{ms(q['dense']['p95'])} / {ms(q['dense_unfiltered']['p95'])}"
    return [
        n0(q["records"]),
        p["kind"],
        build,
        proj,
        unchanged,
        n1(q["corpus_s"] + q["first_ask_s"]),
        f"{ms(q['ask']['p50'])} / **{ms(q['ask']['p95'])}**",
        f"{ms(q['dense_search']['p95'])} ({q['dense_path']})",
        ms(q["bm25_search"]["p95"]),
        chroma,
        ms(q["gaps"]["p95"]),
        f"{n0(q['rss_loaded_mb'])} / **{n0(q['peak_rss_mb'])}**",
        n0(p["disk_mb"]) if "disk_mb" in p else "",
    ]


VARIANTS = (
    ("hnsw", "same, dense search forced onto Chroma HNSW"),
    ("server", "same, HNSW in a `chroma run` server"),
)


def scale_tables(r: dict[str, Any], embed_rate: float | None) -> str:
    rows = []
    for p in r["points"]:
        q = p.get("query")
        if q is None:
            rows.append([n0(p["n"]), p["kind"], p.get("error", "not measured")] + [""] * 10)
            continue
        rows.append(_scale_row(p, q, embed_rate))
        for key, label in VARIANTS:
            v = p.get(key)
            if v:
                row = _scale_row({"n": p["n"], "kind": label}, v, None)
                row[2] = row[3] = row[4] = ""
                if "server_rss_mb" in v:
                    row[11] += f" (+ server {n0(v['server_rss_mb'])})"
                rows.append(row)
    headers = [
        "records",
        "data",
        "build s",
        "projected re-index s",
        "unchanged re-ingest s (skipped / row by row)",
        "first answer s",
        "ask p50 / p95 ms",
        "dense search p95 ms (path)",
        "BM25 search p95 ms",
        "Chroma query p95 ms (kind filter / none)",
        "gaps p95 ms",
        "bot RSS loaded / peak MB",
        "disk MB",
    ]
    return table(headers, rows)


def quality_tables(r: dict[str, Any]) -> str:
    s = r["summary"]
    rows = []
    for label, v in s["by_label"].items():
        rows.append(
            [label, n0(v["relevant_in_index"])]
            + [f"{v[m]['p10']:.2f} / {v[m]['ndcg10']:.2f}" for m in ("hybrid", "dense", "bm25")]
            + [f"{v['ask']['p_cited']:.2f}"]
        )
    m = s["mean"]
    rows.append(
        ["**mean over categories**", ""]
        + [f"**{m[x]['p10']:.2f} / {m[x]['ndcg10']:.2f}**" for x in ("hybrid", "dense", "bm25")]
        + [f"**{m['ask']['p_cited']:.2f}**"]
    )
    head = [
        "hidden label",
        "labelled in index",
        "hybrid P@10 / nDCG@10",
        "dense",
        "BM25",
        "`ask` cited precision",
    ]
    out = [table(head, rows), "", "<details><summary>Every question</summary>", ""]
    out.append(
        table(
            ["label", "question", "hybrid P@10", "dense P@10", "BM25 P@10", "ask cited"],
            [
                [q["label"], q["question"]]
                + [f"{q[x]['p10']:.1f}" for x in ("hybrid", "dense", "bm25")]
                + [f"{q['ask']['p_cited']:.2f} of {q['ask']['hits']}"]
                for q in r["questions"]
            ],
        )
    )
    out += ["", "</details>"]
    return "\n".join(out)


def faithfulness_tables(r: dict[str, Any]) -> str:
    rows = []
    for name, label in (("airline", "airline tweets + DOT report"), ("demo", "bundled demo data")):
        s = r[name]
        t = s["totals"]

        def ok(kind: str, t: dict[str, Any] = t) -> str:
            checked, failed = t[kind]
            return f"{checked - failed:,}/{checked:,}"

        ctl = s["control"]
        rows.append(
            [
                label,
                f"**{s['faithful']}/{len(s['answers'])}**",
                ok("citation"),
                ok("reference"),
                ok("figure"),
                ok("support"),
                ok("freshness"),
                s["unverified"],
                "yes" if s["gaps_report"]["faithful"] else "**no**",
                ("caught: " + ", ".join(ctl["failed_kinds"]))
                if ctl.get("caught")
                else "**missed**",
            ]
        )
    head = [
        "data",
        "faithful answers",
        "citations ok",
        "references ok",
        "figures ok",
        "cited records fit",
        "freshness ok",
        "unverified lines",
        "`gaps --json` faithful",
        "tampered control",
    ]
    out = [table(head, rows)]
    fails = [
        (a["question"], f)
        for n in ("airline", "demo")
        for a in r[n]["answers"]
        for f in a["failures"]
    ]
    unver = [
        (a["question"], u)
        for n in ("airline", "demo")
        for a in r[n]["answers"]
        for u in a["unverified"]
    ]
    if fails or unver:
        out += ["", "Failures:", ""]
        out += [f'- "{q}": {f["kind"]} {f["what"]}: {f["detail"]}' for q, f in fails[:20]]
        out += [f'- "{q}": unverified {u}' for q, u in unver[:10]]
    return "\n".join(out)


def reading_tables(r: dict[str, Any]) -> str:
    """Polarity and complaints against held-out labels: VADER, the rules (v2) and the learned
    reading (v4) with and without its calibration side by side in one run
    (benchmarks/reading)."""
    tw = r["tweets"]
    rows = []
    for name, key in (
        ("**cxbot reading v4 (learned, calibrated), as stored in the index**", "index"),
        ("learned reading v4 (calibrated), direct (no segment names)", "learned_v4"),
        ("the same fit before calibration, direct", "learned_uncalibrated"),
        ("rules v2 (the previous reading), direct", "rules_v2"),
        ("VADER", "vader"),
    ):
        if key in tw:
            x = tw[key]
            rows.append(
                [name, n0(x["n"]), pct(x["accuracy"]), n2(x["macro_f1"]),
                 f"{pct(x['share_negative'])} (labels {pct(x['labelled_negative'])})",
                 n2(x["complaint_precision"]), n2(x["complaint_recall"])]
            )  # fmt: skip
    out = table(
        ["airline tweets", "n", "3-class accuracy", "macro-F1", "share negative",
         "complaint precision", "complaint recall"],
        rows,
    )  # fmt: skip
    out += (
        f"\n\nReading cost per 1,000 texts: learned v4 {tw['learned_ms_per_1000']:.0f} ms "
        f"(the vectors are ingest's own, so no model time), rules v2 "
        f"{tw['rules_ms_per_1000']:.0f} ms, VADER alone {tw['vader_ms_per_1000']:.0f} ms."
    )
    rv = r["reviews"]
    if "error" not in rv:
        rrows = [
            [f"{label}, {how.replace('_', ' ')}", n0(rv["low_star_n"]),
             pct(rv[key][how]["low_star_complaint_recall"]),
             pct(rv[key][how]["five_star_false_complaint"])]
            for key, label in (("learned_v4", "learned v4"),
                               ("learned_uncalibrated", "same fit, uncalibrated"),
                               ("rules_v2", "rules v2"))
            if key in rv
            for how in ("with_rating", "text_only")
        ]  # fmt: skip
        out += "\n\n" + table(
            [
                "clothing reviews",
                "1-2 star reviews",
                "read as complaints",
                f"5-star read as complaints ({n0(rv['five_star_sample'])} of "
                f"{n0(rv['five_star_n'])}, evenly spaced)",
            ],
            rrows,
        )
        out += (
            f"\n\nVADER on the text alone reads {pct(rv['vader_text_low_star_negative'])} "
            "of 1-2 star reviews as negative."
        )
    cv = r.get("train_cv")
    if cv and "error" not in cv:
        crows = [
            [name, n0(x["n"]), pct(x["accuracy"]), n2(x["macro_f1"]),
             f"{pct(x['share_negative'])} (labels {pct(x['labelled_negative'])})",
             n2(x["complaint_precision"]), n2(x["complaint_recall"])]
            for name, x in (("learned v4, 5-fold CV grouped by industry", cv["learned_v4"]),
                            ("same fit, uncalibrated, same folds", cv["learned_uncalibrated"]),
                            ("rules v2 (nothing fitted)", cv["rules_v2"]))
        ]  # fmt: skip
        out += "\n\n" + table(
            ["training set (ingest/reading_data)", "n", "3-class accuracy", "macro-F1",
             "share negative", "complaint precision", "complaint recall"],
            crows,
        )  # fmt: skip
        out += f"\n\nIntent (5 classes), same folds: {pct(cv['intent_accuracy'])} accuracy."
    return out
