"""Blind leader questions, set 4: 81 cases, 9 per intent (held-out evaluation).

Written by a helper session that saw only the ``Case`` dataclass, the ``_c`` helper and the
field conventions at the top of ``benchmarks/leader_suite.py``, plus the data itself: the
demo files in ``examples/`` (regions North, South, East, West, Islands; channels app, web,
store; NPS; the KPI export with on-time delivery, damaged items and internal NPS per region),
the airline tweets (six airlines, ``negativereason`` labels, sentiment, Feb 16-24 2015) with
the DOT on-time report, and the women's clothing reviews (Department Name, Class Name,
Rating). It did not see the suite's questions, the bot's code or its intent examples.

Nine imagined CX leaders at bank-like, retailer-like and airline-like companies type in
their own registers: terse lower case, formal memo style, chatty British and chatty
American, airline ops jargon (OTP, pax, irrops, BTS), thumb-typed messages with typos and
misspelled segment names, nicknames (the islands, USAir, Virgin, jumpers, trousers,
lingerie), context before the question, questions buried in a longer message and indirect
questions ("I keep hearing X, is that real?").

Expected fields follow leader_suite's conventions: ``values`` are canonical segment values
(for compare the compared values), ``top_n`` only when a number is given, ``rank_by`` the
segment key when segments themselves are ranked, ``dated`` when a period is named, and
``label`` (tweets only) the ``negativereason`` or sentiment a cited tweet must carry.
"""

from __future__ import annotations

from benchmarks.leader_suite import Case, _c

BLIND4: list[Case] = [
    # ---------------------------------------------------------------- rank
    _c("demo", "what are the top 3 things people moan about down south", "rank", "South", top_n=3),
    _c(
        "demo",
        "Morning all. Ahead of Thursday's ops review I need a league table: which of our "
        "regions generates the most complaints in the survey comments?",
        "rank",
        rank_by="region",
    ),
    _c(
        "demo",
        "biggest pain points for folks ordering thru the app? just the five worst pls",
        "rank",
        "app",
        top_n=5,
    ),
    _c(
        "tweets",
        "Which carrier is getting hammered hardest on Twitter? Rank 'em, worst at the top.",
        "rank",
        rank_by="airline",
        label="negative",
    ),
    _c(
        "tweets",
        "For USAir specifically: what are pax griping about most? Give me the top four "
        "buckets so I can take them to the irrops team.",
        "rank",
        "US Airways",
        top_n=4,
        label="negative",
    ),
    _c(
        "tweets",
        "i need the main reasons ppl are mad at Untied, ordered by how often they come up",
        "rank",
        "United",
        label="negative",
    ),
    _c(
        "reviews",
        "Could you list the ten most common grievances raised in reviews of our dresses?",
        "rank",
        "Dresses",
        top_n=10,
    ),
    _c(
        "reviews",
        "Which departments attract the most unhappy reviews? Worst first, please.",
        "rank",
        rank_by="department",
    ),
    _c("reviews", "jeans. what goes wrong most often? main issues", "rank", "Jeans"),
    # ---------------------------------------------------------------- compare
    _c(
        "demo",
        "How does the North stack up against the South when it comes to complaints?",
        "compare",
        "North",
        "South",
    ),
    _c(
        "demo",
        "web vs app vs in-store - is there any real difference in what people are unhappy "
        "about, or is it the same story everywhere?",
        "compare",
        "web",
        "app",
        "store",
    ),
    _c(
        "demo",
        "For the East, can you put September and October side by side? I want to see "
        "whether the feedback actually moved.",
        "compare",
        "East",
        dated=True,
    ),
    _c(
        "tweets",
        "Delta v. Southwest: who is handling the customer service side better, judging by "
        "the complaints?",
        "compare",
        "Delta",
        "Southwest",
        label="Customer Service Issue",
    ),
    _c(
        "tweets",
        "put american and us airways next to each other for me. with the merger coming I "
        "want to know how their complaints differ",
        "compare",
        "American",
        "US Airways",
        label="negative",
    ),
    _c(
        "tweets",
        "Virgn America compared w/ United on the cancellation chatter?",
        "compare",
        "Virgin America",
        "United",
        label="Cancelled Flight",
    ),
    _c("reviews", "Tops versus bottoms: how do the reviews differ?", "compare", "Tops", "Bottoms"),
    _c(
        "reviews",
        "I'd like the jackets department contrasted with lingerie. Where do the "
        "complaints diverge?",
        "compare",
        "Jackets",
        "Intimate",
    ),
    _c(
        "reviews",
        "knits and blouses - which one gets more fit complaints, and how different are they really",
        "compare",
        "Knits",
        "Blouses",
    ),
    # ---------------------------------------------------------------- trend
    _c("demo", "Has delivery got worse since September?", "trend", dated=True),
    _c("demo", "what changed in the west between sept and oct", "trend", "West", dated=True),
    _c(
        "demo",
        "I keep hearing that breakage complaints are creeping up for in-store orders. Is "
        "that actually happening or is it just the loud ones?",
        "trend",
        "store",
    ),
    _c(
        "demo",
        "Anything on the rise in the complaints coming from web orders lately?",
        "trend",
        "web",
    ),
    _c(
        "demo",
        "Quick one before the board pack goes out: which themes deteriorated month on month "
        "in October for the island customers?",
        "trend",
        "Islands",
        dated=True,
    ),
    _c(
        "tweets",
        "is southwest's twitter sentiment going downhill or am I imagining it",
        "trend",
        "Southwest",
        label="negative",
    ),
    _c(
        "tweets",
        "Did cancellations spike for Amercian around Feb 22-23? Our social team is seeing "
        "a wave of it.",
        "trend",
        "American",
        dated=True,
        label="Cancelled Flight",
    ),
    _c(
        "tweets",
        "whats trending up in the complaints abt delta",
        "trend",
        "Delta",
        label="negative",
    ),
    _c(
        "tweets",
        "Something has shifted in the lost-bag noise since 20 February. What changed for "
        "United over that stretch?",
        "trend",
        "United",
        dated=True,
        label="Lost Luggage",
    ),
    # ---------------------------------------------------------------- praise
    _c("demo", "What do customers love about us in the North?", "praise", "North"),
    _c("demo", "give me the good news for once - what are app users happy with?", "praise", "app"),
    _c(
        "demo",
        "From the customer's point of view, what's working well in our shops?",
        "praise",
        "store",
    ),
    _c(
        "tweets",
        "Virgin gets a lot of love online. What exactly are people complimenting?",
        "praise",
        "Virgin America",
        label="positive",
    ),
    _c(
        "tweets",
        "what do flyers rate about Soutwest? positives only, I've had enough of the "
        "negatives this week",
        "praise",
        "Southwest",
        label="positive",
    ),
    _c(
        "tweets",
        "Which things are Delta's passengers thanking them for?",
        "praise",
        "Delta",
        label="positive",
    ),
    _c("reviews", "What do shoppers rave about in the dresses?", "praise", "Dresses"),
    _c("reviews", "what do ppl actually like about our swimwear", "praise", "Swim"),
    _c(
        "reviews",
        "Positives on the jumpers please, what's landing well with customers? Trying to "
        "brief the buying team on what to keep.",
        "praise",
        "Sweaters",
    ),
    # ---------------------------------------------------------------- drivers
    _c("demo", "What's dragging our NPS down in the South?", "drivers", "South"),
    _c("demo", "which issues cost us the most promoters on the website?", "drivers", "web"),
    _c(
        "demo",
        "If I could fix exactly one thing to lift our Net Promoter Score, what should it be?",
        "drivers",
    ),
    _c(
        "demo",
        "Detractors in the East: what is pushing them to score us so low?",
        "drivers",
        "East",
    ),
    _c("reviews", "What's costing us stars on dresses?", "drivers", "Dresses"),
    _c(
        "reviews",
        "why are the trouser reviews rated so poorly? what's knocking the score down",
        "drivers",
        "Pants",
    ),
    _c(
        "reviews",
        "Which complaints pull the average rating down the most in the Intimate department?",
        "drivers",
        "Intimate",
    ),
    _c(
        "reviews",
        "what turns a would-be 5 star review into a 2 star one for tops",
        "drivers",
        "Tops",
    ),
    _c(
        "reviews",
        "Across the whole catalogue, what's behind the one- and two-star ratings?",
        "drivers",
    ),
    # ---------------------------------------------------------------- count
    _c("demo", "How many comments mention refunds?", "count"),
    _c(
        "demo",
        "number of south customers complaining about late deliveries in october?",
        "count",
        "South",
        dated=True,
    ),
    _c("demo", "roughly how many verbatims talk about rude drivers", "count"),
    _c(
        "tweets",
        "how many tweets about lost bags did United get",
        "count",
        "United",
        label="Lost Luggage",
    ),
    _c(
        "tweets",
        "Count for me the tweets griping about long lines at American.",
        "count",
        "American",
        label="longlines",
    ),
    _c(
        "tweets",
        "How many people tweeted complaints about flight attendants at US Airways?",
        "count",
        "US Airways",
        label="Flight Attendant Complaints",
    ),
    _c("reviews", "how many reviews say the sizing runs small", "count"),
    _c(
        "reviews",
        "Out of curiosity, how many of the jacket reviews bring up the zip?",
        "count",
        "Jackets",
    ),
    _c(
        "reviews",
        "Can I get a tally of sleepwear reviews that mention see-through fabric?",
        "count",
        "Sleep",
    ),
    # ---------------------------------------------------------------- examples
    _c("demo", "show me a few quotes about damaged items from app orders", "examples", "app"),
    _c("demo", "Can I see what people actually wrote about the hidden delivery fee?", "examples"),
    _c(
        "demo",
        "pull some verbatims from the Islnads customers, I've never read any",
        "examples",
        "Islands",
    ),
    _c(
        "tweets",
        "Send me a handful of real tweets slamming Delta's customer service.",
        "examples",
        "Delta",
        label="Customer Service Issue",
    ),
    _c(
        "tweets",
        "got any examples of ppl complaining about booking problems w/ southwest?",
        "examples",
        "Southwest",
        label="Flight Booking Problems",
    ),
    _c(
        "tweets",
        "Need a couple of tweets I can drop into the deck about delays at Virgin.",
        "examples",
        "Virgin America",
        label="Late Flight",
    ),
    _c("reviews", "quote me some reviews about dresses being too long", "examples", "Dresses"),
    _c(
        "reviews",
        "What are people literally saying about the fabric on knits? Verbatim please.",
        "examples",
        "Knits",
    ),
    _c(
        "reviews",
        "Please share some customer comments on poor quality in the jackets dept.",
        "examples",
        "Jackets",
    ),
    # ---------------------------------------------------------------- share
    _c("demo", "What percentage of North customers are unhappy?", "share", "North"),
    _c("demo", "what share of store shoppers are actually happy with us", "share", "store"),
    _c(
        "demo",
        "Of everyone who answered the survey in October, what proportion were detractors?",
        "share",
        dated=True,
    ),
    _c(
        "tweets", "what % of tweets at american are negative", "share", "American", label="negative"
    ),
    _c(
        "tweets",
        "What proportion of Virgin America mentions are positive?",
        "share",
        "Virgin America",
        label="positive",
    ),
    _c(
        "tweets",
        "Out of all the United chatter, how much of it is genuinely angry? Ballpark "
        "percentage is fine.",
        "share",
        "United",
        label="negative",
    ),
    _c("reviews", "What fraction of the bottoms reviews are unhappy ones?", "share", "Bottoms"),
    _c("reviews", "share of satisfied customers in the Tops department?", "share", "Tops"),
    _c(
        "reviews",
        "how many out of every hundred swimwear reviewers end up disappointed",
        "share",
        "Swim",
    ),
    # ---------------------------------------------------------------- gap
    _c("demo", "Our dashboard says North is at 97.9% on-time. Do customers agree?", "gap", "North"),
    _c("demo", "Where does the KPI pack disagree with what the survey is telling us?", "gap"),
    _c(
        "demo",
        "Internal NPS for the West looks healthy at 18. Is that what the comments are "
        "saying, or is there a disconnect?",
        "gap",
        "West",
    ),
    _c(
        "demo",
        "on-time delivery hit target in october but i keep hearing about late deliveries. "
        "whats going on?",
        "gap",
        dated=True,
    ),
    _c(
        "demo",
        "which regions look fine on paper while their customers tell a different story?",
        "gap",
    ),
    _c(
        "tweets",
        "DOT has Delta as the most punctual of the six in February. Does the Twitter "
        "chatter back that up?",
        "gap",
        "Delta",
        dated=True,
        label="Late Flight",
    ),
    _c(
        "tweets",
        "Are there airlines whose official OTP looks decent but whose passengers are "
        "furious about delays anyway?",
        "gap",
        label="Late Flight",
    ),
    _c(
        "tweets",
        "US Airways' cancellation rate isn't the worst per DOT, yet the tweets feel "
        "brutal. Mismatch?",
        "gap",
        "US Airways",
        label="Cancelled Flight",
    ),
    _c(
        "tweets",
        "Cross-check the BTS on-time stats for Southwest against what flyers tweet.",
        "gap",
        "Southwest",
        label="Late Flight",
    ),
]
