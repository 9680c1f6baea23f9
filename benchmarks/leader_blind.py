"""Held-out leader questions, written blind to the parser's rules.

A separate author wrote these without reading the question parser (``bot/ask``) or its
rules, only the ``Case`` format of ``benchmarks.leader_suite``, as a held-out check that
the suite's wordings were not tuned to the parser. The questions use different verbs and
structures from ``SUITE``: casual and formal, short and long, as CX leaders type in Slack.
The expected fields follow the suite's conventions (see ``benchmarks.leader_suite``).
"""

from __future__ import annotations

from benchmarks.leader_suite import Case, _c

BLIND: list[Case] = [
    # ---- rank
    _c("demo", "hey, what are the top 5 things people are griping about?", "rank", top_n=5),
    _c(
        "demo",
        "Which region racks up the most damaged-parcel complaints?",
        "rank",
        rank_by="region",
    ),
    _c(
        "tweets",
        "What are the main gripes Delta passengers have been tweeting?",
        "rank",
        "Delta",
        label="negative",
    ),
    _c(
        "tweets",
        "Which carrier is catching the most heat for cancellations?",
        "rank",
        rank_by="airline",
        label="Cancelled Flight",
    ),
    _c(
        "tweets",
        "Rank the top three pain points for Southwest in the last week",
        "rank",
        "Southwest",
        top_n=3,
        dated=True,
        label="negative",
    ),
    _c(
        "reviews",
        "which class of product draws the most negative reviews?",
        "rank",
        rank_by="class",
    ),
    _c("reviews", "Biggest frustrations with Jeans, top 4 please", "rank", "Jeans", top_n=4),
    # ---- compare
    _c("demo", "How do store customers stack up against app customers?", "compare", "store", "app"),
    _c(
        "demo",
        "Put the Islands side by side with the rest of the regions for me",
        "compare",
        "Islands",
    ),
    _c(
        "demo",
        "East, West and North: who's got the unhappiest customers?",
        "compare",
        "East",
        "West",
        "North",
    ),
    _c(
        "tweets",
        "Delta or United, which one looks worse on customer service on Twitter?",
        "compare",
        "Delta",
        "United",
        label="Customer Service Issue",
    ),
    _c(
        "tweets",
        "hey, can you contrast what people say about Virgin America vs Southwest?",
        "compare",
        "Virgin America",
        "Southwest",
    ),
    _c(
        "reviews",
        "Jackets vs Intimate - where are shoppers less happy?",
        "compare",
        "Jackets",
        "Intimate",
    ),
    _c(
        "reviews",
        "How do Knits reviews measure up against Sweaters?",
        "compare",
        "Knits",
        "Sweaters",
    ),
    # ---- trend
    _c(
        "demo",
        "Did things get better or worse for us in October compared to September?",
        "trend",
        dated=True,
    ),
    _c("demo", "Are web customers getting more frustrated over time?", "trend", "web"),
    _c("demo", "quick q - any new complaint themes popping up this week?", "trend", dated=True),
    _c(
        "tweets",
        "How has sentiment toward American shifted since Feb 20?",
        "trend",
        "American",
        dated=True,
    ),
    _c("tweets", "Are lost bag complaints on the rise?", "trend", label="Lost Luggage"),
    _c("tweets", "Is Virgin America trending up or down with flyers?", "trend", "Virgin America"),
    _c("reviews", "Is the fit problem with Bottoms getting worse?", "trend", "Bottoms"),
    # ---- praise
    _c("demo", "What are customers in the Islands happiest with?", "praise", "Islands"),
    _c(
        "demo",
        "hey - what do people appreciate about our in-store experience?",
        "praise",
        "store",
    ),
    _c("demo", "Where are we winning with customers? What do they rave about?", "praise"),
    _c(
        "tweets",
        "What do people say nice things about when they tweet at Delta?",
        "praise",
        "Delta",
        label="positive",
    ),
    _c(
        "tweets",
        "What are American's customers thanking them for?",
        "praise",
        "American",
        label="positive",
    ),
    _c("tweets", "What do flyers compliment most often?", "praise", label="positive"),
    _c("reviews", "What do reviewers rave about in our Sweaters?", "praise", "Sweaters"),
    # ---- drivers
    _c("demo", "What's dragging NPS down for web users?", "drivers", "web"),
    _c("demo", "What separates our promoters from our detractors?", "drivers"),
    _c("demo", "Why are East customers scoring us so low?", "drivers", "East"),
    _c(
        "reviews",
        "What makes customers leave 1 or 2 star reviews on Pants?",
        "drivers",
        "Pants",
    ),
    _c("reviews", "Which issues cost us the most stars in Intimate?", "drivers", "Intimate"),
    _c(
        "reviews",
        "If we fixed one thing, what would lift our average rating the most?",
        "drivers",
    ),
    # ---- share
    _c("demo", "What % of our customers are detractors?", "share"),
    _c("demo", "quick q: how big is the unhappy slice of store customers?", "share", "store"),
    _c(
        "tweets",
        "Roughly what fraction of tweets about US Airways are complaints?",
        "share",
        "US Airways",
        label="negative",
    ),
    _c(
        "tweets",
        "Overall, what share of passengers tweeting at us are upset?",
        "share",
        label="negative",
    ),
    _c("reviews", "What portion of Dresses reviews are positive?", "share", "Dresses"),
    _c("reviews", "How many of our shoppers are actually happy with their purchase?", "share"),
    # ---- count
    _c("demo", "How many people brought up damaged items in the South?", "count", "South"),
    _c("demo", "How frequently do app users mention login problems?", "count", "app"),
    _c(
        "tweets",
        "How many tweets complain about long lines at the airport?",
        "count",
        label="longlines",
    ),
    _c(
        "tweets",
        "How often are passengers complaining about delays on Southwest?",
        "count",
        "Southwest",
        label="Late Flight",
    ),
    _c(
        "tweets",
        "How many folks had trouble booking a flight with us?",
        "count",
        label="Flight Booking Problems",
    ),
    _c("reviews", "How many reviews call out sizing running small?", "count"),
    _c("reviews", "How often do shoppers mention see-through fabric on Tops?", "count", "Tops"),
    # ---- examples
    _c("demo", "Pull a few verbatims about drivers being rude", "examples"),
    _c(
        "demo",
        "Can I see some comments from North customers about late parcels?",
        "examples",
        "North",
    ),
    _c(
        "tweets",
        "Share a handful of tweets where bags showed up broken",
        "examples",
        label="Damaged Luggage",
    ),
    _c(
        "tweets",
        "hey, show me what people are saying about cancellations at American - real quotes please",
        "examples",
        "American",
        label="Cancelled Flight",
    ),
    _c(
        "tweets",
        "Got any examples of passengers griping about a bad inflight experience?",
        "examples",
        label="Bad Flight",
    ),
    _c("reviews", "Give me a few reviews where Skirts didn't fit right", "examples", "Skirts"),
    _c(
        "reviews",
        "Show me what shoppers wrote about the Lounge pieces shrinking in the wash",
        "examples",
        "Lounge",
    ),
    # ---- gap
    _c("demo", "Our damaged-items rate looks fine - do customers agree?", "gap"),
    _c(
        "demo",
        "Where does the KPI report tell a different story than the survey for the Islands?",
        "gap",
        "Islands",
    ),
    _c(
        "demo",
        "Is our on-time delivery number overstating things compared with customer feedback?",
        "gap",
    ),
    _c(
        "tweets",
        "Does the DOT data on delays match the complaints we see about United?",
        "gap",
        "United",
    ),
    _c(
        "tweets",
        "Which airlines look good on the official on-time stats but get hammered on Twitter?",
        "gap",
    ),
    _c("tweets", "Are there mismatches between the DOT report and passenger sentiment?", "gap"),
]
