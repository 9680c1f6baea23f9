"""Index statistics for `cxbot stats` and `/cx status`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.corpus import load_corpus
from ingest.config import Settings
from ingest.locks import lock_holder


def index_stats(settings: Settings) -> dict[str, Any]:
    corpus = load_corpus(settings)
    verb = corpus.kind == "verbatim"
    d0, d1 = corpus.date_range(verb)
    segments: dict[str, dict[str, int]] = {}
    for key, col in corpus.segments.items():
        c = Counter(v for v, is_v in zip(col, verb, strict=True) if v and is_v)
        if c:
            segments[key] = dict(c.most_common())
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
        "intents": dict(Counter(corpus.intent[verb].tolist()).most_common()),
        "reindex_running": lock_holder(settings),
    }
