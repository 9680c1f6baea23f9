"""Segment sanity: does a segment's feedback talk about that segment?

A label column can be wrong: in the airline data 2,218 of 2,222 tweets labelled Delta address
@JetBlue. Every figure for such a segment then describes another one's customers. When a
segment's verbatims name another segment of the same column far more often than their own, or
(in a column whose values customers do name, like brands) rarely name their own but mostly
address one other @handle, each figure and gap for it carries a caveat naming both; the figures
stay, the reader decides.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from bot.corpus import Corpus

MIN_SHARE = 0.5  # at least half of the segment's verbatims name the other segment...
MIN_RATIO = 3.0  # ...and at least three times as many as name the segment itself
MIN_N = 30
_HANDLE = re.compile(r"@\w+")


def _pattern(value: str) -> re.Pattern[str]:
    """A value as customers write it: its words, squashed ("JetBlue", "virginamerica"), or a
    handle that starts with it (@SouthwestAir, @AmericanAir)."""
    words = re.sub(r"[^0-9a-z]+", " ", value.lower()).split()
    squashed = "".join(words)
    spaced = r"\s*".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![0-9a-z])(?:@{re.escape(squashed)}\w*|{spaced})(?![0-9a-z])", re.I)


def _mentions(texts: list[str], value: str) -> np.ndarray:
    pat = _pattern(value)
    return np.fromiter((bool(pat.search(t)) for t in texts), dtype=bool, count=len(texts))


def _top_handle(texts: list[str]) -> tuple[str, int]:
    """The @handle most of these texts address (its commonest spelling), and in how many."""
    per_text = [{h.lower(): h for h in _HANDLE.findall(t)} for t in texts]
    counts = Counter(h for hs in per_text for h in hs)
    if not counts:
        return "", 0
    top, n = counts.most_common(1)[0]
    spelled = Counter(hs[top] for hs in per_text if top in hs).most_common(1)[0][0]
    return spelled, n


def segment_caveats(corpus: Corpus) -> dict[str, str]:
    """segment value -> caveat, for every value whose verbatims are about someone else."""
    cached = corpus.memo.get("segment_caveats")
    if cached is not None:
        return cached
    out: dict[str, str] = {}
    verb = corpus.is_verbatim
    for key, values in corpus.segment_values.items():
        if len(values) < 2:
            continue
        texts = {}
        for v in values:
            rows = np.flatnonzero(corpus.segment_mask(key, [v]) & verb)
            if len(rows) >= MIN_N:
                texts[v] = [str(corpus.rows[i]["text"]) for i in rows]
        own = {v: int(_mentions(t, v).sum()) for v, t in texts.items()}
        for v, ts in texts.items():
            n = len(ts)
            for w in values:  # another segment of the same column, named instead
                other = int(_mentions(ts, w).sum()) if w != v else 0
                if other >= MIN_SHARE * n and other >= MIN_RATIO * max(own[v], 1):
                    out[v] = (
                        f"{other:,} of {n:,} '{v}' verbatims name {w} (only {own[v]:,} name "
                        f"{v}): the '{key}' label may not say whom they are about."
                    )
                    break
            if v in out:
                continue
            # customers name this column's values (brands, not regions), yet not this one: whom
            # do its verbatims address?
            peers = [own[w] / len(texts[w]) for w in texts if w != v]
            if not peers or float(np.median(peers)) < MIN_SHARE or own[v] >= MIN_SHARE * n / 2:
                continue
            handle, k = _top_handle(ts)
            if k >= MIN_SHARE * n and k >= MIN_RATIO * max(own[v], 1):
                if not _pattern(v).search(handle):
                    out[v] = (
                        f"{k:,} of {n:,} '{v}' verbatims address {handle} (only {own[v]:,} "
                        f"name {v}): the '{key}' label may not say whom they are about."
                    )
    corpus.memo["segment_caveats"] = out
    return out


def caveats_for(corpus: Corpus, segments: list[str]) -> list[str]:
    found = segment_caveats(corpus)
    return [found[s] for s in dict.fromkeys(segments) if s in found]
