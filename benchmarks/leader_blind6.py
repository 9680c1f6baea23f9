"""Blind held-out leader questions, set 6 (90 cases, 10 per intent).

How it was written: by a helper session that saw only the ``Case`` dataclass and the ``_c``
helper (the first 33 lines of ``leader_suite.py``) and the data itself -- the fictional demo
(``examples/``: survey with region, channel and NPS; delivery KPIs; the Q3 ops review), the
Feb 2015 airline tweets with the DOT on-time report, and the column names and segment values
of the women's clothing reviews. It did not read the bot's code, its tests or docs, or any
other question file, so the wordings are not tuned to the parser.

The questions are typed as ten imagined CX leaders would type them into Slack: a dry Scottish
utilities director, a Brazilian fintech head writing non-native English, a terse Dutch
logistics VP, a verbose American healthcare COO who gives context first, a politely formal
Korean e-commerce manager, a Canadian retail lead who asks two things at once (the main ask
sets the intent), a South African telecom exec, someone in all caps under stress, someone in
bullet fragments, and someone writing follow-ups that still stand alone. Typos, emoji,
abbreviations, hedges and negations are deliberate.

Expected values: ``values`` lists every segment value a question restricts to or compares,
in the data's own spelling even where the question uses an alias (Virgin -> Virgin America,
the website -> web, denim -> Jeans); ``top_n`` only where a number of items is asked;
``rank_by`` only for rank questions that rank segments; ``dated`` only where a period is
named; ``label`` (tweets only) what a cited tweet should carry in the hidden labels.
"""

from __future__ import annotations

from benchmarks.leader_suite import Case, _c

BLIND6: list[Case] = [
    # ---------------------------------------------------------------- rank
    _c(
        "demo",
        "Aye, right. What are folk moaning about most these days? Just the big themes, nae essays.",
        "rank",
    ),
    _c(
        "demo",
        "Hey team! Which region is generating the most complants right now? Also is the "
        "dashboard link still broken for anyone else? 🙃 mostly the first one tbh",
        "rank",
        rank_by="region",
    ),
    _c(
        "demo",
        "WHICH CHANNEL IS GETTING THE MOST COMPLAINTS IN THE SOUTH?? NEED THIS BEFORE 3PM",
        "rank",
        "South",
        rank_by="channel",
    ),
    _c(
        "tweets",
        "Top 5 complaint reasons. United. Go.",
        "rank",
        "United",
        top_n=5,
        label="negative",
    ),
    _c(
        "tweets",
        "Howzit. Which of the six airlines is catching the most flak on Twitter? Shame, "
        "someone out there is having a rough time 😬",
        "rank",
        rank_by="airline",
        label="negative",
    ),
    _c(
        "tweets",
        "ok so I've seen the complaint mix for all the airlines. now just US Airways -- "
        "what are the three biggest gripes there?",
        "rank",
        "US Airways",
        top_n=3,
        label="negative",
    ),
    _c(
        "reviews",
        "Good afternoon. Could you kindly tell me which department recieves the most "
        "complaints from customers? Thank you very much for your help.",
        "rank",
        rank_by="department",
    ),
    _c(
        "reviews",
        "hi, i need know the top 4 problems customers are say about our denim, for the "
        "meeting with product team",
        "rank",
        "Jeans",
        top_n=4,
    ),
    _c(
        "reviews",
        "- reviews\n- by class\n- who's worst (most complaints)\n- top 5 only pls",
        "rank",
        top_n=5,
        rank_by="class",
    ),
    _c(
        "reviews",
        "Quick context: I'm covering for our merchandising lead while she's on leave and "
        "I've been asked to brief the exec team on the clothing reviews. I don't have a "
        "strong sense yet of where the pain is. What are the main things customers are "
        "complaining about in Dresses? A rough ordering from biggest down is fine.",
        "rank",
        "Dresses",
    ),
    # ------------------------------------------------------------- compare
    _c(
        "demo",
        "North vs South. Complaints. Side by side.",
        "compare",
        "North",
        "South",
    ),
    _c(
        "demo",
        "how is the app compare with the website? i want see both side by side, what "
        "customers complain in each one",
        "compare",
        "app",
        "web",
    ),
    _c(
        "demo",
        "Lekker, thanks for the last one. Now how do the Islands stack up against East "
        "on what people are saying? Need it now-now for the regional call.",
        "compare",
        "Islands",
        "East",
    ),
    _c(
        "tweets",
        "DELTA VS UNITED ON COMPLAINTS. WHO IS WORSE AND ON WHAT??",
        "compare",
        "Delta",
        "United",
        label="negative",
    ),
    _c(
        "tweets",
        "How are folk finding Southwest compared wi' Virgin? Aye, I know Virgin's the wee "
        "one, but humour me.",
        "compare",
        "Southwest",
        "Virgin America",
    ),
    _c(
        "tweets",
        "Excuse me, would it be possible to compare AA and US Airways regarding the lost "
        "luggage complaints since Feb 20? I would be grateful.",
        "compare",
        "American",
        "US Airways",
        dated=True,
        label="Lost Luggage",
    ),
    _c(
        "reviews",
        "Can we line up Tops against Bottoms on what reviewers are unhappy about? And "
        "while you're at it, does anyone know who owns the reviews export? Mainly the "
        "first thing!",
        "compare",
        "Tops",
        "Bottoms",
    ),
    _c(
        "reviews",
        "• jeans vs trousers\n• complaints + avg stars\n• side by side pls thx",
        "compare",
        "Jeans",
        "Pants",
    ),
    _c(
        "reviews",
        "Some background: our sweater and fine-gauge knit lines come from the same mill, "
        "and the two category managers disagree about which one has the bigger quality "
        "problem. Before I wade in, could you put Sweaters and Fine gauge next to each "
        "other and show me how reviewers talk about each?",
        "compare",
        "Sweaters",
        "Fine gauge",
    ),
    _c(
        "reviews",
        "fine, dresses we've covered. now the same kind of comparison for skirts vs "
        "shorts -- how do reviewers feel about each one?",
        "compare",
        "Skirts",
        "Shorts",
    ),
    # --------------------------------------------------------------- trend
    _c(
        "demo",
        "Is anything getting worse, aye? Or can I head home early the night.",
        "trend",
    ),
    _c(
        "demo",
        "What changed w/w. Last week vs the week before. Not yoy.",
        "trend",
        dated=True,
    ),
    _c(
        "demo",
        "the complaints in South region is growing in october or is same like september? "
        "i am little worry",
        "trend",
        "South",
        dated=True,
    ),
    _c(
        "demo",
        "MoM TREND ON MOBILE APP COMPLAINTS -- IS IT GETTING BETTER OR WORSE???",
        "trend",
        "app",
    ),
    _c(
        "tweets",
        "Eish, are the complaints at American getting worse day by day, or is it just the "
        "usual noise? Shame, the team is tired.",
        "trend",
        "American",
        label="negative",
    ),
    _c(
        "tweets",
        "Dear team, may I ask how the volume of cancelled flight complaints has changed "
        "over the last few days? Thank you in advance.",
        "trend",
        dated=True,
        label="Cancelled Flight",
    ),
    _c(
        "tweets",
        "What's trending up in the airline complaints since Feb 20 vs before that? Also "
        "do we have a logo for the deck? mostly need the trend though 😅",
        "trend",
        dated=True,
        label="negative",
    ),
    _c(
        "tweets",
        "- United\n- sentiment over time\n- improving or not?",
        "trend",
        "United",
    ),
    _c(
        "tweets",
        "So I've got our weekly ops huddle in twenty minutes and the VP always opens with "
        "'what's new'. I don't want to read tweets, I just need the shape of it. Which "
        "complaints about Southwest spiked over the weekend of Feb 21-22 compared with "
        "earlier in the week?",
        "trend",
        "Southwest",
        dated=True,
        label="negative",
    ),
    _c(
        "tweets",
        "and lateness? is the late-flight moaning about Delta going up or down, day on day?",
        "trend",
        "Delta",
        label="Late Flight",
    ),
    # -------------------------------------------------------------- praise
    _c(
        "demo",
        "Hello, I would like to humbly ask what are the three things our customers "
        "appreciate most about our service. Thank you.",
        "praise",
        top_n=3,
    ),
    _c(
        "demo",
        "What are the customers loving in the Islands? Lekker scores there, I hear 🙌",
        "praise",
        "Islands",
    ),
    _c(
        "demo",
        "Positives. In-store. What works.",
        "praise",
        "store",
    ),
    _c(
        "tweets",
        "Is anybody actually saying anything nice about Virgin? Go on, cheer me up.",
        "praise",
        "Virgin America",
        label="positive",
    ),
    _c(
        "tweets",
        "what the passengers are praising in Southwest? i want copy the good things for "
        "our team 🙏",
        "praise",
        "Southwest",
        label="positive",
    ),
    _c(
        "tweets",
        "I NEED SOME GOOD NEWS. WHAT ARE PEOPLE HAPPY ABOUT WITH JETBLUE-- SORRY, DELTA. DELTA.",
        "praise",
        "Delta",
        label="positive",
    ),
    _c(
        "reviews",
        "What do shoppers rave about in our Dresses? And can someone remind me when the "
        "Q3 review is? Dresses first though 🙂",
        "praise",
        "Dresses",
    ),
    _c(
        "reviews",
        "- knits\n- what do ppl like\n- not complaints, the good stuff",
        "praise",
        "Knits",
    ),
    _c(
        "reviews",
        "For context, we're rewriting the product pages for jackets and marketing wants to "
        "lean into what real customers already say they love, rather than inventing "
        "claims. What are reviewers praising about our Jackets?",
        "praise",
        "Jackets",
    ),
    _c(
        "reviews",
        "ok, noted the complaints on loungewear. flip it -- what do people actually love "
        "about the Lounge pieces?",
        "praise",
        "Lounge",
    ),
    # ------------------------------------------------------------- drivers
    _c(
        "demo",
        "What's costing us the most NPS, d'ye reckon? Nae point fixing the wrong thing.",
        "drivers",
    ),
    _c(
        "demo",
        "why the NPS of West region is so low? what are the reasons that pull it down",
        "drivers",
        "West",
    ),
    _c(
        "demo",
        "WHY ARE DETRACTORS DETRACTING. WHAT IS KILLING OUR NPS ON THE WEBSITE??",
        "drivers",
        "web",
    ),
    _c(
        "demo",
        "What's the biggest drag on NPS for app users in October? Also who's doing Friday "
        "donuts? NPS thing is the priority lol",
        "drivers",
        "app",
        dated=True,
    ),
    _c(
        "reviews",
        "Low ratings on Dresses. Why.",
        "drivers",
        "Dresses",
    ),
    _c(
        "reviews",
        "I apologise for the trouble. Could you please explain which factors lower the "
        "star rating the most for Blouses?",
        "drivers",
        "Blouses",
    ),
    _c(
        "reviews",
        "Shame, Jeans are sitting on poor stars. What's actually dragging the rating down "
        "there, hey?",
        "drivers",
        "Jeans",
    ),
    _c(
        "reviews",
        "- ratings\n- what moves them most\n- top 3 drivers\n- all depts",
        "drivers",
        top_n=3,
    ),
    _c(
        "reviews",
        "We've been asked by the board why our average star rating isn't where the "
        "category benchmark is. I'd like to come with the underlying reasons rather than "
        "anecdotes. Across all the reviews, what is most strongly pulling ratings down to "
        "1 and 2 stars?",
        "drivers",
    ),
    _c(
        "reviews",
        "right, same question for the Trend department on its own: what's costing it stars?",
        "drivers",
        "Trend",
    ),
    # --------------------------------------------------------------- count
    _c(
        "demo",
        "How many comments mention damaged items. Number only.",
        "count",
    ),
    _c(
        "demo",
        "How many customers in the South moaned about late deliveries? Need a number for "
        "the update now-now.",
        "count",
        "South",
    ),
    _c(
        "demo",
        "Could you kindly let me know how many responses in September mentioned the "
        "delivery driver being rude? Many thanks.",
        "count",
        dated=True,
    ),
    _c(
        "tweets",
        "how many tweets are talking about lost bags? is many?",
        "count",
        label="Lost Luggage",
    ),
    _c(
        "tweets",
        "HOW MANY PEOPLE ARE TWEETING ABOUT CANCELLATIONS AT AMERICAN. GIVE ME A NUMBER.",
        "count",
        "American",
        label="Cancelled Flight",
    ),
    _c(
        "tweets",
        "How many folk have been on about rude cabin crew at United? Ballpark's fine.",
        "count",
        "United",
        label="Flight Attendant Complaints",
    ),
    _c(
        "reviews",
        "How many reviews say the sizing runs small? Oh and is the intern starting "
        "Monday? Sizing count is what I need.",
        "count",
    ),
    _c(
        "reviews",
        "- sweaters\n- # of reviews mentioning pilling\n- thx",
        "count",
        "Sweaters",
    ),
    _c(
        "reviews",
        "Our returns team believes see-through fabric is behind a lot of returns on tops, "
        "but I'd like evidence before we escalate to the supplier. How many reviews in "
        "Tops actually mention the fabric being see-through or too thin?",
        "count",
        "Tops",
    ),
    _c(
        "reviews",
        "and for swimwear? how many reviews there complain about the fit",
        "count",
        "Swim",
    ),
    # ------------------------------------------------------------ examples
    _c(
        "demo",
        "can you show me some comments from customers that complain about the packaging? "
        "i need put in the slide",
        "examples",
    ),
    _c(
        "demo",
        "- verbatims\n- store channel\n- staff complaints\n- a handful is fine",
        "examples",
        "store",
    ),
    _c(
        "demo",
        "I'm presenting to the regional managers next and numbers alone don't land with "
        "them; they need to hear the customer's voice. Could you pull a few "
        "representative quotes from East region customers who were unhappy with late "
        "deliveries?",
        "examples",
        "East",
    ),
    _c(
        "tweets",
        "Could you please share a few example tweets where passengers complain about "
        "customer service at US Air? Thank you kindly.",
        "examples",
        "US Airways",
        label="Customer Service Issue",
    ),
    _c(
        "tweets",
        "Shame man, send me some of the actual tweets about damaged bags, hey. Want to see "
        "how bad it is.",
        "examples",
        label="Damaged Luggage",
    ),
    _c(
        "tweets",
        "Examples. Booking problems. Southwest. Last 3 days.",
        "examples",
        "Southwest",
        dated=True,
        label="Flight Booking Problems",
    ),
    _c(
        "reviews",
        "Gie us a few real quotes about zips breaking on the Jackets, aye? Want tae see it "
        "in their own words.",
        "examples",
        "Jackets",
    ),
    _c(
        "reviews",
        "PASTE ME DRESSES REVIEWS WHERE PEOPLE SAY IT LOOKS NOTHING LIKE THE PHOTO. ASAP.",
        "examples",
        "Dresses",
    ),
    _c(
        "reviews",
        "Could you grab a couple of example reviews about Pants being too long? And is "
        "the reviews dashboard refreshed daily? Mostly want the examples 👍",
        "examples",
        "Pants",
    ),
    _c(
        "reviews",
        "ok and the actual words for sleepwear -- can I see a few examples of what people "
        "wrote about it shrinking in the wash?",
        "examples",
        "Sleep",
    ),
    # ----------------------------------------------------------------- gap
    _c(
        "demo",
        "Ops says on-time delivery in the North is grand, near 98%. Are folk up North "
        "actually saying that, or are we kidding ourselves?",
        "gap",
        "North",
    ),
    _c(
        "demo",
        "KPIs vs survey. Where do they disagree.",
        "gap",
    ),
    _c(
        "demo",
        "Excuse me, I understand our internal NPS figure for the West is 18. Could you "
        "kindly check whether what the surveyed customers say actually matches this "
        "figure?",
        "gap",
        "West",
    ),
    _c(
        "demo",
        "The ops review is lekker, all green. But are customers telling a different story "
        "anywhere? Don't want to get caught out in the board pack.",
        "gap",
    ),
    _c(
        "demo",
        "OPS SAYS DAMAGED ITEMS ARE UNDER TARGET. THEN WHY DO I KEEP HEARING ABOUT BROKEN "
        "STUFF?? IS THE KPI WRONG OR ARE CUSTOMERS",
        "gap",
    ),
    _c(
        "tweets",
        "DOT say Delta is the most on-time of the six airline in february, but the tweets "
        "agree with this or no?",
        "gap",
        "Delta",
        label="Late Flight",
    ),
    _c(
        "tweets",
        "Our operations partners keep quoting the DOT numbers at us: American had the "
        "worst cancellation rate of the six in February, above 6%. I'm sceptical that "
        "social listening reflects that. Does the cancellation chatter about American on "
        "Twitter line up with the official figure, or is there a mismatch?",
        "gap",
        "American",
        label="Cancelled Flight",
    ),
    _c(
        "tweets",
        "Where does the official on-time data disagree with what flyers are tweeting "
        "about delays? Also can someone send me the DOT file? The mismatch is the main "
        "thing.",
        "gap",
        label="Late Flight",
    ),
    _c(
        "tweets",
        "- US Airways\n- DOT on-time vs twitter complaints\n- gap??",
        "gap",
        "US Airways",
        label="negative",
    ),
    _c(
        "tweets",
        "and Virgin America? the DOT report puts them mid-pack on punctuality -- do the "
        "tweets about late flights back that up or not?",
        "gap",
        "Virgin America",
        label="Late Flight",
    ),
    # --------------------------------------------------------------- share
    _c(
        "demo",
        "What % of customers are unhappy overall? And is the survey tool renewal sorted? "
        "Just need the % for now.",
        "share",
    ),
    _c(
        "demo",
        "Shame, how many of our Islands customers are actually unhappy -- as a share, not a count?",
        "share",
        "Islands",
    ),
    _c(
        "demo",
        "- web channel\n- detractor share\n- Oct only",
        "share",
        "web",
        dated=True,
    ),
    _c(
        "tweets",
        "Could you please tell me how negative the overall sentiment is towards United? "
        "I would appreciate it as a percentage.",
        "share",
        "United",
        label="negative",
    ),
    _c(
        "tweets",
        "Share negative tweets. Virgin. Since 20 Feb.",
        "share",
        "Virgin America",
        dated=True,
        label="negative",
    ),
    _c(
        "tweets",
        "ok and the big picture -- across all six airlines, what fraction of the tweets "
        "are negative?",
        "share",
        label="negative",
    ),
    _c(
        "reviews",
        "What proportion of reviewers are no' happy wi' their jeans? Rough figure'll do.",
        "share",
        "Jeans",
    ),
    _c(
        "reviews",
        "which is the percent of unhappy customers in the Bottoms department? (1-2 stars "
        "i think is unhappy)",
        "share",
        "Bottoms",
    ),
    _c(
        "reviews",
        "WHAT SHARE OF REVIEWS ARE NEGATIVE. OVERALL. ALL DEPARTMENTS. CSAT-STYLE NUMBER.",
        "share",
    ),
    _c(
        "reviews",
        "Our CFO has asked me, fairly bluntly, how much of our customer base is actually "
        "dissatisfied versus a loud few. I know reviews skew to the extremes. Looking only "
        "at the Intimate department, roughly what share of reviewers are unhappy?",
        "share",
        "Intimate",
    ),
]
