"""Text normalisation shared by ingest (before hashing) and retrieval (near-duplicate keys)."""

from __future__ import annotations

import html
import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
_URL = re.compile(r"https?://\S+")
_MENTION = re.compile(r"@\w+")
_NON_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Unescape HTML entities, NFC, drop control characters, fold white space."""
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def dedupe_key(text: str) -> str:
    """A key under which retweets and copy-paste variants of one text collide."""
    t = text.lower()
    t = re.sub(r"^rt\s+", "", t)
    t = _URL.sub(" ", t)
    t = _MENTION.sub(" ", t)
    return _NON_WORD.sub(" ", t).strip()
