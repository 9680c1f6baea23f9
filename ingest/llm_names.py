"""Short theme names from the LLM (``CXBOT_LLM=openai``), each checked against its cluster.

Why: offline names come from the cluster's own phrases and are sometimes stilted; a model
writes "Lost luggage" where c-TF-IDF finds "Bag and bags". But a model can also name a cluster
after what it expects rather than what customers wrote, or swap two clusters' names. So a name
is kept only when it is short and plain, names no brand or segment, collides with no other
theme, at least one of its content words occurs in the cluster's own texts, and those words
fit this cluster at least as well as any other discovered cluster. Any other name, or any
failure of the model, leaves the offline name in place.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from string import Template
from typing import Any

from ingest.config import Settings
from ingest.discover import Cluster
from ingest.llm_client import (
    ModelFailure,
    Usage,
    call_model,
    chat_model,
    escape,
    json_schema,
    parse_json,
    secret_values,
)
from prompts import load

log = logging.getLogger("cxbot.llm")

PROMPT = "theme_names.txt"
MAX_WORDS = 5
MAX_CHARS = 40
MIN_SHARE = 0.03  # a content word of the name occurs in at least this share of the cluster
FIT_TOLERANCE = 0.9  # ...and no other cluster uses the name's words clearly more
SAMPLE = 400  # member texts per cluster the checks read
_NAME = re.compile(r"[A-Za-z][A-Za-z &'-]*")

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["names"],
    "properties": {
        "names": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "name"],
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
        }
    },
}


@dataclass
class Naming:
    names: dict[str, str]  # cluster id -> the model's name that passed the checks
    note: str  # one line for the summary


def _stems(words: Sequence[str]) -> set[str]:
    import Stemmer

    return set(Stemmer.Stemmer("english").stemWords(list(words)))


def content_stems(text: str) -> set[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2]
    return _stems([w for w in words if w not in ENGLISH_STOP_WORDS])


def check(
    name: str,
    row: int,
    stems_of: list[list[set[str]]],
    forbidden: set[str],
    taken: set[str],
) -> str | None:
    """Why ``name`` cannot name cluster ``row`` (None: it can). ``stems_of[c]``: the content
    stems of cluster c's member texts; ``forbidden``: stems of brand and segment names;
    ``taken``: labels already in use, lower case."""
    name = " ".join(name.split())
    if not name or not _NAME.fullmatch(name):
        return "not a plain name"
    if len(name) > MAX_CHARS or len(name.split()) > MAX_WORDS:
        return "too long"
    if name.lower() in taken:
        return "the name of another theme"
    words = content_stems(name)
    if not words:
        return "no content word"
    if words & forbidden:
        return "names a brand or segment"

    def any_share(c: int) -> float:
        return sum(bool(words & t) for t in stems_of[c]) / max(1, len(stems_of[c]))

    def fit(c: int) -> float:  # how much of the name a cluster's texts use, word by word
        texts = stems_of[c]
        return sum(sum(w in t for t in texts) for w in words) / max(1, len(texts) * len(words))

    if any_share(row) < MIN_SHARE or sum(bool(words & t) for t in stems_of[row]) < 2:
        return "none of its words is in the cluster's texts"
    best_other = max((fit(c) for c in range(len(stems_of)) if c != row), default=0.0)
    if fit(row) < FIT_TOLERANCE * best_other:
        return "its words fit another theme better"
    return None


def propose_names(
    settings: Settings,
    clusters: list[Cluster],
    texts: list[str],
    brands: list[str],
    taken: set[str],
) -> Naming:
    """The model's names for ``clusters`` that pass the checks; the rest keep theirs."""
    if not clusters:
        return Naming({}, "")
    secrets = secret_values(settings)
    lines = []
    for n, c in enumerate(clusters, 1):
        examples = []
        for i in c.examples[:5]:
            t = texts[i][:300]
            for s in secrets:
                t = t.replace(s, "[redacted]")
            examples.append(t)
        lines.append(escape({"id": n, "words": c.words[:8], "examples": examples}))
    user = Template(load(PROMPT)).substitute(groups="\n".join(lines))
    usage = Usage()
    try:
        chat = chat_model(settings)
        data = call_model(
            settings,
            chat,
            [("user", user)],
            usage,
            time.monotonic() + settings.llm_max_wait_s,
            parse_json,
            json_schema("theme_names", SCHEMA),
        )
    except ModelFailure as exc:
        log.warning("llm theme names not used: %s", exc.reason)
        return Naming({}, f"names by the model not used: {exc.reason}")
    items = data.get("names") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return Naming({}, "names by the model not used: its reply had no names")
    given: dict[int, list[str]] = {}
    for it in items:
        if (
            isinstance(it, dict)
            and isinstance(it.get("id"), int)
            and isinstance(it.get("name"), str)
        ):
            given.setdefault(int(it["id"]) - 1, []).append(it["name"])
    stems_of = []
    for c in clusters:
        members = list(c.members[:: max(1, len(c.members) // SAMPLE)][:SAMPLE])
        stems_of.append([content_stems(texts[int(i)]) for i in members])
    forbidden = content_stems(" ".join(brands)) if brands else set()
    used = {t.lower() for t in taken}
    out: dict[str, str] = {}
    rejected: list[str] = []
    for row, c in enumerate(clusters):
        names = given.get(row, [])
        if len(names) != 1:  # none, or two for one id: the offline name stays
            continue
        name = " ".join(names[0].split())
        name = name[0].upper() + name[1:] if name else name
        why = check(name, row, stems_of, forbidden, used)
        if why:
            rejected.append(f"'{name[:40]}' ({why})")
            log.info("llm theme name %r for %s rejected: %s", name, c.label, why)
            continue
        used.add(name.lower())
        out[c.id] = name
    note = f"names by the model: {len(out)} of {len(clusters)} kept"
    if rejected:
        note += f", {len(rejected)} failed the checks: " + ", ".join(rejected[:3])
    return Naming(out, note)
