"""Fit the learned reading (`ingest/models/reading.npz`) from the project's training set.

`python -m ingest.reading_train` embeds `ingest/reading_data/train.jsonl` with the real local
MiniLM, chooses the regularisation, class weighting and how much the rule features count by
5-fold cross-validation on that set only, grouped by industry (each fold's texts come from
industries the fit never saw), refits on all of it, calibrates the polarity head's
probabilities on the out-of-fold logits (`calibrate`) and writes the weights. Deterministic:
the same training set gives the same file. `--cv-only` prints the cross-validated figures.
Needs scikit-learn (a dependency already, for theme discovery); ingest itself never trains.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.config import Settings
from ingest.embedder import LOCAL_MODEL_ID, get_embedder
from ingest.reading import RULE_FEATURES, clean, read, rule_features
from ingest.reading_model import INTENTS, POLARITIES, Head, ReadingModel, default_path

TRAIN = Path(__file__).parent / "reading_data" / "train.jsonl"
GRID_C = (0.003, 0.01, 0.03, 0.1, 0.3)
GRID_RULE_WEIGHT = (0.0, 1.0, 3.0, 10.0)  # 0: the vector alone
GRID_BALANCED = (False, True)
FOLDS = 5  # grouped by industry: 13 groups (12 industries and the short texts) in 5 folds


@dataclass(frozen=True)
class TrainSet:
    texts: list[str]
    polarity: np.ndarray  # index into POLARITIES
    intent: np.ndarray  # index into INTENTS
    groups: np.ndarray  # industry
    features: np.ndarray  # [vector, rule features]
    sha256: str


def load_rows(path: Path = TRAIN) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def build(path: Path = TRAIN, settings: Settings | None = None) -> TrainSet:
    rows = load_rows(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    texts = [r["text"] for r in rows]
    embedder = get_embedder(settings or Settings(embeddings="local"))
    if embedder.model_id != LOCAL_MODEL_ID:
        raise SystemExit(
            f"the reading is fitted on {LOCAL_MODEL_ID} vectors, not {embedder.model_id}"
        )
    vectors = embedder.embed(texts)
    rules = np.array([rule_features(clean(t)) for t in texts], dtype=np.float32)
    return TrainSet(
        texts=texts,
        polarity=np.array([POLARITIES.index(r["polarity"]) for r in rows]),
        intent=np.array([INTENTS.index(r["intent"]) for r in rows]),
        groups=np.array([r["industry"] for r in rows]),
        features=np.hstack([vectors, rules]),
        sha256=digest,
    )


def _fit(x: np.ndarray, y: np.ndarray, c: float, rule_weight: float, balanced: bool) -> Head:
    """Standardise, weight the rule columns, fit; fold all of it into one linear head."""
    from sklearn.linear_model import LogisticRegression

    n_rules = len(RULE_FEATURES)
    mean = x.mean(axis=0)
    sd = x.std(axis=0)
    sd[sd < 1e-8] = 1.0
    gain = np.ones(x.shape[1])
    gain[-n_rules:] = rule_weight
    xs = (x - mean) / sd * gain
    lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None).fit(
        xs, y
    )
    w = lr.coef_ * gain / sd
    b = lr.intercept_ - (lr.coef_ * gain * mean / sd).sum(axis=1)
    return Head(tuple(str(k) for k in lr.classes_), w.astype(np.float32), b.astype(np.float32))


def _logits(head: Head, x: np.ndarray) -> np.ndarray:
    return x @ head.weights.T + head.bias


def out_of_fold(ts: TrainSet, y: np.ndarray, c: float, w: float, balanced: bool) -> np.ndarray:
    """Each text predicted by a fit that saw none of its industry's texts."""
    return oof_logits(ts, y, c, w, balanced).argmax(axis=1)


def oof_logits(ts: TrainSet, y: np.ndarray, c: float, w: float, balanced: bool) -> np.ndarray:
    """Each text's logits (in class order 0..k-1) from a fit that saw none of its industry."""
    from sklearn.model_selection import GroupKFold

    out = np.full((len(y), int(y.max()) + 1), -1e9)  # a class a fold never saw: never chosen
    for _, idx in GroupKFold(n_splits=FOLDS).split(ts.features, y, ts.groups):
        test = np.zeros(len(y), dtype=bool)
        test[idx] = True
        head = _fit(ts.features[~test], y[~test], c, w, balanced)
        cols = [int(k) for k in head.classes]
        out[np.ix_(test, cols)] = _logits(head, ts.features[test])
    return out


def _nll(logits: np.ndarray, y: np.ndarray) -> float:
    z = logits - logits.max(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-lp[np.arange(len(y)), y].mean())


def calibrate(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Bias-corrected temperature scaling (Guo et al. 2017; Alexandari et al. 2020) of
    out-of-fold logits: one temperature and one offset per class, by likelihood. The strong
    regularisation leaves the fit under-confident and the balanced class weights pretend the
    classes are equally common; after this, a probability of 0.8 is right about 8 times in 10
    on texts from industries the fit never saw, at the training set's own class mix."""
    from scipy.optimize import minimize

    k = logits.shape[1]

    def loss(p: np.ndarray) -> float:
        return _nll(logits / p[0] + p[1:], y)

    x0 = np.r_[1.0, np.zeros(k)]
    bounds = [(0.05, 20.0)] + [(-10.0, 10.0)] * k
    got = minimize(loss, x0, method="L-BFGS-B", bounds=bounds)
    offset = got.x[1:] - got.x[1:].mean()  # only differences matter: a unique answer
    return float(got.x[0]), offset


def figures(pred: np.ndarray, gold: np.ndarray, n_classes: int, negative: int = 0) -> dict:
    f1s = []
    out: dict[str, Any] = {"n": int(len(gold)), "accuracy": float((pred == gold).mean())}
    for k in range(n_classes):
        tp = int(((pred == k) & (gold == k)).sum())
        p = tp / max(1, int((pred == k).sum()))
        r = tp / max(1, int((gold == k).sum()))
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        if k == negative:
            out["complaint_precision"], out["complaint_recall"] = p, r
    out["macro_f1"] = float(np.mean(f1s))
    out["share_negative"] = float((pred == negative).mean())
    out["labelled_negative"] = float((gold == negative).mean())
    return out


def choose(ts: TrainSet, log: bool = True) -> dict[str, Any]:
    """The grid point with the best grouped-CV macro-F1, per head."""
    best: dict[str, Any] = {}
    for head, y, k in (("polarity", ts.polarity, 3), ("intent", ts.intent, 5)):
        results = []
        for c in GRID_C:
            for w in GRID_RULE_WEIGHT:
                for bal in GRID_BALANCED:
                    f = figures(out_of_fold(ts, y, c, w, bal), y, k)
                    results.append((f["macro_f1"], -c, -w, not bal, c, w, bal, f))
                    if log:
                        print(
                            f"{head} C={c} rule_weight={w} balanced={bal}: "
                            f"macro-F1 {f['macro_f1']:.3f}",
                            file=sys.stderr,
                        )
        top = max(results, key=lambda r: r[:4])
        vec_only = max((r for r in results if r[5] == 0.0), key=lambda r: r[:4])
        best[head] = {
            "C": top[4],
            "rule_weight": top[5],
            "balanced": top[6],
            "cv": top[7],
            "cv_vector_only": vec_only[7],
        }
        if head == "polarity":
            logits = oof_logits(ts, y, top[4], top[5], top[6])
            t, offset = calibrate(logits, y)
            cal = logits / t + offset
            best[head]["calibration"] = {
                "temperature": t,
                "offset": [float(v) for v in offset],
                "cv_nll_before": _nll(logits, y),
                "cv_nll_after": _nll(cal, y),
                "cv_after": figures(cal.argmax(axis=1), y, k),
            }
    best["rules_v2_on_train"] = rules_figures(ts)
    return best


def rules_figures(ts: TrainSet) -> dict[str, Any]:
    """The rules (reading version 2) on the training texts: nothing to fit, nothing to fold."""
    pred = np.array([read(t).polarity + 1 for t in ts.texts])  # -1/0/1 -> POLARITIES index
    return figures(pred, ts.polarity, 3)


def fit(ts: TrainSet, chosen: dict[str, Any]) -> ReadingModel:
    heads = {}
    for head, y, names in (("polarity", ts.polarity, POLARITIES), ("intent", ts.intent, INTENTS)):
        p = chosen[head]
        h = _fit(ts.features, y, p["C"], p["rule_weight"], p["balanced"])
        if "calibration" in p:  # folded into the weights: nothing changes at run time
            t, offset = p["calibration"]["temperature"], p["calibration"]["offset"]
            shift = np.array([offset[int(k)] for k in h.classes], dtype=np.float32)
            h = Head(h.classes, h.weights / t, h.bias / t + shift)
        heads[head] = Head(tuple(names[int(k)] for k in h.classes), h.weights, h.bias)
    meta = json.dumps({"train_sha256": ts.sha256, **chosen}, sort_keys=True)
    dim = ts.features.shape[1] - len(RULE_FEATURES)
    return ReadingModel(LOCAL_MODEL_ID, dim, heads["polarity"], heads["intent"], meta)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ingest.reading_train", description=__doc__)
    ap.add_argument("--train", type=Path, default=TRAIN)
    ap.add_argument("--out", type=Path, default=default_path())
    ap.add_argument("--cv-only", action="store_true", help="print the CV figures, write nothing")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    ts = build(args.train)
    with threadpool_limits(1):  # small fits: BLAS threads only contend (15x slower on 2 cores)
        chosen = choose(ts)
        model = fit(ts, chosen)
    print(json.dumps(chosen, indent=1))
    if not args.cv_only:
        model.save(args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
