"""Theme taxonomy and assignment: embedding similarity to each theme's description plus keywords.

Labels in a source are never needed: themes are inferred from the text.
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ingest.config import format_validation_error
from ingest.embedder import Embedder
from ingest.errors import ConfigError


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    description: str
    examples: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    metric_keywords: list[str] = Field(default_factory=list)
    threshold: float | None = None  # overrides the taxonomy's similarity_threshold
    discovered: bool = False  # found in the data by `ingest.discover`, not written by hand
    parent: str | None = None  # the broader theme it belongs under (two levels)

    @cached_property
    def patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(k, re.I) for k in self.keywords]

    @cached_property
    def metric_patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(k, re.I) for k in self.metric_keywords]


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    themes: dict[str, Theme]
    similarity_threshold: float = 0.45
    keyword_bonus: float = 0.2
    max_themes: int = 3

    def label(self, name: str) -> str:
        t = self.themes.get(name)
        return t.label if t else name


# a themes file's entry `builtin: true`: the shipped definition, kept current
BUILTIN_REF = "builtin"


def builtin_themes() -> dict[str, dict[str, object]]:
    raw = yaml.safe_load(resources.files("ingest").joinpath("taxonomy.yaml").read_text("utf-8"))
    return dict(raw.get("themes") or {})


def _expand_builtin(raw: object, where: str) -> object:
    """Entries written as `builtin: true` (plus any fields the team changed) take the shipped
    definition of that theme, so a themes file written by discovery does not freeze the
    built-in themes as they were that day: an upgrade's better examples reach every index."""
    if not isinstance(raw, dict) or not isinstance(raw.get("themes"), dict):
        return raw
    shipped: dict[str, dict[str, object]] | None = None
    themes = {}
    for name, entry in raw["themes"].items():
        if isinstance(entry, dict) and entry.get(BUILTIN_REF):
            shipped = shipped if shipped is not None else builtin_themes()
            if name not in shipped:
                raise ConfigError(
                    f"{where}: themes.{name}: 'builtin: true' but cxbot ships no theme '{name}'.",
                    "Write the theme out in full, or remove it.",
                )
            entry = {**shipped[name], **{k: v for k, v in entry.items() if k != BUILTIN_REF}}
        themes[name] = entry
    return {**raw, "themes": themes}


def compact_builtin(data: dict[str, object]) -> dict[str, object]:
    """The inverse of ``_expand_builtin`` for saving: a theme that still matches its shipped
    definition is written as `builtin: true` plus only the fields that differ."""
    shipped = builtin_themes()
    themes = data.get("themes")
    if not isinstance(themes, dict):
        return data
    out = {}
    for name, entry in themes.items():
        base = shipped.get(name)
        if isinstance(base, dict) and isinstance(entry, dict) and not entry.get("discovered"):
            full = Theme.model_validate(base).model_dump(exclude_defaults=True)
            diff = {k: v for k, v in entry.items() if full.get(k) != v}
            if set(diff) <= {"label", "threshold", "parent"}:  # renamed or tuned, not rewritten
                entry = {BUILTIN_REF: True, **diff}
        out[name] = entry
    return {**data, "themes": out}


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    if path is None:
        raw_text = resources.files("ingest").joinpath("taxonomy.yaml").read_text("utf-8")
        where = "built-in taxonomy"
    else:
        try:
            raw_text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the taxonomy ({exc.strerror}).") from None
        where = str(path)
    try:
        raw = _expand_builtin(yaml.safe_load(raw_text), where)
        tax = Taxonomy.model_validate(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({exc}).") from None
    except ValidationError as exc:
        raise ConfigError(f"{where}: {format_validation_error(exc)}") from None
    for name, theme in tax.themes.items():
        for k in theme.keywords + theme.metric_keywords:
            try:
                re.compile(k)
            except re.error as exc:
                raise ConfigError(
                    f"{where}: themes.{name}.keywords: '{k}' is not a regex ({exc})."
                ) from None
    return tax


class ThemeAssigner:
    """Scores texts against theme prototypes (mean of description + example embeddings)."""

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder) -> None:
        self.taxonomy = taxonomy
        self.names = list(taxonomy.themes)
        self.embedder = embedder

    @cached_property
    def prototypes(self) -> np.ndarray:
        """Embedded on first use: a re-ingest with nothing new never needs them."""
        return self._embed_prototypes()

    def _embed_prototypes(self) -> np.ndarray:
        protos = []
        for name in self.names:
            t = self.taxonomy.themes[name]
            vecs = self.embedder.embed([t.description, *t.examples])
            p = vecs.mean(axis=0)
            protos.append(p / np.linalg.norm(p))
        return np.vstack(protos) if protos else np.zeros((0, self.embedder.dim))

    def keyword_hits(self, text: str) -> np.ndarray:
        return np.array(
            [any(p.search(text) for p in self.taxonomy.themes[n].patterns) for n in self.names],
            dtype=bool,
        )

    def scores(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        sims = vectors @ self.prototypes.T
        hits = np.vstack([self.keyword_hits(t) for t in texts]) if texts else sims.astype(bool)
        return sims + self.taxonomy.keyword_bonus * hits

    def complaints(self, text: str, themes: list[str], polarity: int) -> list[str]:
        """Themes raised as a problem: the comment is not positive, or it names the problem
        outright ("delayed", "lost my bag"). VADER alone reads "thanks for nothing, flight
        delayed 3 hours" as positive, so a keyword hit counts as a complaint whatever the tone."""
        out = []
        for t in themes:
            theme = self.taxonomy.themes.get(t)
            if polarity <= 0 or (theme and any(p.search(text) for p in theme.patterns)):
                out.append(t)
        return out

    def assign(self, texts: list[str], vectors: np.ndarray) -> list[list[str]]:
        tax = self.taxonomy
        scores = self.scores(texts, vectors)
        out = []
        thresholds = np.array(
            [tax.themes[n].threshold or tax.similarity_threshold for n in self.names]
        )
        found = np.array([tax.themes[n].discovered for n in self.names], dtype=bool)
        for row in scores:
            order = [i for i in np.argsort(-row) if row[i] >= thresholds[i]]
            # hand-written themes first: a discovered theme fills a free slot, never takes one
            picks = [i for i in order if not found[i]][: tax.max_themes]
            picks += [i for i in order if found[i]][: tax.max_themes - len(picks)]
            out.append([self.names[i] for i in picks])
        return out
