"""validate -> normalise -> redact -> dedupe -> sentiment -> embed -> themes -> Chroma -> catalog.

Files and their columns are checked before the first write. Rows then stream through in chunks;
Chroma is written chunk by chunk, the catalog inside one transaction that is committed last:
that commit is the switch, until it lands answers come from the previous index. An interrupted
run is simply re-run (writes are idempotent upserts). A full rebuild does the same into a new
generation (catalog + collection) and then switches the pointer (`ingest.generations`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ingest import lexical, unchanged, vectors_file
from ingest.adapt import adapt_themes, enrichment_fingerprint, publish_themes, theme_assigner
from ingest.catalog import Catalog, now_iso
from ingest.config import Settings, SourceSpec
from ingest.embedder import Embedder, get_embedder
from ingest.errors import (
    ConfigError,
    CxbotError,
    DiskFullError,
    SourceError,
    StoreError,
    is_disk_full,
)
from ingest.generations import Generation, discard, switch
from ingest.llm_read import Labeller
from ingest.loaders import iter_survey, load_metrics
from ingest.locks import ingest_lock
from ingest.reading import Reading, read, read_many
from ingest.reading_model import bundled
from ingest.redact import redact
from ingest.schema import IngestSummary, Record, Rejected
from ingest.scores import SCALE
from ingest.seen import SeenSet
from ingest.sentiment import score_scale
from ingest.store import VectorStore
from ingest.themes import ThemeAssigner

# progress(stage, advance, total): stage in {"load", "embed"}
CHUNK = 4096
T = TypeVar("T")
Progress = Callable[[str, int, int], None]


@dataclass
class Job:
    spec: SourceSpec
    base: Path | None = None


@dataclass
class _Opened:
    source: str
    path: str
    kind: str
    records: Iterator[Record]
    rejected: list[Rejected]
    warnings: list[Rejected]
    score_kind: str | None = None  # nps / csat / stars (ingest.scores); None: no known kind
    spec: str = ""  # its sources.yaml entry: part of what decides its records


def _open(path: Path, spec: SourceSpec, settings: Settings) -> _Opened:
    """Check the file and its columns now; rows stream later, chunk by chunk."""
    source = spec.name or path.name
    if spec.kind == "survey":
        st = iter_survey(path, spec, settings.max_text_chars)
        return _Opened(
            source,
            str(path),
            spec.kind,
            st.records,
            st.rejected,
            st.warnings,
            st.score_kind,
            spec.model_dump_json(),
        )
    res = load_metrics(path, spec, settings.max_text_chars)
    return _Opened(
        source,
        str(path),
        spec.kind,
        iter(res.records),
        res.rejected,
        res.warnings,
        spec=spec.model_dump_json(),
    )


def _dedupe_key(r: Record) -> bytes:
    """The same answer exported twice: equal text, segments, date, score (and line)."""
    key = (
        r.kind,
        r.text,
        sorted(r.segments.items()),
        str(r.date),
        r.score,
        r.location if r.kind == "metric" else None,
    )
    return hashlib.sha1(repr(key).encode()).digest()


def run_ingest(
    jobs: list[Job],
    settings: Settings,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    gap_config: dict[str, object] | None = None,
    who: str = "cli",
    rebuild: bool = False,
) -> IngestSummary:
    """Ingest the jobs incrementally, or with ``rebuild`` into a new index generation.

    ``gap_config`` (metric_themes, metric_directions, aliases from sources.yaml) is stored with
    the index for the gap analysis. Rows stream through in chunks (memory stays flat on a
    100 MB export); every catalog write happens inside one transaction, committed at the end,
    so until then the previous index is what answers. A rebuild writes a new catalog and
    collection and switches to them only once complete (`ingest.generations`).
    ``progress(stage, advance, total)``: "load" per file, "embed" per chunk with the records
    read so far as total.
    """
    t0 = time.perf_counter()
    summary = IngestSummary()
    opened: list[_Opened] = []
    partial: set[str] = set()  # sources with a file that could not be read this run
    for job in jobs:
        try:
            files = job.spec.files(job.base, settings.source_dirs)
        except CxbotError as exc:
            summary.failed_files.append(Rejected(source=job.spec.path, reason=str(exc)))
            continue
        for path in files:
            try:
                opened.append(_open(path, job.spec, settings))
            except SourceError as exc:
                summary.failed_files.append(
                    Rejected(source=str(path), reason=f"{exc.detail} {exc.hint}".strip())
                )
                partial.add(job.spec.name or path.name)
                continue
            summary.files.append(str(path))
            if progress:
                progress("load", 1, 0)
    if not opened:
        summary.seconds = time.perf_counter() - t0
        return summary

    embedder = embedder or get_embedder(settings)
    with ingest_lock(settings, who=who):
        live = settings.generation()
        store = VectorStore(settings, embedder.model_id, embedder.dim, live.collection, "write")
        chroma_dir = None if settings.chroma_url else settings.data_dir / "chroma"
        _guard_disk(
            settings,
            "clearing old index generations",
            discard,
            store.client,
            settings.data_dir,
            settings.collection,
            {live.number},
            chroma_dir,
            live.database_url,
        )
        target = live
        if rebuild:
            gap_config = _check_rebuild(live, opened, summary, gap_config)
            target = live.next()
            store = VectorStore(
                settings, embedder.model_id, embedder.dim, target.collection, "write"
            )
        gone = _guard_disk(
            settings,
            "writing the index",
            _write,
            opened,
            target,
            store,
            embedder,
            settings,
            summary,
            progress,
            gap_config,
            partial,
        )
        change = _guard_disk(
            settings,
            "discovering themes",
            adapt_themes,
            settings,
            target,
            store,
            embedder,
        )
        if change is not None:
            summary.themes = change.line()
        publish_themes(settings, target)  # a catalog in PostgreSQL carries its themes file
        if rebuild:
            _guard_disk(
                settings,
                "switching to the rebuilt index",
                switch,
                target,
                {"model_id": embedder.model_id, "switched_at": now_iso(), "who": who},
            )
        try:
            store.delete(gone)  # after the commit: until then answers may still cite them
        except StoreError as exc:
            summary.warnings.append(
                Rejected(
                    source=settings.collection,
                    reason=f"{len(gone):,} vectors of removed records are still in Chroma "
                    f"({exc.message}); they are never shown and go with the next rebuild.",
                )
            )
        summary.generation = target.number
    summary.seconds = time.perf_counter() - t0
    return summary


LOW_DISK_BYTES = 32 * 2**20


def _guard_disk(settings: Settings, action: str, fn: Callable[..., T], *args: Any) -> T:
    """Run one step of the write; a full disk becomes one message saying what is safe.

    Chroma does not always say ENOSPC (it reports "Error in compaction"), so a failed write
    on a disk with less than 32 MB left counts as a full disk too.
    """
    try:
        return fn(*args)
    except (OSError, sqlite3.Error, StoreError) as exc:
        try:
            free: int | None = shutil.disk_usage(settings.data_dir).free
        except OSError:
            free = None
        if not is_disk_full(exc) and (free is None or free >= LOW_DISK_BYTES):
            raise
        left = f" ({free / 2**20:.1f} MB left)" if free is not None else ""
        raise DiskFullError(
            f"The disk is full{left} while {action} in {settings.data_dir}: nothing was "
            "switched or committed, so answers still come from the previous index. "
            f"[{str(getattr(exc, 'message', exc))[:160]}]",
            "Free some space (a rebuild needs room for a second copy of the index while it "
            "runs) and run the ingest again; it starts cleanly.",
        ) from None


def _check_rebuild(
    live: Generation,
    opened: list[_Opened],
    summary: IngestSummary,
    gap_config: dict[str, object] | None,
) -> dict[str, object] | None:
    """A rebuild replaces the whole index: refuse one that would silently drop a source.

    Returns the gap settings to keep (the current ones when the run brings none).
    """
    if not live.exists():
        return gap_config
    old = Catalog(live)
    try:
        indexed = {str(s["source"]) for s in old.sources()}
        stored_gap = old.meta("gap_config")
    finally:
        old.close()
    missing = sorted(indexed - {src.source for src in opened})
    if missing:
        unread = "; ".join(f"{f.source}: {f.reason}" for f in summary.failed_files[:5])
        raise ConfigError(
            f"A rebuild replaces the whole index, and {len(missing)} indexed source(s) are not "
            f"in this run: {', '.join(missing)}."
            + (f" Files that could not be read: {unread}." if unread else "")
            + " Nothing was changed; the current index still answers.",
            "Pass every source (e.g. --config sources.yaml) or fix the files named; to drop a "
            "source for good, run `cxbot remove NAME` first.",
        )
    if gap_config is None and stored_gap:
        return json.loads(stored_gap)
    return gap_config


def _write(
    opened: list[_Opened],
    target: Generation,
    store: VectorStore,
    embedder: Embedder,
    settings: Settings,
    summary: IngestSummary,
    progress: Progress | None,
    gap_config: dict[str, object] | None,
    partial: set[str] | None = None,
) -> list[str]:
    """Embed and write every opened source into ``target``; returns the ids to delete from
    Chroma once the catalog has committed."""
    catalog = Catalog(target)
    try:
        store.collection()  # model mismatch fails here, before any work
        # the stored hash also covers how records were enriched: a new taxonomy or model
        # re-derives themes for every record instead of leaving stale ones
        assigner = theme_assigner(settings, embedder)
        fp = enrichment_fingerprint(assigner, embedder.model_id)
        writer = _Writer(store, embedder, assigner, fp, summary, progress)
        writer.labeller = Labeller.maybe(settings)
        with catalog.transaction() as db:
            writer.db = db
            seen_ids = SeenSet()
            kinds: dict[str, str | None] = {}  # a source's score kind: its first file's
            groups: dict[str, list[_Opened]] = {}  # a named glob: one source, several files
            for src in opened:
                groups.setdefault(src.source, []).append(src)
            try:
                for source, files in groups.items():
                    whole = source not in (partial or set())
                    _write_source(db, catalog, writer, source, files, seen_ids, settings, fp, whole)
                    for src in files:
                        kind = _source_score_kind(kinds, src, summary)
                        Catalog.record_source(db, src.source, src.path, src.kind, kind)
            finally:
                writer.close()  # every Chroma write lands (or fails) before the commit
                if writer.labeller is not None:
                    writer.labeller.close()
                    summary.reading = writer.labeller.stats.line(settings.llm_model)
            if gap_config is not None:
                Catalog.set_meta(db, "gap_config", json.dumps(gap_config))
            if summary.added or summary.updated or summary.removed:
                Catalog.bump(db, embedder.model_id)
            if summary.added or summary.updated or summary.removed or lexical.stale(db, target):
                # committed with the rows: the bot memory-maps it instead of building BM25
                lexical.write(db, target, store.fetch_vectors, settings.dense_in_memory_max)
            limits = settings.dense_in_memory_max, settings.dense_exact_max
            if (
                summary.added
                or summary.updated
                or summary.removed
                or vectors_file.stale(db, target, *limits)
            ):
                vectors_file.write(db, target, store.fetch_vectors, *limits)
    finally:
        catalog.close()
    return writer.gone


def _write_source(
    db: Any,
    catalog: Catalog,
    writer: _Writer,
    source: str,
    files: list[_Opened],
    seen_ids: SeenSet,
    settings: Settings,
    fp: str,
    whole: bool = True,
) -> None:
    """One source, all its files: skipped when nothing that decides its records changed
    (`ingest.unchanged`), else read row by row; a record is removed only when none of the
    source's files holds it any more. ``whole`` False: one of its files could not be read,
    so nothing of the source is removed (its records may be in that file) or remembered."""
    summary = writer.summary
    # a source with an unreadable file is neither skipped nor remembered: no need to hash it
    now = (
        unchanged.mark([f.path for f in files], [f.spec for f in files], settings)
        if whole
        else None
    )
    kept = unchanged.recall(db, source, now, fp) if now is not None else None
    if kept is not None:
        unchanged.replay(kept, summary)
        summary.skipped.append(source)
        writer.read += kept.records
        if writer.progress:
            writer.progress("embed", kept.records, writer.read)
        return
    existing = catalog.hashes(source)
    current = SeenSet()
    rejected: list[Rejected] = []
    warnings: list[Rejected] = []
    duplicates = summary.duplicates
    for src in files:
        r0, w0 = len(summary.rejected), len(summary.warnings)
        writer.source(src, existing, seen_ids, settings, current)
        rejected += summary.rejected[r0:]
        warnings += summary.warnings[w0:]
    if not whole:
        summary.warnings.append(
            Rejected(
                source=source,
                reason="a file of this source could not be read (see above): records missing "
                "from its other files are kept until every file reads again.",
            )
        )
        return
    writer.remove_gone(existing, current)
    if now is not None:
        unchanged.remember(db, source, now, summary.duplicates - duplicates, rejected, warnings)


def _source_score_kind(
    kinds: dict[str, str | None], src: _Opened, summary: IngestSummary
) -> str | None:
    """One score kind per source: the first file's; a file that reads differently is named."""
    first = kinds.setdefault(src.source, src.score_kind)
    if first is None and src.score_kind is not None:
        kinds[src.source] = first = src.score_kind
    if src.score_kind is not None and src.score_kind != first:
        summary.warnings.append(
            Rejected(
                source=src.source,
                reason=f"{Path(src.path).name}'s scores read as {src.score_kind}, the source's "
                f"other files as {first}; {first} is used. Set columns.score_kind to say which.",
            )
        )
    return first


class _Writer:
    """Classifies, enriches, embeds and writes one chunk at a time."""

    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        assigner: ThemeAssigner,
        fp: str,
        summary: IngestSummary,
        progress: Progress | None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.assigner = assigner
        self.fp = fp
        self.summary = summary
        self.progress = progress
        self.db: Any = None
        self.labeller: Labeller | None = None  # LLM labels on top of the offline reading
        self.read = 0
        self.gone: list[str] = []
        # the Chroma and catalog writes of one chunk overlap the embedding of the next
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cxbot-write")
        self._pending: Future[None] | None = None

    def wait(self) -> None:
        """Block until the last chunk's writes are done; re-raises their error."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)

    def source(
        self,
        src: _Opened,
        existing: dict[str, str],
        seen_ids: SeenSet,
        settings: Settings,
        current: SeenSet,
    ) -> None:
        """One file's rows; ``current`` gathers the ids the source still holds."""
        keys = SeenSet()
        scale: float | None = None
        scale_known = False
        while chunk := list(itertools.islice(src.records, CHUNK)):
            changed: list[Record] = []
            rethemed: list[Record] = []  # same text, new enrichment: the vector still holds
            for r in chunk:
                key = _dedupe_key(r)
                if key in keys:
                    self.summary.duplicates += 1
                    continue
                keys.add(key)
                if r.id in seen_ids:
                    self.summary.rejected.append(
                        Rejected(
                            source=src.source,
                            row=r.location,
                            reason=f"id '{r.id}' appears in two files of this source; the first "
                            "is kept. Give each file its own source name.",
                        )
                    )
                    continue
                seen_ids.add(r.id)
                current.add(r.id)
                r.text = redact(r.text, handles=settings.redact_handles)
                old = existing.get(r.id)
                if old is None:
                    self.summary.added += 1
                    changed.append(r)
                elif old != f"{r.content_hash()}:{self.fp}":
                    self.summary.updated += 1
                    same_text = old.partition(":")[0] == r.content_hash()
                    (rethemed if same_text else changed).append(r)
                else:
                    self.summary.unchanged += 1
            if not scale_known:
                scale = SCALE.get(src.score_kind or "") or score_scale(
                    [r.score for r in chunk if r.score is not None]
                )
                scale_known = True
            self.read += len(chunk)
            if self.progress:
                self.progress("embed", len(chunk), self.read)
            if changed:
                self.write(changed, scale)
            if rethemed:
                self.write(rethemed, scale, reuse_vectors=True)
        self.summary.rejected.extend(src.rejected)
        self.summary.warnings.extend(src.warnings)
        self.wait()

    def remove_gone(self, existing: dict[str, str], current: SeenSet) -> None:
        """After a source's last file: delete what none of its files holds any more."""
        gone = [i for i in existing if i not in current]
        Catalog.delete(self.db, gone)
        self.gone += gone
        self.summary.removed += len(gone)

    def write(
        self, changed: list[Record], scale: float | None, reuse_vectors: bool = False
    ) -> None:
        """Enrich, embed and write. ``reuse_vectors``: the texts are unchanged (a new taxonomy
        or sentiment rule), so their stored vectors are read back instead of recomputed: the
        model is 79% of an ingest. The reading comes after the vectors: it reads them. What
        Chroma holds of a record is all in its content hash (`ingest.store._metadata`), so
        records whose vectors were read back are written to the catalog alone."""
        vectors = None
        if reuse_vectors:
            self.wait()  # the previous chunk's write first: one Chroma call at a time
            vectors = self.store.fetch_vectors([r.id for r in changed])
        to_chroma = vectors is None
        if vectors is None:  # not asked, or some are missing from Chroma: embed them
            vectors = self.embedder.embed([r.text for r in changed])
        polarities = []
        names = tuple(sorted({v for r in changed for v in r.segments.values()}))
        for r, reading in zip(changed, self._read(changed, vectors, scale, names), strict=True):
            r.sentiment = reading.sentiment
            r.intent = reading.intent if r.kind == "verbatim" else "other"
            polarities.append(reading.polarity)
        themes = self.assigner.assign([r.text for r in changed], vectors)
        for r, t, p in zip(changed, themes, polarities, strict=True):
            r.themes = t
            r.complaints = self.assigner.complaints(r.text, t, p) if r.kind == "verbatim" else []
        self.wait()
        self._pending = self._pool.submit(self._store, changed, vectors, polarities, to_chroma)

    def _store(
        self, changed: list[Record], vectors: Any, polarities: list[int], to_chroma: bool
    ) -> None:
        """In the writer thread, Chroma first and the catalog last (its commit is the switch):
        together 20-30% of a cold ingest's time, now spent while the model embeds the next
        chunk. Every other use of the catalog connection waits for this (``wait``)."""
        if to_chroma:
            self.store.upsert(changed, vectors)
        Catalog.upsert(self.db, changed, polarities, self.fp)

    def _read(
        self, changed: list[Record], vectors: Any, scale: float | None, names: tuple[str, ...]
    ) -> list[Reading]:
        """The learned reading when the vectors are the ones it was fitted on, else the rules;
        with an LLM configured, its verified labels of the verbatims on top."""
        model = bundled()
        scores = [r.score for r in changed]
        if model.fits(self.embedder.model_id, self.embedder.dim):
            out = read_many([r.text for r in changed], vectors, scores, scale, names, model)
        else:
            out = [read(r.text, r.score, scale, names) for r in changed]
        if self.labeller is None:
            return out
        idx = [i for i, r in enumerate(changed) if r.kind == "verbatim"]
        got = self.labeller.relabel(
            [changed[i].text for i in idx], [out[i] for i in idx], [scores[i] for i in idx], scale
        )
        for i, reading in zip(idx, got, strict=True):
            out[i] = reading
        return out


def remove_source(settings: Settings, source: str, embedder: Embedder | None = None) -> int:
    """Delete every record of one source, and nothing else; returns how many were removed."""
    embedder = embedder or get_embedder(settings)
    with ingest_lock(settings, who=f"remove {source}"):
        gen = settings.generation()
        catalog = Catalog(gen)
        try:
            ids = list(catalog.hashes(source))
            known = {str(s["source"]) for s in catalog.sources()}
            if not ids and source not in known:
                raise CxbotError(
                    f"There is no source named '{source}'.",
                    f"Indexed sources: {', '.join(sorted(known)) or '(none)'}.",
                )
            store = VectorStore(settings, embedder.model_id, embedder.dim, mode="write")
            with catalog.transaction() as db:
                Catalog.delete(db, ids)
                db.execute("DELETE FROM sources WHERE source=?", (source,))
                unchanged.forget(db, source)
                Catalog.bump(db, embedder.model_id)
                lexical.write(db, gen, store.fetch_vectors, settings.dense_in_memory_max)
                vectors_file.write(
                    db,
                    gen,
                    store.fetch_vectors,
                    settings.dense_in_memory_max,
                    settings.dense_exact_max,
                )
            store.delete(ids)  # after the commit: answers stop citing them first
        finally:
            catalog.close()
    return len(ids)
