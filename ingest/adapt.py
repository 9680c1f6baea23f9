"""Themes that fit the data: which taxonomy is active, re-theming from stored vectors, and
adding discovered themes when the built-in ones cover too little of the complaints.

The active taxonomy is ``CXBOT_TAXONOMY_PATH`` when set (the CX team owns it), else the data
dir's ``themes.yaml`` (written by discovery and by `cxbot themes` edits), else the built-in one.
Re-theming never re-embeds: it reads each record's vector back from the store, so renaming,
merging or discovering themes on 100k records costs seconds of arithmetic, not an hour of
model time.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from ingest import pgcatalog
from ingest.catalog import Catalog
from ingest.config import Settings
from ingest.discover import Cluster, DiscoveryError, discover, slug
from ingest.embedder import Embedder
from ingest.generations import Generation
from ingest.pgcatalog import dialect
from ingest.reading import READING_VERSION
from ingest.store import VectorStore
from ingest.themes import Taxonomy, Theme, ThemeAssigner, compact_builtin, load_taxonomy

log = logging.getLogger("cxbot.themes")

ENRICHMENT_VERSION = f"1.r{READING_VERSION}"  # changes when sentiment/complaint rules change
THEMES_FILE = "themes.yaml"
REDISCOVER_GROWTH = 1.2  # re-discover once the uncovered complaints grew by 20% since the last
READ_CHUNK = 5000
BACKGROUND_MAX = 20_000  # corpus texts a discovered name is weighed against
_ASSIGNERS: dict[tuple[str, str, int], ThemeAssigner] = {}


def enrichment_fingerprint(assigner: ThemeAssigner, model_id: str) -> str:
    blob = f"{ENRICHMENT_VERSION}|{model_id}|{assigner.taxonomy.model_dump_json()}"
    return hashlib.sha1(blob.encode()).hexdigest()[:10]


def data_taxonomy_path(settings: Settings) -> Path:
    return settings.data_dir / THEMES_FILE


def active_taxonomy_path(settings: Settings) -> Path | None:
    if settings.taxonomy_path:
        return settings.taxonomy_path
    own = data_taxonomy_path(settings)
    return own if own.exists() else None


def publish_themes(settings: Settings, gen: Generation) -> None:
    """With the catalog in PostgreSQL: store the data dir's themes file with it (bots on other
    machines write it into their own data dir, `sync_themes`). An explicit CXBOT_TAXONOMY_PATH
    is each machine's own setting and is not published."""
    if gen.database_url is None or settings.taxonomy_path:
        return
    own = data_taxonomy_path(settings)
    text = own.read_text(encoding="utf-8") if own.exists() else None
    conn = pgcatalog.connect(gen.database_url, gen.base, gen.number, create=True)
    try:
        pgcatalog.publish_file(conn, text)
    finally:
        conn.close()


def sync_themes(settings: Settings, conn: pgcatalog.PgConn) -> None:
    """A bot whose catalog is in PostgreSQL: the published themes file into its data dir."""
    if settings.taxonomy_path:
        return
    text = pgcatalog.fetch_file(conn)
    if text is None:
        return
    own = data_taxonomy_path(settings)
    if not text:
        own.unlink(missing_ok=True)
        return
    try:
        same = own.read_text(encoding="utf-8") == text
    except OSError:
        same = False
    if not same:
        tmp = own.with_suffix(".sync.tmp")
        own.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(own)


def theme_assigner(settings: Settings, embedder: Embedder) -> ThemeAssigner:
    """The assigner of the active taxonomy; a changed file is re-read on the next call."""
    path = active_taxonomy_path(settings)
    try:
        stamp = path.stat().st_mtime_ns if path else 0
    except OSError:
        stamp = 0
    key = (str(path), embedder.model_id, stamp)
    if key not in _ASSIGNERS:
        _ASSIGNERS[key] = ThemeAssigner(load_taxonomy(path), embedder)
    return _ASSIGNERS[key]


def save_taxonomy(tax: Taxonomy, path: Path, full: bool = False) -> None:
    """Atomically: a half-written themes file would fail every later ingest and answer.
    Built-in themes are written as `builtin: true` references unless ``full`` (an export for
    the team to edit by hand shows every definition)."""
    data = tax.model_dump(exclude_defaults=True)
    for t in data.get("themes", {}).values():
        t.setdefault("description", "")
    if not full:
        data = compact_builtin(data)
    tmp = path.with_suffix(".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(
        "# cxbot themes: edit with `cxbot themes ...` or by hand, then `cxbot themes apply`.\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    tmp.replace(path)


@dataclass
class Coverage:
    complaining: int  # negative or complaint-intent verbatims
    covered: int  # ...of which raise at least one theme as a complaint

    @property
    def uncovered(self) -> int:
        return self.complaining - self.covered

    @property
    def share(self) -> float:
        return self.covered / self.complaining if self.complaining else 1.0


def coverage(catalog: Catalog) -> Coverage:
    row = catalog.db.execute(
        "SELECT COUNT(*), SUM(CASE WHEN complaints != '[]' THEN 1 ELSE 0 END) FROM records "
        "WHERE kind='verbatim' AND "
        "(polarity < 0 OR intent = 'complaint')"
    ).fetchone()
    return Coverage(int(row[0] or 0), int(row[1] or 0))


@dataclass
class ThemeChange:
    """What a re-theme or a discovery did, for the ingest summary and `cxbot themes`."""

    added: list[str] = field(default_factory=list)  # labels of discovered themes
    records: int = 0
    before: Coverage | None = None
    after: Coverage | None = None
    naming: str | None = None  # what the LLM's names came to (CXBOT_LLM=openai)

    def line(self) -> str:
        parts = []
        if self.added:
            parts.append(f"{len(self.added)} theme(s) discovered: {', '.join(self.added[:8])}")
        if self.naming:
            parts.append(self.naming)
        if self.before and self.after:
            parts.append(
                f"complaints in some theme {100 * self.before.share:.0f}% -> "
                f"{100 * self.after.share:.0f}%"
            )
        return "; ".join(parts)


def stored_vectors(store: VectorStore, ids: list[str]) -> np.ndarray:
    """Vectors of ``ids`` read back from the store, in that order (never re-embedded)."""
    out = []
    for i in range(0, len(ids), READ_CHUNK):
        vecs = store.fetch_vectors(ids[i : i + READ_CHUNK])
        if vecs is None:
            raise DiscoveryError(
                "Some records have no vector in the store (an ingest is running or failed).",
                "Run the ingest again, then retry.",
            )
        out.append(vecs)
    return np.vstack(out) if out else np.zeros((0, store.dim), dtype=np.float32)


def retheme(
    catalog_path: Path | Generation, store: VectorStore, embedder: Embedder, taxonomy: Taxonomy
) -> int:
    """Themes and complaints of every record from its stored vector, in one transaction."""
    assigner = ThemeAssigner(taxonomy, embedder)
    fp = enrichment_fingerprint(assigner, embedder.model_id)
    catalog = Catalog(catalog_path)
    try:
        rows = catalog.db.execute(
            f"SELECT id, kind, text, polarity, hash FROM records ORDER BY {dialect(catalog.db).key}"
        ).fetchall()
        ids = [str(r[0]) for r in rows]
        vecs = stored_vectors(store, ids)
        updates = []
        for start in range(0, len(rows), READ_CHUNK):
            chunk = rows[start : start + READ_CHUNK]
            themes = assigner.assign([str(r[2]) for r in chunk], vecs[start : start + len(chunk)])
            for r, t in zip(chunk, themes, strict=True):
                comp = assigner.complaints(str(r[2]), t, int(r[3])) if r[1] == "verbatim" else []
                updates.append(
                    (json.dumps(t), json.dumps(comp), f"{str(r[4]).split(':')[0]}:{fp}", r[0])
                )
        with catalog.transaction() as db:
            db.executemany("UPDATE records SET themes=?, complaints=?, hash=? WHERE id=?", updates)
            Catalog.bump(db, embedder.model_id)
        return len(updates)
    finally:
        catalog.close()


def discovered_themes(
    texts: list[str],
    vectors: np.ndarray,
    embedder: Embedder,
    names: list[str],
    taken: set[str],
    k: int | None = None,
    settings: Settings | None = None,
    labels: set[str] | None = None,
    change: ThemeChange | None = None,
    background: list[str] | None = None,
) -> dict[str, Theme]:
    """Taxonomy entries for the clusters of ``texts``, each with a similarity threshold that
    holds most of its own cluster. With an LLM configured (``settings``), its checked names
    replace the offline ones; ``labels`` are the labels already in use."""
    clusters = discover(texts, vectors, names=names, k=k, taken=taken, background=background)
    if settings is not None and settings.llm == "openai" and settings.llm_theme_names:
        from ingest.llm_names import propose_names

        naming = propose_names(settings, clusters, texts, names, labels or set())
        _rename(clusters, naming.names, taken)
        if change is not None:
            change.naming = naming.note
    clusters = _merge_same_names(clusters, texts)
    themes: dict[str, Theme] = {}
    for c in clusters:
        themes[c.id] = Theme(
            label=c.label,
            description=f"{c.label}: {', '.join(c.words[:6])}",
            examples=[texts[i][:300] for i in c.examples],
            discovered=True,
            parent=c.parent,
        )
    probe = ThemeAssigner(Taxonomy(themes=themes), embedder)
    unit = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
    for row, c in enumerate(clusters):
        sims = unit[c.members] @ probe.prototypes[row]
        themes[c.id].threshold = round(float(np.clip(np.quantile(sims, 0.3), 0.35, 0.6)), 3)
    return themes


def _rename(clusters: list[Cluster], names: dict[str, str], taken: set[str]) -> None:
    """New labels (and ids from them; a new theme has no id to keep yet), parents following."""
    if not names:
        return
    old = {c.label: names.get(c.id, c.label) for c in clusters}
    used = set(taken)
    for c in clusters:
        if c.id in names:
            c.label = names[c.id]
            ident, i = "d_" + slug(c.label), 2
            while ident in used or any(o.id == ident for o in clusters if o is not c):
                ident, i = f"d_{slug(c.label)}_{i}", i + 1
            c.id = ident
        used.add(c.id)
        if c.parent is not None:
            c.parent = old.get(c.parent, c.parent)


def _merge_same_names(clusters: list[Cluster], texts: list[str]) -> list[Cluster]:
    """'Runs small' and 'Run small', or 'Customer' and 'Customer service', are one theme to a
    reader: clusters whose names stem alike, or one name's words all within the other's,
    merge into the larger, which keeps examples from both and the more specific name."""
    import Stemmer

    stem = Stemmer.Stemmer("english")
    out: list[tuple[frozenset[str], Cluster]] = []
    for c in clusters:  # largest first
        key = frozenset(stem.stemWords(c.label.lower().split()))
        at = next((n for n, (k, _) in enumerate(out) if k <= key or key <= k), None)
        if at is None:
            out.append((key, c))
            continue
        k, head = out[at]
        head.members = np.concatenate([head.members, c.members])
        head.size += c.size
        head.examples = (head.examples[:4] + c.examples[:2])[: len(head.examples) or 6]
        if len(key) > len(k):  # the more specific name
            head.label, head.id = c.label, c.id
            out[at] = (key, head)
    return [c for _, c in out]


def _uncovered(catalog: Catalog) -> tuple[list[str], list[str]]:
    rows = catalog.db.execute(
        "SELECT id, text FROM records WHERE kind='verbatim' AND (polarity < 0 OR "
        f"intent = 'complaint') AND complaints = '[]' ORDER BY {dialect(catalog.db).key}"
    ).fetchall()
    return [str(r[0]) for r in rows], [str(r[1]) for r in rows]


def corpus_sample(catalog: Catalog, n: int = BACKGROUND_MAX) -> list[str]:
    """Up to ``n`` verbatims spread evenly over the whole index: what a discovered theme's
    name must be distinctive against."""
    total = int(
        catalog.db.execute("SELECT COUNT(*) FROM records WHERE kind='verbatim'").fetchone()[0]
    )
    step = max(1, total // n)
    rows = catalog.db.execute(
        "SELECT text FROM (SELECT text, ROW_NUMBER() OVER "
        f"(ORDER BY {dialect(catalog.db).key}) AS r FROM records "
        "WHERE kind='verbatim') AS spread WHERE r % ? = 0",
        (step,),
    )
    return [str(r[0]) for r in rows][:n]


def _segment_names(catalog: Catalog) -> list[str]:
    names: set[str] = set()
    for (seg,) in catalog.db.execute("SELECT DISTINCT segments FROM records"):
        names.update(str(v) for v in json.loads(seg).values() if v)
    return sorted(names)[:5000]


def discover_and_apply(
    settings: Settings,
    catalog_path: Path | Generation,
    store: VectorStore,
    embedder: Embedder,
    k: int | None = None,
) -> ThemeChange:
    """Cluster the complaints no theme covers, add them to the data dir's taxonomy (ids of
    existing themes never change) and re-theme every record."""
    catalog = Catalog(catalog_path)
    try:
        before = coverage(catalog)
        ids, texts = _uncovered(catalog)
        names = _segment_names(catalog)
        background = corpus_sample(catalog)
    finally:
        catalog.close()
    if not ids:
        raise DiscoveryError("Every complaint already falls in a theme; nothing to discover.")
    current = load_taxonomy(active_taxonomy_path(settings))
    vecs = stored_vectors(store, ids)
    known = {t.label.lower() for t in current.themes.values()}
    change = ThemeChange()
    new = discovered_themes(
        texts, vecs, embedder, names, set(current.themes), k, settings, known, change, background
    )
    new = {i: t for i, t in new.items() if t.label.lower() not in known}
    tax = current.model_copy(update={"themes": {**current.themes, **new}})
    n = retheme(catalog_path, store, embedder, tax)
    target = settings.taxonomy_path or data_taxonomy_path(settings)
    save_taxonomy(tax, target)
    catalog = Catalog(catalog_path)
    try:
        after = coverage(catalog)
        with catalog.transaction() as db:
            Catalog.set_meta(db, "themes_uncovered_after", str(after.uncovered))
    finally:
        catalog.close()
    change.added = [t.label for t in new.values()]
    change.records, change.before, change.after = n, before, after
    return change


def adapt_themes(
    settings: Settings, catalog_path: Path | Generation, store: VectorStore, embedder: Embedder
) -> ThemeChange | None:
    """After an ingest: discover themes when the active ones leave too many complaints out.

    Runs when ``settings.discover`` is "auto", no hand-written taxonomy is set, more than
    ``discover_above`` of the complaints are in no theme, and (after a first discovery) the
    uncovered complaints grew by 20% since; otherwise the themes stay as they are."""
    if settings.discover != "auto" or settings.taxonomy_path:
        return None
    catalog = Catalog(catalog_path)
    try:
        cov = coverage(catalog)
        last = catalog.meta("themes_uncovered_after")
    finally:
        catalog.close()
    if cov.uncovered < 60 or 1 - cov.share <= settings.discover_above:
        return None
    if last is not None and cov.uncovered < REDISCOVER_GROWTH * int(last):
        return None
    try:
        return discover_and_apply(settings, catalog_path, store, embedder)
    except DiscoveryError as exc:
        log.info("no themes discovered: %s", exc)
        return None
