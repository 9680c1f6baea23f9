"""Third blind set of leader questions (72 cases, 8 per intent).

Written by a third author who saw neither the question parser, nor its rules, nor its example
questions, nor the earlier blind sets, nor the commit history. The only inputs were the
``Case`` format (the dataclass, the ``_c`` helper and the field conventions documented in
``benchmarks/leader_suite.py``) and the three data sets themselves: the demo retailer data
(regions, channels, NPS, delivery KPIs), the airline tweets (airlines, sentiment and
``negativereason`` labels, the DOT on-time report) and the clothing reviews (departments,
classes, star ratings).

The questions imagine eight different CX leaders at a bank-like, a retailer-like and an
airline-like company typing into Slack, in their own registers: terse, formal, chatty,
lower case, with typos, nicknames for segments, business jargon and context before the
question. The expected fields are what a careful human reader would fill in; segment values
are always the canonical ones from the data, even when the question uses a nickname or a
misspelling. Trend and gap cases only use data with dates or an internal metric (demo,
tweets); drivers cases only use data with a score (demo NPS, review ratings).
"""

from __future__ import annotations

from benchmarks.leader_suite import Case, _c

BLIND3: list[Case] = [
    # ==== rank ====
    _c(
        "demo",
        "Quick one before my 1:1 with the COO: which 3 issues generate the most negative "
        "comments in the Islands?",
        "rank",
        "Islands",
        top_n=3,
    ),
    _c(
        "demo",
        "wich of our channels is gettin hammered hardest w complaints this quarter?",
        "rank",
        rank_by="channel",
        dated=True,
    ),
    _c(
        "demo",
        "For the website channel, rank the pain points by volume. Last 30 days only.",
        "rank",
        "web",
        dated=True,
    ),
    _c(
        "tweets",
        "what r ppl moaning about most w/ SWA since presidents day",
        "rank",
        "Southwest",
        dated=True,
        label="negative",
    ),
    _c(
        "tweets",
        "Which carrier draws the heaviest fire for customer service? I want the league table.",
        "rank",
        rank_by="airline",
        label="Customer Service Issue",
    ),
    _c(
        "tweets",
        "I run social care at US Airways. Top five reasons flyers are upset with us?",
        "rank",
        "US Airways",
        top_n=5,
        label="negative",
    ),
    _c("reviews", "What's the #1 gripe in denim reviews?", "rank", "Jeans", top_n=1),
    _c(
        "reviews",
        "Which clothing class attracts the most negative feedback? Looking for a ranked list.",
        "rank",
        rank_by="class",
    ),
    # ==== compare ====
    _c(
        "demo",
        "Stack the Islands up against everyone else on customer sentiment.",
        "compare",
        "Islands",
    ),
    _c(
        "demo",
        "Are in-store shoppers happier than people who buy on the website, or is that a myth?",
        "compare",
        "store",
        "web",
    ),
    _c("demo", "north v west, complaint mix, side by side please", "compare", "North", "West"),
    _c(
        "tweets",
        "How do we look next to Delta? We're United, this is for the board deck.",
        "compare",
        "United",
        "Delta",
    ),
    _c(
        "tweets",
        "With the merger coming, is American taking more heat than US Airways on cancellations?",
        "compare",
        "American",
        "US Airways",
    ),
    _c(
        "tweets",
        "virgin america vs everybody else - who's got the better rep on twitter",
        "compare",
        "Virgin America",
    ),
    _c(
        "reviews",
        "Blouses versus knits: where are the reviews harsher?",
        "compare",
        "Blouses",
        "Knits",
    ),
    _c(
        "reviews",
        "Contrast what reviewers say about our jackets with what they say about sweaters.",
        "compare",
        "Jackets",
        "Sweaters",
    ),
    # ==== trend ====
    _c(
        "demo",
        "MoM read on net sentiment: did October move the needle vs September?",
        "trend",
        dated=True,
    ),
    _c(
        "demo",
        "Have damaged-delivery complaints crept up since mid-month?",
        "trend",
        dated=True,
    ),
    _c(
        "demo",
        "Somethign feels off with the mobile app over the last 7 days. Is it actually "
        "deteriorating or am I imagining it?",
        "trend",
        "app",
        dated=True,
    ),
    _c(
        "demo",
        "Is the South on an upward or a downward trajectory?",
        "trend",
        "South",
    ),
    _c(
        "tweets",
        "WoW, has the tone toward Delta soured?",
        "trend",
        "Delta",
        dated=True,
    ),
    _c("tweets", "Any fresh spikes in complaints since yesterday?", "trend", dated=True),
    _c(
        "tweets",
        "Over the weekend did things get worse for American, or hold steady?",
        "trend",
        "American",
        dated=True,
    ),
    _c("tweets", "Has United's social sentiment been sliding?", "trend", "United"),
    # ==== praise ====
    _c(
        "demo",
        "What bright spots are customers calling out for the brick-and-mortar stores?",
        "praise",
        "store",
    ),
    _c(
        "demo",
        "in the islands what were customers giving us kudos for in october",
        "praise",
        "Islands",
        dated=True,
    ),
    _c("demo", "Give me the good news: what are people raving about?", "praise"),
    _c(
        "tweets",
        "What's Virgn doing right in the eyes of flyers?",
        "praise",
        "Virgin America",
        label="positive",
    ),
    _c(
        "tweets",
        "any shout-outs for Delta crews in the last couple of days?",
        "praise",
        "Delta",
        dated=True,
        label="positive",
    ),
    _c(
        "tweets",
        "When passengers thank an airline, what are they usually thanking it for?",
        "praise",
        label="positive",
    ),
    _c("reviews", "what makes customers fall in love with our sweaters", "praise", "Sweaters"),
    _c("reviews", "Summarise the positives in swimwear feedback.", "praise", "Swim"),
    # ==== drivers ====
    _c(
        "demo",
        "What are the top detractor themes weighing on NPS in the West?",
        "drivers",
        "West",
    ),
    _c(
        "demo",
        "To lift NPS among app users, where should we invest first?",
        "drivers",
        "app",
    ),
    _c(
        "demo",
        "Deep dive request: what separates our promoters from our detractors?",
        "drivers",
    ),
    _c(
        "demo",
        "Which issues cost us the most NPS points in September?",
        "drivers",
        dated=True,
    ),
    _c("reviews", "whats behind the 1 and 2 star reviews on jeans", "drivers", "Jeans"),
    _c(
        "reviews",
        "Which factors best explain a low rating for knits?",
        "drivers",
        "Knits",
    ),
    _c(
        "reviews",
        "Our average star score has been flat for ages. What levers would actually move it?",
        "drivers",
    ),
    _c(
        "reviews",
        "For the Bottoms department, which topics go hand in hand with poor scores?",
        "drivers",
        "Bottoms",
    ),
    # ==== count ====
    _c("demo", "How many ppl raised the hidden delivery fee?", "count"),
    _c(
        "demo",
        "Volume check: number of comments about being charged twice, past month.",
        "count",
        dated=True,
    ),
    _c(
        "demo",
        "how many in-store customers brought up rude or dismissive staff?",
        "count",
        "store",
    ),
    _c(
        "tweets",
        "Ballpark, how many tweets gripe about long lines at the airport?",
        "count",
        label="longlines",
    ),
    _c(
        "tweets",
        "How many Delta customers flagged late flights yesterday?",
        "count",
        "Delta",
        dated=True,
        label="Late Flight",
    ),
    _c(
        "tweets",
        "What's the tweet count on damaged bags for Soutwest?",
        "count",
        "Southwest",
        label="Damaged Luggage",
    ),
    _c("reviews", "how many reviews call out sizing running small", "count"),
    _c(
        "reviews",
        "How many dress reviewers say the fabric is see-through?",
        "count",
        "Dresses",
    ),
    # ==== examples ====
    _c(
        "demo",
        "Pull a few verbatims on missing items from the Northern region.",
        "examples",
        "North",
    ),
    _c(
        "demo",
        "Can I see what customers actually wrote about the support phone line? A handful is fine.",
        "examples",
    ),
    _c(
        "demo",
        "paste me some comments about late deliveries on web from last week",
        "examples",
        "web",
        dated=True,
    ),
    _c(
        "tweets",
        "Surface some of the angriest tweets at AA about lost bags.",
        "examples",
        "American",
        label="Lost Luggage",
    ),
    _c(
        "tweets",
        "I need real passenger quotes about booking glitches for the exec offsite.",
        "examples",
        label="Flight Booking Problems",
    ),
    _c(
        "tweets",
        "Voice of customer for the deck: happy tweets about Southwest, please.",
        "examples",
        "Southwest",
        label="positive",
    ),
    _c(
        "reviews",
        "Find me reviews where people say the blouse shrank in the wash.",
        "examples",
        "Blouses",
    ),
    _c(
        "reviews",
        "Some real quotes about dresses fitting perfectly would be great for the newsletter",
        "examples",
        "Dresses",
    ),
    # ==== gap ====
    _c(
        "demo",
        "Our dashboard shows on-time delivery in the green. Is that what customers feel?",
        "gap",
    ),
    _c(
        "demo",
        "South's on-time figure vs what South customers are telling us: do they square?",
        "gap",
        "South",
    ),
    _c(
        "demo",
        "Reality check on the October KPI pack against the voice of customer.",
        "gap",
        dated=True,
    ),
    _c(
        "demo",
        "Where's the disconnect between our ops metrics and the survey comments?",
        "gap",
    ),
    _c(
        "tweets",
        "DOT numbers say Delta is the most punctual of the six. Do flyers agree?",
        "gap",
        "Delta",
    ),
    _c(
        "tweets",
        "Are the official on-time stats telling a different story from social?",
        "gap",
    ),
    _c(
        "tweets",
        "cancellation rate per DOT vs the twitter chatter, any mismatch for american",
        "gap",
        "American",
    ),
    _c(
        "tweets",
        "Does what passengers tweeted in February hold up against the BTS delay report?",
        "gap",
        dated=True,
    ),
    # ==== share ====
    _c("demo", "What percent of our app respondents are detractors?", "share", "app"),
    _c(
        "demo",
        "Roughly what fraction of feedback from the East is negative this quarter?",
        "share",
        "East",
        dated=True,
    ),
    _c("demo", "how big is the unhappy cohort overall", "share"),
    _c(
        "tweets",
        "What slice of the United mentions are negative?",
        "share",
        "United",
        label="negative",
    ),
    _c(
        "tweets",
        "Of all tweets since the 20th, what % were positive?",
        "share",
        dated=True,
        label="positive",
    ),
    _c(
        "tweets",
        "Is it true most US Airways tweets are negative? Give me the percentage.",
        "share",
        "US Airways",
        label="negative",
    ),
    _c(
        "reviews",
        "What share of loungewear reviewers walked away unsatisfied?",
        "share",
        "Lounge",
    ),
    _c(
        "reviews",
        "Of the reviews for the Tops department, what portion are three stars or below?",
        "share",
        "Tops",
    ),
]
