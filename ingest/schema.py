"""The record schema: what every loader produces and what citations point to."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

RecordKind = Literal["verbatim", "metric"]
Direction = Literal["higher", "lower"]


class MetricFact(BaseModel):
    """One number from an internal report, with where it came from."""

    metric: str
    value: float
    unit: str = ""
    period: str | None = None
    segment: str | None = None
    segment_key: str | None = None
    target: float | None = None
    direction: Direction | None = None


class Record(BaseModel):
    """A verbatim or a metric report line. ``id`` is stable across re-ingests of the same row."""

    id: str
    kind: RecordKind
    source: str
    text: str
    location: str
    date: datetime | None = None
    segments: dict[str, str] = Field(default_factory=dict)
    score: float | None = None
    url: str | None = None
    sentiment: float | None = None
    themes: list[str] = Field(default_factory=list)
    complaints: list[str] = Field(default_factory=list)
    intent: str = "other"  # complaint, request, praise, question, other (ingest/reading.py)
    facts: list[MetricFact] = Field(default_factory=list)

    def content_hash(self) -> str:
        """What decides whether a re-ingest must re-embed and rewrite this record."""
        payload = {
            "kind": self.kind,
            "text": self.text,
            "date": self.date.isoformat() if self.date else None,
            "segments": self.segments,
            "score": self.score,
            "url": self.url,
            "location": self.location,
            "facts": [f.model_dump() for f in self.facts],
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha1(blob).hexdigest()


class Rejected(BaseModel):
    """A row (or whole file) that was not ingested, and why, in words a user can act on."""

    source: str
    row: str | None = None
    field: str | None = None
    reason: str

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.reason}"


class IngestSummary(BaseModel):
    """What `cxbot ingest` prints at the end and returns as JSON."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = Field(default_factory=list)
    warnings: list[Rejected] = Field(default_factory=list)
    failed_files: list[Rejected] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)  # sources whose files had not changed
    seconds: float = 0.0
    generation: int = 0  # the index generation answering after the run (a rebuild adds one)
    themes: str | None = None  # themes discovered in this run, and the coverage they bring
    reading: str | None = None  # what the LLM labelled in this run (CXBOT_LLM=openai)

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.failed_files
