"""How verbatims are read (polarity, complaint), against human labels the index never sees.

Airline tweets: the polarity stored in the index the ingest benchmark built (from an unlabelled
copy: id, airline, text, date) against the annotators' `airline_sentiment`; VADER on the raw
text side by side in the same run. A complaint = stored intent `complaint`; a labelled
complaint = `negative`. Clothing reviews: the reading with the review's own rating (as an
ingest with the Rating column as score does) and from the text alone (as for a source with
no score), against the rating: 1-2 stars should read as complaints, 5 stars should not.
`python -m benchmarks.reading [INDEX_DIR]` prints the figures as JSON.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, TWEETS
from benchmarks.config import Ctx
from ingest.reading import read
from ingest.sentiment import NEGATIVE, POSITIVE, compound

REVIEWS = ROOT.parent / "shared" / "data" / "womens_clothing_reviews" / "reviews.csv"
CLASSES = (-1, 0, 1)
LABEL = {"negative": -1, "neutral": 0, "positive": 1}


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


def tweets(index: Path | None) -> dict[str, Any]:
    gold: dict[str, int] = {}
    texts: dict[str, str] = {}
    with TWEETS.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            gold.setdefault(row["tweet_id"], LABEL[row["airline_sentiment"]])
            texts.setdefault(row["tweet_id"], row["text"])
    out: dict[str, Any] = {}
    catalog = index / "catalog.sqlite" if index else None
    if catalog and catalog.exists():
        db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
        stored = {
            str(i).partition(":")[2]: (int(p), str(intent))
            for i, p, intent in db.execute(
                "SELECT id, polarity, intent FROM records WHERE kind='verbatim'"
            )
        }
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
    t = time.perf_counter()
    out["vader"] = scores([_vader(texts[i]) for i in ids], [gold[i] for i in ids])
    out["vader_ms_per_1000"] = (time.perf_counter() - t) * 1000 / len(ids) * 1000
    t = time.perf_counter()
    direct = [read(texts[i]).polarity for i in ids]
    out["reading_ms_per_1000"] = (time.perf_counter() - t) * 1000 / len(ids) * 1000
    out["direct_no_names"] = scores(direct, [gold[i] for i in ids])
    return out


def reviews() -> dict[str, Any]:
    if not REVIEWS.exists():
        return {"error": f"{REVIEWS} is not present"}
    rows = []
    with REVIEWS.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = ". ".join(x for x in (row["Title"].strip(), row["Review Text"].strip()) if x)
            if row["Review Text"].strip():
                rows.append((text, float(row["Rating"])))
    out: dict[str, Any] = {"n": len(rows)}
    for how, use_score in (("with_rating", True), ("text_only", False)):
        got = [
            read(t, r if use_score else None, 5.0 if use_score else None).intent == "complaint"
            for t, r in rows
        ]
        low = [c for c, (_, r) in zip(got, rows, strict=True) if r <= 2]
        five = [c for c, (_, r) in zip(got, rows, strict=True) if r == 5]
        out[how] = {
            "low_star_n": len(low),
            "low_star_complaint_recall": sum(low) / max(1, len(low)),
            "five_star_n": len(five),
            "five_star_false_complaint": sum(five) / max(1, len(five)),
        }
    vader_low = [_vader(t) < 0 for t, r in rows if r <= 2]
    out["vader_text_low_star_negative"] = sum(vader_low) / max(1, len(vader_low))
    return out


def run(ctx: Ctx) -> dict[str, Any]:
    ctx.say("reading: polarity and complaints against the held-out labels")
    return {"tweets": tweets(ctx.index), "reviews": reviews()}


if __name__ == "__main__":
    where = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    print(json.dumps({"tweets": tweets(where), "reviews": reviews()}, indent=1))
