"""Answers and their numbered citations: the leaf every wing may import.

An answer is text tied to `Citation`s; `CitationBook` numbers each cited record once."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.corpus import Corpus

if TYPE_CHECKING:
    from bot.filters import Filters


@dataclass
class Hit:
    """One record found by search: its row in the corpus and how well it matched."""

    idx: int
    id: str
    score: float
    dense: float | None = None
    lexical: float | None = None


@dataclass
class Citation:
    n: int
    id: str
    kind: str
    source: str
    text: str
    segment: str
    date: str | None
    score: float
    location: str
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "text": self.text,
            "segment": self.segment,
            "date": self.date,
            "score": round(self.score, 4),
            "location": self.location,
            "url": self.url,
        }


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[Citation]
    filters: dict[str, Any]
    timings_ms: dict[str, float]
    freshness: str = ""
    gaps: list[dict[str, Any]] | None = None
    mode: str = "extractive"
    enough_evidence: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    caveats: list[str] = field(default_factory=list)  # e.g. a segment label that looks wrong

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "citations": [c.as_dict() for c in self.citations],
            "filters": self.filters,
            "timings_ms": self.timings_ms,
            "freshness": self.freshness,
            "mode": self.mode,
            "enough_evidence": self.enough_evidence,
            "caveats": self.caveats,
        }
        if self.gaps is not None:
            d["gaps"] = self.gaps
        d.update(self.extra)
        return d


def pct(k: int, n: int) -> str:
    return f"{100.0 * k / n:.1f}%" if n else "n/a"


class CitationBook:
    """Numbers each cited record once, in order of first use."""

    def __init__(self, corpus: Corpus, limit: int) -> None:
        self.corpus = corpus
        self.limit = limit
        self.items: list[Citation] = []
        self._by_idx: dict[int, int] = {}
        self._by_key: dict[str, int] = {}  # one citation per near-identical text

    def full(self) -> bool:
        return len(self.items) >= self.limit

    def cite(self, hits: list[Hit], at_most: int) -> list[int]:
        ns = []
        for h in hits:
            if len(ns) >= at_most:
                break
            key = self.corpus.dedupe_keys([h.idx])[0] or self.corpus.ids[h.idx]
            if h.idx in self._by_idx:
                if self._by_idx[h.idx] not in ns:
                    ns.append(self._by_idx[h.idx])
                continue
            if key in self._by_key:
                continue  # the same words from another record: pick a different quote
            if self.full():
                break
            row = self.corpus.record(h.idx)
            seg = ", ".join(str(v) for v in row["segments"].values())
            n = len(self.items) + 1
            self.items.append(
                Citation(
                    n=n,
                    id=str(row["id"]),
                    kind=str(row["kind"]),
                    source=str(row["source"]),
                    text=str(row["text"]),
                    segment=seg,
                    date=row["day"],
                    score=h.score,
                    location=str(row["location"]),
                    url=row["url"],
                )
            )
            self._by_idx[h.idx] = n
            self._by_key[key] = n
            ns.append(n)
        return ns


def refs(ns: list[int]) -> str:
    return "".join(f"[{n}]" for n in ns)


def scope_label(filters: Filters) -> str:
    parts = list(dict.fromkeys(" / ".join(v) for v in filters.segments.values()))
    return (" ".join(parts) + " ") if parts else ""


def freshness(corpus: Corpus) -> str:
    cached = corpus.memo.get("freshness")
    if cached is None:
        cached = corpus.memo["freshness"] = _freshness(corpus)
    return cached


def _freshness(corpus: Corpus) -> str:
    d0, d1 = corpus.date_range(corpus.is_verbatim)
    n_verb = int(corpus.is_verbatim.sum())
    n_metric = len(corpus) - n_verb
    span = f"verbatims dated {d0} to {d1}" if d0 else "verbatims undated"
    when = (corpus.last_indexed or "unknown").replace("T", " ").replace("+00:00", " UTC")
    return (
        f"Data indexed {when}; {n_verb:,} verbatims and {n_metric:,} metric lines from "
        f"{len(corpus.sources)} source(s); {span}."
    )


def timed() -> dict[str, float]:
    return {"_t0": time.perf_counter()}


def lap(t: dict[str, float], name: str) -> None:
    now = time.perf_counter()
    last = t.get("_last", t["_t0"])
    t[name] = round((now - last) * 1000, 2)
    t["_last"] = now
