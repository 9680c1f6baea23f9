"""Optional LLM synthesis over the extractive answer, shown only after every claim is verified.

The model only rewrites what compose() already computed and cited: it gets the question, the
figures and the numbered evidence, and returns claims with citation numbers. Each claim is
checked (cited records exist, quotes are verbatim, figures are computed ones, nothing looks
like an echoed instruction or secret) before anyone sees it. Whenever the model fails or too
little survives, the extractive answer is returned with a note, so switching the model on can
never make an answer less true than the extractive one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from string import Template
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception

from bot.ask.verify import MARKER, Claim, Reply, Verdict, verify  # noqa: F401 (re-exported)
from bot.citations import Answer, Citation, refs
from ingest.config import Settings
from prompts import load

if TYPE_CHECKING:
    from bot.index import Index

log = logging.getLogger("cxbot.llm")

MIN_KEPT_FRACTION = 0.5  # fewer surviving claims than this share: use the extractive answer
MAX_EVIDENCE_CHARS = 2000  # per record in the prompt; quotes are checked against the full text
MIN_ATTEMPT_S = 0.05  # no point starting a request with less time than this left
TASKS = {"answer": "answer.txt", "gap": "gap.txt", "digest": "digest.txt"}

# USD per million tokens (input, output), for the logged estimate only; longest prefix wins.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
}


# ---------------------------------------------------------------------------- reply schema


class ModelFailure(Exception):
    """Why the model was not used. The reason is shown to users: it never holds secrets."""

    def __init__(
        self, reason: str, retryable: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass
class Usage:
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


# ---------------------------------------------------------------------------- entry point


def prompt_version() -> str:
    try:
        return load("version.txt").strip()
    except OSError:  # a broken install must not break answers
        return "unknown"


def synthesize(engine: Index, answer: Answer, task: str | None = None) -> Answer:
    """The model's verified rewrite of `answer`, or `answer` itself with a note saying why not.

    `task` picks the template: "answer", "gap" (default when the answer has gaps) or "digest".
    """
    s = engine.settings
    t0 = time.monotonic()
    usage = Usage()
    verdict = Verdict()
    task = task or ("gap" if answer.gaps else "answer")
    note: str | None = None
    try:
        verdict = _verified_reply(s, answer, task, usage)
        out = _llm_answer(answer, verdict, s.llm_model)
    except ModelFailure as exc:
        note = exc.reason
        out = _fallback(answer, note)
    except Exception as exc:  # noqa: BLE001 - a bug here must not cost the user the answer
        log.exception("llm synthesis failed")
        note = f"unexpected error ({type(exc).__name__})"
        out = _fallback(answer, note)
    _account(out, answer, s.llm_model, task, t0, usage, verdict, note)
    return out


def _verified_reply(s: Settings, answer: Answer, task: str, usage: Usage) -> Verdict:
    """Ask the model and check its claims; ModelFailure when it cannot be used."""
    if not answer.citations or not answer.enough_evidence:
        raise ModelFailure("there is not enough evidence to summarise")
    secrets = secret_values(s)
    messages = build_messages(answer, task, secrets)
    chat = chat_model(s)  # the first call imports langchain: not part of the wait budget
    deadline = time.monotonic() + s.llm_max_wait_s
    reply = call_model(s, chat, messages, usage, deadline)
    verdict = verify(reply, answer, secrets)
    for d in verdict.dropped:
        log.info("llm claim %s dropped: %s", d["claim"], d["reason"])
    if not verdict.kept:
        raise ModelFailure(
            "none of the model's statements passed the checks on citations, quotes and figures"
        )
    if len(verdict.kept) < MIN_KEPT_FRACTION * verdict.total:
        raise ModelFailure(
            f"only {len(verdict.kept)} of {verdict.total} statements from the model passed "
            "the checks on citations, quotes and figures"
        )
    return verdict


def _account(
    out: Answer,
    answer: Answer,
    model: str,
    task: str,
    t0: float,
    usage: Usage,
    verdict: Verdict,
    note: str | None,
) -> None:
    """Latency, tokens, cost and prompt version: on the answer (--json) and in one log line."""
    ms = round((time.monotonic() - t0) * 1000, 1)
    cost = cost_usd(model, usage)
    version = prompt_version()
    out.timings_ms = {
        **answer.timings_ms,
        "llm": ms,
        "total": round(answer.timings_ms.get("total", 0.0) + ms, 2),
    }
    out.extra = {
        **answer.extra,
        "prompt_version": version,
        "llm": {
            "model": model,
            "task": task,
            "latency_ms": ms,
            "attempts": usage.attempts,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cost_usd": cost,
            "claims_total": verdict.total,
            "claims_kept": len(verdict.kept),
            "dropped": verdict.dropped,
            "note": note,
        },
    }
    log.info(
        "llm answer mode=%s prompt_version=%s model=%s task=%s latency_ms=%.0f attempts=%d "
        "prompt_tokens=%d completion_tokens=%d cost_usd=%s claims_kept=%d/%d note=%s",
        out.mode,
        version,
        model,
        task,
        ms,
        usage.attempts,
        usage.prompt_tokens,
        usage.completion_tokens,
        "unknown" if cost is None else f"{cost:.6f}",
        len(verdict.kept),
        verdict.total,
        note or "-",
    )


def _llm_answer(answer: Answer, verdict: Verdict, model: str) -> Answer:
    """Claims first, then the extractive caveats (notes, method), then who wrote it."""
    lines = [with_refs(text, ns) for text, ns in verdict.kept]
    lines += caveats(answer.answer)
    lines.append(
        f"Written by the language model ({model}) from the numbered sources; "
        f"{len(verdict.kept)} of {verdict.total} of its statements passed the checks on "
        "citations, quotes and figures."
    )
    used = {n for _, ns in verdict.kept for n in ns}
    return dataclasses.replace(
        answer,
        answer="\n".join(lines),
        citations=[c for c in answer.citations if c.n in used],
        mode="llm",
        extra=dict(answer.extra),
    )


def with_refs(text: str, ns: list[int]) -> str:
    """'... rank 1 of 3 [1].': markers before the closing full stop, as the extractive lines."""
    m = re.fullmatch(r"(.*?)([.!?]+)", text, re.S)
    return f"{m[1]} {refs(ns)}{m[2]}" if m else f"{text} {refs(ns)}"


def _fallback(answer: Answer, reason: str) -> Answer:
    text = (
        f"{answer.answer}\nNote: this is the extractive answer; the language model was not "
        f"used because {reason}."
    )
    return dataclasses.replace(answer, answer=text, mode="extractive", extra=dict(answer.extra))


def caveats(extractive: str) -> list[str]:
    """Extractive lines with no citation that are not headings: notes, not-ranked, method."""
    return [
        ln
        for ln in extractive.splitlines()
        if ln.strip() and not MARKER.search(ln) and not ln.rstrip().endswith(":")
    ]


# ---------------------------------------------------------------------------- prompt


def secret_values(s: Settings) -> list[str]:
    """Every SecretStr setting (API key, Slack tokens): never sent, never shown, never logged."""
    out = []
    for name in type(s).model_fields:
        v = getattr(s, name)
        if isinstance(v, SecretStr) and len(v.get_secret_value()) >= 4:
            out.append(v.get_secret_value())
    return out


def escape(value: Any) -> str:
    """JSON-encode untrusted text so it cannot close its block: no raw quotes, newlines or <>."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def evidence_record(c: Citation) -> dict[str, Any]:
    text = c.text if len(c.text) <= MAX_EVIDENCE_CHARS else c.text[:MAX_EVIDENCE_CHARS] + "..."
    return {
        "n": c.n,
        "kind": "internal report" if c.kind == "metric" else "customer verbatim",
        "segment": c.segment,
        "date": c.date,
        "source": f"{c.source} {c.location}".strip(),
        "text": text,
    }


def gap_rows(gaps: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    rows = []
    for g in gaps or []:
        row = {k: v for k, v in g.items() if k != "citations"}
        row["citation_numbers"] = [c["n"] for c in g.get("citations", [])]
        rows.append(row)
    return rows


def build_messages(answer: Answer, task: str, secrets: list[str]) -> list[tuple[str, str]]:
    """System rules plus the task template filled with escaped, delimited data."""
    figures = [ln for ln in answer.answer.splitlines() if ln.strip()]
    if answer.freshness:
        figures.append(answer.freshness)
    rows = gap_rows(answer.gaps)
    user = Template(load(TASKS[task])).substitute(
        question=escape(answer.question),
        figures="\n".join(escape(ln) for ln in figures),
        gaps="\n".join(escape(r) for r in rows) if rows else "(none)",
        evidence="\n".join(escape(evidence_record(c)) for c in answer.citations),
    )
    system = load("system.txt")
    for secret in secrets:  # belt and braces: the data should never hold one
        user = user.replace(secret, "[redacted]")
    return [("system", system), ("user", user)]


# ---------------------------------------------------------------------------- model call


@lru_cache(maxsize=8)
def _chat_model(
    model: str,
    temperature: float,
    timeout: float,
    max_tokens: int,
    base_url: str | None,
    api_key: str,
) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        temperature=temperature,
        timeout=timeout,
        max_tokens=max_tokens,
        max_retries=0,  # retries are ours: bounded total wait, Retry-After honoured
        base_url=base_url,
        api_key=api_key,
        use_responses_api=False,  # chat completions: what OpenAI-compatible servers speak
    )


def chat_model(s: Settings) -> Any:
    key = s.openai_api_key.get_secret_value() if s.openai_api_key else ""
    if not key and not s.openai_base_url:
        raise ModelFailure(
            "no API key is set (OPENAI_API_KEY, or OPENAI_BASE_URL for a local server)"
        )
    try:
        return _chat_model(
            s.llm_model,
            s.llm_temperature,
            s.llm_timeout_s,
            s.llm_max_tokens,
            s.openai_base_url,
            key or "not-needed",  # local servers ignore it; the client insists on one
        )
    except ImportError:
        raise ModelFailure("langchain-openai is not installed (pip install 'cxbot[llm]')") from None


def call_model(
    s: Settings, chat: Any, messages: list[tuple[str, str]], usage: Usage, deadline: float
) -> Reply:
    """Bounded retries with backoff (or the server's Retry-After), all within the deadline."""
    backoff = s.llm_backoff_s

    def wait(rs: RetryCallState) -> float:
        exc = rs.outcome.exception() if rs.outcome else None
        if isinstance(exc, ModelFailure) and exc.retry_after is not None:
            return exc.retry_after
        return backoff * 2 ** (rs.attempt_number - 1) * random.uniform(1.0, 1.25)

    def stop(rs: RetryCallState) -> bool:
        left = deadline - time.monotonic() - rs.upcoming_sleep
        return rs.attempt_number > s.llm_max_retries or left < MIN_ATTEMPT_S

    retrying = Retrying(
        retry=retry_if_exception(lambda e: isinstance(e, ModelFailure) and e.retryable),
        wait=wait,
        stop=stop,
        reraise=True,
    )
    try:
        return retrying(_attempt, chat, messages, usage, deadline, s.llm_timeout_s)
    except ModelFailure as exc:
        if exc.retry_after is not None and exc.retry_after > deadline - time.monotonic():
            raise ModelFailure(
                f"{exc.reason}; the server asked to wait {exc.retry_after:g}s, beyond the "
                f"{s.llm_max_wait_s:g}s limit"
            ) from None
        if exc.retryable and usage.attempts > 1:
            raise ModelFailure(f"{exc.reason} after {usage.attempts} tries") from None
        raise


def _attempt(
    chat: Any, messages: list[tuple[str, str]], usage: Usage, deadline: float, timeout_s: float
) -> Reply:
    """One request, its timeout cut to what is left of the total wait."""
    left = deadline - time.monotonic()
    if left < MIN_ATTEMPT_S:
        raise ModelFailure("it did not answer in time")
    timeout = min(timeout_s, left)
    usage.attempts += 1
    try:
        msg = bounded(
            lambda: chat.invoke(messages, response_format={"type": "json_object"}, timeout=timeout),
            min(timeout + 0.2, left),
        )
    except ModelFailure as exc:
        log.warning("llm attempt %d failed: %s", usage.attempts, exc.reason)
        raise
    except Exception as exc:  # noqa: BLE001 - every client error becomes a reason
        failure = classify(exc)
        log.warning("llm attempt %d failed: %s", usage.attempts, failure.reason)
        raise failure from None
    meta = getattr(msg, "usage_metadata", None) or {}
    usage.prompt_tokens += int(meta.get("input_tokens") or 0)
    usage.completion_tokens += int(meta.get("output_tokens") or 0)
    try:
        return parse_reply(msg.content)
    except ModelFailure as exc:
        log.warning("llm attempt %d failed: %s", usage.attempts, exc.reason)
        raise


def bounded(fn: Callable[[], Any], seconds: float) -> Any:
    """Run fn, but give up after `seconds` even if the HTTP client is still reading."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    th = threading.Thread(target=run, name="cxbot-llm", daemon=True)
    th.start()
    th.join(max(0.0, seconds))
    if th.is_alive():
        raise ModelFailure("it did not answer in time", retryable=True)
    if "error" in box:
        raise box["error"]
    return box["value"]


def classify(exc: Exception) -> ModelFailure:
    """Map client errors to a user-facing reason; transient ones are retried."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return ModelFailure("it did not answer in time", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return ModelFailure("the model server could not be reached", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429:
            return ModelFailure(
                "it was rate limited (HTTP 429)",
                retryable=True,
                retry_after=retry_after(exc.response.headers),
            )
        if status >= 500 or status == 408:
            return ModelFailure(f"the model server failed (HTTP {status})", retryable=True)
        return ModelFailure(f"the model server refused the request (HTTP {status})")
    if isinstance(exc, ValueError):  # e.g. a 200 whose body is not JSON at all
        return ModelFailure("its reply was not valid JSON", retryable=True)
    return ModelFailure(f"unexpected error ({type(exc).__name__})")


def retry_after(headers: Any) -> float | None:
    """Seconds from retry-after-ms or Retry-After (seconds); HTTP dates are not used here."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw:
            try:
                return max(0.0, float(raw) * scale)
            except ValueError:
                continue
    return None


def parse_json(content: Any) -> Any:
    """The JSON value of a reply's content (content blocks joined, a code fence removed)."""
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    text = (content or "").strip()
    if not text:
        raise ModelFailure("it returned an empty reply", retryable=True)
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.S)
    if fenced:  # local models like to wrap JSON in a code fence
        text = fenced.group(1)
    try:
        return json.loads(text)
    except ValueError:
        raise ModelFailure("its reply was not valid JSON", retryable=True) from None


def parse_reply(content: Any) -> Reply:
    value = parse_json(content)
    try:
        return Reply.model_validate(value)
    except ValidationError:
        raise ModelFailure("its reply was not valid JSON", retryable=True) from None


def cost_usd(model: str, usage: Usage) -> float | None:
    match = max((p for p in PRICES_PER_MTOK if model.startswith(p)), key=len, default=None)
    if match is None:
        return None
    p_in, p_out = PRICES_PER_MTOK[match]
    return round((usage.prompt_tokens * p_in + usage.completion_tokens * p_out) / 1e6, 6)
