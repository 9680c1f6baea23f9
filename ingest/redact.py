"""PII redaction, applied before anything is embedded or stored."""

from __future__ import annotations

import re

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}"  # international
    r"|(?:1[\s.-])?\(\d{3}\)\s?\d{3}[\s.-]\d{4}"  # (555) 123-4567
    r"|(?:1[\s.-])?\d{3}[\s.-]\d{3}[\s.-]\d{4}"  # 555-123-4567
    r")(?!\w)"
)
HANDLE = re.compile(r"(?<![\w@])@(\w{1,30})")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


def redact(text: str, handles: bool = False, keep_handles: frozenset[str] = frozenset()) -> str:
    """Replace emails, card numbers (Luhn-checked) and phone numbers; optionally @handles.

    ``keep_handles`` lets brand handles (e.g. @united) survive handle redaction.
    """
    text = EMAIL.sub("[email]", text)
    text = CARD.sub(_card, text)
    text = PHONE.sub("[phone]", text)
    if handles:
        text = HANDLE.sub(
            lambda m: m.group(0) if m.group(1).lower() in keep_handles else "@[user]", text
        )
    return text
