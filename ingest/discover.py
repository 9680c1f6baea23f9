"""Theme discovery: cluster what the taxonomy misses and name each cluster from its own words.

Why: nine hand-written themes fit deliveries and flights; a clothing shop's or a bank's
customers talk about other things (size and fit, credit reports). Discovery clusters the
stored vectors of the complaints no theme covers (k-means on unit vectors, scikit-learn),
names each cluster with its most distinctive phrase (class-based TF-IDF over 1-3 word n-grams,
as BERTopic does), keeps the verbatims nearest its centre as examples, and groups clusters
under parent themes (agglomerative clustering of the centres). The result is ordinary taxonomy
entries (label, description, examples, `discovered: true`, `parent`), so assignment, export and
editing treat discovered and hand-written themes the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ingest.errors import CxbotError

MIN_TEXTS = 60  # fewer uncovered complaints than this: nothing worth clustering
MAX_CLUSTERS = 24
SAMPLE_MAX = 20_000  # k-means on a sample; every record is then assigned by similarity
EXAMPLES = 6
PARENTS_PER_CLUSTER = 1 / 3  # about three discovered themes under each parent
UBIQUITOUS = 0.4  # a word in more than this share of the texts never names a theme

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


def _clean(text: str, names: re.Pattern[str] | None) -> str:
    t = _HANDLE.sub(" ", _URL.sub(" ", text))
    if names is not None:
        t = names.sub(" ", t)
    return t


def _k_for(n: int) -> int:
    return int(np.clip(round(np.sqrt(n / 6)), 4, MAX_CLUSTERS))


def discover(
    texts: list[str],
    vectors: np.ndarray,
    names: list[str] | None = None,
    k: int | None = None,
    seed: int = 0,
    taken: set[str] | None = None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> list[Cluster]:
    """Clusters of ``texts`` (with their unit ``vectors``), named from their own words.

    ``names`` (brands, segment values) never name a theme; ``taken`` are ids already in use,
    so a discovered theme never takes a hand-written theme's id. With ``embed`` (the index's
    model), each name is the candidate phrase nearest the cluster's centre and farthest from
    the others (as BERTopic's KeyBERT-inspired representation does), not only the most
    frequent distinctive one: "Airline and flight" names every airline complaint."""
    from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

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

    pattern = None
    if names:
        words = {w for nm in names for w in re.findall(r"\w+", nm.lower()) if len(w) > 2}
        words |= {w[:-1] for w in words if w.endswith("s")}
        words |= {w[:-2] for w in words if w.endswith("es")}
        words = sorted(words)
        if words:
            pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.I)
    docs = [_clean(t, pattern) for t in texts]
    stop = list(ENGLISH_STOP_WORDS | _STOP_EXTRA)
    cv = CountVectorizer(
        ngram_range=(1, 3),
        stop_words=stop,
        min_df=3,
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
        max_features=60_000,
    )
    try:
        dtm = cv.fit_transform(docs)
    except ValueError:  # nothing but stop words
        raise DiscoveryError(
            "The verbatims have too few distinctive words to name themes from."
        ) from None
    vocab = np.array(cv.get_feature_names_out())
    # a theme is a topic, not a feeling: words of the sentiment lexicon never name one
    feeling = _feeling_words()
    binary = (dtm > 0).astype(np.float32)
    # a word most of the texts use ("order" in "(order 123)", the brand, the product) tells the
    # clusters apart from nothing: it never names one, alone or in a phrase
    df = np.asarray(binary.sum(axis=0)).ravel() / max(1, n)
    where = {str(v): i for i, v in enumerate(vocab)}
    common = {w for w, i in where.items() if " " not in w and df[i] > UBIQUITOUS}
    nameable = np.array(
        [not any(w in feeling or w in common for w in v.split()) for v in vocab], dtype=bool
    )

    kept = [c for c in range(k) if int((label_of == c).sum()) >= min_size]
    if not kept:
        raise DiscoveryError(
            f"No group of at least {min_size} similar verbatims among {n}.",
            "Ingest more feedback, or write the themes by hand (CXBOT_TAXONOMY_PATH).",
        )
    # class-based TF-IDF: a term's frequency in the cluster, weighed by how few clusters use it
    tf = np.vstack([np.asarray(binary[label_of == c].sum(axis=0)).ravel() for c in kept])
    avg = tf.sum() / len(kept)
    idf = np.log(1 + avg / (tf.sum(axis=0) + 1))
    ctfidf = (tf / (tf.sum(axis=1, keepdims=True) + 1e-9)) * idf

    clusters: list[Cluster] = []
    used = set(taken or ())
    tops = [np.argsort(-np.where(nameable, ctfidf[row], -1.0))[:30] for row in range(len(kept))]
    by_meaning = (
        _names_by_meaning(tops, tf, vocab, centres[kept], label_of, kept, embed)
        if embed is not None
        else {}
    )
    for row, c in enumerate(kept):
        members = np.flatnonzero(label_of == c)
        top = tops[row]
        words = [str(vocab[i]) for i in top if tf[row, i] > 0 and nameable[i]]
        label = by_meaning.get(row) or _name(words, tf[row], vocab, len(members))
        ident = _unique("d_" + slug(label), used)
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
                label=label,
                size=len(members),
                words=words[:8],
                examples=examples,
                centroid=centres[c],
                threshold=float(np.clip(np.quantile(msims, 0.3), 0.35, 0.6)),
                members=members,
            )
        )
    # parents: the closest centres grouped (average linkage), each group named after its
    # largest theme
    if len(clusters) >= 3:
        agg = AgglomerativeClustering(
            n_clusters=max(2, round(len(clusters) * PARENTS_PER_CLUSTER)),
            metric="cosine",
            linkage="average",
        ).fit(np.vstack([c.centroid for c in clusters]))
        for g in set(agg.labels_):
            group = [c for c, lab in zip(clusters, agg.labels_, strict=True) if lab == g]
            if len(group) > 1:
                head = max(group, key=lambda c: c.size)
                for c in group:
                    c.parent = head.label
    clusters.sort(key=lambda c: -c.size)
    return clusters


def _names_by_meaning(
    tops: list[np.ndarray],
    tf: np.ndarray,
    vocab: np.ndarray,
    centres: np.ndarray,
    label_of: np.ndarray,
    kept: list[int],
    embed: Callable[[list[str]], np.ndarray],
) -> dict[int, str]:
    """Per cluster, among its distinctive phrases used by at least 3% of its members, the one
    whose embedding is closest to its centre minus its mean closeness to the other centres."""
    feeling = _feeling_words()
    cands: dict[int, list[int]] = {}
    for row, top in enumerate(tops):
        size = int((label_of == kept[row]).sum())
        ok = [
            int(i)
            for i in top[:20]
            if tf[row, i] >= max(3, 0.03 * size)
            and not any(w in feeling for w in str(vocab[i]).split())
        ]
        if ok:
            cands[row] = ok
    terms = sorted({i for ok in cands.values() for i in ok})
    if not terms:
        return {}
    vecs = np.asarray(embed([str(vocab[i]) for i in terms]), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    sims = vecs @ centres.T  # terms x clusters
    pos = {t: n for n, t in enumerate(terms)}
    out: dict[int, str] = {}
    for row, ok in cands.items():
        best, best_score = None, -9.0
        for i in ok:
            s = sims[pos[i]]
            others = np.delete(s, row)
            score = float(s[row] - (others.mean() if len(others) else 0.0))
            if score > best_score:
                best, best_score = str(vocab[i]), score
        if best:
            out[row] = best[0].upper() + best[1:]
    return out


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


def _name(words: list[str], tf: np.ndarray, vocab: np.ndarray, size: int) -> str:
    """A phrase from the cluster's own text ("Runs small"), not a list of words.

    The most distinctive 2-3 word phrase used by at least 5% of the cluster wins; else the
    two most distinctive words joined ("Refund and credit")."""
    wanted = set(words)
    counts = {str(v): float(tf[i]) for i, v in enumerate(vocab) if str(v) in wanted}
    for w in words[:15]:
        if " " in w and counts.get(w, 0) >= max(3, 0.05 * size):
            return w[0].upper() + w[1:]
    singles = [w for w in words if " " not in w]
    if len(singles) >= 2:
        return f"{singles[0].capitalize()} and {singles[1]}"
    return (singles or words or ["Other"])[0].capitalize()
