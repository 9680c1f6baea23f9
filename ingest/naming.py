"""Offline names for discovered clusters: readable phrases the customers wrote, distinctive
against the whole corpus.

Why: a name is read on its own, in a list, by someone who never saw the cluster. "Size and
small" or "Dm and issue" say nothing; "Size runs small" or "No response" do. Four rules, none
of them a keyword list:
- candidates are the customers' own 1-3 word phrases, taken from the running text (so "lost my
  bag" stays "lost my bag", not "lost bag"), never starting or ending with a stop word, except
  that a phrase may start with a negation ("no response", "never arrived");
- a candidate is scored by how much more the cluster uses it than the whole corpus does
  (pointwise KL divergence, p_c * log(p_c / p_corpus), as in Tomokiyo and Hurst's
  informativeness); words of feeling, words most texts use, brand and place names (words
  written as @handles or #tags, or capitalised mid-sentence most of the time) never name one;
- a single word names a cluster only when the corpus uses it as a thing ("my bag", "the
  gate", "3 hours": a determiner, possessive or number before it at least one time in five);
  otherwise the best phrase or thing-word among the top candidates does ("sitting" -> "gate");
- the best candidate is extended to the longer phrase that contains it when at least a third
  of the texts using it use that phrase ("small" -> "runs small" -> "size runs small");
- a cluster whose best candidate is not at least twice as common in it as in the corpus has no
  distinctive content (greetings, "help", "issue"): it gets no name and is not a theme.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

TOKEN = re.compile(r"[A-Za-z][A-Za-z']*[A-Za-z]|[A-Za-z]")
NEGATIONS = {"no", "not", "never", "nobody", "nothing", "without"}
MIN_SHARE = 0.03  # a name is used by at least this share of the cluster (and 3 texts)
EXTEND = 1 / 3  # a longer phrase replaces its part when this share of the part's users use it
MIN_LIFT = 2.0  # a cluster's name is at least this many times as common in it as in the corpus
PROPER = 0.6  # capitalised in this share of its mid-sentence uses: a name, not a topic
COMMON = 0.4  # a word in more than this share of the corpus names nothing
MIN_SUPPORT = 0.2  # the cluster's top three terms speak for at least one text in five
PHRASE = 0.5  # a phrase at least half as telling as the best word names the cluster instead
NOUNISH = 0.2  # share of a word's uses after a determiner or number: it names a thing
DETERMINERS = {
    "the", "a", "an", "my", "our", "your", "their", "his", "her", "its", "this", "that",
    "these", "those", "no", "any", "some", "every", "each", "another", "which", "what",
}  # fmt: skip


@dataclass
class Name:
    label: str | None  # None: nothing distinctive, the cluster is not a theme
    words: list[str]  # the most distinctive terms, best first
    lift: float  # how many times as common the name is in the cluster as in the corpus


def tokens(text: str) -> list[str]:
    """Lower-case words; "airline's" is "airline", and a contraction ("didn't", "you're") is
    "" (a function word, like a stop word)."""
    out = []
    for t in TOKEN.findall(text):
        t = t.lower()
        if "'" in t:
            head, _, tail = t.partition("'")
            t = head if tail == "s" else ""
        out.append(t)
    return out


def proper_nouns(texts: Iterable[str], min_uses: int = 5) -> set[str]:
    """Words written as @handles or #tags, or capitalised after a lower-case word most of the
    time ("to Miami", "with JetBlue"): brands and places, whatever the business."""
    handles: set[str] = set()
    cap: Counter[str] = Counter()
    mid: Counter[str] = Counter()
    for t in texts:
        handles.update(h.lower() for h in re.findall(r"[@#](\w+)", t))
        prev_lower = False
        for tok in TOKEN.findall(re.sub(r"[@#]\w+", " ", t)):
            if prev_lower:
                w = tok.lower()
                mid[w] += 1
                if tok[0].isupper():
                    cap[w] += 1
            prev_lower = tok.islower()
    found = {w for w, n in mid.items() if n >= min_uses and cap[w] / n >= PROPER}
    return found | handles


def thingness(texts: Iterable[str]) -> dict[str, float]:
    """Per word, the share of its uses right after a determiner, possessive or number: a
    POS-free sign that it names a thing ("the gate", "my bag", "3 hours"), not an action."""
    after: Counter[str] = Counter()
    uses: Counter[str] = Counter()
    for t in texts:
        toks = re.findall(r"[a-z0-9]+", t.lower())
        for prev, w in zip(["", *toks], toks, strict=False):
            uses[w] += 1
            if prev in DETERMINERS or prev.isdigit():
                after[w] += 1
    return {w: after[w] / n for w, n in uses.items() if n >= 3}


def analyzer(stop: set[str]):  # type: ignore[no-untyped-def]
    """1-3 word phrases from running text: no stop word at either end (a negation may lead),
    at most one inside."""
    stop = stop | {""}

    def grams(doc: str) -> list[str]:
        toks = tokens(doc)
        out = set()
        for i, w in enumerate(toks):
            if len(w) > 1 and w not in stop:
                out.add(w)
            for n in (2, 3):
                g = toks[i : i + n]
                if len(g) < n:
                    break
                if "" in g:  # across a contraction
                    continue
                if (g[0] in stop and g[0] not in NEGATIONS) or g[-1] in stop or len(g[-1]) < 2:
                    continue
                if n == 2 and g[0] in NEGATIONS and g[1] in NEGATIONS:
                    continue
                if n == 3 and g[0] in stop and g[1] in stop:
                    continue
                out.add(" ".join(g))
        return list(out)

    return grams


class Namer:
    """Fitted once on the clustered texts and the corpus; names any set of them."""

    def __init__(
        self, docs: list[str], background: list[str], stop: set[str], banned: set[str]
    ) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

        cv = CountVectorizer(analyzer=analyzer(stop), min_df=3, max_features=80_000, binary=True)
        try:
            self.dtm = cv.fit_transform(docs).tocsr()
        except ValueError:  # nothing but stop words
            self.dtm = None
            return
        self.vocab = np.array(cv.get_feature_names_out())
        bg = background or docs
        bg_df = np.asarray(cv.transform(bg).sum(axis=0)).ravel().astype(np.float64)
        self.p_bg = (bg_df + 1.0) / (len(bg) + 2.0)
        common = {
            str(v)
            for v, p in zip(self.vocab, self.p_bg, strict=True)
            if " " not in v and p > COMMON
        }
        self.ok = np.array(
            [not any(w in banned or w in common for w in ws if w not in NEGATIONS) and
             not all(w in stop for w in ws) for ws in (str(v).split() for v in self.vocab)],
            dtype=bool,
        )  # fmt: skip
        self.index = {str(v): i for i, v in enumerate(self.vocab)}
        self.thing = thingness(list(docs) + list(background))

    def name(self, rows: np.ndarray) -> Name:
        """The name of the texts ``rows`` (indexes into the clustered texts)."""
        if self.dtm is None or not len(rows):
            return Name(None, [], 0.0)
        sub = self.dtm[rows]
        df = np.asarray(sub.sum(axis=0)).ravel().astype(np.float64)
        p_c = df / len(rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(df > 0, p_c * np.log(np.maximum(p_c, 1e-12) / self.p_bg), -np.inf)
        enough = self.ok & (df >= max(3, MIN_SHARE * len(rows)))
        order = np.argsort(-np.where(enough, score, -np.inf))
        words = [str(self.vocab[i]) for i in order[:40] if enough[i] and score[i] > 0][:12]
        if not words:
            return Name(None, [], 0.0)
        best = self.index[words[0]]
        lift = float(p_c[best] / self.p_bg[best])
        top = [self.index[w] for w in words[:3]]
        support = float((sub[:, top].sum(axis=1) > 0).mean())
        if lift < MIN_LIFT or support < MIN_SUPPORT:
            return Name(None, words, lift)
        term = words[0]
        phrases = [w for w in words if " " in w]
        if " " not in term and phrases and score[self.index[phrases[0]]] >= PHRASE * score[best]:
            term = phrases[0]  # a phrase reads better than a word, when nearly as telling
        elif " " not in term and self.thing.get(term, 0.0) < NOUNISH:
            # an action or a quality alone ("sitting", "shrunk"): the best phrase or thing
            term = next(
                (w for w in words[:6] if " " in w or self.thing.get(w, 0.0) >= NOUNISH), term
            )
        label = _extend(term, df, self.vocab, enough, self.index)
        return Name(label[0].upper() + label[1:], words, lift)


def _extend(
    term: str, df: np.ndarray, vocab: np.ndarray, enough: np.ndarray, index: dict[str, int]
) -> str:
    """The longest phrase containing ``term`` that a third of its users wrote."""
    while len(term.split()) < 3:
        base = df[index[term]]
        pad = f" {term} "
        longer = [
            i
            for i, v in enumerate(vocab)
            if enough[i] and len(v.split()) == len(term.split()) + 1 and pad in f" {v} "
        ]
        if not longer:
            break
        top = max(longer, key=lambda i: df[i])
        if df[top] < EXTEND * base:
            break
        term = str(vocab[top])
    return term
