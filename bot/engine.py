"""The one facade: the index (model, store, corpus) and `ask`, a question to a cited answer."""

from __future__ import annotations

import numpy as np

from bot.ask.compose import compose
from bot.ask.llm_query import parse_question
from bot.ask.understand import Understanding
from bot.citations import Answer
from bot.filters import Filters
from bot.index import Index


class Engine(Index):
    """What the CLI and Slack hold: one per process, shared by every question."""

    def understand(
        self, question: str, segment: list[str] | None = None, qvec: np.ndarray | None = None
    ) -> Understanding:
        qv = qvec if qvec is not None else self.embed_query(question)
        return parse_question(self, question, qv, segment)

    def ask(
        self,
        question: str,
        segment: list[str] | None = None,
        limit: int = 8,
        base: Filters | None = None,
    ) -> Answer:
        answer = compose(self, question, segment=segment, limit=limit, base=base)
        if self.settings.llm == "openai":
            from bot.ask.llm import synthesize  # optional: never needed for the default answers

            answer = synthesize(self, answer)
        return answer
