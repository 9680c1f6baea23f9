"""Index statistics for `cxbot stats` and `/cx status`."""

from __future__ import annotations

from typing import Any

import numpy as np

from bot.columns import Labels
from bot.corpus import load_corpus
from ingest.config import Settings
from ingest.locks import lock_holder


def index_stats(settings: Settings) -> dict[str, Any]:
    corpus = load_corpus(settings)
    verb = corpus.kind == "verbatim"
    d0, d1 = corpus.date_range(verb)
    segments: dict[str, dict[str, int]] = {}
    for key, col in corpus.segments.items():
        if c := _most_common(col, verb):
            segments[key] = c
    themes = {t: int((m & verb).sum()) for t, m in corpus.themes.items()}
    return {
        "records": len(corpus),
        "verbatims": int(verb.sum()),
        "metric_lines": int((corpus.kind == "metric").sum()),
        "version": corpus.version,
        "generation": corpus.generation,  # +1 per full rebuild (`cxbot ingest --rebuild`)
        "last_indexed": corpus.last_indexed,
        "model_id": corpus.model_id,
        "date_from": d0.isoformat() if d0 else None,
        "date_to": d1.isoformat() if d1 else None,
        "sources": corpus.sources,
        "segments": segments,
        "themes": dict(sorted(themes.items(), key=lambda x: -x[1])),
        "negative": int(((corpus.polarity < 0) & verb).sum()),
        "positive": int(((corpus.polarity > 0) & verb).sum()),
        "intents": _most_common(corpus.intent, verb, keep_empty=True),
        "reindex_running": lock_holder(settings),
    }


def _most_common(col: Labels, mask: np.ndarray, keep_empty: bool = False) -> dict[str, int]:
    """Counter(values within mask).most_common() over int codes: by count, ties in order of
    first appearance."""
    codes = col.codes[mask]
    found, first, counts = np.unique(codes, return_index=True, return_counts=True)
    order = sorted(range(len(found)), key=lambda j: (-int(counts[j]), int(first[j])))
    return {
        col.names[int(found[j])]: int(counts[j])
        for j in order
        if keep_empty or col.names[int(found[j])]
    }
