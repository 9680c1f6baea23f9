"""How one verbatim reads: polarity (negative / neutral / positive) and intent (complaint,
request, praise, question, other), computed once at ingest, offline, on CPU.

Version 3 (`read_many`): a learned reading over the MiniLM vector ingest already computes,
with the rules below as extra features (`ingest.reading_model`, fitted on a training set
written for cxbot: `ingest/reading_data/README.md`). Version 4: the same fit with its polarity
probabilities calibrated (`ingest.reading_train.calibrate`): the least sure are what an LLM
re-reads, and the balanced class weights no longer pull a text that is as likely a complaint
as not towards neutral. The rules alone (version 2, `read`) remain
the reading for vectors from another embedder. In both, the respondent's own score wins.

Version 2, the rules. VADER alone read 41% of negative airline tweets as positive. Three
reasons, three fixes:
- names carry no sentiment: "@united my flight is delayed" scored +0.23 because VADER's lexicon
  gives "united" +1.8. Handles, links and the index's own segment values (brands, products,
  places) are removed before scoring.
- customers state problems in neutral words ("flight delayed 3 hours", "still no refund",
  "runs small"). A general lexicon of service and product problems (below; written for any
  business, not from any labelled data) makes such a text negative unless it is clearly praise.
- the respondent's own score wins where there is one: 1-2 of 5, 0-6 of 10 is negative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from ingest.reading_model import ReadingModel, bundled
from ingest.sentiment import NEGATIVE, POSITIVE, compound

Intent = Literal["complaint", "request", "praise", "question", "other"]
# part of the enrichment fingerprint: a new version re-reads every record from its stored vector
READING_VERSION = "4"

_URL = re.compile(r"https?://\S+|www\.\S+", re.I)
_HANDLE = re.compile(r"@\w+")

# Problems customers report in any business (travel, retail, banking, telecom, software): what
# went wrong, what is missing, what they had to do about it. Neutral words to VADER.
_PROBLEM = re.compile(
    r"\b("
    r"delay(ed|s)?|late(r|st|ness)?\b|cancel+(ed|led|ation|ations)|overbook\w*|diverted|stranded|"
    r"missed (my|the|our)|miss(ed)? connection|"
    r"(still|been|keep|kept|am|are|were) (waiting|on hold|stuck|trying)|on hold|hold times?|"
    r"wait(ed|ing)? (for )?(over |almost |nearly )?(\d+|an?|two|three|several) "
    r"(hours?|hrs?|mins?|minutes|days|weeks)|"
    r"\d+\s*(hours?|hrs?) (late|delay\w*|wait\w*|on hold|in line|on the (tarmac|plane))|"
    r"(never|not yet|hasn'?t|haven'?t|didn'?t|did not|has not|have not) "
    r"(arrived|received|got|gotten|come|shown up|been (refunded|delivered|fixed|resolved))|"
    r"no (one|body|response|reply|answer|help|refund|update|info\w*|call ?back|show)|"
    r"nobody|noone|no-one|"
    r"lost|missing|misplaced|broken|broke|damaged|defective|faulty|torn|ripped|stained|"
    r"(doesn'?t|does not|didn'?t|did not|won'?t|will not|can'?t|cannot|couldn'?t|unable to) "
    r"(work|fit|load|connect|log ?in|sign ?in|open|help|get|find|reach|refund|fix|rebook|"
    r"change|cancel|access|use|pay|return)|"
    r"not work\w*|stopped working|keeps? (crashing|failing|freezing)|crash\w*|glitch\w*|"
    r"bugs?\b|error|outage|down again|"
    r"(over)?charged|double[- ]charged|hidden fees?|fees?\b|refunds?|reimburse\w*|"
    r"compensat\w*|dispute\w*|fraud\w*|scam\w*|unauthori[sz]ed|wrong(ly)?|incorrect|mistake|"
    r"rude|unhelpful|unprofessional|incompetent|ignored|hung up|"
    r"worst|terrible|horrible|awful|disgust\w*|unacceptable|ridiculous|pathetic|joke|useless|"
    r"disappoint\w*|frustrat\w*|annoy\w*|angry|furious|upset|fed up|sick of|tired of|"
    r"complain\w*|problems?|issues?|fail(ed|s|ure)?|"
    r"runs? (small|large|big|short|long)|too (small|big|large|tight|loose|short|long|thin|"
    r"sheer|expensive|much)|(doesn'?t|didn'?t) fit|poor(ly)? (quality|made|fit)|cheap(ly)? made|"
    r"returned it|returning (it|this)|sent (it )?back|"
    r"thanks? for nothing|seriously\?|really\?|why (is|are|do|does|did|can'?t|won'?t|would)"
    r")",
    re.I,
)
# Praise that outweighs a problem word ("thanks for the quick refund", "love it, fits great").
_PRAISE = re.compile(
    r"\b(thank(s| you)|thx|appreciate\w*|love[sd]?|great|awesome|amazing|excellent|"
    r"fantastic|wonderful|perfect|best\b|kudos|well done|shout ?out|impressed|happy with|"
    r"glad|helpful|quick(ly)? (resolved|fixed|refunded|response)|smooth)\b",
    re.I,
)
_REQUEST = re.compile(
    r"\b(please|pls|plz|can (you|u|someone|i)|could (you|u|someone)|would (you|u)|"
    r"help me|need (help|to|a|an|my)|dm (me|us)|follow back|how (do|can|should) i|"
    r"is there (a|any) way|i('d| would) like to|want to (change|cancel|know|return)|"
    r"let me know)\b",
    re.I,
)


@dataclass(frozen=True)
class Reading:
    sentiment: float  # VADER compound on the cleaned text, -1..1
    polarity: int  # -1 negative, 0 neutral, +1 positive
    intent: Intent
    # how sure the offline reading is (the learned polarity's probability; 1.0 when the
    # respondent's score settles it): the least sure are the ones worth asking an LLM about
    confidence: float = 0.5


@lru_cache(maxsize=64)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for the segment values of a chunk (the same tuple for every record in it)."""
    words = sorted({n.strip() for n in names if n and len(n.strip()) >= 3}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


def clean(text: str, names: tuple[str, ...] = ()) -> str:
    """The words that carry a customer's tone: no links, handles or names."""
    t = _URL.sub(" ", text)
    t = _HANDLE.sub(" ", t)
    pat = _names_pattern(names)
    if pat is not None:
        t = pat.sub(" ", t)
    return t.replace("#", " ")


def low_score(score: float | None, scale: float | None) -> bool:
    if score is None or not scale:
        return False
    return score <= (2 if scale == 5 else 6 if scale == 10 else 60)


def high_score(score: float | None, scale: float | None) -> bool:
    if score is None or not scale:
        return False
    return score >= (4 if scale == 5 else 9 if scale == 10 else 80)


def rule_features(words: str, s: float | None = None) -> list[float]:
    """What the rules see in cleaned words, as features for the learned reading."""
    s = compound(words) if s is None else s
    problems = len(_PROBLEM.findall(words))
    return [
        s,
        min(problems, 3) / 3,
        float(bool(_PRAISE.search(words))),
        float(bool(_REQUEST.search(words))),
        float("?" in words),
    ]


RULE_FEATURES = ("vader_compound", "problem_words", "praise_word", "request_word", "question_mark")


def read_many(
    texts: list[str],
    vectors: np.ndarray,
    scores: list[float | None] | None = None,
    scale: float | None = None,
    names: tuple[str, ...] = (),
    model: ReadingModel | None = None,
) -> list[Reading]:
    """Version 3: the learned reading of a chunk from its MiniLM vectors (one matrix product
    per head). The score still wins: 1-2 of 5 (0-6 of 10) is negative; a high score is
    positive unless the text itself reads negative."""
    model = model or bundled()
    scores = scores if scores is not None else [None] * len(texts)
    words = [clean(t, names) for t in texts]
    sent = [compound(w) for w in words]
    rules = np.array([rule_features(w, s) for w, s in zip(words, sent, strict=True)], np.float32)
    x = model.features(np.asarray(vectors), rules.reshape(len(texts), len(RULE_FEATURES)))
    p_pol = model.polarity.proba(x)
    p_int = model.intent.proba(x)
    value = {"negative": -1, "neutral": 0, "positive": 1}
    out = []
    for i, score in enumerate(scores):
        pol = value[model.polarity.classes[int(p_pol[i].argmax())]]
        sure = float(p_pol[i].max())
        if low_score(score, scale):
            pol, sure = -1, 1.0
        elif high_score(score, scale) and pol >= 0:
            pol, sure = 1, 1.0
        out.append(Reading(sent[i], pol, _intent(pol, p_int[i], model.intent.classes), sure))
    return out


def _intent(pol: int, p: np.ndarray, classes: tuple[str, ...]) -> Intent:
    """A negative verbatim is a complaint (what answers and gaps count); otherwise the most
    likely of the other intents, praise only when the reading is positive."""
    if pol < 0:
        return "complaint"
    ranked = [classes[j] for j in np.argsort(-p)]
    for c in ranked:
        if c == "complaint" or (c == "praise" and pol <= 0):
            continue
        if c == "other" and pol > 0:
            return "praise"  # positive and nothing asked: praise, as in version 2
        return c  # type: ignore[return-value]
    return "other"


def read(
    text: str,
    score: float | None = None,
    scale: float | None = None,
    names: tuple[str, ...] = (),
) -> Reading:
    """Polarity and intent of one verbatim. ``names``: segment values (brands, products, places)
    that must never carry sentiment."""
    words = clean(text, names)
    s = compound(words)
    problems = len(_PROBLEM.findall(words))
    praise = bool(_PRAISE.search(words))
    if low_score(score, scale):
        pol = -1
    elif problems and not (praise and s >= 0.5 and problems == 1):
        pol = -1 if s < 0.6 or problems >= 2 else 1
    elif s <= NEGATIVE:
        pol = -1
    elif s >= POSITIVE or (high_score(score, scale) and s > NEGATIVE):
        pol = 1
    else:
        pol = 0
    asks = "?" in words
    if pol < 0:
        intent: Intent = "complaint"
    elif _REQUEST.search(words):
        intent = "request"
    elif pol > 0:
        intent = "praise"
    elif asks:
        intent = "question"
    else:
        intent = "other"
    return Reading(sentiment=s, polarity=pol, intent=intent)
