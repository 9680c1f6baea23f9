"""Leader questions with the structured query each should become (issue 16's suite).

Written as CX leaders ask in Slack, several wordings per intent, over three data sets: the
demo data (regions, channels, NPS), the airline tweets (airlines; hidden sentiment and
complaint labels) and the clothing reviews (departments, classes; star ratings). The expected
values are what a person reading the question would fill in; they are never fed to the index.

Fields: ``intent``; ``values`` the segment values named (all keys together, for compare the
compared values); ``top_n``; ``rank_by`` a segment key; ``dated`` whether a period is named;
``label`` (tweets only) what a cited verbatim must carry in the hidden labels to count as
relevant: a ``negativereason``, or ``negative`` / ``positive`` for the sentiment label.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    data: str  # demo | tweets | reviews
    question: str
    intent: str
    values: frozenset[str] = field(default_factory=frozenset)
    top_n: int | None = None
    rank_by: str | None = None
    dated: bool = False
    label: str | None = None


def _c(data: str, q: str, intent: str, *values: str, **kw: object) -> Case:
    return Case(data, q, intent, frozenset(values), **kw)  # type: ignore[arg-type]


SUITE: list[Case] = [
    # ---- rank: the top complaints (themes), or segments ranked
    _c("demo", "What do customers complain about most?", "rank"),
    _c("demo", "Top 3 complaints in the North?", "rank", "North", top_n=3),
    _c("demo", "What are the biggest pain points for app users?", "rank", "app"),
    _c("demo", "Which region complains most about late deliveries?", "rank", rank_by="region"),
    _c("demo", "Which channel gets the most complaints?", "rank", rank_by="channel"),
    _c(
        "tweets",
        "Top five complaints from American customers this week?",
        "rank",
        "American",
        top_n=5,
        dated=True,
        label="negative",
    ),
    _c(
        "tweets",
        "What are the 4 biggest complaints from customers?",
        "rank",
        top_n=4,
        label="negative",
    ),
    _c(
        "tweets",
        "What are United flyers most frustrated about?",
        "rank",
        "United",
        label="negative",
    ),
    _c(
        "tweets",
        "Give me the two main issues people raise about Virgin America",
        "rank",
        "Virgin America",
        top_n=2,
        label="negative",
    ),
    _c(
        "tweets",
        "Which airline gets the most complaints about lost luggage?",
        "rank",
        rank_by="airline",
        label="Lost Luggage",
    ),
    _c("tweets", "What are the most common problems passengers report?", "rank", label="negative"),
    _c("reviews", "What do shoppers complain about most?", "rank"),
    _c("reviews", "Which department gets the most complaints?", "rank", rank_by="department"),
    _c("reviews", "Top 3 issues with dresses", "rank", "Dresses", top_n=3),
    # ---- compare: segments side by side
    _c("demo", "How does North compare with South on complaints?", "compare", "North", "South"),
    _c("demo", "North vs South: late deliveries", "compare", "North", "South"),
    _c("demo", "Compare app and web customers", "compare", "app", "web"),
    _c("demo", "Is the East doing better than the West?", "compare", "East", "West"),
    _c(
        "tweets",
        "How does Southwest compare with Delta on complaints?",
        "compare",
        "Southwest",
        "Delta",
    ),
    _c(
        "tweets",
        "United versus American: who has more cancellation complaints?",
        "compare",
        "United",
        "American",
    ),
    _c("tweets", "Are Delta customers angrier than Southwest's?", "compare", "Delta", "Southwest"),
    _c(
        "tweets",
        "Difference between US Airways and United on delays",
        "compare",
        "US Airways",
        "United",
    ),
    _c("reviews", "Compare Tops and Bottoms on complaints", "compare", "Tops", "Bottoms"),
    _c("reviews", "How do dresses compare with the rest of the range?", "compare", "Dresses"),
    # ---- trend: this period against the previous one
    _c("demo", "Is anything getting worse?", "trend"),
    _c("demo", "What changed in the last few days?", "trend", dated=True),
    _c("demo", "Are refund complaints rising?", "trend"),
    _c("demo", "Has the North improved lately?", "trend", "North"),
    _c("tweets", "What changed in the last few days?", "trend", dated=True),
    _c("tweets", "Is anything getting worse for US Airways?", "trend", "US Airways"),
    _c("tweets", "Are complaints about delays increasing this week?", "trend", dated=True),
    _c("tweets", "Any new issues emerging in the last 3 days?", "trend", dated=True),
    _c(
        "tweets",
        "Did sentiment drop for Southwest over the past week?",
        "trend",
        "Southwest",
        dated=True,
    ),
    _c("reviews", "Are complaints about sizing going up?", "trend"),
    # ---- praise: what customers like
    _c("demo", "What do customers love?", "praise"),
    _c("demo", "What do app customers like about us?", "praise", "app"),
    _c("demo", "What are we doing well in the South?", "praise", "South"),
    _c("tweets", "What do United customers love?", "praise", "United", label="positive"),
    _c(
        "tweets",
        "What do passengers praise about Virgin America?",
        "praise",
        "Virgin America",
        label="positive",
    ),
    _c("tweets", "What are people happy about?", "praise", label="positive"),
    _c(
        "tweets",
        "Where do we get compliments from Southwest flyers?",
        "praise",
        "Southwest",
        label="positive",
    ),
    _c("reviews", "What do shoppers love about our dresses?", "praise", "Dresses"),
    _c("reviews", "What are our strengths according to reviews?", "praise"),
    # ---- drivers: what moves the score
    _c("demo", "What hurts our NPS most?", "drivers"),
    _c("demo", "Why is NPS low in the North?", "drivers", "North"),
    _c("demo", "What drives detractors?", "drivers"),
    _c("demo", "Which themes drag our score down?", "drivers"),
    _c("reviews", "Why do customers give dresses low ratings?", "drivers", "Dresses"),
    _c("reviews", "What is pulling our star rating down?", "drivers"),
    _c("reviews", "What would raise our ratings the most?", "drivers"),
    _c("reviews", "Key drivers of 1-star reviews for Tops", "drivers", "Tops"),
    # ---- share: how many are unhappy
    _c("demo", "How many customers are unhappy?", "share"),
    _c("demo", "What share of West customers are negative?", "share", "West"),
    _c("tweets", "How many customers are unhappy?", "share", label="negative"),
    _c(
        "tweets",
        "What percentage of Delta tweets are negative?",
        "share",
        "Delta",
        label="negative",
    ),
    _c("tweets", "What proportion of passengers are satisfied?", "share"),
    _c("reviews", "How many reviewers are dissatisfied?", "share"),
    # ---- count: how many raise a theme
    _c("demo", "How many customers mention late deliveries?", "count"),
    _c("demo", "How often do people bring up billing?", "count"),
    _c("tweets", "How many people tweet about lost bags?", "count", label="Lost Luggage"),
    _c(
        "tweets",
        "How many complaints about cancelled flights did United get?",
        "count",
        "United",
        label="Cancelled Flight",
    ),
    _c("reviews", "How many reviews mention fabric quality?", "count"),
    # ---- examples: quotes
    _c("demo", "Show me examples of damaged parcels", "examples"),
    _c("demo", "Give me some quotes about the mobile app", "examples"),
    _c(
        "tweets",
        "Show me tweets about rude flight attendants",
        "examples",
        label="Flight Attendant Complaints",
    ),
    _c(
        "tweets",
        "Give me examples of customers stuck on hold",
        "examples",
        label="Customer Service Issue",
    ),
    _c("reviews", "Show me reviews about the zipper breaking", "examples"),
    # ---- gap: internal metric vs the customer view
    _c("demo", "Where do customers disagree with our delivery stats?", "gap"),
    _c("demo", "Our on-time rate vs what customers say", "gap"),
    _c("demo", "Do our KPIs match what customers tell us?", "gap"),
    _c("tweets", "Where do customers disagree with our on-time stats?", "gap"),
    _c("tweets", "Does the DOT on-time report line up with what passengers say?", "gap"),
    # ---- structural cues (written after the third blind set, before these were run): two
    # values of one key, a value and "the rest", "X or Y", "between", "v."; a proportion asked
    # over a sentiment or state
    _c("demo", "Is the app channel doing any better than web?", "compare", "app", "web"),
    _c("demo", "North v. South: who is angrier?", "compare", "North", "South"),
    _c(
        "demo",
        "Between the East and the West, where are complaints heavier?",
        "compare",
        "East",
        "West",
    ),  # fmt: skip
    _c("demo", "How do Islands customers hold up against everyone else?", "compare", "Islands"),
    _c(
        "tweets",
        "Southwest or Delta: which one do flyers grumble about more?",
        "compare",
        "Southwest",
        "Delta",
    ),  # fmt: skip
    _c(
        "tweets",
        "United next to American, any real difference in tone?",
        "compare",
        "United",
        "American",
    ),  # fmt: skip
    _c(
        "reviews",
        "Dresses and the rest of the catalogue: who gets the harsher reviews?",
        "compare",
        "Dresses",
    ),  # fmt: skip
    _c("tweets", "What % of Delta tweets are angry?", "share", "Delta", label="negative"),
    _c("demo", "How many of our store customers are satisfied?", "share", "store"),
    _c("reviews", "What fraction of Jackets reviews are one or two stars?", "share", "Jackets"),
    _c(
        "tweets",
        "Out of all the American tweets, what proportion is positive?",
        "share",
        "American",
        label="positive",
    ),  # fmt: skip
    _c("demo", "Are most web customers unhappy? A percentage please.", "share", "web"),
    _c("tweets", "WoW, is Southwest sliding?", "trend", "Southwest", dated=True),
    _c(
        "tweets",
        "Have complaints about Delta crept up over the weekend?",
        "trend",
        "Delta",
        dated=True,
    ),  # fmt: skip
]


def cases(data: str | None = None) -> list[Case]:
    return [c for c in SUITE if data is None or c.data == data]
