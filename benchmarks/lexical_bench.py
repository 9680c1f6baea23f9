"""BM25 at scale: build, save and memory-mapped load (ingest.lexical), and top-100 cost.

`python -m benchmarks.lexical_bench N` builds N synthetic tweet-like texts (a real tweet plus
the last words of another, as benchmarks.synthetic does), then times what the bot does per
question (`Lexical.scores` + mask + argpartition, as bot.ask.retrieval) against bm25s' own
`retrieve` (numpy backend; numba too when numba is importable: `--numba`). Not part of `make
bench`: it answers one design question (docs/benchmarks.md, section 3).
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import TWEETS
from ingest import lexical

QUERIES = [
    "delayed flight",
    "lost luggage bag",
    "rude customer service agent",
    "refund cancelled",
    "wifi",
    "seat legroom uncomfortable",
    "flight",
    "thank you great crew",
]


def texts(n: int, seed: int = 8) -> list[str]:
    with TWEETS.open(newline="", encoding="utf-8") as fh:
        tweets = [r["text"] for r in csv.DictReader(fh)]
    rng = np.random.default_rng(seed)
    a, b = rng.integers(len(tweets), size=n), rng.integers(len(tweets), size=n)
    return [f"{tweets[x]} {' '.join(tweets[y].split()[-4:])}" for x, y in zip(a, b, strict=True)]


def ms(fn, reps: int = 3) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    fn(QUERIES[0])  # warm (and compile, for numba)
    out = []
    for _ in range(reps):
        for q in QUERIES:
            t = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(out, 50)), float(np.percentile(out, 95))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("n", type=int)
    p.add_argument("--numba", action="store_true", help="also bm25s' numba backend")
    args = p.parse_args()
    import bm25s

    docs = texts(args.n)
    work = Path(tempfile.mkdtemp(prefix="lexical-bench-"))
    try:
        t = time.perf_counter()
        lex = lexical.build(docs)
        build_s = time.perf_counter() - t
        assert lex is not None
        t = time.perf_counter()
        lexical.save(lex, work / "bm25")
        save_s = time.perf_counter() - t
        del lex
        t = time.perf_counter()
        lex = lexical.load(work / "bm25", args.n)
        load_s = time.perf_counter() - t
        assert lex is not None
        disk = sum(f.stat().st_size for f in (work / "bm25").iterdir()) / 2**20
        print(f"{args.n:,} texts: build {build_s:.1f} s, save {save_s:.2f} s, ", end="")
        print(f"load (mmap) {load_s * 1000:.0f} ms, {disk:.0f} MB on disk")
        mask = np.random.default_rng(1).random(args.n) < 0.3  # a filter keeping ~30%

        def cxbot(q: str) -> dict[int, float]:
            s = np.where(mask, lex.scores(q), 0.0)
            top = np.argpartition(-s, 99)[:100]
            return {int(i): float(s[i]) for i in top if s[i] > 0}

        def tokens(q: str) -> list[str]:
            toks = bm25s.tokenize(
                [q], stopwords=lexical.STOPWORDS, stemmer=lex.stemmer, show_progress=False
            )
            inv = {v: k for k, v in toks.vocab.items()}
            return [inv[i] for i in toks.ids[0] if inv[i] in lex.bm25.vocab_dict]

        def retrieve(model):  # type: ignore[no-untyped-def]
            weights = mask.astype(np.float32)
            return lambda q: model.retrieve(
                [tokens(q)], k=100, weight_mask=weights, show_progress=False, n_threads=1
            )

        rows = [("cxbot: scores + argpartition", ms(cxbot))]
        rows.append(("bm25s retrieve, numpy backend", ms(retrieve(lex.bm25))))
        if args.numba:
            nb = bm25s.BM25.load(str(work / "bm25"), mmap=True, backend="numba")
            t = time.perf_counter()
            retrieve(nb)(QUERIES[0])
            print(f"numba first call (JIT compile): {time.perf_counter() - t:.1f} s")
            rows.append(("bm25s retrieve, numba backend", ms(retrieve(nb))))
        for name, (p50, p95) in rows:
            print(f"  {name:32s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {rss:.0f} MB (texts and the build included)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
