"""Mistyped question words read as the word the customers use: 'pillng' -> 'pilling'.

Leaders type fast in Slack; a count of "pillng" that finds nothing, or a search that misses
every review saying "pilling", is a wrong answer. A word is respelled only when all of these
hold, so a real word the index happens not to hold ("sofa" in clothing reviews) is never
turned into another ("soft"):

- it is at least five letters, lower-case or capitalised, and not inside quotes (quoting asks
  for the word as typed), nor a word of a segment value or theme label;
- it is no English word: not in pyspellchecker's English list (MIT, 160k words) nor a whole
  word of the embedding model's vocabulary;
- the index holds it in no record, or in at least ``RARER`` times fewer records than a word
  one edit away (a letter added, dropped, changed or two swapped), which becomes the reading;
  that word is English too, or one at least ``MIN_UNLISTED`` records use (a brand, a handle).

The answer says what it read ("read 'pillng' as 'pilling'"), so a wrong guess is visible.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from ingest.embedder import default_tokenizer_path

if TYPE_CHECKING:
    from bot.corpus import Corpus
    from ingest.lexical import Lexical

MIN_LETTERS = 5  # a shorter word is one edit away from too many others ("wifi", "wife")
RARER = 20  # a word held this many times less often than its one-edit neighbour is a typo of it
MIN_UNLISTED = 10  # records that must use a reading no word list holds (a brand, a handle)

_WORD = re.compile(r"(?<![\w@#'\"])([A-Za-z][a-z]+)(?![\w'\"])")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|‘[^’]*’|(?<!\w)'[^']*'(?!\w)")


@lru_cache(maxsize=1)
def _speller():  # type: ignore[no-untyped-def]
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


@lru_cache(maxsize=1)
def _model_words() -> frozenset[str]:
    path = default_tokenizer_path().parent / "vocab.txt"
    try:
        words = path.read_text(encoding="utf-8").split()
    except OSError:
        return frozenset()
    return frozenset(w for w in words if w.isalpha())


# British spellings of words the (American) list holds: "apologise", "colour", "centre"
_BRITISH = (
    (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"),
    (r"ys(e|es|ed|ing)$", r"yz\1"),
    (r"our(s|ed|ing|ful|able)?$", r"or\1"),
    (r"tre(s)?$", r"ter\1"),
    (r"ogue(s)?$", r"og\1"),
    (r"ll(ed|ing|er|ers)$", r"l\1"),
)


def is_english(word: str) -> bool:
    w = word.lower()
    if w in _model_words() or _speller().known([w]):
        return True
    for pat, rep in _BRITISH:
        us = re.sub(pat, rep, w)
        if us != w and (us in _model_words() or _speller().known([us])):
            return True
    return False


def respelling(word: str, lex: Lexical) -> str | None:
    """The word the index holds that ``word`` is a typo of, or None."""
    w = word.lower()
    if len(w) < MIN_LETTERS or not w.isalpha() or w in _model_words():
        return None
    own = lex.doc_freq([w])[0]
    if own * RARER > lex.n_docs or is_english(w):  # used by customers often, or a real word
        return None
    candidates = sorted(c for c in _speller().edit_distance_1(w) if c.isalpha() and c != w)
    if not candidates:
        return None
    freqs = lex.doc_freq(candidates)
    best, best_df = None, 0
    for c, df in zip(candidates, freqs, strict=True):
        # the most used; among equals, an English word ("pilling" over "pillin")
        if df > best_df or (df == best_df and df and best and is_english(c) > is_english(best)):
            best, best_df = c, df
    if best is None or best_df < max(1, RARER * own):
        return None
    if not is_english(best):  # a brand or handle the customers use often ("jetblu" -> jetblue)
        stem = lex.stemmer.stemWord(best)
        if best_df < MIN_UNLISTED or is_english(stem):
            return None  # "depts" is not "kepts", however often reviews say "kept"
    return best


def respell(
    question: str, corpus: Corpus, keep: set[str] | None = None
) -> tuple[str, dict[str, str]]:
    """The question with its mistyped words replaced, and what was replaced by what.

    ``keep``: lower-case words never respelled (segment values, theme labels)."""
    lex = corpus.bm25
    if lex is None or lex.n_docs != len(corpus):
        return question, {}
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(question)]
    keep = keep or set()
    fixes: dict[str, str] = {}
    for m in _WORD.finditer(question):
        word = m.group(1)
        if word.lower() in keep or word.lower() in fixes:
            continue
        if any(a <= m.start() < b for a, b in quoted):
            continue
        fix = respelling(word, lex)
        if fix:
            fixes[word.lower()] = fix
    if not fixes:
        return question, {}

    def swap(m: re.Match[str]) -> str:
        w = m.group(1)
        if any(a <= m.start() < b for a, b in quoted):
            return w
        fix = fixes.get(w.lower())
        if fix is None:
            return w
        return fix.capitalize() if w[0].isupper() else fix

    return _WORD.sub(swap, question), fixes
