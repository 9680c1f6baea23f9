"""How verbatims are read (polarity, complaint), against human labels the index never sees.

Side by side in one run: VADER on the raw text, the rules (reading version 2, `read`), and the
learned reading over the MiniLM vectors (version 4, `read_many`, what ingest now stores), with
and without its calibration (undone from the shipped file's meta).
Airline tweets: also the polarity stored in the index the ingest benchmark built (from an
unlabelled copy: id, airline, text, date) against the annotators' `airline_sentiment`. A
complaint = stored intent `complaint`; a labelled complaint = `negative`. Clothing reviews:
each reading with the review's own rating (as an ingest with the Rating column as score does)
and from the text alone (as for a source with no score): 1-2 stars should read as complaints,
5 stars should not (all 1-2 star reviews, an evenly spaced sample of the 5-star ones). And the
learned reading's grouped cross-validated figure on its own training set.
`python -m benchmarks.reading [INDEX_DIR]` prints the figures as JSON.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import ROOT, TWEETS
from benchmarks.config import Ctx
from ingest.config import Settings
from ingest.embedder import get_embedder
from ingest.reading import read, read_many
from ingest.reading_model import Head, ReadingModel, bundled
from ingest.sentiment import NEGATIVE, POSITIVE, compound
from ingest.store import VectorStore

REVIEWS = ROOT.parent / "shared" / "data" / "womens_clothing_reviews" / "reviews.csv"
CLASSES = (-1, 0, 1)
POLARITY_ORDER = ("negative", "neutral", "positive")  # the training labels' class indices
LABEL = {"negative": -1, "neutral": 0, "positive": 1}
FIVE_STAR_SAMPLE = 3000
CACHE = Path(tempfile.gettempdir()) / "cxbot-bench-vectors"


def uncalibrated(model: ReadingModel) -> ReadingModel | None:
    """The shipped fit without the calibration of its polarity probabilities: the calibration
    is folded into the weights, so it is undone from the meta."""
    cal = json.loads(model.meta).get("polarity", {}).get("calibration")
    if not cal:
        return None
    h = model.polarity
    t = cal["temperature"]
    shift = np.array([cal["offset"][POLARITY_ORDER.index(c)] for c in h.classes], np.float32)
    pol = Head(h.classes, h.weights * t, (h.bias - shift) * t)
    return ReadingModel(model.model_id, model.dim, pol, model.intent, model.meta)


def _vader(text: str) -> int:
    s = compound(text)
    return -1 if s <= NEGATIVE else 1 if s >= POSITIVE else 0


def scores(pred: list[int], gold: list[int]) -> dict[str, float]:
    """3-class accuracy, macro-F1, share negative, and complaint (= negative) P/R."""
    n = len(gold)
    out: dict[str, float] = {
        "n": n,
        "accuracy": sum(p == g for p, g in zip(pred, gold, strict=True)) / n,
    }
    f1s = []
    for c in CLASSES:
        tp = sum(p == c and g == c for p, g in zip(pred, gold, strict=True))
        fp = sum(p == c and g != c for p, g in zip(pred, gold, strict=True))
        fn = sum(p != c and g == c for p, g in zip(pred, gold, strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        if c == -1:
            out["complaint_precision"], out["complaint_recall"] = prec, rec
    out["macro_f1"] = sum(f1s) / 3
    out["share_negative"] = sum(p == -1 for p in pred) / n
    out["labelled_negative"] = sum(g == -1 for g in gold) / n
    return out


def embed_cached(texts: list[str]) -> tuple[np.ndarray, float]:
    """The texts' vectors (cached on disk by content: a re-run skips the model) and the
    seconds the model took (0 from the cache)."""
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"{key}.npy"
    if path.exists():
        return np.load(path), 0.0
    t = time.perf_counter()
    vectors = get_embedder(Settings(embeddings="local")).embed(texts)
    took = time.perf_counter() - t
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, took


def _index_vectors(index: Path, ids: list[str]) -> np.ndarray | None:
    """The vectors the ingest stored, read back from the index's Chroma."""
    settings = Settings(data_dir=index, chroma_url=None, embeddings="local")
    e = get_embedder(settings)
    store = VectorStore(settings, e.model_id, e.dim, settings.generation().collection)
    return store.fetch_vectors(ids)


def _timed(fn: Any, n: int) -> tuple[Any, float]:
    t = time.perf_counter()
    got = fn()
    return got, (time.perf_counter() - t) * 1000 / max(1, n) * 1000


def tweets(index: Path | None) -> dict[str, Any]:
    gold: dict[str, int] = {}
    texts: dict[str, str] = {}
    with TWEETS.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            gold.setdefault(row["tweet_id"], LABEL[row["airline_sentiment"]])
            texts.setdefault(row["tweet_id"], row["text"])
    out: dict[str, Any] = {}
    catalog = index / "catalog.sqlite" if index else None
    if index and (index / "generation.json").exists():
        catalog = Settings(data_dir=index, chroma_url=None).catalog_path
    stored_ids: dict[str, str] = {}
    if catalog and catalog.exists():
        db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
        stored = {}
        for i, p, intent in db.execute(
            "SELECT id, polarity, intent FROM records WHERE kind='verbatim'"
        ):
            stored[str(i).partition(":")[2]] = (int(p), str(intent))
            stored_ids[str(i).partition(":")[2]] = str(i)
        db.close()
        ids = [i for i in stored if i in gold]
        out["index"] = scores([stored[i][0] for i in ids], [gold[i] for i in ids])
        # the intent figure: a complaint is what answers and gaps count as one
        complaint = [stored[i][1] == "complaint" for i in ids]
        labelled = [gold[i] == -1 for i in ids]
        tp = sum(a and b for a, b in zip(complaint, labelled, strict=True))
        out["index"]["intent_complaint_precision"] = tp / max(1, sum(complaint))
        out["index"]["intent_complaint_recall"] = tp / max(1, sum(labelled))
    else:
        ids = list(gold)
    y = [gold[i] for i in ids]
    raw = [texts[i] for i in ids]
    vader, out["vader_ms_per_1000"] = _timed(lambda: [_vader(t) for t in raw], len(ids))
    out["vader"] = scores(vader, y)
    v2, out["rules_ms_per_1000"] = _timed(lambda: [read(t).polarity for t in raw], len(ids))
    out["rules_v2"] = scores(v2, y)
    vectors = None
    if stored_ids and index is not None:
        vectors = _index_vectors(index, [stored_ids[i] for i in ids])
        out["vectors_from"] = "the index"
    if vectors is None:
        vectors, took = embed_cached(raw)
        out["vectors_from"] = "embedded here"
        if took:
            out["embed_ms_per_1000"] = took * 1000 / len(ids) * 1000
    v4, out["learned_ms_per_1000"] = _timed(lambda: read_many(raw, vectors), len(ids))
    out["learned_v4"] = scores([r.polarity for r in v4], y)
    old = uncalibrated(bundled())
    if old is not None:
        raw_fit = read_many(raw, vectors, model=old)
        out["learned_uncalibrated"] = scores([r.polarity for r in raw_fit], y)
    return out


def reviews() -> dict[str, Any]:
    if not REVIEWS.exists():
        return {"error": f"{REVIEWS} is not present"}
    low: list[tuple[str, float]] = []
    five: list[tuple[str, float]] = []
    with REVIEWS.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = ". ".join(x for x in (row["Title"].strip(), row["Review Text"].strip()) if x)
            if not row["Review Text"].strip():
                continue
            r = float(row["Rating"])
            if r <= 2:
                low.append((text, r))
            elif r == 5:
                five.append((text, r))
    five_n = len(five)
    if len(five) > FIVE_STAR_SAMPLE:
        step = len(five) / FIVE_STAR_SAMPLE
        five = [five[int(i * step)] for i in range(FIVE_STAR_SAMPLE)]
    rows = low + five
    texts = [t for t, _ in rows]
    vectors, took = embed_cached(texts)
    out: dict[str, Any] = {
        "low_star_n": len(low),
        "five_star_n": five_n,
        "five_star_sample": len(five),
    }
    if took:
        out["embed_ms_per_1000"] = took * 1000 / len(rows) * 1000
    for how, use in (("with_rating", True), ("text_only", False)):
        ratings = [r if use else None for _, r in rows]
        scale = 5.0 if use else None
        v2 = [read(t, r, scale).intent == "complaint" for t, r in zip(texts, ratings, strict=True)]
        v4 = [x.intent == "complaint" for x in read_many(texts, vectors, ratings, scale)]
        runs = [("rules_v2", v2), ("learned_v4", v4)]
        old = uncalibrated(bundled())
        if old is not None:
            got3 = read_many(texts, vectors, ratings, scale, model=old)
            runs.append(("learned_uncalibrated", [x.intent == "complaint" for x in got3]))
        for name, got in runs:
            out.setdefault(name, {})[how] = {
                "low_star_complaint_recall": sum(got[: len(low)]) / max(1, len(low)),
                "five_star_false_complaint": sum(got[len(low) :]) / max(1, len(five)),
            }
    vader_low = [_vader(t) < 0 for t, _ in low]
    out["vader_text_low_star_negative"] = sum(vader_low) / max(1, len(vader_low))
    return out


def train_cv() -> dict[str, Any]:
    """The learned reading's settings re-fitted fold by fold on its training set (grouped by
    industry), against the training labels; the rules on the same texts."""
    from threadpoolctl import threadpool_limits

    from ingest import reading_train as rt

    meta = json.loads(bundled().meta)
    ts = rt.build()
    with threadpool_limits(1):
        return _train_cv(rt, ts, meta)


def _train_cv(rt: Any, ts: Any, meta: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"train_sha256_matches": meta.get("train_sha256") == ts.sha256}
    p = meta["polarity"]
    logits = rt.oof_logits(ts, ts.polarity, p["C"], p["rule_weight"], p["balanced"])
    out["learned_uncalibrated"] = rt.figures(logits.argmax(axis=1), ts.polarity, 3)
    # the calibration fitted on these same out-of-fold logits (4 numbers over 1,427 texts)
    t, offset = rt.calibrate(logits, ts.polarity)
    out["learned_v4"] = rt.figures((logits / t + offset).argmax(axis=1), ts.polarity, 3)
    q = meta["intent"]
    ipred = rt.out_of_fold(ts, ts.intent, q["C"], q["rule_weight"], q["balanced"])
    out["intent_accuracy"] = float((ipred == ts.intent).mean())
    out["rules_v2"] = rt.rules_figures(ts)
    return out


def run(ctx: Ctx) -> dict[str, Any]:
    ctx.say("reading: polarity and complaints against the held-out labels")
    return {"tweets": tweets(ctx.index), "reviews": reviews(), "train_cv": train_cv()}


if __name__ == "__main__":
    where = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    print(
        json.dumps(
            {"tweets": tweets(where), "reviews": reviews(), "train_cv": train_cv()}, indent=1
        )
    )
