"""LLM labels for verbatims at ingest (``CXBOT_LLM=openai``): polarity and intent, verified.

Why: the offline reading (``ingest.reading``) is right for about three tweets in four; a
language model reads sarcasm and calm complaints better. It is used only as a check-and-replace
on top of the offline reading, never instead of it:
- batches of ``llm_label_batch`` verbatims per request, the least sure offline readings first,
  at most ``llm_label_max_calls`` requests per run (the rest keep the offline reading);
- every label is checked: the id was asked for, appears once, and the words are from the
  allowed sets; a batch whose reply fails (HTTP, JSON, fewer than half its labels valid)
  keeps the offline reading for all of it;
- labels are cached by model + prompt + text hash in the data dir, so a re-ingest (or a
  re-theme, a rebuild) of the same text never asks again;
- the respondent's own score still wins, and a negative verbatim is a complaint, as offline.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from ingest.config import Settings
from ingest.llm_client import (
    ModelFailure,
    Usage,
    call_model,
    chat_model,
    cost_usd,
    escape,
    json_schema,
    parse_json,
    secret_values,
)
from ingest.reading import Reading, high_score, low_score
from ingest.reading_model import INTENTS, POLARITIES
from prompts import load

log = logging.getLogger("cxbot.llm")

PROMPT = "label.txt"
CACHE_FILE = "llm_labels.sqlite"
MAX_TEXT_CHARS = 1000  # per verbatim in the prompt
MIN_VALID_SHARE = 0.5  # fewer valid labels than this share: the whole batch is distrusted
WORKERS = 4  # requests in flight at once
VALUE = {"negative": -1, "neutral": 0, "positive": 1}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["labels"],
    "properties": {
        "labels": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "polarity", "intent"],
                "properties": {
                    "id": {"type": "integer"},
                    "polarity": {"type": "string", "enum": list(POLARITIES)},
                    "intent": {"type": "string", "enum": list(INTENTS)},
                },
            },
        }
    },
}


@dataclass
class LabelStats:
    """What the model did in one run, for the ingest summary."""

    asked: int = 0  # verbatims sent to the model
    labelled: int = 0  # ...whose label passed the checks and was used
    cached: int = 0  # read from the cache, no request
    calls: int = 0  # requests (with retries)
    failed_batches: int = 0
    rejected: int = 0  # single labels that failed the checks (offline reading kept)
    over_cap: int = 0  # verbatims left to the offline reading by the cap on requests
    changed: int = 0  # readings the model changed (polarity or intent)
    reasons: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    def line(self, model: str) -> str | None:
        if not (self.asked or self.cached or self.reasons):
            return None
        parts = [f"{self.labelled + self.cached:,} verbatim(s) read by the model ({model})"]
        if self.cached:
            parts.append(f"{self.cached:,} from the cache")
        parts.append(f"{self.changed:,} reading(s) changed, {self.calls} request(s)")
        cost = cost_usd(model, self.usage)
        if cost is not None and self.calls:
            parts.append(f"about ${cost:.4f}")
        if self.failed_batches or self.rejected:
            parts.append(
                f"{self.failed_batches} batch(es) and {self.rejected} label(s) failed the "
                "checks (offline reading kept)"
            )
        if self.over_cap:
            parts.append(
                f"{self.over_cap:,} left to the offline reading by CXBOT_LLM_LABEL_MAX_CALLS"
            )
        if self.reasons:
            parts.append("not used: " + "; ".join(dict.fromkeys(self.reasons)))
        return "; ".join(parts)


def verify(data: Any, ids: list[int]) -> dict[int, tuple[str, str]]:
    """The labels of ``data`` that can be trusted: an asked id, once, allowed words only."""
    items = data.get("labels") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return {}
    asked = set(ids)
    seen: dict[int, int] = {}
    good: dict[int, tuple[str, str]] = {}
    for it in items:
        if not isinstance(it, dict):
            continue
        i, pol, intent = it.get("id"), it.get("polarity"), it.get("intent")
        if isinstance(i, bool) or not isinstance(i, int) or i not in asked:
            continue
        seen[i] = seen.get(i, 0) + 1
        if pol in VALUE and intent in INTENTS:
            good[i] = (str(pol), str(intent))
    return {i: v for i, v in good.items() if seen[i] == 1}  # two answers for one id: neither


def combine(
    offline: Reading, pol_word: str, intent: str, score: float | None, scale: float | None
) -> Reading:
    """The model's label under the offline rules that figures rely on: the score wins, a
    negative verbatim is a complaint, praise is positive."""
    pol = VALUE[pol_word]
    if low_score(score, scale):
        pol = -1
    elif high_score(score, scale) and pol >= 0:
        pol = 1
    if pol < 0:
        intent = "complaint"
    elif intent == "praise" and pol == 0:
        intent = "other"
    elif intent == "complaint" and pol > 0:
        intent = offline.intent if offline.intent != "complaint" else "other"
    return dataclasses.replace(offline, polarity=pol, intent=intent, confidence=1.0)  # type: ignore[arg-type]


class Labeller:
    """One per ingest run: holds the request budget, the cache and the counts."""

    def __init__(self, settings: Settings, cache_path: Path | None = None) -> None:
        self.s = settings
        self.stats = LabelStats()
        self.template = load(PROMPT)
        self.key_prefix = hashlib.sha256(
            f"{settings.llm_model}\0{self.template}".encode()
        ).hexdigest()[:16]
        self.secrets = secret_values(settings)
        self.path = cache_path or settings.data_dir / CACHE_FILE
        self._db: sqlite3.Connection | None = None
        self._chat: Any = None
        self._off = False  # no key, no client: stop asking for this run
        self._lock = threading.Lock()  # batches run in threads; the counts are shared

    @classmethod
    def maybe(cls, settings: Settings) -> Labeller | None:
        if settings.llm != "openai" or settings.llm_label_max_calls <= 0:
            return None
        return cls(settings)

    # ------------------------------------------------------------------ cache
    def _cache(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS labels (key TEXT PRIMARY KEY, polarity TEXT, "
                "intent TEXT, at REAL)"
            )
        return self._db

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.key_prefix}\0{text}".encode()).hexdigest()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # ------------------------------------------------------------------ labelling
    def relabel(
        self,
        texts: list[str],
        readings: list[Reading],
        scores: list[float | None],
        scale: float | None,
    ) -> list[Reading]:
        """``readings`` with the model's verified labels where it gave them."""
        out = list(readings)
        keys = [self.key(t) for t in texts]
        db = self._cache()
        cached: dict[str, tuple[str, str]] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            for k, p, i in db.execute(
                f"SELECT key, polarity, intent FROM labels WHERE key IN ({marks})", part
            ):
                cached[str(k)] = (str(p), str(i))
        todo = []
        for n, k in enumerate(keys):
            if k in cached:
                out[n] = self._apply(out[n], *cached[k], scores[n], scale)
                self.stats.cached += 1
            else:
                todo.append(n)
        todo.sort(key=lambda n: readings[n].confidence)  # least sure first
        size = self.s.llm_label_batch
        pending = [todo[i : i + size] for i in range(0, len(todo), size)]
        rows: list[tuple[str, str, str, float]] = []
        if pending and not self._off:
            try:
                self._chat = self._chat or chat_model(self.s, max_tokens=max(400, 40 * size))
            except ModelFailure as exc:
                self.stats.reasons.append(exc.reason)
                self._off = True
        # waves of requests in flight; each batch may take 1 + llm_max_retries requests, so a
        # wave starts only as many batches as the cap can still pay for in the worst case
        per = 1 + max(0, self.s.llm_max_retries)
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="cxbot-label") as pool:
            while pending and not self._off:
                room = self.s.llm_label_max_calls - self.stats.calls
                n = min(WORKERS, len(pending), room // per) or (1 if room > 0 else 0)
                if n == 0:
                    break
                wave, pending = pending[:n], pending[n:]
                results = list(pool.map(lambda b: self._ask([texts[j] for j in b]), wave))
                for batch, got in zip(wave, results, strict=True):
                    self._use(batch, got, out, keys, scores, scale, rows)
                if all(got is None for got in results):
                    self._off = True  # a whole wave failed: the server is down or unusable
        if not self._off:
            self.stats.over_cap += sum(len(b) for b in pending)
        with db:
            db.executemany("INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?)", rows)
        return out

    def _use(
        self,
        batch: list[int],
        got: dict[int, tuple[str, str]] | None,
        out: list[Reading],
        keys: list[str],
        scores: list[float | None],
        scale: float | None,
        rows: list[tuple[str, str, str, float]],
    ) -> None:
        self.stats.asked += len(batch)
        if got is None:
            self.stats.failed_batches += 1
            return
        self.stats.rejected += len(batch) - len(got)
        for j, n in enumerate(batch):
            if j not in got:
                continue
            before = out[n]
            out[n] = self._apply(before, *got[j], scores[n], scale)
            self.stats.labelled += 1
            rows.append((keys[n], got[j][0], got[j][1], time.time()))
            if (before.polarity, before.intent) != (out[n].polarity, out[n].intent):
                self.stats.changed += 1

    def _apply(
        self, r: Reading, pol: str, intent: str, score: float | None, scale: float | None
    ) -> Reading:
        return combine(r, pol, intent, score, scale)

    def _ask(self, batch: list[str]) -> dict[int, tuple[str, str]] | None:
        """One batch: ids 1..n; None when the reply cannot be trusted as a whole."""
        items = []
        for i, t in enumerate(batch, 1):
            for secret in self.secrets:
                t = t.replace(secret, "[redacted]")
            items.append(escape({"id": i, "text": t[:MAX_TEXT_CHARS]}))
        user = Template(self.template).substitute(items="\n".join(items))
        usage = Usage()
        try:
            data = call_model(
                self.s,
                self._chat,
                [("user", user)],
                usage,
                time.monotonic() + self.s.llm_max_wait_s,
                parse_json,
                json_schema("verbatim_labels", SCHEMA),
            )
            got = verify(data, list(range(1, len(batch) + 1)))
            if len(got) < MIN_VALID_SHARE * len(batch):
                with self._lock:
                    self.stats.reasons.append(f"a reply labelled only {len(got)} of {len(batch)}")
                got = None
        except ModelFailure as exc:
            log.warning(
                "llm labels: batch of %d kept the offline reading: %s", len(batch), exc.reason
            )
            with self._lock:
                self.stats.reasons.append(exc.reason)
            got = None
        finally:
            with self._lock:
                self.stats.calls += usage.attempts
                self.stats.usage.attempts += usage.attempts
                self.stats.usage.prompt_tokens += usage.prompt_tokens
                self.stats.usage.completion_tokens += usage.completion_tokens
        return None if got is None else {i - 1: v for i, v in got.items()}
