"""What positive feedback is about, found in its own words.

The themes are complaint-shaped ("Late or delayed", "Lost or damaged items"), so counting
positive verbatims per theme says "customers praise lost or damaged items" when they wrote
"fast delivery, well packed". Praise gets its own topics instead: the positive verbatims in
scope are clustered on their stored vectors and each cluster is named from its distinctive
words (the same discovery that finds new complaint themes, `ingest.discover`), so the answer
reads "Fast delivery: 69", counted over those verbatims, each with the quotes closest to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import zip_longest

import numpy as np

from bot.corpus import Corpus
from ingest.discover import MIN_TEXTS, Cluster, DiscoveryError, discover
from ingest.naming import tokens

SAMPLE = 4_000  # at most this many positive verbatims are clustered (evenly spaced)
BACKGROUND = 4_000  # what a name must stand out against: the scope's verbatims, evenly spaced


@dataclass
class PraiseTopic:
    label: str
    k: int  # positive verbatims of the clustered set nearest this topic
    examples: list[int]  # corpus positions, closest to the topic first


@dataclass
class Praise:
    topics: list[PraiseTopic]
    clustered: int  # how many positive verbatims were clustered (all of them, or a sample)
    total: int  # positive verbatims in scope


def _spaced(idx: np.ndarray, n: int) -> np.ndarray:
    if len(idx) <= n:
        return idx
    return idx[np.linspace(0, len(idx) - 1, n).round().astype(int)]


def _quotes(c: Cluster, texts: list[str], vecs: np.ndarray, n: int = 6) -> list[int]:
    """The members closest to the topic that use its name's words (the quotes show why it is
    called that); its closest members only when none does (a quote beside a name it does not
    use reads as evidence for something else)."""
    words = tokens(c.label)
    order = c.members[np.argsort(-(vecs[c.members] @ c.centroid))]
    using = [i for i in order if set(words) <= set(tokens(texts[i]))]
    out: list[int] = []
    seen: set[str] = set()
    for i in using or list(c.examples):
        key = " ".join(tokens(texts[i]))
        if key not in seen:
            seen.add(key)
            out.append(int(i))
            if len(out) >= n:
                break
    return out


def praise_topics(
    corpus: Corpus,
    positive: np.ndarray,
    scope: np.ndarray,
    vectors_of: Callable[[np.ndarray], np.ndarray | None],
) -> Praise | None:
    """Topics of the verbatims in the boolean mask ``positive`` (within ``scope``), or None when
    there are too few of them, or too few distinctive words, to name any. ``vectors_of`` gives
    the stored vectors of corpus positions (never re-embedded)."""
    idx = np.flatnonzero(positive)
    if len(idx) < MIN_TEXTS:
        return None
    key = f"praise:{hash(idx.tobytes())}:{len(idx)}"
    if key in corpus.memo:
        return corpus.memo[key]  # type: ignore[no-any-return]
    sample = _spaced(idx, SAMPLE)
    vecs = vectors_of(sample)
    if vecs is None:
        return None
    texts = corpus.reader.texts(sample)
    bg_idx = _spaced(np.flatnonzero(scope), BACKGROUND)
    background = corpus.reader.texts(bg_idx)
    names = [v for values in corpus.segment_values.values() for v in values]
    try:
        clusters = discover(
            texts, np.asarray(vecs, dtype=np.float32), names=names, background=background
        )
    except DiscoveryError:
        clusters = []
    by_label: dict[str, PraiseTopic] = {}
    for c in clusters:  # two clusters may earn one name ("Staff"): one topic
        examples = [int(sample[i]) for i in _quotes(c, texts, vecs)]
        t = by_label.get(c.label.lower())
        if t is None:
            by_label[c.label.lower()] = PraiseTopic(c.label, int(c.size), examples)
        else:
            t.k += int(c.size)
            both = zip_longest(t.examples, examples)
            t.examples = [i for pair in both for i in pair if i is not None]
    topics = sorted(by_label.values(), key=lambda t: -t.k)
    out = Praise(topics, len(sample), len(idx))
    corpus.memo[key] = out
    return out
