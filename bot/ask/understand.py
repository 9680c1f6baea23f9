"""Question understanding without an LLM: segments, time words, themes and intent."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
import yaml

from bot.corpus import Corpus
from bot.filters import Filters
from ingest.dates import MONTHS as MONTH_NAMES
from ingest.dates import parse_date
from ingest.embedder import Embedder
from ingest.themes import ThemeAssigner

Intent = Literal[
    "gap", "share", "rank", "compare", "trend", "praise", "drivers", "count", "examples", "general"
]
# what each shape answers, in the "Answered as:" line
INTENT_LABELS: dict[str, str] = {
    "gap": "perception gaps",
    "share": "share of negative and positive verbatims",
    "rank": "most raised complaints",
    "compare": "comparison",
    "trend": "change against the previous period",
    "praise": "what customers praise",
    "drivers": "what drives the score",
    "count": "how many raise a theme",
    "examples": "examples",
    "general": "closest verbatims",
}

GAP_WORDS = re.compile(
    r"\b(disagree\w*|gaps?|perception|agree with|match(es)? (our|the)|contradict\w*|"
    r"line up with|at odds|stats? say|numbers say|metrics? say|reality|really feel|"
    r"mismatch\w*|discrepan\w*|disconnect\w*|different (story|picture)|overstat\w*|"
    r"understat\w*|on paper|tell(ing)? the truth|out of (step|line|sync)|blind spots?|"
    r"sugar[- ]?coat\w*|rosier|too rosy|(kpis?|stats?|numbers|metrics?|figures|reports?) "
    r"(is |are )?(wrong|off|lying|misleading)|(stats?|statistics|numbers|data|figures|metrics?|"
    r"reports?|kpis?) (suggest|indicate|imply)\w*)\b",
    re.I,
)
# "vs" is a gap only next to a metric ("on-time rate vs what customers say"); between two
# segments ("Southwest vs Delta") it asks for a comparison
VERSUS = re.compile(r"\b(versus|vs\.?|against)\b", re.I)
# "Do our KPIs match what customers tell us?": a gap when a metric is named next to it
GAP_SOFT = re.compile(
    r"\b(match\w*|align\w*|reflect\w*|consistent|square with|back(s|ed)? up|confirm\w*|agree\w*|"
    r"see it (that way|the same)|buy (it|that)|line up|"
    r"same story|tell the same)\b",
    re.I,
)
# "Which airlines look good on the official stats but get hammered on Twitter?": an internal
# measure, the customers' side and a contrast between them make a gap question
INTERNAL_SIDE = re.compile(
    r"\b(stats?|statistics|metrics?|kpis?|numbers|figures|reports?|dashboards?|scorecards?|"
    r"targets?|sla|official|internal|ops|operational|what we (measure|track|report)|data|"
    r"exports?|punctual\w*|on[- ]time)\b",
    re.I,
)
CUSTOMER_SIDE = re.compile(
    r"\b(customers?|clients?|passengers?|flyers?|shoppers?|users?|members?|patients?|guests?|"
    r"buyers?|people|feedback|surveys?|reviews?|reviewers|tweets?|twitter|social|comments?|"
    r"sentiment|voice|verbatims?|say|saying|think|feel|perceiv\w*|experienc\w*)\b",
    re.I,
)
CONTRAST = re.compile(
    r"\b(but|yet|while|whereas|then why|so why|how come|agree\w*|differ\w*|"
    r"compared? (with|to)|versus|vs\.?|story|"
    r"really|actually|truth|honest\w*|hold up|hammer\w*|slam\w*|criticis\w*|criticiz\w*|"
    r"reflect\w*|match\w*|line up|look(s)? (good|fine|great|ok|okay)|see it|same way|"
    r"back(s|ed)? (that |this |it |them )?up|feel that way|consistent|picture)\b",
    re.I,
)
METRIC_WORDS = re.compile(
    r"\b(stats?|statistics|metrics?|kpis?|numbers|report(s|ed)?|targets?|"
    r"on[- ]time|rates?|scores?)\b|\b\d+\.\d+ ?%",
    re.I,
)
COMPLAINT_WORDS = re.compile(
    r"\b(complain\w*|complaints?|issues?|problems?|pain ?points?|unhappy|frustrat\w*|angry|"
    r"negative|worst|hate|annoy\w*|upset|dissatisf\w*|wrong|bad|fail\w*|dislike\w*|least|"
    r"gripes?|grievances?|irritat\w*|disappoint\w*|struggl\w*|pain|broken|hurts?|fix|"
    r"heat|moan\w*|knocks?|grumbl\w*|whin(e|es|ing)|beefs?|rant\w*|flak|criticism|"
    r"compl?ai?nt\w*|rough)\b",
    re.I,
)
# a proportion asked for ("what %", "how many of", "the share", "what portion"), and a sentiment
# or state it is asked over: in either order, anywhere in the question, they make a share
PROPORTION = re.compile(
    r"(\bwhat ?%|\d+ ?%|%\s+of\b|\bpercent\w*|\bproportion\b|\bfraction\b|\bportion\b|"
    r"\bratio\b|\bslice\b|\bchunk\b|\bmajority\b|\bminority\b|\bhow many of\b|"
    r"\b(more|less|fewer) than (half|a third|a quarter)\b|\bhalf of\b|"
    r"\bshare\s+(negative|positive|unhappy|happy|detractors|promoters)\b|"
    r"\b(negative|positive|unhappy|happy|detractors?|promoters?)\s+share\b|"
    r"\bhow (negative|positive|unhappy|happy|satisfied|dissatisfied|angry|upset)\b|"
    r"\bhow much of\b|\bwhat part\b|\bout of (every|all|\d+)\b|\bone in \w+\b|"
    r"\b(what|the|a|which|our|their|bigger|larger|smaller)\s+(\w+\s+)?share\b|\bshare of\b|"
    r"\bhow (big|large|small) (is|are)\b|\b(are|were|is) (most|more than half|the majority)\b|"
    r"\bmost\b[^?.]*\b(are|were|is)\s+(negative|positive|unhappy|happy)|"
    r"\bhow many\b(?![^?.]*\b(mention\w*|say|says|talk\w*|rais\w*|complain\w*|cite\w*)\b))",
    re.I,
)
STATE_WORDS = re.compile(
    r"\b(unhappy|happy|negative|positive|satisf\w*|unsatisf\w*|dissatisf\w*|angry|upset|"
    r"annoyed|frustrated|pleased|delighted|detractors?|promoters?|not happy|mad|content|"
    r"favou?rable|unfavou?rable|critical|sentiment|disappointed|glad|negatives|positives|"
    r"(one|two|three|four|five|[1-5])[- ]stars?|low(ly)?[- ]rated|bad reviews?|good reviews?)\b",
    re.I,
)


POSITIVE_STATE = re.compile(
    r"\b(happy|positive|positives|satisfied|pleased|delighted|promoters?|content|favou?rable|"
    r"glad|good reviews?|(four|five|4|5)[- ]stars?)\b",
    re.I,
)
NEGATIVE_STATE = re.compile(
    r"\b(unhappy|not happy|negative|negatives|unsatisf\w*|dissatisf\w*|angry|upset|annoyed|"
    r"frustrated|detractors?|mad|unfavou?rable|critical|disappointed|bad reviews?|"
    r"complain\w*|low(ly)?[- ]rated|(one|two|three|1|2|3)[- ]stars?)\b",
    re.I,
)


def asked_sentiment(q: str) -> int:
    """The side a share question asks about: +1 for "what % were positive?", else -1."""
    return 1 if POSITIVE_STATE.search(q) and not NEGATIVE_STATE.search(q) else -1


def asks_share(q: str) -> bool:
    """'What % were positive?', 'Is it true most tweets are negative? Give me the percentage.'"""
    return bool(PROPORTION.search(q) and STATE_WORDS.search(q))


# "how many customers are unhappy?", "what share of reviews are negative?": a share, not a list
SHARE_WORDS = re.compile(
    r"\b(how many|what (share|percent\w*|proportion|fraction|part)|share of|percent\w* of|"
    r"proportion of|fraction of|how much of|what (portion|slice|chunk|ratio|%)|"
    r"(percentage|portion|slice|chunk|ratio|majority|minority) of|how (big|large|small) is the|"
    r"what('s| is) the (split|mix|breakdown|balance)|are (most|more)|"
    r"\d+ ?%|split between)\b.*\b(unhappy|happy|negative|positive|satisf\w*|unsatisf\w*|"
    r"dissatisf\w*|angry|upset|annoyed|frustrated|pleased|delighted|complain\w*|detractors?|"
    r"promoters?|not happy|mad|content|favou?rable|unfavou?rable|critical|sentiment)\b",
    re.I,
)
_NUMBERS = {w: i for i, w in enumerate(
    "one two three four five six seven eight nine ten".split(), start=1
)}  # fmt: skip
TOP_N = re.compile(
    r"\b(?:top|biggest|main|largest|most common|leading|first)\s+(\d{1,2}|"
    + "|".join(_NUMBERS)
    + r")\b|\b(\d{1,2}|"
    + "|".join(_NUMBERS)
    + r")\s+(?:biggest|main|largest|most common|top|leading|most (?:raised|frequent))\b",
    re.I,
)
MAX_TOP_N = 10


# "list the five issues", "which 3 issues", "quote me three customers": a number before what
# is listed ("1 or 2 star reviews" is a rating, not a count)
N_ITEMS = re.compile(
    r"\b(\d{1,2}|" + "|".join(_NUMBERS) + r")\s+(?!stars?\b)"
    r"((?!(?:are|is|was|were|do|does|did|of|has|have)\b)\w+\s+)?(issues|complaints|"
    r"problems|things|themes|topics|pain ?points|gripes|frustrations|reasons|areas|examples|"
    r"quotes|tweets|reviews|comments|verbatims|customers|praises|positives|drivers)\b",
    re.I,
)
TOP_ONE = re.compile(
    r"(?<!\w)#1\b|\bnumber one\b|\bthe (single )?(biggest|main|top|worst|most common) "
    r"(complaint|issue|problem|gripe|pain ?point|frustration|thing)\b(?! ?s\b)",
    re.I,
)


def find_top_n(question: str) -> int | None:
    """'top five', 'top 3', 'the 4 biggest': how many lines a ranked answer should have."""
    m = TOP_N.search(question) or N_ITEMS.search(question)
    if m and re.search(r"\b(which|what|the first) one\s*$", question[: m.end(1)], re.I):
        m = None  # "which one are customers more unhappy with", "mostly the first one (of my
        # two questions)": not a count of one
    if not m:
        one = TOP_ONE.search(question)
        if one and re.search(r"(\bis|\bwas|'s)\s*$", question[: one.start()], re.I):
            one = None  # "the mismatch is the main thing": what matters, not a count of one
        return 1 if one else None
    word = (m.group(1) or m.group(2)).lower()
    n = int(word) if word.isdigit() else _NUMBERS[word]
    return max(1, min(MAX_TOP_N, n))


PRAISE_WORDS = re.compile(
    r"\b(prais\w*|love[sd]?|loving|like[sd]?|happy|positive|compliment\w*|best|delight\w*|"
    r"thank\w*|great|enjoy\w*|appreciat\w*|satisfied|pleased|well|strengths?|good|"
    r"favou?rite|impress\w*|recommend\w*|proud|working|happ(ier|iest)|rav(e|es|ed|ing)|nice|"
    r"glowing|kudos|shout[- ]?outs?|fans?|adore\w*|thrilled|grateful|positives|wins?|"
    r"bright spots?|highlights?|getting right|doing right|going right|works? well|winning|"
    r"good news|coming back|come back|loyal\w*)\b",
    re.I,
)
# "what are customers NOT happy about?", "what don't they like": the complaints
NOT_PRAISE = re.compile(
    r"(\bnot(?! only)|n't|\bnever|\bno longer)\s+(\w+\s+){0,3}?"
    r"(happy|like|love|enjoy|satisfied|pleased|impressed|keen)\b",
    re.I,
)
COMPARE_WORDS = re.compile(
    r"\b(compar\w*|versus|vs\.?|v\.|against|differ\w*|better than|worse than|more than|"
    r"less than|side by side|between|relative to|benchmark|\w+er (\w+ )?than|stack up|fare|"
    r"sound \w+er|next to|contrast\w*|measure up|more \w+ than|less \w+ than|fewer \w+ than|"
    r"outperform\w*|beat(s|ing)?|lag\w*|ahead of|behind|in comparison|head[- ]to[- ]head|"
    r"match up)(?!\w)",
    re.I,
)
REST_WORDS = re.compile(
    r"\b(the )?(rest|others?|average|everyone else|everybody else|everywhere else|"
    r"everything else|overall|other \w+|all the others|the field|competitors?|competition|"
    r"peers|the industry|anyone else|all the rest)\b",
    re.I,
)
# "Which class (knits, blouses, sweaters and so on) gets most complaints?": values named as
# examples of a key to rank, not as the sides of a comparison
ENUMERATION = re.compile(r"\b(and so on|etc\.?|such as|e\.g\.?|for example|like)\b", re.I)
SUPERLATIVE = re.compile(r"\b(most|least|worst|best|highest|lowest|top)\b", re.I)
TREND_WORDS = re.compile(
    r"\b(chang\w*|getting (worse|better)|worse|worsen\w*|improv\w*|trends?|trending|rising|"
    r"rise|risen|grow\w*|increas\w*|decreas\w*|drop\w*|declin\w*|spik\w*|jump\w*|surg\w*|"
    r"over time|lately|recently|emerging|new (issues?|complaints?|problems?)|shift\w*|"
    r"up or down|going up|going down|week over week|month over month|than (last|before)|"
    r"since last|climb\w*|calm\w* down|pick(ed|ing)? up|pop(ping|ped)? up|downhill|"
    r"deteriorat\w*|slipp\w*|better or worse|week on week|trajector\w*|momentum|creep\w*|"
    r"crept|slid|sliding|sour(ed|ing)?|tail\w* off|fall(ing|en)? off|uptick|downtick|"
    r"hold(ing)? steady|steady|heating up|cooling|on the (up|rise|increase)|blowing up|"
    r"(vs\.?|versus|than|compared (to|with)) (earlier|before)|first half\b.*\bsecond half)\b",
    re.I,
)
JARGON_TREND = re.compile(r"\b(WoW|MoM|QoQ|YoY)\b")  # case matters: "wow" is not a trend
SCORE_WORDS = (
    r"(nps|net promoter|csat|satisfaction scores?|ratings?|stars?|scores?|detractors?|"
    r"promoters?|reviews? scores?|low(er)? reviews|scoring|scored)"
)
SCORE_RE = re.compile(r"\b" + SCORE_WORDS + r"\b", re.I)
# with a score named: what moves it ("what hurts our NPS", "pulling our rating down")
DRIVER_VERBS = re.compile(
    r"\b(driv\w*|impact\w*|effects? on|what moves|moves?|moving|costs?|costing|hurts?|"
    r"hurting|drag\w*|"
    r"pull\w*|lower\w*|rais\w*|boost\w*|improv\w*|affect\w*|explain\w*|influenc\w*|"
    r"contribut\w*|behind|caus\w*|reasons?|weigh\w*|damag\w*|lift\w*|separat\w*|"
    r"distinguish\w*|sets? apart|differentiat\w*|push\w*|dent\w*|tank\w*|sink\w*|"
    r"suppress\w*|depress\w*|kill\w*|detract(ing|s)|levers?|move the needle|"
    r"biggest difference|matters? most|"
    r"key factors?|determin\w*|predict\w*|correlat\w*|linked to|associated with|tied to|"
    r"knock\w*|fix(ed|ing)? first|should (we|i) fix|fix one thing|hand in hand|"
    r"go(es)? (together )?with|come(s)? with|accompan\w*|coincid\w*|"
    r"makes? (the |our |my |it )?(\w+ )?(go )?(down|drop|fall|low)|bring\w* (\w+ )?down)\b",
    re.I,
)
WHY_LOW = re.compile(
    r"\bwhy\b.*\b(low|bad|poor\w*|lower|negative|down|drop\w*|fall\w*|declin\w*|so few|one[- ]star|"
    r"1[- ]star)\b|\b(low|bad|poor|lower|falling|dropping)\b.*\bwhy\b",
    re.I,
)


def is_driver_question(q: str) -> bool:
    return bool(SCORE_RE.search(q) and (DRIVER_VERBS.search(q) or WHY_LOW.search(q)))


COUNT_WORDS = re.compile(
    r"(?<!\w)#\s?of\b|"
    r"\b(how many|hw many|how often|number of|count|how much|how common|how frequent\w*|"
    r"what share|what percent\w*|what proportion|how widespread|volume of|how many times|"
    r"what (fraction|portion|part)|(fraction|portion|proportion|percentage|share) of)\b",
    re.I,
)
EXAMPLE_WORDS = re.compile(
    r"\b(examples?|quotes?|verbatims?|read me|some (tweets|reviews|comments|"
    r"responses)|sample|instances)\b",
    re.I,
)
# "What are people saying about the app?": examples, unless it asks what they praise
EXAMPLE_SOFT = re.compile(
    r"\bwhat (are|is) (\w+ ){0,2}(saying|posting|tweeting|writing)|"
    r"\bwhat do (\w+ ){0,2}(say|post|tweet|write)\b|"
    r"\b(show|give) me\b(?! (a|the|one) (number|figure|count|percentage|total)\b)|"
    r"\bwhat (\w+ ){0,3}(wrote|said|posted|tweeted|typed)\b",
    re.I,
)
# "Share a handful of tweets where bags showed up broken", "pull up reviews that mention zips"
EXAMPLE_ASK = re.compile(
    r"\b(show|give|share|pull|list|find|surface|paste|send|grab|fetch|dig|read|see|post)\b"
    r".{0,30}\b(tweets|reviews|comments|responses|posts|messages|tickets|mentions|verbatims|"
    r"quotes|examples|complaints|feedback)\b",
    re.I,
)
# "Voice of customer for the deck: happy tweets about Southwest, please": verbatims named with
# what they are about, and no question word asking for a figure
EXAMPLE_NOUN = re.compile(
    r"\b(tweets|reviews|comments|posts|quotes|verbatims|messages|responses)\s+"
    r"(about|on|from|mentioning|that|where|re|regarding|praising|slamming|complaining)\b",
    re.I,
)
QUESTION_WORD = re.compile(r"\b(what|which|how|why|who|where|when|is|are|do|does|did)\b", re.I)
# "How often do shoppers mention see-through fabric?": a count of the verbatims that use the
# question's own words, when no theme fits
MENTION_WORDS = re.compile(
    r"\b(mention\w*|bring(s|ing)? up|brought up|talk\w* about|rais\w*|refer\w* to|cit(e|es|ed|ing)|"
    r"complain\w* about|comment\w* on|use the (word|phrase)|say|says|said|come(s)? up|"
    r"ask(s|ed|ing)? about)\b",
    re.I,
)
WHICH_WORDS = re.compile(r"\b(which|wich|whch|what|whose)\s+(\w+)", re.I)
RANK_WORDS = re.compile(
    r"\b(most|top|biggest|main|largest|common|frequent|leading|worst|rank\w*|ranked|"
    r"highest|lowest|league table|leaderboard|heaviest|hardest|harshest|number one)(?!\w)|"
    r"(?<!\w)#1\b",
    re.I,
)
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
FEW_DAYS = re.compile(r"\b(?:last|past|previous)\s+(few|couple( of)?|several)\s+(day|week)s?\b")
MONTHS = {m: i for i, m in enumerate(MONTH_NAMES, start=1)}
MONTH_RE = re.compile(
    r"\b((?:since|from) (?:the )?(?:start|beginning) of|in|during|for|since)?\s*("
    + "|".join(MONTHS)
    + r"|jan|feb|mar|apr|"
    r"jun|jul|aug|sep|sept|oct|nov|dec)\b\.?\s*(\d{4})?",
    re.I,
)
ISO_RE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


@dataclass
class Comparison:
    """What is put side by side: segment values of one key, or periods."""

    axis: Literal["segment", "period"]
    key: str | None = None  # the segment key ("airline", "region")
    values: list[str] = field(default_factory=list)  # the segment values; "(rest)" = the others
    periods: list[tuple[date, date]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "axis": self.axis,
            "key": self.key,
            "values": self.values,
            "periods": [[a.isoformat(), b.isoformat()] for a, b in self.periods],
        }


@dataclass
class Understanding:
    """The structured query a question becomes: what shape of answer, over what."""

    question: str
    filters: Filters
    intent: Intent
    mentions_metrics: bool
    theme_scores: dict[str, float] = field(default_factory=dict)
    top_n: int | None = None  # "top five complaints": five lines, not the default three
    compare: Comparison | None = None
    rank_by: str | None = None  # a segment key: "which airline gets most complaints?"
    score: bool = False  # the question names a score (NPS, CSAT, rating, stars)
    inherited: bool = False  # a follow-up that kept the previous question's shape
    terms: list[str] = field(default_factory=list)  # a count of mentions: the words looked for
    understood_by: Literal["rules", "llm"] = "rules"  # which parser's query this is
    understood_note: str | None = None  # why the model's query was not used, or what it lost
    respelled: dict[str, str] = field(default_factory=dict)  # mistyped word -> the word read

    def query(self) -> dict[str, object]:
        """The structured query, as `--json` shows it."""
        return {
            "intent": self.intent,
            "themes": list(self.filters.themes),
            "segments": self.filters.segments,
            "since": self.filters.since.isoformat() if self.filters.since else None,
            "until": self.filters.until.isoformat() if self.filters.until else None,
            "sentiment": {-1: "negative", 1: "positive"}.get(self.filters.polarity or 0),
            "compare": self.compare.as_dict() if self.compare else None,
            "rank_by": self.rank_by,
            "top_n": self.top_n,
            "score": self.score,
            **({"terms": self.terms} if self.terms else {}),
            **({"respelled": self.respelled} if self.respelled else {}),
        }


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def find_segments(question: str, corpus: Corpus) -> dict[str, list[str]]:
    """Segment values named in the question ("United customers", "@united", "North region")."""
    q = " " + _norm(question) + " "
    q_compact = q.replace(" ", "")
    found: dict[str, list[str]] = {}
    keys = {k: vs for k, vs in corpus.segment_values.items() if len(vs) <= 500}  # not free text
    rest = q  # the question without the values named exactly, for the loose matches
    for key, values in keys.items():
        for v in values:
            nv = _norm(v)
            if len(nv) < 2:
                continue
            hit = f" {nv} " in q
            handle = nv.replace(" ", "")
            if not hit and len(handle) >= 5 and re.search(r"@" + re.escape(handle), question, re.I):
                hit = True
            if not hit and len(handle) >= 8 and handle in q_compact:
                hit = True
            if hit:
                found.setdefault(key, []).append(v)
                rest = rest.replace(f" {nv} ", " ")
    # "Virgin America": its "america" is not a typo of American
    for key, values in keys.items():
        for v in values:
            nv = _norm(v)
            if len(nv) >= 2 and v not in found.get(key, []) and _loose_match(nv, rest, values):
                found.setdefault(key, []).append(v)
    # "United" inside "United States" or a longer value: keep only the longest overlapping
    for key, vals in found.items():
        found[key] = [v for v in vals if not any(v != w and _norm(v) in _norm(w) for w in vals)]
    return found


ALIAS_SIM = 0.8  # a question word this close in meaning to one segment value names it
ALIAS_MARGIN = 0.05  # and closer by this much than to any other value


def alias_segments(
    question: str, corpus: Corpus, embedder: Embedder, found: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Segment values named by a word of another spelling: "trousers" (Pants), "denim"
    (Jeans), "knitwear" (Knits), by the model's similarity of the word to each value. Only a
    word sharing no word with any value (partial names are the loose match's), not a key's
    name ("airline" is close to "US Airways"), and only when one value is clearly closest."""
    keys = {k: vs for k, vs in corpus.segment_values.items() if 2 <= len(vs) <= 60}
    if not keys:
        return {}
    named = [v for vs in found.values() for v in vs]
    value_words = {w for vs in keys.values() for v in vs for w in _norm(v).split()}
    key_words = {w for k in corpus.segment_values for w in _norm(k).split()}
    key_words |= {w + "s" for w in key_words}
    words = [
        w
        for w in topic_terms(question, named)
        if len(w) >= 4 and w not in key_words and w.rstrip("s") not in value_words
        and w not in value_words and "'" not in w
    ]  # fmt: skip
    if not words:
        return {}
    if "segment_value_vectors" not in corpus.memo:  # once per index version
        vals = [(k, v) for k, vs in keys.items() for v in vs]
        corpus.memo["segment_value_vectors"] = (vals, embedder.embed([v for _, v in vals]))
    vals, vecs = corpus.memo["segment_value_vectors"]
    sims = embedder.embed(words) @ vecs.T
    out: dict[str, list[str]] = {}
    for row in sims:
        order = np.argsort(-row)
        best = int(order[0])
        # the runner-up that is another value (a value under two keys is one name)
        other = next((int(j) for j in order[1:] if vals[j][1] != vals[best][1]), None)
        second = float(row[other]) if other is not None else 0.0
        if row[best] < ALIAS_SIM or row[best] - second < ALIAS_MARGIN:
            continue
        value = vals[best][1]
        for k, v in vals:
            if v == value and v not in found.get(k, []) and v not in out.get(k, []):
                out.setdefault(k, []).append(v)
    return out


def _loose_match(nv: str, q: str, values: list[str]) -> bool:
    """Names as people type them: "sweater buyers" (Sweaters), "northern customers" (North),
    "Virgin" (Virgin America, when no other value starts so), "soutwest" (Southwest)."""
    forms = {nv[:-2] if nv.endswith("es") else "", nv[:-1] if nv.endswith("s") else "", nv + "s"}
    if " " not in nv and nv in ("north", "south", "east", "west"):
        forms |= {nv + "ern", nv + "erners"}
    if " " not in nv and len(nv) >= 3:  # "website" (web), "webshop", "loungewear" (Lounge)
        forms |= {nv + x for x in ("site", "sites", "shop", "ers", "wear")}
    for f in forms:
        if f and len(f) >= 3 and f" {f} " in q and not _common_use(f, q):
            return True
    words = nv.split()
    if len(words) >= 2 and len(words[-1]) >= 5:  # "US Air" (US Airways): its last word cut
        cut = " ".join(words[:-1])
        m = re.search(rf" {re.escape(cut)} ({re.escape(words[-1][:3])}\w*) ", q)
        if (
            m
            and words[-1].startswith(m.group(1))
            and not any(
                _norm(v) != nv and _norm(v).startswith(f"{cut} {m.group(1)}") for v in values
            )
        ):
            return True
    first = nv.split()[0]
    if " " in nv and len(first) >= 5:
        others = [_norm(v) for v in values if _norm(v) != nv]
        unique = not any(o.split() and o.split()[0] == first for o in others)
        if unique and f" {first} " in q:
            return True
        if unique:  # "Virgn" for Virgin America
            for word in q.split():
                if len(word) >= 5 and word[0] == first[0] and word != first:
                    if difflib.SequenceMatcher(None, word, first).ratio() >= 0.88:
                        if not any(word == o.split()[0] for o in others if o):
                            return True
    if " " not in nv and len(nv) >= 6:
        for word in q.split():
            if len(word) >= 6 and word != nv and word[0] == nv[0]:
                if difflib.SequenceMatcher(None, word, nv).ratio() >= 0.88:
                    return not any(word == _norm(v) for v in values)
    return False


# "top 3 issues" is no department Tops, "too short" no class Shorts: a singular or plural
# form of a value that is also a ranking word, or follows an intensifier, is read as a word
_INTENSIFIED = r"(too|so|very|bit|little|really|quite|rather|runs?|running|ran|not|less|more)"


def _common_use(form: str, q: str) -> bool:
    if RANK_WORDS.fullmatch(form):
        return True
    return bool(re.search(rf"\b{_INTENSIFIED} {re.escape(form)}\b", q))


def find_period(question: str, anchor: date | None) -> tuple[date | None, date | None, str | None]:
    """Time words, relative to the newest data (an index of 2015 tweets has no 'last week'
    relative to today, so 'last week' means the last 7 days of data)."""
    q = question.lower()
    if anchor is None:
        anchor = date.today()
    dated = _day_dates(q, anchor)
    if dated is not None:
        return dated
    m = FEW_DAYS.search(q)
    if m:  # "the last few days": 3 days; "the last couple of weeks": 14
        n = 2 if m.group(1).startswith("couple") else 3
        days = n * (7 if m.group(3) == "week" else 1)
        return anchor - timedelta(days=days - 1), anchor, m.group(0)
    m = re.search(
        r"\b(?:last|past|previous)\s+(\d+|" + "|".join(_NUMBERS) + r")\s+(day|week|month)s?\b",
        q,
    )
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _NUMBERS[m.group(1)]
        unit = m.group(2)
        days = n * {"day": 1, "week": 7, "month": 30}[unit]
        return anchor - timedelta(days=days - 1), anchor, m.group(0)
    m = re.search(r"\b(?:last|past|previous)\s+(\d+)\s+hours?\b", q)
    if m:  # "the last 48 hours": the days they span, ending on the newest data's day
        days = max(1, -(-int(m.group(1)) // 24))
        return anchor - timedelta(days=days - 1), anchor, m.group(0)
    m = re.search(r"\bsince (last )?(" + "|".join(WEEKDAYS) + r")\b", q)
    if m:  # "since Monday": the latest such day on or before the newest data's day
        back = (anchor.weekday() - WEEKDAYS.index(m.group(2))) % 7
        return anchor - timedelta(days=back), None, m.group(0)
    m = re.search(r"\bsince the (\d{1,2})(st|nd|rd|th)\b", q)
    if m and 1 <= int(m.group(1)) <= 28:  # "since the 10th": of the newest data's month
        day = int(m.group(1))
        start = anchor.replace(day=day)
        if start > anchor:
            start = (anchor.replace(day=1) - timedelta(days=1)).replace(day=day)
        return start, None, m.group(0)
    if re.search(r"\bmid[- ]?month\b", q):  # "since mid-month": since the 15th
        start = anchor.replace(day=15)
        if start > anchor:
            start = (anchor.replace(day=1) - timedelta(days=1)).replace(day=15)
        return start, None, "since mid-month"
    m = re.search(r"\b(over the|this|last|past) weekend\b", q)
    if m:  # the latest Saturday and Sunday on or before the newest data's day
        sunday = anchor - timedelta(days=(anchor.weekday() - 6) % 7)
        return sunday - timedelta(days=1), sunday, m.group(0)
    m = re.search(r"\b(this|last|past|previous) quarter\b", q)
    if m:
        return anchor - timedelta(days=89), anchor, m.group(0)
    m = JARGON_TREND.search(question)
    if m:  # "WoW": the last 7 days of data (against the 7 before them)
        days = {"WoW": 7, "MoM": 30, "QoQ": 90, "YoY": 365}[m.group(1)]
        named = _full_months(q)
        if not named:
            return anchor - timedelta(days=days - 1), anchor, m.group(0)
    for phrase, days in (
        ("last fortnight", 14),
        ("past fortnight", 14),
        ("this fortnight", 14),
        ("yesterday", None),
        ("today", 0),
        ("last week", 7),
        ("this week", 7),
        ("past week", 7),
        ("last month", 30),
        ("this month", 30),
        ("past month", 30),
    ):
        if re.search(r"\b" + phrase + r"\b", q):
            if phrase == "yesterday":
                d = anchor - timedelta(days=1)
                return d, d, phrase
            if days == 0:
                return anchor, anchor, phrase
            return anchor - timedelta(days=days - 1), anchor, phrase
    isos = [parse_date(x) for x in ISO_RE.findall(q)]
    isos = [d.date() for d in isos if d]
    if len(isos) >= 2:
        return min(isos), max(isos), f"{isos[0]} to {isos[1]}"
    if len(isos) == 1:
        if re.search(r"\b(before|until|up to)\s+\d{4}-", q):
            return None, isos[0], f"until {isos[0]}"
        if re.search(r"\b(since|after|from)\s+\d{4}-", q):
            return isos[0], None, f"since {isos[0]}"
        return isos[0], isos[0], str(isos[0])
    named = _full_months(q)
    if named and not (m := MONTH_RE.search(q)) or (named and not (m.group(1) or m.group(3))):
        # "did October move the needle vs September?", "the October KPI pack": a month named
        # in full (not "may") is a period; of two, the later one (a trend compares it with the
        # one before)
        month = max(named, key=lambda x: _month_start(x, anchor))
        start = _month_start(month, anchor)
        end = date(start.year + (start.month == 12), start.month % 12 + 1, 1) - timedelta(days=1)
        return start, end, month
    m = MONTH_RE.search(q)
    key = m.group(2).lower() if m and (m.group(1) or m.group(3)) else None
    only = re.search(r"\b(?:just|only)\s+" + _MON + r"(?!\w)|\b" + _MON + r"\s+only\b", q)
    if key is None and only and not (only.group(1) or only.group(2)).startswith("may"):
        m, key = None, (only.group(1) or only.group(2)).rstrip(".")  # "Oct only": a period
    if key is not None:
        month = MONTHS.get(key) or next(v for k, v in MONTHS.items() if k.startswith(key[:3]))
        year = (
            int(m.group(3))
            if m and m.group(3)
            else (anchor.year if month <= anchor.month else anchor.year - 1)
        )
        start = date(year, month, 1)
        end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        if m and m.group(1) and m.group(1).lower().startswith(("since", "from")):
            return start, None, m.group(0).strip()
        return start, end, (m.group(0) if m else only.group(0) if only else key).strip()
    return None, None, None


_MON = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_BOUND = r"(?:(since|from|after|starting|before|until|till|up to|through|to|and)\s+)?"
DAY_DATE = re.compile(
    r"\b"
    + _BOUND
    + r"(?:"
    + _MON
    + r"\s+"
    + _DAY
    + r"(?:\s*[-\u2013]\s*(\d{1,2})\b)?|"
    + _DAY
    + r"(?:\s*[-\u2013]\s*(\d{1,2}))?\s+(?:of\s+)?"
    + _MON
    + r")(?![\w-])",
    re.I,
)


def _day_dates(q: str, anchor: date) -> tuple[date | None, date | None, str | None] | None:
    """'since Feb 20', '20 Feb', 'the weekend of Feb 21-22', 'between 18 and 20 February':
    days of a month, in the latest such month on or before the newest data ("may" only with
    an ordinal or a bound word: it is a verb far more often)."""
    days: list[date] = []
    bound = None
    phrase = None
    span = re.search(r"\b(?:between|from)\s+" + _DAY + r"\s+(?:and|to)\s+(?=\d)", q)
    if span and (m := DAY_DATE.match(q, span.end())) and (m.group(2) or m.group(7)):
        q = q[: span.start()] + f"{m[0]} {span.group(1)} {m.group(2) or m.group(7)}" + q[m.end() :]
    for m in DAY_DATE.finditer(q):
        word, mon, day, day2 = m.group(1), m.group(2) or m.group(7), m.group(3), m.group(4)
        if mon is None:
            continue
        if day is None:
            day, day2 = m.group(5), m.group(6)
        if mon.lower().startswith("may") and not (word or re.search(r"\d(st|nd|rd|th)", m[0])):
            continue
        key = mon.lower().rstrip(".")[:3]
        month = next(v for k, v in MONTHS.items() if k.startswith(key))
        year = anchor.year if month <= anchor.month else anchor.year - 1
        try:
            first = date(year, month, int(day))
            days.append(first)
            if day2:
                days.append(date(year, month, int(day2)))
        except ValueError:
            continue
        bound = bound or (word or "").lower() or None
        phrase = phrase or m[0].strip()
    if not days:
        return None
    lo, hi = min(days), max(days)
    if lo != hi:
        return lo, hi, phrase
    if bound in ("since", "from", "after", "starting"):
        return lo, None, phrase
    if bound in ("before", "until", "till", "up to", "through"):
        return None, lo, phrase
    return lo, lo, phrase


def _full_months(q: str) -> list[str]:
    """Month names written in full ("may" is a verb far more often than a month)."""
    return [w for w in re.findall(r"[a-z]+", q.lower()) if w in MONTHS and w != "may"]


def _month_start(month: str, anchor: date) -> date:
    """The first day of the latest such month on or before the newest data's month."""
    n = MONTHS[month]
    return date(anchor.year if n <= anchor.month else anchor.year - 1, n, 1)


AUDIENCE = (
    r"customers?|clients?|people|users?|passengers?|flyers?|travell?ers?|shoppers?|buyers?|"
    r"reviewers?|guests?|members?|patients?|folks|everyone|anyone|somebody|someone|they|us|"
    r"we|our|you|your|tweets?|reviews?|comments?|feedback|verbatims?|responses?|surveys?|"
    r"say|saying|said|tell|telling|talk|talking|think|feel|mention\w*|raise\w*|bring up|"
    r"things?|stuff|anything|something|most|lot|thing|top|biggest|main|common|frequent|"
    r"often|many|much|list|give|show|me|get|gets|getting|what|which|who|why|how|where|when|"
    r"about|week|month|day|days|lately|recently|now|today|yesterday|year|time|period|"
    r"quick|hey|hi|please|overall|right|currently|really|actually|examples?|quotes?"
)
_GENERIC = re.compile(r"\b(" + AUDIENCE + r")\b", re.I)


def has_topic(question: str) -> bool:
    """Whether the question names something to be about, beyond who, when and how much:
    "What do customers complain about most?" names nothing, so no theme is picked for it."""
    q = _GENERIC.sub(" ", question)
    for rx in (COMPLAINT_WORDS, PRAISE_WORDS, TREND_WORDS, RANK_WORDS, COUNT_WORDS, TOP_N):
        q = rx.sub(" ", q)
    words = [w for w in re.findall(r"[a-z]{3,}", q.lower()) if w not in _STOP]
    return bool(words)


_TERM_STOP = frozenset(
    "mention mentions mentioned mentioning bring brings brought talk talks talked talking raise "
    "raises raised raising refer refers referred cite cites cited complain complains complained "
    "complaining comment comments commented come comes came often many much number count "
    "common frequent frequently times time word words phrase say says said saying use used "
    # asking and sign-off words are not what customers write about ("people ask about pilling")
    "ask asks asked asking tell thx thanks thank pls plz cheers "
    # and the verbs of a request for quotes ("pull some verbatims from X, I've never read any")
    "pull show quote quotes give fetch grab read write wrote written writing".split()
)


def topic_terms(question: str, names: list[str]) -> list[str]:
    """The words a count of mentions looks for: the question without its who, when, how many
    and verbs of saying ("How often do shoppers mention see-through fabric on Tops?" -> see,
    through, fabric)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    q = question
    for name in names:
        q = re.sub(r"\b" + re.escape(name) + r"\b", " ", q, flags=re.I)
    q = _GENERIC.sub(" ", q)
    for rx in (COUNT_WORDS, TIME_WORDS, MONTH_RE, ISO_RE):
        q = rx.sub(" ", q)
    out: list[str] = []
    # a part of a hyphenated word is looked for even when it is a stop word on its own:
    # "see-through" is not "fabric" alone
    parts = {p for c in re.findall(r"[a-z]+(?:-[a-z]+)+", q.lower()) for p in c.split("-")}
    for w in re.findall(r"[a-z][a-z']+", q.lower()):
        w = w.strip("'")
        if len(w) < 3 or w in _STOP or w in _TERM_STOP:
            continue
        if w in ENGLISH_STOP_WORDS and w not in parts:
            continue
        if "'" in w and w.split("'")[0] in ENGLISH_STOP_WORDS | {"i"}:
            continue  # "i've", "we're", "they'd"
        if w not in out:
            out.append(w)
    return out[:4]


# "Which airline has the worst customer service?", "which region complains most about wifi?":
# the topic a ranking of segments is about: a short phrase ending its clause after "about" or
# "worst"
_PHRASE = (
    r"(?:the\s+|their\s+|our\s+|its\s+)?"
    r"(?P<{g}>[a-z][\w'-]*(?:\s+[a-z][\w'-]*){{0,2}}?)\s*(?=[?.!,;]|$)"
)
RANK_TOPIC = re.compile(
    r"\b(?:about|over|regarding)\s+" + _PHRASE.format(g="a") + r"|"
    r"\b(?:worst|poorest)\s+" + _PHRASE.format(g="b"),
    re.I,
)
_RANK_STOP = frozenset(
    "first last worst best least most rank ranked ranking order please thanks list league table "
    "share complaints complaint negative positive score scores tweets reviews verbatims get gets "
    "getting got receive receives received has have had".split()
)


def rank_terms(question: str, names: list[str], key: str) -> list[str]:
    """The words a ranking of segments is about when no theme fits ("worst customer service"
    -> service), so it ranks the complaints that use them, not every complaint: a short phrase
    after "about" or "worst" that ends its clause. Nothing for "Which airline gets the most
    complaints?", nor for the chatter after it: there the ranking is over all of them."""
    m = RANK_TOPIC.search(question)
    if m:
        phrase = m.group("a") or m.group("b") or ""
    else:  # "the dirtiest planes"
        sup = re.search(r"\b(?:the|most)\s+([a-z]+est)\s+" + _PHRASE.format(g="c"), question, re.I)
        if not (sup and negative_superlative(f"the {sup.group(1)}")):
            return []
        phrase = sup.group("c")
    key_words = set(_norm(key).split())
    if "airline" in key_words:
        key_words.add("carrier")
    key_words |= {w + "s" for w in key_words} | {w[:-1] for w in key_words if w.endswith("s")}
    out = []
    for t in topic_terms(phrase, names):
        if t in key_words or t in _RANK_STOP or t in _TERM_STOP:
            continue
        if any(rx.fullmatch(t) for rx in (COMPLAINT_WORDS, STATE_WORDS, RANK_WORDS, SUPERLATIVE)):
            continue
        if any(t in _norm(v).split() for v in names):
            continue
        out.append(t)
    return out[:3]


TIME_WORDS = re.compile(
    r"\b(last|past|previous|this|next|since|during|in|over)\s+(\d+\s+)?"
    r"(days?|weeks?|months?|years?|quarters?|fortnight|weekend)\b|\b(yesterday|today|lately|"
    r"recently)\b",
    re.I,
)

_STOP = frozenset(
    "the and for are was were you your our has have had does did can could would should "
    "this that these those with from into than then them their there here been being any "
    "all some more most less least very just also only still ever even such each every "
    "not nor yet again both few other own same too will shall may might must let its".split()
)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def _stems(text: str) -> set[str]:
    return set(_stemmer().stemWords(re.findall(r"[a-z]{3,}", text.lower())))


def detect_themes(
    question: str,
    qvec: np.ndarray,
    assigner: ThemeAssigner,
    threshold: float = 0.42,
    names: list[str] | None = None,
) -> tuple[list[str], dict[str, float]]:
    """The themes a question is about: close in meaning, in a question that names a topic
    ("What do customers complain about?" is near every complaint theme but names none).
    A discovered theme also needs a word of its own in the question: its examples are real
    complaints, close to any question about complaints."""
    scores = assigner.scores([question], qvec[None, :])[0]
    named = {n: float(s) for n, s in zip(assigner.names, scores, strict=True)}
    bare = question
    for name in names or []:  # "United customers": a segment, not a topic
        bare = re.sub(r"\b" + re.escape(name) + r"\b", " ", bare, flags=re.I)
    topical = has_topic(bare)
    q_stems: set[str] | None = None
    picked = []
    for n, sc in sorted(named.items(), key=lambda x: -x[1]):
        theme = assigner.taxonomy.themes[n]
        if _norm(theme.label) in _norm(bare):  # "Dresses" the class is not the theme "Dress"
            named[n] = max(sc, 1.0)
            picked.append(n)
            continue
        if sc < threshold or not topical:
            continue
        if theme.discovered:
            q_stems = q_stems if q_stems is not None else _stems(bare)
            if sc < (theme.threshold or threshold) or not q_stems & _stems(theme.description):
                continue
        picked.append(n)
    picked.sort(key=lambda n: -named[n])
    # a second theme only when the question is about it about as much as the first
    picked = [n for i, n in enumerate(picked[:2]) if i == 0 or named[n] >= named[picked[0]] - 0.15]
    return picked, named


def _segment_key_named(question: str, corpus: Corpus) -> str | None:
    """'Which airline...', 'what region...', 'by department': the segment key to rank by."""
    words = [m.group(2).lower() for m in WHICH_WORDS.finditer(question)]
    words += [  # "which clothing class", "what customer segment"
        m.group(1).lower() for m in re.finditer(r"\b(?:wh?ich|what)\s+\w+\s+(\w+)", question, re.I)
    ]
    words += [
        m.group(1).lower()
        for m in re.finditer(
            r"\b(?:by|per|across|each|rank|wh?ich of (?:our|the)|what of (?:our|the))\s+"
            r"(?:the |our |all )?(?:(?:\d+|" + "|".join(_NUMBERS) + r") )?(\w+)",
            question,
            re.I,
        )
    ]
    for w in words:
        stem = w[:-1] if w.endswith("s") else w
        if len(stem) < 3:
            continue
        for key in corpus.segment_values:
            toks = [t[:-1] if t.endswith("s") else t for t in _norm(key).split()]
            if stem in toks or (stem == "carrier" and "airline" in toks):
                return key
    return None


@lru_cache(maxsize=1)
def _negative_words() -> frozenset[str]:
    """Words VADER's lexicon scores negative: "rudest", "dirtiest", "poorest"."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return frozenset(w for w, v in SentimentIntensityAnalyzer().lexicon.items() if v < 0)


def negative_superlative(q: str) -> bool:
    """'Which carrier has the rudest staff?', '... the slowest refunds?': a superlative of
    something bad asks which segment is worst, like "most complaints" does."""
    words = re.findall(r"\b(?:the|most)\s+([a-z]+est)\b", q.lower())
    return any(w in ("slowest", "longest") or w in _negative_words() for w in words)


def _pick_intent(
    question: str, filters: Filters, corpus: Corpus, top_n: int | None
) -> tuple[Intent, Comparison | None, str | None]:
    """The answer shape. Order matters: the most specific shapes are tried first. The cues
    are read with the named segment values taken out: a department called "Trend" asks for
    no trend."""
    named = [(k, v) for k, vs in filters.segments.items() if k != "(unknown)" for v in vs]
    q = question
    for _, v in named:
        q = re.sub(r"\b" + re.escape(v) + r"\b", "these", q, flags=re.I)
    metrics = bool(METRIC_WORDS.search(q))
    if is_driver_question(q):
        return "drivers", None, None
    if GAP_WORDS.search(q) or (
        metrics and len(named) < 2 and (VERSUS.search(q) or GAP_SOFT.search(q))
    ):
        return "gap", None, None
    if (
        len(named) < 2
        and INTERNAL_SIDE.search(q)
        and CUSTOMER_SIDE.search(q)
        and CONTRAST.search(q)
        and not SHARE_WORDS.search(q)
    ):
        return "gap", None, None
    by_key: dict[str, list[str]] = {}
    for k, v in named:
        by_key.setdefault(k, []).append(v)
    multi = [k for k, vs in by_key.items() if len(vs) >= 2]
    examples_asked = bool(EXAMPLE_WORDS.search(q) or EXAMPLE_ASK.search(q))
    if multi and not examples_asked:
        # two or more values of one key named ("Delta vs United", "in-store or online", "how
        # do we look next to Delta? We're United"): side by side, unless they are examples of
        # the key a "which ... most" question ranks
        key = multi[0]
        if (
            WHICH_WORDS.search(q)
            and SUPERLATIVE.search(q)
            and (len(by_key[key]) >= 3 or ENUMERATION.search(q))
        ):
            if ENUMERATION.search(q):  # examples of the key: every value is ranked
                filters.segments.pop(key, None)
            return "rank", None, key
        return "compare", Comparison("segment", key, by_key[key]), None
    if (
        len({v for _, v in named}) == 1
        and REST_WORDS.search(q)
        and (COMPARE_WORDS.search(q) or re.search(r"\b(or|and)\b", q, re.I))
    ):
        k, v = named[0]
        return "compare", Comparison("segment", k, [v, "(rest)"]), None
    two_months = len(set(_full_months(q))) >= 2  # "did October move the needle vs September?"
    if (TREND_WORDS.search(q) or JARGON_TREND.search(q) or two_months) and not re.search(
        r"\b(improve|change)\b.*\bwhat\b", q, re.I
    ):
        return "trend", None, None
    rank_key = _segment_key_named(q, corpus)
    if (
        rank_key
        and rank_key not in by_key
        and (
            RANK_WORDS.search(q)
            or (COMPLAINT_WORDS.search(q) and not asks_share(q))
            or negative_superlative(q)
        )
    ):
        return "rank", None, rank_key
    # "how many tweets complain about the cabin crew": a count of a topic, not a share
    after = re.search(r"\b(?:about|with|over|regarding)\b(.*)", q, re.I)
    terms = topic_terms(after.group(1), [v for _, v in named]) if after else []
    about = any(not (COMPLAINT_WORDS.fullmatch(t) or STATE_WORDS.fullmatch(t)) for t in terms)
    if asks_share(q) or (SHARE_WORDS.search(q) and not filters.themes and not about):
        return "share", None, None
    if COUNT_WORDS.search(q) and (
        filters.themes or (MENTION_WORDS.search(q) and topic_terms(q, [v for _, v in named]))
    ):
        return "count", None, None
    praise = PRAISE_WORDS.search(q)
    asks_examples = examples_asked or (
        EXAMPLE_NOUN.search(q) and not QUESTION_WORD.search(q.split(":")[-1])
    )
    if (asks_examples or (EXAMPLE_SOFT.search(q) and not praise)) and not RANK_WORDS.search(q):
        return "examples", None, None
    complaint = COMPLAINT_WORDS.search(q) or NOT_PRAISE.search(q)
    if complaint and not (
        praise
        and re.search(r"\b(love|like|praise|enjoy)", q, re.I)
        and not (re.search(r"\b(least|dislike)", q, re.I) or NOT_PRAISE.search(q))
    ):
        return "rank", None, None
    if praise:
        return "praise", None, None
    if top_n or (
        RANK_WORDS.search(q) and re.search(r"\b(themes?|topics?|talk|mention|raise|say)", q, re.I)
    ):
        return "rank", None, None
    return "general", None, None


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
# all in lower case, a sentence also ends before a lower-case word when the dot ends a word of
# three or more letters and no abbreviation ("fine, dresses we've covered. now skirts vs
# shorts?"; not "Delta vs. united", "e.g. the app", "U.S. customers"); used only to find a
# question after context, since lower-case fragments ("examples pls. southwest bags.") are
# one request
LOOSE_END = re.compile(
    r"(?<=[.!?])\s+(?=[A-Z\"'(])|"
    r"(?<=[a-z]{3}[.!?])(?<!\betc\.)(?<!approx\.)(?<!\bincl\.)\s+(?=[a-z])"
)


def asked_part(question: str) -> str:
    """In a message with context before the ask ("The board meets Thursday... Which airline
    gets the most negative tweets?"), the sentences that ask: those ending in a question
    mark, else the last one. The shape is read from them first, so the context's words
    ("benchmark", "improved dramatically") do not decide it; segments and periods still
    come from the whole message."""
    parts = [p.strip() for p in SENTENCE_END.split(question.strip()) if p.strip()]
    if len(parts) < 2 or not any(p.endswith("?") for p in parts):
        loose = [p.strip() for p in LOOSE_END.split(question.strip()) if p.strip()]
        if len(loose) > len(parts) and any(p.endswith("?") for p in loose[1:]):
            parts = loose
    if len(parts) < 2:
        return question
    asks = [p for p in parts if p.endswith("?")] or [p for p in parts if REQUEST.match(p)]
    return " ".join(asks) if asks else parts[-1]


# with no question mark, the sentences that ask: "Send me the tweets about damaged bags.",
# "HOW MANY PEOPLE ARE TWEETING ABOUT CANCELLATIONS. GIVE ME A NUMBER." (a greeting or
# interjection of up to three words may come first)
REQUEST = re.compile(
    r"^([\w']+[,!]?\s+){0,3}?(please\s+|pls\s+|kindly\s+)?(send|show|give|tell|list|share|pull|"
    r"find|get|fetch|rank|compare|count|quote|what|which|how|why|where|who|is|are|do|does|"
    r"did|can|could|would)\b",
    re.I,
)


def understand(
    question: str,
    corpus: Corpus,
    qvec: np.ndarray,
    assigner: ThemeAssigner,
    segment: list[str] | None = None,
) -> Understanding:
    filters = Filters()
    filters.segments = find_segments(question, corpus)
    for key, vals in alias_segments(question, corpus, assigner.embedder, filters.segments).items():
        filters.segments.setdefault(key, []).extend(vals)
    for value in segment or []:
        matched = False
        for key, values in corpus.segment_values.items():
            for v in values:
                if _norm(v) == _norm(value):
                    filters.segments.setdefault(key, [])
                    if v not in filters.segments[key]:
                        filters.segments[key].append(v)
                    matched = True
        if not matched:
            filters.segments.setdefault("(unknown)", []).append(value)
    _, anchor = corpus.date_range(corpus.kind == "verbatim")
    filters.since, filters.until, filters.time_phrase = find_period(question, anchor)
    named = [v for vs in filters.segments.values() for v in vs]
    filters.themes, theme_scores = detect_themes(question, qvec, assigner, names=named)
    top_n = find_top_n(question)
    intent, compare, rank_key = _pick_intent(question, filters, corpus, top_n)
    ask = asked_part(question)
    if ask != question:
        # a metric or score named in the context still makes a gap or a drivers question,
        # unless the asking sentence itself calls for a side-by-side, a change or a figure
        # ("the two managers disagree... could you put Sweaters and Fine gauge next to each
        # other?")
        asked = _pick_intent(ask, filters, corpus, top_n)
        keeps_gap = intent == "gap" and bool(GAP_WORDS.search(ask) or GAP_SOFT.search(ask))
        if asked[0] != "general" and (
            intent not in ("gap", "drivers")
            or (asked[0] in ("compare", "trend", "share", "count") and not keeps_gap)
        ):
            intent, compare, rank_key = asked
        if intent == "compare" and compare is not None and compare.key:
            # "dresses we've covered. Now skirts vs shorts?": the sides are the values the
            # asking sentence names, when it names two or more; a value in the context is not
            mine = find_segments(ask, corpus).get(compare.key, [])
            if len(mine) >= 2 and len(mine) < len(compare.values):
                kept = [v for v in compare.values if v in mine]
                dropped = {_norm(v) for v in compare.values if v not in mine}
                compare = Comparison(compare.axis, compare.key, kept)
                for k in list(filters.segments):  # nor a filter under another key
                    filters.segments[k] = [
                        v for v in filters.segments[k] if _norm(v) not in dropped
                    ]
                    if not filters.segments[k]:
                        del filters.segments[k]
    if intent == "general":
        guess, _ = intent_by_example(qvec, assigner.embedder)
        if guess in ("rank", "trend", "praise", "drivers", "share", "examples", "gap"):
            intent = guess  # type: ignore[assignment]
        elif guess == "count" and (filters.themes or topic_terms(question, named)):
            intent = "count"
    ranking = intent == "rank" and bool(top_n or RANK_WORDS.search(question))
    if ranking and not _names_theme(question, assigner):
        # "the 4 biggest complaints from customers": a ranking over every theme, not one theme
        # the embedding happened to land near
        filters.themes = [t for t in filters.themes if theme_scores.get(t, 0) >= STRONG_THEME]
    if intent == "compare" and compare is not None and compare.key:
        filters.segments.pop(compare.key, None)  # counted per value, side by side
        # "app vs store customers" names two channels, not the theme "Booking, website and app"
        side_words = {w for v in compare.values for w in _norm(v).split()}
        filters.themes = [
            t
            for t in filters.themes
            if not side_words & set(_norm(assigner.taxonomy.label(t)).split())
        ]
        # "Dresses" is a department and a class: compared as departments, not also a filter
        sides = {_norm(v) for v in compare.values}
        for k in list(filters.segments):
            filters.segments[k] = [v for v in filters.segments[k] if _norm(v) not in sides]
            if not filters.segments[k]:
                del filters.segments[k]
    if intent == "share":
        filters.themes = []  # the sentiment split of the whole scope, not of a theme nearby
    if intent == "rank":
        filters.polarity = -1
    elif intent == "praise":
        filters.polarity = 1
    terms = topic_terms(question, named) if intent == "count" and not filters.themes else []
    if intent == "rank" and rank_key and not filters.themes:
        terms = rank_terms(question, named, rank_key)
    return Understanding(
        terms=terms,
        question=question,
        filters=filters,
        intent=intent,
        mentions_metrics=bool(METRIC_WORDS.search(question)),
        theme_scores=theme_scores,
        top_n=top_n,
        compare=compare,
        rank_by=rank_key,
        score=bool(SCORE_RE.search(question)),
    )


STRONG_THEME = 0.55  # a theme the question clearly is about, even inside a ranking question
EXAMPLE_SIM = 0.6  # how close a question must be to an example to take its shape
_EXAMPLES: dict[str, tuple[list[str], np.ndarray]] = {}


def intent_by_example(qvec: np.ndarray, embedder: Embedder) -> tuple[str | None, float]:
    """The shape of the closest example question (bot/ask/intent_examples.yaml), when the
    keyword rules found none: "What do people appreciate?" needs no listed keyword."""
    key = embedder.model_id
    if key not in _EXAMPLES:
        raw = yaml.safe_load(
            resources.files("bot.ask").joinpath("intent_examples.yaml").read_text("utf-8")
        )
        labels = [k for k, qs in raw.items() for _ in qs]
        vecs = embedder.embed([q for qs in raw.values() for q in qs])
        _EXAMPLES[key] = (labels, vecs)
    labels, vecs = _EXAMPLES[key]
    sims = vecs @ qvec
    best = int(np.argmax(sims))
    return (labels[best], float(sims[best])) if sims[best] >= EXAMPLE_SIM else (None, 0.0)


def _names_theme(question: str, assigner: ThemeAssigner) -> bool:
    q = _norm(question)
    return any(_norm(t.label) in q for t in assigner.taxonomy.themes.values())
