"""What a question or a report counts over: segments, dates, themes, polarity, sources.

A leaf type shared by ask, analysis, digest and Slack: one corpus mask, one Chroma `where`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from bot.corpus import Corpus


@dataclass
class Filters:
    segments: dict[str, list[str]] = field(default_factory=dict)
    since: date | None = None
    until: date | None = None
    themes: list[str] = field(default_factory=list)
    polarity: int | None = None
    sources: list[str] = field(default_factory=list)
    time_phrase: str | None = None
    intent: str | None = None  # the answer shape a thread follow-up keeps ("rank", "trend")

    def as_dict(self) -> dict[str, Any]:
        return {
            "segments": self.segments,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "themes": self.themes,
            "sentiment": {-1: "negative", 1: "positive"}.get(self.polarity or 0),
            "sources": self.sources,
        }

    def mask(self, corpus: Corpus, kind: str | None = "verbatim") -> np.ndarray:
        if kind == "verbatim":
            m = corpus.is_verbatim.copy()
        elif kind == "metric":
            m = ~corpus.is_verbatim
        else:
            m = np.ones(len(corpus), dtype=bool)
        for key, values in self.segments.items():
            m &= corpus.segment_mask(key, values)
        if self.since or self.until:
            m &= corpus.day_mask(self.since, self.until)
        if self.sources:
            m &= corpus.source.isin(self.sources)
        return m

    def chroma_where(self, kind: str | None = "verbatim") -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if kind:
            clauses.append({"kind": kind})
        for key, values in self.segments.items():
            clauses.append({f"seg:{key}": {"$in": values}})
        if self.since:
            clauses.append({"dayn": {"$gte": int(self.since.strftime("%Y%m%d"))}})
        if self.until:
            clauses.append({"dayn": {"$lte": int(self.until.strftime("%Y%m%d"))}})
        if self.sources:
            clauses.append({"source": {"$in": self.sources}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}
