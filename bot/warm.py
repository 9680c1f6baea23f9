"""Read caches prepared right after an ingest, so the first question does not pay for them.

At 1M records the column arrays take ~13 s to read from the catalog and the segment caveats
~30 s to count; both are then cached per index version in the data dir (`cache/`), where every
later bot process, and a restart, loads them in about a second. `cxbot ingest` calls `warm`
after an ingest that changed the index, so that cost falls on the ingest, not on a question.
"""

from __future__ import annotations

import logging
import time

from bot.analysis.caveats import segment_caveats
from bot.corpus import load_corpus
from ingest.config import Settings
from ingest.errors import CxbotError

log = logging.getLogger("cxbot.warm")


def warm(settings: Settings) -> float:
    """Load the current corpus and its segment caveats once (writing their caches); seconds.
    Never fails the ingest that calls it: a question computes whatever is missing."""
    t = time.perf_counter()
    try:
        segment_caveats(load_corpus(settings))
    except (CxbotError, OSError) as exc:
        log.warning("could not prepare the read caches: %s", exc)
    return time.perf_counter() - t
