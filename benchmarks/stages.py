"""Where ingest time goes, measured in the same run as the headline figure.

The pipeline's own functions are wrapped (monkeypatched inside the benchmark process only, never
edited) with timers that count *exclusive* time: a stage nested in another is not counted twice.
The overhead is a few microseconds per call, under 0.5% of an ingest.
"""

from __future__ import annotations

import inspect
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class StageClock:
    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._stack: list[list[Any]] = []  # [name, child seconds]
        self._undo: list[tuple[Any, str, Any]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        self._stack.append([name, 0.0])
        try:
            yield
        finally:
            elapsed = time.perf_counter() - t0
            _, child = self._stack.pop()
            self.totals[name] += elapsed - child
            self.calls[name] += 1
            if self._stack:
                self._stack[-1][1] += elapsed

    def active(self, name: str) -> bool:
        return any(frame[0] == name for frame in self._stack)

    def wrap(self, owner: Any, attr: str, name: str, unless_inside: str | None = None) -> None:
        """Time every call of ``owner.attr`` as stage ``name`` (inside ``unless_inside``, the
        time stays with that stage: e.g. embedding the taxonomy is part of building themes)."""
        static = inspect.getattr_static(owner, attr)
        original = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if unless_inside and self.active(unless_inside):
                return original(*args, **kwargs)
            with self.stage(name):
                return original(*args, **kwargs)

        setattr(owner, attr, staticmethod(timed) if isinstance(static, staticmethod) else timed)
        self._undo.append((owner, attr, static))

    def wrap_cm(self, owner: Any, attr: str, name: str) -> None:
        """Time the whole ``with`` block of a context-manager method (e.g. a transaction)."""
        static = inspect.getattr_static(owner, attr)
        original = getattr(owner, attr)

        @contextmanager
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with self.stage(name), original(*args, **kwargs) as value:
                yield value

        setattr(owner, attr, timed)
        self._undo.append((owner, attr, static))

    def restore(self) -> None:
        for owner, attr, static in reversed(self._undo):
            setattr(owner, attr, static)
        self._undo.clear()

    def table(self, total: float) -> list[dict[str, Any]]:
        rows = [
            {"stage": k, "s": v, "share": v / total if total else 0.0, "calls": self.calls[k]}
            for k, v in self.totals.items()
        ]
        rest = total - sum(self.totals.values())
        rows.append({"stage": "other (lock, bookkeeping)", "s": rest, "share": rest / total})
        return sorted(rows, key=lambda r: -r["s"])


# (module, attribute path, stage, how). The ingest pipeline evolves: a name that no longer
# exists is skipped and listed under "not instrumented", never an error.
THEMES = "theme prototypes (embed the taxonomy)"
CHROMA_OPEN = "open Chroma (import + client)"
CHROMA_WRITE = "Chroma write (HNSW + metadata)"
STAGES: list[tuple[str, str, str, str]] = [
    ("ingest.pipeline", "_open", "open + check files", "call"),
    ("ingest.pipeline", "_Writer.source", "read rows (streamed loaders) + classify", "call"),
    ("ingest.pipeline", "redact", "redact PII", "call"),
    ("ingest.pipeline", "get_embedder", "load the model", "call"),
    ("ingest.embedder", "OnnxEmbedder._load", "load the model", "call"),
    ("ingest.adapt", "theme_assigner", THEMES, "call"),
    ("ingest.themes", "ThemeAssigner._embed_prototypes", THEMES, "call"),
    ("ingest.store", "VectorStore.__init__", CHROMA_OPEN, "call"),
    ("ingest.store", "VectorStore.collection", CHROMA_OPEN, "call"),
    ("ingest.catalog", "Catalog.hashes", "hash check", "call"),
    ("ingest.schema", "Record.content_hash", "hash check", "call"),
    ("ingest.pipeline", "compound", "sentiment (VADER)", "call"),
    ("ingest.themes", "ThemeAssigner.assign", "themes (similarity + keywords)", "call"),
    ("ingest.themes", "ThemeAssigner.complaints", "complaint rules", "call"),
    ("ingest.store", "VectorStore.upsert", CHROMA_WRITE, "call"),
    ("ingest.store", "VectorStore.delete", CHROMA_WRITE, "call"),
    ("ingest.catalog", "Catalog.upsert", "catalog write (SQLite)", "call"),
    ("ingest.catalog", "Catalog.transaction", "catalog transaction (commit, bookkeeping)", "cm"),
]


def instrument_ingest(clock: StageClock, embedder_cls: type | None = None) -> list[str]:
    """Wrap the stages of ingest.pipeline.run_ingest; returns what could not be found."""
    import importlib

    from ingest.embedder import OnnxEmbedder

    missing = []
    for module, path, stage, how in STAGES:
        owner: Any = importlib.import_module(module)
        *parents, attr = path.split(".")
        try:
            for p in parents:
                owner = getattr(owner, p)
            getattr(owner, attr)
        except AttributeError:
            missing.append(f"{module}.{path}")
            continue
        if how == "cm":
            clock.wrap_cm(owner, attr, stage)
        else:
            clock.wrap(owner, attr, stage)
    clock.wrap(embedder_cls or OnnxEmbedder, "embed", "embed (tokenize + ONNX)", THEMES)
    return missing
