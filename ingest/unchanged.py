"""Skip a source whose files have not changed since the last ingest.

The nightly re-ingest of the same exports is the common case, and at a million records reading
every row again (parse, normalise, redact, hash, compare) costs ~90 s where hashing the files'
bytes costs about a second. A source is skipped only when everything that decides its records
is as it was: the bytes of each of its files (SHA-256) and their list, the source's entry in
sources.yaml, the settings that shape a record's text, this cxbot's loaders, and the catalog
still holds what that ingest left (the same number of the source's records, every one enriched
with today's taxonomy and model; otherwise the row-by-row path re-themes them). What that last
full read reported (rejected rows, warnings, duplicates) is reported again, so a skipped run
says the same as a read one. `--rebuild` writes a new catalog, which knows no fingerprints, so
it always reads everything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from ingest.config import Settings
from ingest.schema import IngestSummary, Rejected

META_PREFIX = "files:"
# bump when a loader would read the same bytes into different records
LOADER_VERSION = 1
BLOCK = 1 << 20


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            h.update(block)
    return h.hexdigest()


def _cxbot_version() -> str:
    try:
        return metadata.version("cxbot")
    except metadata.PackageNotFoundError:  # run from a source tree
        return "source"


@dataclass
class Mark:
    """What decides a source's records, and what its last full read reported."""

    context: str
    files: list[list[str]]  # [path, sha256] in ingest order
    records: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def same_input(self, other: Mark) -> bool:
        return self.context == other.context and self.files == other.files


def mark(paths: list[str], specs: list[str], settings: Settings) -> Mark:
    """The fingerprint of one source: its files' bytes and the settings that read them."""
    context = json.dumps(
        {
            "specs": specs,
            "loader": LOADER_VERSION,
            "cxbot": _cxbot_version(),
            "max_text_chars": settings.max_text_chars,
            "redact_handles": settings.redact_handles,
        },
        sort_keys=True,
    )
    return Mark(
        context=hashlib.sha256(context.encode()).hexdigest(),
        files=[[str(p), file_digest(p)] for p in paths],
    )


def recall(db: Any, source: str, now: Mark, enrichment: str) -> Mark | None:
    """The stored mark when ``now`` matches it and the catalog holds what it left; else None."""
    row = db.execute("SELECT value FROM meta WHERE key=?", (META_PREFIX + source,)).fetchone()
    if row is None:
        return None
    try:
        kept = Mark(**json.loads(row[0]))
    except (TypeError, ValueError):
        return None
    if not kept.same_input(now):
        return None
    n, stale = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN hash LIKE ? THEN 0 ELSE 1 END), 0) "
        "FROM records WHERE source=?",
        (f"%:{enrichment}", source),
    ).fetchone()
    if int(n) != kept.records or int(stale):
        return None
    return kept


def remember(
    db: Any,
    source: str,
    now: Mark,
    duplicates: int,
    rejected: list[Rejected],
    warnings: list[Rejected],
) -> None:
    """Store the mark of a source just read in full, with what the read reported; committed
    with the records it describes."""
    from ingest.catalog import Catalog

    (n,) = db.execute("SELECT COUNT(*) FROM records WHERE source=?", (source,)).fetchone()
    now.records = int(n)
    now.duplicates = duplicates
    now.rejected = [r.model_dump(mode="json") for r in rejected]
    now.warnings = [w.model_dump(mode="json") for w in warnings]
    Catalog.set_meta(db, META_PREFIX + source, json.dumps(now.__dict__))


def forget(db: Any, source: str | None = None) -> None:
    """Drop one source's mark (its records were removed), or every mark (``None``)."""
    if source is None:
        db.execute("DELETE FROM meta WHERE key LIKE ?", (META_PREFIX + "%",))
    else:
        db.execute("DELETE FROM meta WHERE key=?", (META_PREFIX + source,))


def replay(kept: Mark, summary: IngestSummary) -> None:
    """Report a skipped source as its last full read did: every record unchanged."""
    summary.unchanged += kept.records
    summary.duplicates += kept.duplicates
    summary.rejected.extend(Rejected(**r) for r in kept.rejected)
    summary.warnings.extend(Rejected(**w) for w in kept.warnings)
