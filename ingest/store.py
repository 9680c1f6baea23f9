"""Chroma: embedded PersistentClient under the data dir, or a `chroma run` server by URL."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import numpy as np

from ingest.catalog import now_iso
from ingest.config import Settings
from ingest.errors import ModelError, StoreBusyError, StoreError
from ingest.locks import Mode, command_line, hold_store, release_stores
from ingest.schema import Record

WRITE_BATCH = 2000
_CLIENTS: dict[str, Any] = {}


def _who(h: dict[str, object]) -> str:
    return f"pid {h.get('pid', '?')}: `{h.get('cmd', 'cxbot')}`, since {h.get('since', '?')}"


def _own_store(settings: Settings, mode: Mode) -> None:
    """Hold the embedded store for reading (shared) or writing (alone), or fail at once
    saying who holds it and what to do.

    Any number of processes may read it (`cxbot ask`, `gaps`, `serve`); a writer (`cxbot
    ingest`, `themes`, `remove`) needs it alone, because a write under a reader's open client
    can block for minutes or corrupt the store. The kernel drops the lock when a holder exits,
    even on kill -9.
    """
    holders = hold_store(
        settings.data_dir, mode, {"pid": os.getpid(), "cmd": command_line(), "since": now_iso()}
    )
    if holders is None:
        return
    who = "; ".join(_who(h) for h in holders[:3]) or "a process that just exited; retry"
    server = (
        f"or run Chroma as a server (`chroma run --path {settings.data_dir / 'chroma'}`) and "
        "set CXBOT_CHROMA_URL for every process."
    )
    if mode == "read":
        raise StoreBusyError(
            f"The embedded store in {settings.data_dir} is open in another process that is "
            f"writing it ({who}); reading it meanwhile can hang or return half an update.",
            f"Ask again when that finishes; {server}",
        )
    readers = [h for h in holders if h.get("mode") == "read"]
    raise StoreBusyError(
        f"The embedded store in {settings.data_dir} is open in another process "
        f"({who}{'; ' + str(len(readers) - 3) + ' more' if len(readers) > 3 else ''}); "
        "writing while another process has it open can hang or corrupt it.",
        "While the bot runs, re-index from Slack with `/cx reindex`; wait for the other "
        f"command to finish; {server}",
    )


def _client(settings: Settings, mode: Mode = "read") -> Any:
    """One client per data dir / URL per process: Chroma dislikes two on one folder. The
    embedded store is opened only when a question or a write really needs it (the bot's
    exact search reads vectors saved with the index, see ingest.lexical)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        key = settings.chroma_url
        if key not in _CLIENTS:
            u = urlparse(settings.chroma_url)
            if not u.hostname:
                raise StoreError(f"CXBOT_CHROMA_URL '{settings.chroma_url}' is not a URL.")
            try:
                _CLIENTS[key] = chromadb.HttpClient(
                    host=u.hostname,
                    port=u.port or (443 if u.scheme == "https" else 8000),
                    ssl=u.scheme == "https",
                    settings=chroma_settings,
                )
            except Exception as exc:
                raise StoreError(
                    f"Cannot reach the Chroma server at {settings.chroma_url}: {exc}",
                    "Start it with `chroma run --host 127.0.0.1 --port 8000` or unset "
                    "CXBOT_CHROMA_URL to use the embedded store.",
                ) from None
        return _CLIENTS[key]
    path = settings.data_dir / "chroma"
    key = str(path.resolve())
    path.mkdir(parents=True, exist_ok=True)
    _own_store(settings, mode)  # also when the client is open: a reader may now write
    if key not in _CLIENTS:
        try:
            _CLIENTS[key] = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except Exception as exc:
            msg = str(exc)
            if "lock" in msg.lower() or "busy" in msg.lower():
                raise StoreBusyError(
                    f"The store in {path} is in use by another process.",
                    "Stop `cxbot serve`, or run Chroma as a server and set CXBOT_CHROMA_URL.",
                ) from None
            raise StoreError(f"Cannot open the Chroma store in {path}: {msg}") from None
    return _CLIENTS[key]


def forget_clients() -> None:
    """Drop clients and release the store (tests, and a bot reconnecting after a failure)."""
    _CLIENTS.clear()
    release_stores()


def _metadata(r: Record) -> dict[str, Any]:
    """What Chroma's filtered queries use (`bot.filters.Filters.chroma_where`), nothing more.

    Themes, polarity, sentiment and scores live in the catalog, where answers count them: a
    copy here cost a fifth of Chroma's write and went stale whenever records were re-themed.
    Every field below is part of the record's content hash, so a record whose enrichment alone
    changes (a new taxonomy, a new reading) never needs Chroma written again."""
    md: dict[str, Any] = {"source": r.source, "kind": r.kind}
    if r.date:
        md["dayn"] = int(r.date.strftime("%Y%m%d"))  # Chroma ranges need numbers
    for k, v in r.segments.items():
        md[f"seg:{k}"] = v
    return md


def check_model(configured: str, stored: str | None) -> None:
    """Vectors of two models in one search would return garbage: refuse, saying what to do."""
    if stored and stored != configured:
        raise ModelError(
            f"The index was built with embedding model '{stored}', but '{configured}' is "
            "configured; mixing them would return garbage.",
            "Switch CXBOT_EMBEDDINGS back, or re-embed everything with the new model: "
            "`cxbot ingest --rebuild --config sources.yaml` (the current index answers "
            "until the rebuild is complete).",
        )


class VectorStore:
    """The vector index. It stores each record's embedding, text and filterable metadata."""

    def __init__(
        self,
        settings: Settings,
        model_id: str,
        dim: int,
        name: str | None = None,
        mode: Mode = "read",
    ) -> None:
        self.settings = settings
        self.model_id = model_id
        self.dim = dim
        # "write": ingest and theme edits hold the embedded store alone; "read": shared
        self.mode: Mode = mode
        # a fixed collection (one generation), or None: the current generation's, looked up
        # on each use so a long-running bot follows a rebuild's switch
        self.name = name
        self._collection: Any = None
        self._siblings: dict[str, VectorStore] = {}

    @property
    def client(self) -> Any:
        """Opened on first use, not at construction: most answers never touch Chroma."""
        return _client(self.settings, self.mode)

    def at(self, name: str) -> VectorStore:
        """The same store pinned to one collection (the generation a corpus was loaded from)."""
        if name == self.name:
            return self
        if name not in self._siblings:
            self._siblings[name] = VectorStore(
                self.settings, self.model_id, self.dim, name, self.mode
            )
        return self._siblings[name]

    def _error(self, action: str, exc: Exception, hint: str) -> StoreError:
        """One clear message: an unreachable server is named as such, not as a stack trace."""
        url = self.settings.chroma_url
        text = f"{type(exc).__name__}: {exc}".strip()
        if url and any(
            w in text.lower()
            for w in (
                "connect",
                "refused",
                "timed out",
                "timeout",
                "unreachable",
                "reset",
                "503",
                "502",
            )
        ):
            return StoreError(
                f"Cannot reach the Chroma server at {url} while {action}.",
                f"Is `chroma run` up? {hint}",
            )
        return StoreError(f"Chroma failed while {action}: {text[:300]}", hint)

    def collection(self, create: bool = True) -> Any:
        name = self.name or self.settings.generation().collection
        if create:
            _client(self.settings, "write")  # a reader that writes takes the store alone
        if self._collection is not None and self._collection.name == name:
            return self._collection
        try:
            if create:
                col = self.client.get_or_create_collection(
                    name,
                    metadata={"model_id": self.model_id, "dim": self.dim, "hnsw:space": "cosine"},
                    embedding_function=None,
                )
            else:
                col = self.client.get_collection(name, embedding_function=None)
        except Exception as exc:
            if not create and "does not exist" in str(exc).lower():
                raise StoreError(
                    "Nothing has been indexed yet.", "Run `cxbot ingest` first (or `make demo`)."
                ) from None
            raise self._error(f"opening collection '{name}'", exc, "Try again.") from None
        check_model(self.model_id, (col.metadata or {}).get("model_id"))
        self._collection = col
        return col

    def upsert(self, records: Sequence[Record], vectors: np.ndarray) -> None:
        col = self.collection()
        for start in range(0, len(records), WRITE_BATCH):
            chunk = records[start : start + WRITE_BATCH]
            try:
                col.upsert(
                    ids=[r.id for r in chunk],
                    embeddings=vectors[start : start + len(chunk)],
                    documents=[r.text for r in chunk],
                    metadatas=[_metadata(r) for r in chunk],
                )
            except Exception as exc:
                raise self._error(
                    "writing",
                    exc,
                    "Nothing was committed: answers still come "
                    "from the previous index. Re-run the ingest.",
                ) from None

    def delete(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        col = self.collection()
        for start in range(0, len(ids), WRITE_BATCH):
            try:
                col.delete(ids=list(ids[start : start + WRITE_BATCH]))
            except Exception as exc:
                raise self._error("deleting", exc, "Re-run the ingest.") from None

    def query(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        col = self.collection(create=False)
        try:
            res = col.query(
                query_embeddings=[vector.astype(np.float32)],
                n_results=n,
                where=where or None,
                include=["distances"],
            )
        except Exception as exc:
            raise self._error("searching", exc, "Try again in a moment.") from None
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else [0.0] * len(ids)
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=True)]

    def fetch_vectors(self, ids: Sequence[str]) -> np.ndarray | None:
        """Embeddings for ``ids`` in that order, or None when some are missing (mid-ingest)."""
        col = self.collection(create=False)
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        pos = {rid: i for i, rid in enumerate(ids)}
        found = 0
        for start in range(0, len(ids), WRITE_BATCH):
            chunk = list(ids[start : start + WRITE_BATCH])
            try:
                got = col.get(ids=chunk, include=["embeddings"])
            except Exception as exc:
                raise self._error("reading vectors", exc, "Try again.") from None
            for rid, vec in zip(got["ids"], got["embeddings"], strict=True):
                out[pos[rid]] = vec
                found += 1
        return out if found == len(ids) else None

    def count(self) -> int:
        return int(self.collection(create=False).count())
