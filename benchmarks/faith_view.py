"""An independent view of the store for the faithfulness checker.

It reads the catalog rows itself and recounts with its own masks and formulas (Wilson interval,
two-proportion z), so a bug in bot.corpus or bot.understand cannot hide behind itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from ingest.adapt import active_taxonomy_path
from ingest.catalog import Catalog
from ingest.config import Settings
from ingest.themes import load_taxonomy

Z95 = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p, z = k / n, Z95
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def two_prop_z(k1: int, n1: int, k2: int, n2: int) -> float:
    if not n1 or not n2:
        return 0.0
    p = (k1 + k2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return 0.0 if se == 0 else (k1 / n1 - k2 / n2) / se


@dataclass
class Scope:
    """What an answer says it counted over: its ``filters`` object."""

    segments: dict[str, list[str]] = field(default_factory=dict)
    since: date | None = None
    until: date | None = None
    sources: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)  # theme names (the answer shows labels)
    polarity: int | None = None

    @property
    def who(self) -> str:
        # a value of two keys ("Dresses", a department and a class) is named once
        parts = list(dict.fromkeys(" / ".join(v) for v in self.segments.values()))
        return (" ".join(parts) + " ") if parts else ""

    @property
    def when(self) -> str:
        if not (self.since or self.until):
            return ""
        return f" dated {self.since or 'start'} to {self.until or 'now'}"

    def as_filters(self) -> Any:
        from bot.filters import Filters

        return Filters(
            segments=dict(self.segments),
            since=self.since,
            until=self.until,
            themes=list(self.themes),
            polarity=self.polarity,
            sources=list(self.sources),
        )


class StoreView:
    """Catalog rows as arrays, loaded once per checker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        cat = Catalog(settings.catalog_path)
        try:
            self.rows = list(cat.rows("ORDER BY rowid"))
            self.last_indexed = cat.meta("last_indexed")
            self.model_id = cat.meta("model_id")
            self.n_sources = len(cat.sources())
        finally:
            cat.close()
        self.by_id = {str(r["id"]): i for i, r in enumerate(self.rows)}
        # the themes the bot answers with: discovered and renamed ones too (the data dir's file)
        self.taxonomy = load_taxonomy(active_taxonomy_path(settings))
        self.label_to_theme = {t.label: n for n, t in self.taxonomy.themes.items()}
        rows = self.rows
        self.kind = np.array([r["kind"] for r in rows], dtype=object)
        self.verbatim = self.kind == "verbatim"
        self.day = np.array([r["day"] or "" for r in rows], dtype=object)
        self.source = np.array([r["source"] for r in rows], dtype=object)
        self.polarity = np.array([int(r["polarity"]) for r in rows], dtype=np.int64)
        self._themes = [set(r["themes"]) for r in rows]
        self._complaints = [set(r["complaints"]) for r in rows]
        self.any_complaint = np.array([bool(c) for c in self._complaints], dtype=bool)
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def theme(self, name: str) -> np.ndarray:
        return self._set_mask("theme", name, self._themes)

    def complaint(self, name: str) -> np.ndarray:
        return self._set_mask("complaint", name, self._complaints)

    def _set_mask(self, what: str, name: str, sets: list[set[str]]) -> np.ndarray:
        key = (what, name)
        if key not in self._cache:
            self._cache[key] = np.array([name in s for s in sets], dtype=bool)
        return self._cache[key]

    def segment(self, key: str, values: list[str]) -> np.ndarray:
        ck = ("segment", key + "\x00" + "\x00".join(sorted(values)))
        if ck not in self._cache:
            wanted = set(values)
            self._cache[ck] = np.array(
                [r["segments"].get(key) in wanted for r in self.rows], dtype=bool
            )
        return self._cache[ck]

    def segment_key(self, value: str) -> str | None:
        """The segment key under which verbatims carry ``value``."""
        for r, is_v in zip(self.rows, self.verbatim, strict=True):
            if is_v:
                for k, v in r["segments"].items():
                    if v == value:
                        return str(k)
        return None

    def segment_values(self, key: str) -> list[str]:
        vals = {r["segments"].get(key) for r, v in zip(self.rows, self.verbatim, strict=True) if v}
        return sorted(str(x) for x in vals if x)

    def segment_keys(self) -> list[str]:
        return sorted({k for r in self.rows for k in r["segments"]})

    def scope(self, s: Scope, kind: str | None = "verbatim") -> np.ndarray:
        m = np.ones(len(self), dtype=bool) if kind is None else (self.kind == kind)
        for key, values in s.segments.items():
            m = m & self.segment(key, values)
        if s.since:
            m = m & np.array([bool(d) and d >= s.since.isoformat() for d in self.day], dtype=bool)
        if s.until:
            m = m & np.array([bool(d) and d <= s.until.isoformat() for d in self.day], dtype=bool)
        if s.sources:
            m = m & np.isin(self.source, s.sources)
        return m

    def period(self, lo: date, hi: date) -> np.ndarray:
        a, b = lo.isoformat(), hi.isoformat()
        ck = ("period", f"{a}/{b}")
        if ck not in self._cache:
            self._cache[ck] = np.array([bool(d) and a <= d <= b for d in self.day], dtype=bool)
        return self._cache[ck]

    def verbatim_dates(self) -> tuple[str | None, str | None]:
        days = [d for d, v in zip(self.day, self.verbatim, strict=True) if v and d]
        return (min(days), max(days)) if days else (None, None)

    def scope_from(self, filters: dict[str, Any]) -> Scope:
        themes = [self.label_to_theme.get(x, x) for x in filters.get("themes") or []]
        pol = {"negative": -1, "positive": 1}.get(filters.get("sentiment") or "")
        return Scope(
            segments={k: list(v) for k, v in (filters.get("segments") or {}).items()},
            since=date.fromisoformat(filters["since"]) if filters.get("since") else None,
            until=date.fromisoformat(filters["until"]) if filters.get("until") else None,
            sources=list(filters.get("sources") or []),
            themes=themes,
            polarity=pol,
        )


NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def as_int(s: str) -> int:
    return int(s.replace(",", ""))


def pct_ok(printed: str, k: int, n: int) -> bool:
    """'24.5%' matches k/n rounded to the decimals printed; 'n/a' only when n is 0."""
    if printed == "n/a":
        return n == 0
    if n == 0:
        return False
    return number_ok(printed.rstrip("%"), 100.0 * k / n)


def number_ok(printed: str, true: float) -> bool:
    """A printed number matches when it is ``true`` rounded to the precision written."""
    digits = len(printed.split(".", 1)[1]) if "." in printed else 0
    return abs(float(printed.replace(",", "")) - true) <= 0.5 * 10**-digits + 1e-9
