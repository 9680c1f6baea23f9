"""Segment sanity: does a segment's feedback talk about that segment?

A label column can be wrong: in the airline data 2,218 of 2,222 tweets labelled Delta address
@JetBlue. Every figure for such a segment then describes another one's customers. When a
segment's verbatims name another segment of the same column far more often than their own, or
(in a column whose values customers do name, like brands) rarely name their own but mostly
address one other @handle, each figure and gap for it carries a caveat naming both; the figures
stay, the reader decides.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

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


class _Tally:
    """One segment value's verbatims, counted as they stream by: how many name each value of
    the column, and (a second pass, only where needed) which @handles they address, in
    first-seen order as Counter keeps it."""

    def __init__(self) -> None:
        self.n = 0
        self.names: Counter[str] = Counter()
        self.handles: Counter[str] = Counter()
        self.spellings: dict[str, Counter[str]] = {}

    def add_names(self, text: str, matchers: list[_Matcher]) -> None:
        self.n += 1
        low = text.lower() if text.isascii() else None
        for w, needle, pat in matchers:
            # an ASCII text can only match if it holds the value's first word (cheap to test)
            if low is not None and needle is not None and needle not in low:
                continue
            if pat.search(text):
                self.names[w] += 1

    def add_handles(self, text: str, matchers: list[_Matcher]) -> None:
        if "@" in text:
            hs = {h.lower(): h for h in _HANDLE.findall(text)}
            for h, spelled in hs.items():
                self.handles[h] += 1
                self.spellings.setdefault(h, Counter())[spelled] += 1

    def top_handle(self) -> tuple[str, int]:
        """The @handle most of these texts address (its commonest spelling), and in how many."""
        if not self.handles:
            return "", 0
        top, n = self.handles.most_common(1)[0]
        return self.spellings[top].most_common(1)[0][0], n


_Matcher = tuple[str, str | None, re.Pattern[str]]
_Plan = dict[str, tuple[np.ndarray, dict[int, _Tally], list[_Matcher]]]


def _matcher(value: str) -> _Matcher:
    words = re.sub(r"[^0-9a-z]+", " ", value.lower()).split()
    return value, (words[0] if words else None), _pattern(value)


def _stream(
    corpus: Corpus, plan: _Plan, add: Callable[[_Tally, str, list[_Matcher]], None]
) -> None:
    """Feed each planned segment value's verbatim texts to its tally, reading the catalog a
    chunk at a time."""
    if not plan:
        return
    for pos, texts in corpus.reader.verbatim_texts():
        for codes, by_code, matchers in plan.values():
            for code, text in zip(codes[pos].tolist(), texts, strict=True):
                tally = by_code.get(code)
                if tally is not None:
                    add(tally, text, matchers)


def _tallies(corpus: Corpus) -> dict[str, dict[str, _Tally]]:
    """key -> value -> tally of names, for every value with at least MIN_N verbatims."""
    verb = corpus.is_verbatim
    plan: _Plan = {}
    out: dict[str, dict[str, _Tally]] = {}
    for key, values in corpus.segment_values.items():
        if len(values) < 2:
            continue
        eligible = {
            v: _Tally()
            for v in values
            if int((corpus.segment_mask(key, [v]) & verb).sum()) >= MIN_N
        }
        if eligible:
            out[key] = eligible
            by_code = {corpus.seg_index[key][v]: t for v, t in eligible.items()}
            plan[key] = (corpus.seg_codes[key], by_code, [_matcher(w) for w in values])
    _stream(corpus, plan, _Tally.add_names)
    return out


def segment_caveats(corpus: Corpus) -> dict[str, str]:
    """segment value -> caveat, for every value whose verbatims are about someone else.

    Computed once per index version (kept with the corpus and in the data dir's cache)."""
    cached = corpus.memo.get("segment_caveats")
    if cached is not None:
        return cached
    path = _cache_path(corpus)
    if path is not None and path.exists():
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cached = None
        if isinstance(cached, dict):
            corpus.memo["segment_caveats"] = cached
            return cached
    found: dict[str, str] = {}
    ask_handles: list[tuple[str, str]] = []  # (key, value) whose @handles decide
    all_tallies = _tallies(corpus)
    for key, tallies in all_tallies.items():
        values = corpus.segment_values[key]
        own = {v: t.names[v] for v, t in tallies.items()}
        for v, tally in tallies.items():
            n = tally.n
            for w in values:  # another segment of the same column, named instead
                other = tally.names[w] if w != v else 0
                if other >= MIN_SHARE * n and other >= MIN_RATIO * max(own[v], 1):
                    found[v] = (
                        f"{other:,} of {n:,} '{v}' verbatims name {w} (only {own[v]:,} name "
                        f"{v}): the '{key}' label may not say whom they are about."
                    )
                    break
            if v in found:
                continue
            # customers name this column's values (brands, not regions), yet not this one: whom
            # do its verbatims address?
            peers = [own[w] / tallies[w].n for w in tallies if w != v]
            if not peers or float(np.median(peers)) < MIN_SHARE or own[v] >= MIN_SHARE * n / 2:
                continue
            ask_handles.append((key, v))
    plan: _Plan = {}
    for key, v in ask_handles:
        codes, by_code, _ = plan.setdefault(key, (corpus.seg_codes[key], {}, []))
        by_code[corpus.seg_index[key][v]] = all_tallies[key][v]
    _stream(corpus, plan, _Tally.add_handles)
    for key, v in ask_handles:
        tally = all_tallies[key][v]
        n, own_v = tally.n, tally.names[v]
        handle, k = tally.top_handle()
        if k >= MIN_SHARE * n and k >= MIN_RATIO * max(own_v, 1):
            if not _pattern(v).search(handle):
                found[v] = (
                    f"{k:,} of {n:,} '{v}' verbatims address {handle} (only {own_v:,} "
                    f"name {v}): the '{key}' label may not say whom they are about."
                )
    order = [v for tallies in all_tallies.values() for v in tallies]
    out = {v: found[v] for v in order if v in found}
    corpus.memo["segment_caveats"] = out
    if path is not None:
        _save(path, out)
    return out


def _cache_path(corpus: Corpus) -> Path | None:
    if corpus.cache_dir is None:
        return None
    return corpus.cache_dir / f"caveats-g{corpus.generation}-v{corpus.version}.json"


def _save(path: Path, found: dict[str, str]) -> None:
    """Best effort, like the vector cache: a read-only data dir only costs a recount."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("caveats-*.json"):
            old.unlink(missing_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(found), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def caveats_for(corpus: Corpus, segments: list[str]) -> list[str]:
    if not segments:
        return []
    found = segment_caveats(corpus)
    return [found[s] for s in dict.fromkeys(segments) if s in found]
