"""Theme discovery: cluster what the taxonomy misses and name each cluster from its own words.

Why: nine hand-written themes fit deliveries and flights; a clothing shop's or a bank's
customers talk about other things (size and fit, credit reports). Discovery clusters the
stored vectors of the complaints no theme covers (k-means on unit vectors, scikit-learn),
names each cluster with the customers' own phrase that sets it apart from the whole corpus
(``ingest.naming``; a cluster with nothing distinctive is no theme), keeps the verbatims nearest
its centre as examples, and groups clusters under parent themes (agglomerative clustering of
the centres). The result is ordinary taxonomy
entries (label, description, examples, `discovered: true`, `parent`), so assignment, export and
editing treat discovered and hand-written themes the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ingest.errors import CxbotError
from ingest.naming import Namer, proper_nouns, tokens

MIN_TEXTS = 60  # fewer uncovered complaints than this: nothing worth clustering
MAX_CLUSTERS = 24
SAMPLE_MAX = 20_000  # k-means on a sample; every record is then assigned by similarity
EXAMPLES = 6
PARENTS_PER_CLUSTER = 1 / 3  # about three discovered themes under each parent

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"[@#]\w+")
_STOP_EXTRA = {
    "just", "like", "get", "got", "im", "ive", "dont", "didnt", "doesnt", "cant", "wont",
    "really", "would", "could", "one", "still", "also", "us", "amp", "thanks", "thank",
    "please", "ve", "ll", "re", "did", "does", "know", "want", "going", "way", "make",
    "lol", "hi", "hey", "ok", "yes", "day", "time", "today", "new", "didn", "wasn", "isn",
    "doesn", "aren", "wouldn", "couldn", "ordered", "wear", "wore", "wanted", "think",
    "looks", "look", "looked", "looking", "bought", "tried", "try", "purchased", "went",
    "came", "say", "said", "feel", "feels", "felt", "thing", "things", "lot", "bit",
    "little", "probably", "maybe", "actually", "definitely", "usually", "pretty", "work",
    "works", "need", "needs", "tell", "told", "let", "ask", "asked", "see", "seen",
    "don", "oh", "rt", "guys",
    # words of the channel, not of the topic (social posts, chats, emails)
    "dm", "dms", "tweet", "tweets", "tweeted", "twitter", "follow", "followed", "sorry", "pls",
    "plz", "thx", "ty", "ur", "hello", "hear", "reply", "replied", "message", "email",
    # words that say something went wrong or is wanted, in any business, not what
    "help", "helped", "helping", "issue", "issues", "problem", "problems", "question",
    "questions", "concern", "experience", "response", "respond", "anyone", "someone",
    # contractions typed without the apostrophe
    "thats", "youre", "theyre", "whats", "isnt", "arent", "wasnt", "werent", "havent",
    "hasnt", "wouldnt", "couldnt", "shouldnt", "youve", "weve", "theyve", "youll", "ill",
}  # fmt: skip


class DiscoveryError(CxbotError):
    """Too little text to discover themes from, or a bad request about themes."""


@dataclass
class Cluster:
    id: str
    label: str
    size: int
    words: list[str]
    examples: list[int]  # indexes into the texts given, nearest the centre first
    centroid: np.ndarray
    threshold: float  # similarity to the centre that holds most of the cluster
    parent: str | None = None
    members: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or "theme"


def _clean(text: str) -> str:
    return _HANDLE.sub(" ", _URL.sub(" ", text))


def _k_for(n: int) -> int:
    return int(np.clip(round(np.sqrt(n / 6)), 4, MAX_CLUSTERS))


def discover(
    texts: list[str],
    vectors: np.ndarray,
    names: list[str] | None = None,
    k: int | None = None,
    seed: int = 0,
    taken: set[str] | None = None,
    background: list[str] | None = None,
) -> list[Cluster]:
    """Clusters of ``texts`` (with their unit ``vectors``), named from their own words.

    ``names`` (brands, segment values) never name a theme; ``taken`` are ids already in use,
    so a discovered theme never takes a hand-written theme's id; ``background`` (a sample of
    the whole corpus) is what a name must be distinctive against: "flight" is common in every
    airline complaint, "lost my bag" is not."""
    from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    n = len(texts)
    if n < MIN_TEXTS:
        raise DiscoveryError(
            f"Only {n} verbatims to discover themes from; at least {MIN_TEXTS} are needed.",
            "Ingest more feedback, or write the themes by hand (CXBOT_TAXONOMY_PATH).",
        )
    vecs = vectors.astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    rng = np.random.default_rng(seed)
    sample = np.arange(n) if n <= SAMPLE_MAX else np.sort(rng.choice(n, SAMPLE_MAX, False))
    k = k or _k_for(len(sample))
    km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048)
    km.fit(vecs[sample])
    centres = km.cluster_centers_ / (
        np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True) + 1e-9
    )
    sims = vecs @ centres.T
    label_of = sims.argmax(axis=1)
    min_size = max(10, int(0.01 * n))
    kept = [c for c in range(k) if int((label_of == c).sum()) >= min_size]
    if not kept:
        raise DiscoveryError(
            f"No group of at least {min_size} similar verbatims among {n}.",
            "Ingest more feedback, or write the themes by hand (CXBOT_TAXONOMY_PATH).",
        )

    docs = [_clean(t) for t in texts]
    bg = [_clean(t) for t in background] if background else []
    stop = set(ENGLISH_STOP_WORDS) | _STOP_EXTRA
    banned = _feeling_words() | proper_nouns(list(texts) + list(background or []))
    if names:
        words = {w for nm in names for w in tokens(nm) if len(w) > 2}
        banned |= words | {w[:-1] for w in words if w.endswith("s")}
    namer = Namer(docs, bg, stop, banned)
    named = [namer.name(np.flatnonzero(label_of == c)) for c in kept]
    if not any(nm.label for nm in named):
        raise DiscoveryError(
            "The verbatims have too few distinctive words to name themes from.",
            "Write the themes by hand (CXBOT_TAXONOMY_PATH).",
        )

    clusters: list[Cluster] = []
    used = set(taken or ())
    for c, nm in zip(kept, named, strict=True):
        if nm.label is None:  # nothing sets it apart (greetings, "help", "issue"): no theme
            continue
        members = np.flatnonzero(label_of == c)
        ident = _unique("d_" + slug(nm.label), used)
        used.add(ident)
        msims = sims[members, c]
        order = members[np.argsort(-msims)]
        examples: list[int] = []
        seen: set[str] = set()
        for i in order:
            key = re.sub(r"\W+", " ", texts[i].lower()).strip()[:80]
            if key in seen:
                continue
            seen.add(key)
            examples.append(int(i))
            if len(examples) >= EXAMPLES:
                break
        clusters.append(
            Cluster(
                id=ident,
                label=nm.label,
                size=len(members),
                words=nm.words[:8],
                examples=examples,
                centroid=centres[c],
                threshold=float(np.clip(np.quantile(msims, 0.3), 0.35, 0.6)),
                members=members,
            )
        )
    # parents: the closest centres grouped (average linkage), each group named from all its
    # texts (its largest theme's name when nothing sets the group apart)
    if len(clusters) >= 3:
        agg = AgglomerativeClustering(
            n_clusters=max(2, round(len(clusters) * PARENTS_PER_CLUSTER)),
            metric="cosine",
            linkage="complete",
        ).fit(np.vstack([c.centroid for c in clusters]))
        for g in set(agg.labels_):
            group = [c for c, lab in zip(clusters, agg.labels_, strict=True) if lab == g]
            if 1 < len(group) <= len(clusters) / 2:  # a parent of most themes says nothing
                head = max(group, key=lambda c: c.size)
                both = namer.name(np.concatenate([c.members for c in group]))
                label = both.label or head.label
                for c in group:
                    c.parent = label
    clusters.sort(key=lambda c: -c.size)
    return clusters


def _unique(ident: str, used: set[str]) -> str:
    out, i = ident, 2
    while out in used:
        out, i = f"{ident}_{i}", i + 1
    return out


def _feeling_words() -> set[str]:
    """Words VADER's lexicon scores as clearly positive or negative ("love", "cute", "bad")."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    lex = SentimentIntensityAnalyzer().lexicon
    return {w for w, v in lex.items() if abs(v) >= 1.8 and w.isalpha()}
