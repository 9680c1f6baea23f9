"""A second held-out set of leader questions (blind set 2).

Written by a separate author who saw neither the parser (``bot/``), nor its rules or
vocabularies, nor its example questions, nor the first blind set (``leader_blind.py``).
The author saw only the ``Case`` format and the field conventions of ``leader_suite.py`` and
the data itself (segment columns and values of the demo files, the airline tweets with their
``negativereason`` values, the clothing reviews' departments and classes). The wordings were
composed fresh, not adapted from the suite, and the expected fields are what a careful human
reader would fill in.

Eight questions for each of nine intents. Trend and gap stay off the reviews (they carry no
dates and no internal metric); drivers stay off the tweets (they carry no score). Registers
vary on purpose: terse Slack, formal, lower case, typos, two-sentence questions, imperatives,
indirect phrasings, nicknames for segments ("Virgin", "northern").
"""

from __future__ import annotations

from benchmarks.leader_suite import Case, _c

BLIND2: list[Case] = [
    # ---- rank
    _c("demo", "biggest 3 headaches for store shoppers rn?", "rank", "store", top_n=3),
    _c(
        "demo",
        "Which of our regions is taking the most heat over damaged goods?",
        "rank",
        rank_by="region",
    ),
    _c(
        "demo",
        "Could you list the five issues that come up most often in West feedback this month?",
        "rank",
        "West",
        top_n=5,
        dated=True,
    ),
    _c("tweets", "whats annoying delta flyers the most", "rank", "Delta", label="negative"),
    _c(
        "tweets",
        "Rank the carriers by how often people moan about customer service.",
        "rank",
        rank_by="airline",
        label="Customer Service Issue",
    ),
    _c(
        "tweets",
        "Name the top two things passengers were upset about since the 20th.",
        "rank",
        top_n=2,
        dated=True,
        label="negative",
    ),
    _c("reviews", "What are the main knocks on our jeans?", "rank", "Jeans"),
    _c(
        "reviews",
        "Which type of garment (knits, blouses, sweaters and so on) attracts the most compaints?",
        "rank",
        rank_by="class",
    ),
    # ---- compare
    _c(
        "demo",
        "Are in-store shoppers having a rougher time than app users?",
        "compare",
        "store",
        "app",
    ),
    _c("demo", "how do the Islands stack up against everywhere else", "compare", "Islands"),
    _c(
        "demo",
        "Put East and West side by side for September, please. Where do they differ?",
        "compare",
        "East",
        "West",
        dated=True,
    ),
    _c(
        "tweets",
        "Virgin or Southwest - whose passengers sound happier?",
        "compare",
        "Virgin America",
        "Southwest",
    ),
    _c(
        "tweets",
        "Is US Airways any worse than the other airlines when it comes to lost bags?",
        "compare",
        "US Airways",
    ),
    _c(
        "tweets",
        "Contrast American, United and Delta on customer service complaints over the last week.",
        "compare",
        "American",
        "United",
        "Delta",
        dated=True,
    ),
    _c("reviews", "knits vs blouses, which one disappoints more?", "compare", "Knits", "Blouses"),
    _c(
        "reviews",
        "How do jackets fare relative to everything else we sell?",
        "compare",
        "Jackets",
    ),
    # ---- trend
    _c(
        "demo",
        "Could you outline how feedback from store customers has shifted over the past fortnight?",
        "trend",
        "store",
        dated=True,
    ),
    _c("demo", "are late delivery complaints climbing or calming down", "trend"),
    _c(
        "demo",
        "The South looked rough in September. Has it picked up in October?",
        "trend",
        "South",
        dated=True,
    ),
    _c("demo", "Anything new popping up since the 10th?", "trend", dated=True),
    _c(
        "tweets", "how's the mood toward United shifted since monday", "trend", "United", dated=True
    ),
    _c("tweets", "Have cancellation gripes spiked in the last 48 hours?", "trend", dated=True),
    _c(
        "tweets",
        "Is American trending up or down with its customers this week?",
        "trend",
        "American",
        dated=True,
    ),
    _c(
        "tweets",
        "Tell me whether anything is going downhill for Virgin America.",
        "trend",
        "Virgin America",
    ),
    # ---- praise
    _c("demo", "Where are we winning with our northern customers?", "praise", "North"),
    _c(
        "demo",
        "Give me the good news: what earns positive mentions from web buyers this month?",
        "praise",
        "web",
        dated=True,
    ),
    _c("demo", "wat do ppl rave about", "praise"),
    _c(
        "tweets",
        "When Delta flyers are pleased, what are they pleased about?",
        "praise",
        "Delta",
        label="positive",
    ),
    _c("tweets", "any bright spots in last week's tweets?", "praise", dated=True, label="positive"),
    _c(
        "tweets",
        "Summarise what passengers appreciated about Southwest in February.",
        "praise",
        "Southwest",
        dated=True,
        label="positive",
    ),
    _c("reviews", "What keeps sweater buyers coming back?", "praise", "Sweaters"),
    _c(
        "reviews",
        "Tell me what the five-star reviewers of our Bottoms appreciate.",
        "praise",
        "Bottoms",
    ),
    # ---- drivers
    _c("demo", "what's sinking our NPS down south?", "drivers", "South"),
    _c("demo", "Which issues cost us the most promoters?", "drivers"),
    _c("demo", "If we could fix one thing to lift NPS, what should it be?", "drivers"),
    _c(
        "demo",
        "Explain the low scores we got from app customers in October.",
        "drivers",
        "app",
        dated=True,
    ),
    _c("reviews", "what's behind the bad ratings on blouses", "drivers", "Blouses"),
    _c("reviews", "Which problems knock the most stars off a review?", "drivers"),
    _c(
        "reviews",
        "Why are Intimate reviews scoring so poorly? What should we fix first?",
        "drivers",
        "Intimate",
    ),
    _c("reviews", "whats driving the 1 and 2 star reviews for pants", "drivers", "Pants"),
    # ---- count
    _c("demo", "How many people told us they were charged twice?", "count"),
    _c(
        "demo",
        "number of East customers complaining about rude drivers in October?",
        "count",
        "East",
        dated=True,
    ),
    _c("demo", "hw many comments mention hold times", "count"),
    _c(
        "tweets",
        "how many soutwest tweets are about delays",
        "count",
        "Southwest",
        label="Late Flight",
    ),
    _c(
        "tweets",
        "Count the tweets about booking problems since the 18th.",
        "count",
        dated=True,
        label="Flight Booking Problems",
    ),
    _c(
        "tweets",
        "What's the volume of damaged-suitcase complaints?",
        "count",
        label="Damaged Luggage",
    ),
    _c("reviews", "How many dress reviews say the sizing runs small?", "count", "Dresses"),
    _c("reviews", "Roughly how many people mention see-through or thin fabric?", "count"),
    # ---- examples
    _c("demo", "Pull a few verbatims on missing items.", "examples"),
    _c("demo", "Can I see what Islands customers actually wrote?", "examples", "Islands"),
    _c(
        "demo",
        "show me comments from store shoppers about unhelpful staff last month",
        "examples",
        "store",
        dated=True,
    ),
    _c(
        "tweets",
        "Paste some tweets where people rant about long lines at the airport",
        "examples",
        label="longlines",
    ),
    _c(
        "tweets",
        "Quote me three United customers who lost their bags.",
        "examples",
        "United",
        top_n=3,
        label="Lost Luggage",
    ),
    _c(
        "tweets",
        "I need real examples of US Airways cancelling on people this week.",
        "examples",
        "US Airways",
        dated=True,
        label="Cancelled Flight",
    ),
    _c("reviews", "Show me what people wrote about skirts being too short.", "examples", "Skirts"),
    _c("reviews", "verbatim reviews on itchy material in Knits pls", "examples", "Knits"),
    # ---- gap
    _c("demo", "Is the ops review painting a rosier picture than our customers do?", "gap"),
    _c(
        "demo",
        "The KPI export puts the South at 90.8% on time. Do customer comments back that up?",
        "gap",
        "South",
    ),
    _c(
        "demo",
        "We beat the damaged-items target in September; does the feedback agree?",
        "gap",
        dated=True,
    ),
    _c("demo", "where do our metrics and customer sentiment disagree most", "gap"),
    _c(
        "tweets",
        "DOT has Delta as the most punctual of the six. Do Delta flyers feel that way?",
        "gap",
        "Delta",
    ),
    _c("tweets", "official cancellation rates vs what people tweet - any mismatch?", "gap"),
    _c(
        "tweets",
        "Is the BTS data on American's cancellations consistent with what its customers said in"
        " February?",
        "gap",
        "American",
        dated=True,
    ),
    _c(
        "tweets",
        "Where does the government on-time data flatter the airlines compared with passenger"
        " chatter?",
        "gap",
    ),
    # ---- share
    _c("demo", "what % of customers are detractors?", "share"),
    _c(
        "demo",
        "Roughly what fraction of app feedback is negative this month?",
        "share",
        "app",
        dated=True,
    ),
    _c("demo", "Of the customers in the East, how many walked away unhappy?", "share", "East"),
    _c(
        "tweets",
        "How much of the chatter about US Airways is negative?",
        "share",
        "US Airways",
        label="negative",
    ),
    _c(
        "tweets",
        "Out of everything tweeted since the 19th, what share is unhappy?",
        "share",
        dated=True,
        label="negative",
    ),
    _c(
        "tweets",
        "What fraction of Virgin America mentions are positive?",
        "share",
        "Virgin America",
        label="positive",
    ),
    _c("reviews", "What proportion of Dresses reviews are unfavourable?", "share", "Dresses"),
    _c("reviews", "Is a big chunk of jackets reviewers dissatisfied?", "share", "Jackets"),
]
