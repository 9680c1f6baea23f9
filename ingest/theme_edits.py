"""`cxbot themes`: list, show, discover, rename, merge, split, export, apply.

Every edit writes the active taxonomy (the data dir's themes.yaml, or CXBOT_TAXONOMY_PATH when
set) and re-themes every record from its stored vector, under the ingest lock, so the next
answer counts with the new themes and no model time is spent. Theme ids never change on a
rename, so links, thread context and saved answers keep pointing at the same theme.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ingest.adapt import (
    ThemeChange,
    active_taxonomy_path,
    corpus_sample,
    coverage,
    data_taxonomy_path,
    discover_and_apply,
    discovered_themes,
    publish_themes,
    retheme,
    save_taxonomy,
    stored_vectors,
)
from ingest.catalog import Catalog
from ingest.config import Settings
from ingest.discover import DiscoveryError, slug
from ingest.embedder import Embedder, get_embedder
from ingest.errors import ConfigError, StoreError
from ingest.generations import Generation
from ingest.locks import ingest_lock
from ingest.store import VectorStore
from ingest.themes import Taxonomy, Theme, load_taxonomy


def _catalog(settings: Settings) -> Generation:
    gen = settings.generation()
    if not gen.exists():
        raise StoreError(
            f"Nothing has been indexed yet in {settings.data_dir}.",
            "Run `cxbot ingest FILE --kind survey` (or `make demo`) first.",
        )
    return gen


def _target(settings: Settings) -> Path:
    return settings.taxonomy_path or data_taxonomy_path(settings)


def current(settings: Settings) -> Taxonomy:
    return load_taxonomy(active_taxonomy_path(settings))


def theme_rows(settings: Settings) -> list[dict[str, Any]]:
    """Every theme with how many verbatims raise it and how many as a complaint."""
    tax = current(settings)
    raised: Counter[str] = Counter()
    complained: Counter[str] = Counter()
    catalog = Catalog(_catalog(settings))
    try:
        for themes, complaints in catalog.db.execute(
            "SELECT themes, complaints FROM records WHERE kind='verbatim'"
        ):
            raised.update(json.loads(themes))
            complained.update(json.loads(complaints))
        cov = coverage(catalog)
    finally:
        catalog.close()
    rows = []
    for tid, t in tax.themes.items():
        rows.append(
            {
                "id": tid,
                "label": t.label,
                "parent": t.parent,
                "discovered": t.discovered,
                "verbatims": raised[tid],
                "complaints": complained[tid],
                "share_of_complaints": round(complained[tid] / cov.complaining, 4)
                if cov.complaining
                else 0.0,
                "examples": t.examples[:3],
            }
        )
    rows.sort(key=lambda r: -r["complaints"])
    return rows


def coverage_line(settings: Settings) -> str:
    catalog = Catalog(_catalog(settings))
    try:
        cov = coverage(catalog)
    finally:
        catalog.close()
    return (
        f"{cov.covered:,} of {cov.complaining:,} complaining verbatims "
        f"({100 * cov.share:.1f}%) fall in some theme."
    )


def find(tax: Taxonomy, name: str) -> str:
    """A theme by id or label (case-insensitive)."""
    if name in tax.themes:
        return name
    for tid, t in tax.themes.items():
        if t.label.lower() == name.lower() or slug(t.label) == slug(name):
            return tid
    raise ConfigError(
        f"No theme '{name}'.",
        "Themes: " + ", ".join(f"{tid} ({t.label})" for tid, t in list(tax.themes.items())[:30]),
    )


def _no_collision(tax: Taxonomy, label: str, keep: str | None = None) -> None:
    for tid, t in tax.themes.items():
        if tid != keep and t.label.lower() == label.strip().lower():
            raise ConfigError(
                f"A theme is already called '{t.label}' ({tid}).",
                "Pick another name, or merge the two: `cxbot themes merge A B`.",
            )


def _write(settings: Settings, tax: Taxonomy, embedder: Embedder | None = None) -> ThemeChange:
    embedder = embedder or get_embedder(settings)
    path = _catalog(settings)
    with ingest_lock(settings, who="themes"):
        store = VectorStore(
            settings, embedder.model_id, embedder.dim, settings.generation().collection, "write"
        )
        catalog = Catalog(path)
        try:
            before = coverage(catalog)
        finally:
            catalog.close()
        n = retheme(path, store, embedder, tax)
        save_taxonomy(tax, _target(settings))
        publish_themes(settings, path)
        catalog = Catalog(path)
        try:
            after = coverage(catalog)
        finally:
            catalog.close()
    return ThemeChange(records=n, before=before, after=after)


def rename(settings: Settings, name: str, label: str) -> tuple[str, ThemeChange]:
    tax = current(settings)
    tid = find(tax, name)
    if not label.strip():
        raise ConfigError("The new name is empty.", 'Give one, e.g. "Size runs small".')
    _no_collision(tax, label, keep=tid)
    themes = dict(tax.themes)
    themes[tid] = themes[tid].model_copy(update={"label": label.strip()})
    for other, t in themes.items():  # children follow their parent's new name
        if t.parent == tax.themes[tid].label and other != tid:
            themes[other] = t.model_copy(update={"parent": label.strip()})
    return tid, _write(settings, tax.model_copy(update={"themes": themes}))


def merge(
    settings: Settings, names: list[str], label: str | None = None
) -> tuple[str, ThemeChange]:
    """The first theme absorbs the others: their examples and keywords join it."""
    tax = current(settings)
    if len(names) < 2:
        raise ConfigError("Name at least two themes to merge.")
    ids = [find(tax, n) for n in names]
    if len(set(ids)) < len(ids):
        raise ConfigError("A theme is named twice.")
    head, rest = ids[0], ids[1:]
    themes = dict(tax.themes)
    h = themes[head]
    merged = h.model_copy(
        update={
            "label": (label or h.label).strip(),
            "examples": h.examples + [e for r in rest for e in themes[r].examples],
            "keywords": h.keywords + [k for r in rest for k in themes[r].keywords],
            "metric_keywords": h.metric_keywords
            + [k for r in rest for k in themes[r].metric_keywords],
            "threshold": min(
                [t.threshold for t in (h, *(themes[r] for r in rest)) if t.threshold]
                or [tax.similarity_threshold]
            ),
        }
    )
    if label:
        _no_collision(tax, label, keep=head)
    for r in rest:
        del themes[r]
    themes[head] = merged
    return head, _write(settings, tax.model_copy(update={"themes": themes}))


def split(
    settings: Settings, name: str, parts: int = 2, embedder: Embedder | None = None
) -> tuple[list[str], ThemeChange]:
    """Cluster one theme's verbatims into ``parts`` themes under it as their parent."""
    tax = current(settings)
    tid = find(tax, name)
    embedder = embedder or get_embedder(settings)
    if parts < 2:
        raise ConfigError("--parts must be at least 2.")
    catalog = Catalog(_catalog(settings))
    try:
        rows = [
            (str(i), str(t))
            for i, t, th in catalog.db.execute(
                "SELECT id, text, themes FROM records WHERE kind='verbatim'"
            )
            if tid in json.loads(th)
        ]
        background = corpus_sample(catalog)
    finally:
        catalog.close()
    store = VectorStore(settings, embedder.model_id, embedder.dim, settings.generation().collection)
    vecs = stored_vectors(store, [r[0] for r in rows]) if rows else np.zeros((0, embedder.dim))
    try:
        new = discovered_themes(
            [r[1] for r in rows],
            vecs,
            embedder,
            [],
            set(tax.themes) - {tid},
            k=parts,
            settings=settings,
            labels={t.label.lower() for k, t in tax.themes.items() if k != tid},
            background=background,
        )
    except DiscoveryError as exc:
        raise DiscoveryError(
            f"'{tax.themes[tid].label}' cannot be split: {exc.message}", exc.hint
        ) from None
    parent = tax.themes[tid].label
    themes = {k: v for k, v in tax.themes.items() if k != tid}
    for k, t in new.items():
        _no_collision(Taxonomy(themes=themes), t.label)
        themes[k] = t.model_copy(update={"parent": parent})
    return list(new), _write(settings, tax.model_copy(update={"themes": themes}), embedder)


def export(settings: Settings, path: Path) -> int:
    tax = current(settings)
    save_taxonomy(tax, path, full=True)
    return len(tax.themes)


def apply(settings: Settings, path: Path) -> ThemeChange:
    """Validate a taxonomy file, make it the active one and re-theme (no re-embedding)."""
    tax = load_taxonomy(path)
    labels = Counter(t.label.lower() for t in tax.themes.values())
    twice = [lab for lab, n in labels.items() if n > 1]
    if twice:
        raise ConfigError(f"{path}: two themes are called '{twice[0]}'.", "Rename one.")
    return _write(settings, tax)


def discover(settings: Settings, embedder: Embedder | None = None) -> ThemeChange:
    embedder = embedder or get_embedder(settings)
    path = _catalog(settings)
    with ingest_lock(settings, who="themes"):
        store = VectorStore(
            settings, embedder.model_id, embedder.dim, settings.generation().collection, "write"
        )
        change = discover_and_apply(settings, path, store, embedder)
        publish_themes(settings, path)
        return change


def describe(settings: Settings, name: str) -> dict[str, Any]:
    tax = current(settings)
    tid = find(tax, name)
    t: Theme = tax.themes[tid]
    row = next(r for r in theme_rows(settings) if r["id"] == tid)
    return {**row, "description": t.description, "keywords": t.keywords, "examples": t.examples}
