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
import logging
import re
import time
from string import Template
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from bot.ask.verify import MARKER, Claim, Reply, Verdict, verify  # noqa: F401 (re-exported)
from bot.citations import Answer, Citation, refs
from ingest.config import Settings
from ingest.llm_client import (  # noqa: F401 (re-exported: the client moved to ingest)
    PRICES_PER_MTOK,
    ModelFailure,
    Usage,
    bounded,
    chat_model,
    classify,
    cost_usd,
    escape,
    parse_json,
    retry_after,
    secret_values,
)
from ingest.llm_client import call_model as _call_model
from prompts import load

if TYPE_CHECKING:
    from bot.index import Index

log = logging.getLogger("cxbot.llm")

MIN_KEPT_FRACTION = 0.5  # fewer surviving claims than this share: use the extractive answer
MAX_EVIDENCE_CHARS = 2000  # per record in the prompt; quotes are checked against the full text
TASKS = {"answer": "answer.txt", "gap": "gap.txt", "digest": "digest.txt"}


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


def call_model(
    s: Settings, chat: Any, messages: list[tuple[str, str]], usage: Usage, deadline: float
) -> Reply:
    """The shared client's bounded retries (``ingest.llm_client``), parsing claims."""
    return _call_model(s, chat, messages, usage, deadline, parse_reply)


def parse_reply(content: Any) -> Reply:
    try:
        return Reply.model_validate(parse_json(content))
    except ValidationError:
        raise ModelFailure("its reply was not valid JSON", retryable=True) from None
