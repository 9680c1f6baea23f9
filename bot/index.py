"""The read side of one index: settings, model, themes and vector store, loaded once; the corpus
per index version; hybrid search. Ask, analysis, digest and Slack all read through it."""

from __future__ import annotations

import numpy as np

from bot.ask.retrieval import LEVERS, Mode, search
from bot.citations import Hit
from bot.corpus import Corpus, load_corpus
from bot.filters import Filters
from ingest.adapt import theme_assigner
from ingest.config import Settings
from ingest.embedder import Embedder, get_embedder
from ingest.store import VectorStore, check_model
from ingest.themes import ThemeAssigner


class Index:
    """Everything a figure or a quote needs, loaded once; the corpus follows the index version."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or get_embedder(settings)
        self.store = VectorStore(settings, self.embedder.model_id, self.embedder.dim)

    @property
    def assigner(self) -> ThemeAssigner:
        """Follows the active taxonomy: themes discovered or renamed by another process show
        up on the next question."""
        return theme_assigner(self.settings, self.embedder)

    def corpus(self) -> Corpus:
        return load_corpus(self.settings)

    def label(self, theme: str) -> str:
        return self.assigner.taxonomy.label(theme)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def search(
        self,
        query: str,
        filters: Filters,
        k: int = 8,
        mode: Mode = "hybrid",
        kind: str | None = "verbatim",
        theme_filter: list[str] | None = None,
        qvec: np.ndarray | None = None,
    ) -> list[Hit]:
        corpus = self.corpus()
        if mode != "bm25":  # the vectors may come from a file now, not Chroma: check here too
            check_model(self.embedder.model_id, corpus.model_id)
        qv = qvec if qvec is not None else self.embed_query(query)
        if mode == "hybrid" and kind == "verbatim":
            qv, query = self._expand(qv, query, theme_filter or filters.themes)
        return search(corpus, self.store, qv, query, filters, k, mode, kind, theme_filter)

    def _expand(self, qvec: np.ndarray, query: str, themes: list[str]) -> tuple[np.ndarray, str]:
        """Query expansion from the asked themes (retrieval.LEVERS): the question's vector
        moved towards each theme's prototype, and its words for BM25 joined by the theme's
        label and examples."""
        alpha = float(LEVERS["expand_dense"])
        lex = bool(LEVERS["expand_lex"])
        if not themes or (not alpha and not lex):
            return qvec, query
        a = self.assigner
        names = [t for t in themes[:2] if t in a.taxonomy.themes]
        if not names:
            return qvec, query
        if alpha:
            protos = a.prototypes[[a.names.index(t) for t in names]].sum(axis=0)
            v = qvec + alpha * protos / len(names)
            qvec = (v / np.linalg.norm(v)).astype(np.float32)
        if lex:
            extra = [a.taxonomy.themes[t].label for t in names]
            extra += [e for t in names for e in a.taxonomy.themes[t].examples]
            query = query + " " + " ".join(extra)
        return qvec, query
