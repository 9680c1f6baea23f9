"""The OpenAI-compatible chat client that answers (``bot.ask.llm``), theme naming and verbatim
labelling (``ingest.llm_read``, ``ingest.llm_names``) share: one request with a timeout cut to
what is left of the total wait, bounded retries with backoff or the server's Retry-After, every
client error mapped to a reason a user can read (never a secret), tokens counted for the cost.

It lives in ``ingest`` because ingest never imports ``bot``; what each caller does with a reply
(parse, verify, fall back) stays with the caller.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import SecretStr
from tenacity import RetryCallState, Retrying, retry_if_exception

from ingest.config import Settings

log = logging.getLogger("cxbot.llm")

T = TypeVar("T")
MIN_ATTEMPT_S = 0.05  # no point starting a request with less time than this left
JSON_OBJECT: dict[str, Any] = {"type": "json_object"}

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


def chat_model(s: Settings, max_tokens: int | None = None) -> Any:
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
            max_tokens or s.llm_max_tokens,
            s.openai_base_url,
            key or "not-needed",  # local servers ignore it; the client insists on one
        )
    except ImportError:
        raise ModelFailure("langchain-openai is not installed (pip install 'cxbot[llm]')") from None


def call_model(
    s: Settings,
    chat: Any,
    messages: list[tuple[str, str]],
    usage: Usage,
    deadline: float,
    parse: Callable[[Any], T],
    response_format: dict[str, Any] | None = None,
) -> T:
    """Bounded retries with backoff (or the server's Retry-After), all within the deadline.

    ``parse`` turns the message content into the caller's reply; a ModelFailure it raises
    with ``retryable`` (not JSON, empty) is retried like a transient HTTP error."""
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
    fmt = response_format or JSON_OBJECT
    try:
        return retrying(_attempt, chat, messages, usage, deadline, s.llm_timeout_s, parse, fmt)
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
    chat: Any,
    messages: list[tuple[str, str]],
    usage: Usage,
    deadline: float,
    timeout_s: float,
    parse: Callable[[Any], T],
    response_format: dict[str, Any],
) -> T:
    """One request, its timeout cut to what is left of the total wait."""
    left = deadline - time.monotonic()
    if left < MIN_ATTEMPT_S:
        raise ModelFailure("it did not answer in time")
    timeout = min(timeout_s, left)
    usage.attempts += 1
    try:
        msg = bounded(
            lambda: chat.invoke(messages, response_format=response_format, timeout=timeout),
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
        return parse(msg.content)
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


def content_text(content: Any) -> str:
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return (content or "").strip()


def parse_json(content: Any) -> Any:
    """The JSON value of a reply; a code fence (local models like them) is unwrapped."""
    text = content_text(content)
    if not text:
        raise ModelFailure("it returned an empty reply", retryable=True)
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.S)
    if fenced:
        text = fenced.group(1)
    try:
        return json.loads(text)
    except ValueError:
        raise ModelFailure("its reply was not valid JSON", retryable=True) from None


def json_schema(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A strict structured-output response format (servers without it still get valid
    instructions in the prompt, and every reply is checked anyway)."""
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}


def cost_usd(model: str, usage: Usage) -> float | None:
    match = max((p for p in PRICES_PER_MTOK if model.startswith(p)), key=len, default=None)
    if match is None:
        return None
    p_in, p_out = PRICES_PER_MTOK[match]
    return round((usage.prompt_tokens * p_in + usage.completion_tokens * p_out) / 1e6, 6)
