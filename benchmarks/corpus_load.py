"""Corpus load alone at sizes whose full index would take hours to build.

`python -m benchmarks.corpus_load DATA_DIR N OUT_DIR`: copies DATA_DIR's catalog (a built index,
e.g. the benchmark's tweets index) into OUT_DIR, repeated up to N records (ids suffixed per
copy), then times `load_corpus` (no model, no Chroma), the segment caveats and one counting
mask in this process, and prints RSS. Run it twice: the second run reads the cached columns.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import sys
import time
from pathlib import Path


def scaled_catalog(src: Path, dst: Path, n: int) -> None:
    out = dst / "catalog.sqlite"
    if out.exists():
        return
    dst.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(out)
    base = sqlite3.connect(src)
    for (sql,) in base.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"):
        db.execute(sql)
    cols = [r[1] for r in base.execute("PRAGMA table_info(records)")]
    m = base.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    base.close()
    db.execute("ATTACH ? AS b", (str(src),))
    db.execute("INSERT INTO meta SELECT * FROM b.meta")
    db.execute("INSERT INTO sources SELECT * FROM b.sources")
    db.execute("CREATE TEMP TABLE k(k INTEGER)")
    db.executemany("INSERT INTO k VALUES(?)", [(i,) for i in range(-(-n // m))])
    sel = ", ".join("id || ':c' || k" if c == "id" else c for c in cols)
    db.execute(
        f"INSERT INTO records SELECT {sel} FROM k, b.records ORDER BY k.k, b.records.rowid "
        f"LIMIT {int(n)}"
    )
    db.commit()
    db.close()


def main() -> None:
    import numpy as np
    import psutil

    from benchmarks.common import settings_for
    from bot.analysis.caveats import segment_caveats
    from bot.corpus import load_corpus

    src, n, dst = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    scaled_catalog(src / "catalog.sqlite", dst, n)
    proc = psutil.Process()
    rss0 = proc.memory_info().rss / 2**20
    t = time.perf_counter()
    corpus = load_corpus(settings_for(dst))
    load_s = time.perf_counter() - t
    rss1 = proc.memory_info().rss / 2**20
    t = time.perf_counter()
    segment_caveats(corpus)
    caveats_s = time.perf_counter() - t
    key = next(iter(corpus.segment_values), None)
    t = time.perf_counter()
    for _ in range(20):
        m = (corpus.kind == "verbatim") & (corpus.polarity < 0)
        if key:
            m &= corpus.segment_mask(key, corpus.segment_values[key][:1])
        int(np.count_nonzero(m))
    mask_ms = (time.perf_counter() - t) / 20 * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "records": len(corpus),
                "load_s": round(load_s, 2),
                "caveats_s": round(caveats_s, 2),
                "mask_ms": round(mask_ms, 2),
                "rss_before_mb": round(rss0),
                "rss_loaded_mb": round(rss1),
                "peak_rss_mb": round(peak),
            }
        )
    )


if __name__ == "__main__":
    main()
