"""Verification of model claims: nothing reaches a user unless it checks out against the
extractive answer it was built from (cited records exist, quotes are verbatim, figures are
computed ones, nothing echoes an instruction, a mention or a secret)."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, field_validator

from bot.citations import Answer, Citation

MAX_CLAIMS = 12
MAX_CLAIM_CHARS = 600
REL_TOLERANCE = 0.02  # "38%" may stand for 37.97%, "1%" may not stand for 0.6%


class Claim(BaseModel):
    """One sentence and the evidence numbers behind it."""

    text: str
    citations: list[int] = Field(default_factory=list)

    @field_validator("citations", mode="before")
    @classmethod
    def _numbers(cls, v: Any) -> Any:
        """Models write 3, "3" or "[3]"; all mean record 3. Anything else is invalid."""
        items = v if isinstance(v, list) else [v]
        out = []
        for x in items:
            if isinstance(x, bool):
                raise ValueError("citation numbers must be integers")
            if isinstance(x, str):
                out += [int(d) for d in re.findall(r"\d+", x)] or [x]
            else:
                out.append(x)
        return out


class Reply(BaseModel):
    claims: list[Claim]


@dataclass
class Verdict:
    kept: list[tuple[str, list[int]]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0


MARKER = re.compile(r"\[(\d+)\]")
DATE = re.compile(r"(?<!\d)\d{4}-\d{1,2}(?:-\d{1,2})?(?!\d)")
PCT = r"\s*(?:%|percent\b|per cent\b)"
RANGE = re.compile(
    rf"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:-|–|to|and)\s*(\d+(?:\.\d+)?)(?![\d.]\d)({PCT})?"
)
NUMBER = re.compile(rf"(?<![\w.])(\d{{1,3}}(?:,\d{{3}})+|\d+)(\.\d+)?(?![\d.]\d)({PCT})?")
QUOTE = re.compile(r"\"([^\"]+)\"")
LIST_NUMBER = re.compile(r"^\s*\d{1,2}[.)]\s+")
INJECTION = re.compile(
    r"(?:ignore|disregard|forget) (?:all |any |the |your )?(?:previous |prior |above |earlier )?"
    r"(?:instructions|rules|prompts?)|system prompt",
    re.I,
)
MIN_QUOTE_WORDS = 3  # shorter "quotes" are scare quotes: their figures are checked too
TOKEN_LIKE = re.compile(r"\b(?:sk-[A-Za-z0-9_-]{8,}|xox[abprs]-[A-Za-z0-9-]+|xapp-[\w-]+)")
SLACK_CONTROL = re.compile(r"<[!@#]|@(?:here|channel|everyone)\b", re.I)
HANDLE = re.compile(r"(?<![\w&])[#@][A-Za-z][\w.-]*|https?://\S+", re.I)


@dataclass(frozen=True)
class Figure:
    value: float
    decimals: int
    percent: bool


def figures_in(text: str) -> tuple[list[Figure], list[str]]:
    """Numbers (with their precision and whether they are percentages) and ISO-like dates."""
    text = MARKER.sub(" ", text)
    dates = DATE.findall(text)
    text = DATE.sub(" ", text)
    out: list[Figure] = []

    def num(s: str) -> Figure:
        plain = s.replace(",", "")
        return Figure(float(plain), len(plain.partition(".")[2]), False)

    def take_range(m: re.Match[str]) -> str:
        pct = bool(m.group(3))
        for g in (m.group(1), m.group(2)):
            out.append(dataclasses.replace(num(g), percent=pct))
        return " "

    text = RANGE.sub(take_range, text)
    for m in NUMBER.finditer(text):
        f = num(m.group(1) + (m.group(2) or ""))
        out.append(dataclasses.replace(f, percent=bool(m.group(3))))
    return out, dates


class Allowed:
    """The computed figures a claim may state: from the answer text, gap table and question."""

    def __init__(self) -> None:
        self.numbers: set[tuple[float, bool]] = set()
        self.dates: set[str] = set()
        self.text = ""

    def add_text(self, text: str) -> None:
        self.text += "\n" + norm(text)
        figs, dates = figures_in(text)
        for f in figs:
            self.numbers.add((f.value, f.percent))
        for d in dates:
            self.dates.add(d)
            self.numbers.add((float(d[:4]), False))

    def add(self, value: Any, percent: bool = False) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.numbers.add((float(value), percent))

    def allows(self, f: Figure, extra: Allowed | None = None) -> bool:
        pool = self.numbers | (extra.numbers if extra else set())
        tol = 0.5 * 10 ** (-f.decimals) + 1e-9
        return any(
            pct == f.percent
            and abs(v - f.value) <= tol
            and abs(v - f.value) <= max(REL_TOLERANCE * abs(v), 10 ** (-f.decimals) * 1e-6)
            for v, pct in pool
        )

    def allows_date(self, d: str) -> bool:
        return any(x.startswith(d) or d.startswith(x) for x in self.dates)


PROPORTION = re.compile(r"share|ci_low|ci_high")  # gap-table fields held as 0..1


def allowed_figures(answer: Answer) -> Allowed:
    """Numbers in the extractive text, freshness line, question and gap table (as written or
    as percentages for proportions); differences of a share and its rest_ share, in points."""
    a = Allowed()
    a.add_text(answer.answer)
    a.add_text(answer.freshness)
    a.add_text(answer.question)
    for g in answer.gaps or []:
        for k, v in g.items():
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            if PROPORTION.search(k):
                a.add(round(v * 100, 2), percent=True)
                a.add(round(v * 100, 1), percent=True)
                rest = g.get(f"rest_{k}") if not k.startswith("rest_") else None
                if k == "customer_share":
                    rest = g.get("rest_share")
                if isinstance(rest, (int, float)):
                    a.add(round((v - rest) * 100, 1))  # "28.2 points more"
            else:
                a.add(v)
        if g.get("unit") == "%":
            a.add(g.get("metric_value"), percent=True)
            a.add(g.get("target"), percent=True)
        if isinstance(g.get("period"), str):
            a.add_text(g["period"])
    return a


def norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).casefold()
    t = t.replace("\u2019", "'").replace("\u2018", "'").replace("\\u003c", "<")
    t = t.replace("\\u003e", ">").replace("\\u0026", "&")
    return re.sub(r"\s+", " ", t).strip()


def quote_in(quote: str, records: list[Citation]) -> bool:
    """Every fragment of the quote (split at ellipses) occurs in one cited record."""
    parts = [norm(p).strip(" .,;:!?'") for p in re.split(r"\.\.\.|\u2026", quote)]
    parts = [p for p in parts if p]
    if not parts:
        return True
    return any(all(p in norm(c.text) for p in parts) for c in records)


def verify(reply: Reply, answer: Answer, secrets: list[str]) -> Verdict:
    """Keep only claims whose citations, quotes and figures all check out."""
    by_n = {c.n: c for c in answer.citations}
    allowed = allowed_figures(answer)
    v = Verdict(total=len(reply.claims))
    for i, claim in enumerate(reply.claims, start=1):
        if i > MAX_CLAIMS:
            v.dropped.append({"claim": i, "reason": f"more than {MAX_CLAIMS} claims"})
            continue
        reason, text, ns = check_claim(claim, by_n, allowed, secrets)
        if reason:
            v.dropped.append({"claim": i, "reason": reason})
        else:
            v.kept.append((text, ns))
    return v


def check_claim(
    claim: Claim, by_n: dict[int, Citation], allowed: Allowed, secrets: list[str]
) -> tuple[str | None, str, list[int]]:
    """(reason it fails or None, cleaned text, citation numbers)."""
    raw = re.sub(r"\s+", " ", claim.text).strip()
    raw = LIST_NUMBER.sub("", raw)
    ns = sorted(set(claim.citations) | {int(n) for n in MARKER.findall(raw)})
    text = MARKER.sub("", raw).strip()
    text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s{2,}", " ", text))
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    if not text:
        return "empty claim", text, ns
    if len(text) > MAX_CLAIM_CHARS:
        return "claim too long", text, ns
    if not ns:
        return "no citation", text, ns
    unknown = [n for n in ns if n not in by_n]
    if unknown:
        return f"cites record(s) {unknown} that it was not given", text, ns
    if any(s in claim.text for s in secrets) or TOKEN_LIKE.search(text):
        return "contains something that looks like a secret", text, ns
    if INJECTION.search(text) or SLACK_CONTROL.search(text):
        return "repeats an instruction or a mention from the data", text, ns
    records = [by_n[n] for n in ns]
    quotes = QUOTE.findall(text)
    for q in quotes:
        if not quote_in(q, records):
            return "quotes words that are not in the cited record", text, ns
    # text outside real quotes is the bot speaking: its figures must be computed ones
    unquoted = QUOTE.sub(
        lambda m: " " if len(m.group(1).split()) >= MIN_QUOTE_WORDS else m[1], text
    )
    for h in HANDLE.findall(QUOTE.sub(" ", text)):
        if norm(h) not in allowed.text:  # a channel, @handle or link the bot did not compute
            return f"mentions {h!r} outside a quote", text, ns
    local = Allowed()  # a cited internal report's own figures may be stated
    for c in records:
        if c.kind == "metric":
            local.add_text(c.text)
    figs, dates = figures_in(unquoted)
    for d in dates:
        if not (allowed.allows_date(d) or local.allows_date(d)):
            return f"date {d} matches no computed figure", text, ns
    for f in figs:
        if not allowed.allows(f, local):
            shown = f"{f.value:.{f.decimals}f}{'%' if f.percent else ''}"
            return f"figure {shown} matches no computed figure", text, ns
    return None, text, ns
