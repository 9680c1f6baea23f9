"""validate -> normalise -> redact -> dedupe -> sentiment -> embed -> themes -> Chroma -> catalog.

Everything that can fail on bad input happens before the first write. Chroma is written before
the catalog, and the catalog commit is the switch: until it lands, answers come from the
previous index. An interrupted run is simply re-run (writes are idempotent upserts).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.catalog import Catalog
from ingest.config import Settings, SourceSpec
from ingest.embedder import Embedder, get_embedder
from ingest.errors import CxbotError, SourceError
from ingest.loaders import LoadResult, load_metrics, load_survey
from ingest.locks import ingest_lock
from ingest.redact import redact
from ingest.schema import IngestSummary, Record, Rejected
from ingest.sentiment import compound, polarity, score_scale
from ingest.store import VectorStore
from ingest.themes import ThemeAssigner, load_taxonomy

# progress(stage, advance, total): stage in {"load", "embed", "write"}
Progress = Callable[[str, int, int], None]


@dataclass
class Job:
    spec: SourceSpec
    base: Path | None = None


def _load(path: Path, spec: SourceSpec, settings: Settings) -> LoadResult:
    if spec.kind == "survey":
        return load_survey(path, spec, settings.max_text_chars)
    return load_metrics(path, spec, settings.max_text_chars)


def _dedupe(records: list[Record]) -> tuple[list[Record], int]:
    """Drop rows whose content equals an earlier row's (the same answer exported twice)."""
    seen: set[tuple[object, ...]] = set()
    out = []
    dropped = 0
    for r in records:
        key = (
            r.kind,
            r.text,
            tuple(sorted(r.segments.items())),
            r.date,
            r.score,
            r.location if r.kind == "metric" else None,
        )
        if key in seen:
            dropped += 1
            continue
        seen.add(key)
        out.append(r)
    return out, dropped


_ASSIGNERS: dict[tuple[str, str], ThemeAssigner] = {}
ENRICHMENT_VERSION = "1"  # bump when sentiment/complaint rules change


def enrichment_fingerprint(assigner: ThemeAssigner, model_id: str) -> str:
    blob = f"{ENRICHMENT_VERSION}|{model_id}|{assigner.taxonomy.model_dump_json()}"
    return hashlib.sha1(blob.encode()).hexdigest()[:10]


def theme_assigner(settings: Settings, embedder: Embedder) -> ThemeAssigner:
    key = (str(settings.taxonomy_path), embedder.model_id)
    if key not in _ASSIGNERS:
        _ASSIGNERS[key] = ThemeAssigner(load_taxonomy(settings.taxonomy_path), embedder)
    return _ASSIGNERS[key]


def run_ingest(
    jobs: list[Job],
    settings: Settings,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    gap_config: dict[str, object] | None = None,
) -> IngestSummary:
    """Ingest the jobs incrementally. ``gap_config`` (metric_themes, metric_directions, aliases
    from sources.yaml) is stored with the index for the gap analysis."""
    t0 = time.perf_counter()
    summary = IngestSummary()
    # 1. load and validate everything first: a bad file never touches the index
    loaded: list[tuple[str, str, str, list[Record]]] = []  # (source, path, kind, records)
    for job in jobs:
        try:
            files = job.spec.files(job.base, settings.source_dirs)
        except CxbotError as exc:
            summary.failed_files.append(Rejected(source=job.spec.path, reason=str(exc)))
            continue
        for path in files:
            try:
                res = _load(path, job.spec, settings)
            except SourceError as exc:
                summary.failed_files.append(
                    Rejected(source=str(path), reason=f"{exc.detail} {exc.hint}".strip())
                )
                continue
            summary.files.append(str(path))
            summary.rejected.extend(res.rejected)
            summary.warnings.extend(res.warnings)
            records, dropped = _dedupe(res.records)
            summary.duplicates += dropped
            for r in records:
                r.text = redact(r.text, handles=settings.redact_handles)
            source = job.spec.name or path.name
            loaded.append((source, str(path), job.spec.kind, records))
            if progress:
                progress("load", 1, 0)
    if not loaded:
        summary.seconds = time.perf_counter() - t0
        return summary

    embedder = embedder or get_embedder(settings)
    with ingest_lock(settings):
        catalog = Catalog(settings.catalog_path)
        try:
            store = VectorStore(settings, embedder.model_id, embedder.dim)
            store.collection()  # model mismatch fails here, before any work
            changed: list[Record] = []
            removed: list[str] = []
            touched_sources: list[tuple[str, str, str]] = []
            seen_ids: set[str] = set()
            # the stored hash also covers how records were enriched: a new taxonomy or model
            # re-derives themes for every record instead of leaving stale ones
            assigner = theme_assigner(settings, embedder)
            fp = enrichment_fingerprint(assigner, embedder.model_id)
            for source, path, kind, records in loaded:
                existing = catalog.hashes(source)
                current_ids = set()
                for r in records:
                    if r.id in seen_ids:
                        summary.rejected.append(
                            Rejected(
                                source=source,
                                row=r.location,
                                reason=f"id '{r.id}' appears in two "
                                "files of this source; the first is kept. Give each file its own "
                                "source name.",
                            )
                        )
                        continue
                    seen_ids.add(r.id)
                    current_ids.add(r.id)
                    old = existing.get(r.id)
                    if old is None:
                        summary.added += 1
                        changed.append(r)
                    elif old != f"{r.content_hash()}:{fp}":
                        summary.updated += 1
                        changed.append(r)
                    else:
                        summary.unchanged += 1
                gone = [i for i in existing if i not in current_ids]
                removed.extend(gone)
                summary.removed += len(gone)
                touched_sources.append((source, path, kind))

            polarities: list[int] = []
            if changed:
                by_source: dict[str, list[float]] = {}
                for r in changed:
                    if r.score is not None:
                        by_source.setdefault(r.source, []).append(r.score)
                scales = {s: score_scale(v) for s, v in by_source.items()}
                for r in changed:
                    r.sentiment = compound(r.text)
                    polarities.append(polarity(r.sentiment, r.score, scales.get(r.source)))
                total = len(changed)
                vectors = embedder.embed(
                    [r.text for r in changed],
                    progress=(lambda n: progress("embed", n, total)) if progress else None,
                )
                themes = assigner.assign([r.text for r in changed], vectors)
                for r, t, p in zip(changed, themes, polarities, strict=True):
                    r.themes = t
                    r.complaints = assigner.complaints(r.text, t, p) if r.kind == "verbatim" else []
                store.upsert(changed, vectors, polarities)
                if progress:
                    progress("write", total, total)
            else:
                vectors = np.zeros((0, embedder.dim), dtype=np.float32)
            store.delete(removed)
            if changed or removed or touched_sources or gap_config is not None:
                with catalog.transaction() as db:
                    if gap_config is not None:
                        db.execute(
                            "INSERT OR REPLACE INTO meta VALUES('gap_config', ?)",
                            (json.dumps(gap_config),),
                        )
                    Catalog.upsert(db, changed, polarities, fp)
                    Catalog.delete(db, removed)
                    for source, path, kind in touched_sources:
                        Catalog.record_source(db, source, path, kind)
                    if changed or removed:
                        Catalog.bump(db, embedder.model_id)
        finally:
            catalog.close()
    summary.seconds = time.perf_counter() - t0
    return summary
