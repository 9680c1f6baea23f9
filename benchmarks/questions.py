"""Question sets, worded as a CX leader would ask them (never copies of the hidden labels)."""

from __future__ import annotations

import itertools
import random

AIRLINES = ["United", "US Airways", "American", "Southwest", "Delta", "Virgin America"]

# negativereason -> leader questions ("Can't Tell" has no topic to ask about)
LEADER_QUESTIONS: dict[str, list[str]] = {
    "Late Flight": [
        "Which flights were late?",
        "How often do passengers tell us their departure was delayed?",
        "Are customers frustrated about waiting hours for flights that leave behind schedule?",
    ],
    "Customer Service Issue": [
        "Are customers unhappy with how our support agents treat them?",
        "Do people complain that nobody answers the phone when they call us?",
        "What do customers say about the help they get from our service desk?",
    ],
    "Cancelled Flight": [
        "Which customers had their flight cancelled?",
        "Are passengers stranded after we cancel their trip?",
        "What do people say when their flight gets called off?",
    ],
    "Lost Luggage": [
        "Which customers lost their luggage?",
        "Are bags going missing?",
        "Do passengers say their suitcase never arrived at the destination?",
    ],
    "Damaged Luggage": [
        "Are suitcases arriving broken?",
        "Do customers report damage to their bags?",
    ],
    "Flight Attendant Complaints": [
        "Were flight attendants rude to customers?",
        "How do passengers feel about the attitude of our cabin crew?",
    ],
    "Flight Booking Problems": [
        "Are customers struggling to book or change tickets on the website?",
        "What problems do people have with reservations online or in the app?",
    ],
    "Bad Flight": [
        "Do passengers complain about an uncomfortable flight?",
        "What do customers say about the seats, food and wifi on board?",
    ],
    "longlines": [
        "Are customers stuck in long queues at check-in?",
        "Do people complain about waiting in line at the airport?",
    ],
}

TOPICS = [
    "late flights",
    "delays",
    "cancellations",
    "lost bags",
    "damaged luggage",
    "rude staff",
    "flight attendants",
    "hold times on the phone",
    "long lines at the airport",
    "fees and refunds",
    "booking on the website",
    "the mobile app",
    "seat comfort",
    "wifi on board",
    "the food",
]
TIMES = ["", " last week", " in February", " since 2015-02-20", " yesterday"]
TEMPLATES_SEGMENT = [
    "What do {seg} customers complain about most?",
    "What are the main pain points for {seg} passengers{time}?",
    "What do {seg} customers love?",
    "Do {seg} customers agree with the on-time stats?",
    "Are {seg} customers unhappy about {topic}{time}?",
    "How many {seg} customers mention {topic}?",
]
TEMPLATES = [
    "How many customers complain about {topic}{time}?",
    "What do customers say about {topic}{time}?",
    "Are people frustrated with {topic}?",
    "Tell me about {topic}",
    "Where do customers disagree with the airlines' on-time stats?",
    "Is there a gap between the cancellation rates and what customers say?",
    "What do customers complain about most{time}?",
    "What do passengers praise{time}?",
]


def varied_questions(n: int, seed: int = 8) -> list[str]:
    """``n`` distinct questions mixing intents (complaints, themes, praise, general, gaps),
    segments and time words; the same list for the same seed on every machine."""
    pool: set[str] = set()
    for tpl, seg, topic, time in itertools.product(TEMPLATES_SEGMENT, AIRLINES, TOPICS, TIMES):
        pool.add(tpl.format(seg=seg, topic=topic, time=time))
    for tpl, topic, time in itertools.product(TEMPLATES, TOPICS, TIMES):
        pool.add(tpl.format(topic=topic, time=time))
    ordered = sorted(pool)
    random.Random(seed).shuffle(ordered)
    # make sure gap questions are represented even in small samples
    gaps = [q for q in ordered if "on-time stats" in q or "gap between" in q]
    rest = [q for q in ordered if q not in gaps]
    k = max(1, n // 10)
    picked = gaps[:k] + rest[: n - k]
    random.Random(seed + 1).shuffle(picked)
    return picked


def gap_variants() -> list[dict[str, str | None]]:
    """Arguments of `cxbot gaps`: every metric filter x every segment filter."""
    metrics: list[str | None] = [None, "on_time", "cancelled"]
    segments: list[str | None] = [None, *AIRLINES]
    return [{"metric": m, "segment": s} for m, s in itertools.product(metrics, segments)]


# answers run through the faithfulness checker: every answer shape the composer produces
FAITHFULNESS_AIRLINE = [
    "What do customers complain about most?",
    "What do United customers complain about most?",
    "What do Delta customers complain about last week?",
    "How many customers complain about lost bags?",
    "Which flights were late?",
    "Were flight attendants rude to customers?",
    "Are Southwest customers unhappy about cancellations?",
    "How many American customers mention hold times on the phone?",
    "What do customers say about the wifi on board since 2015-02-20?",
    "What do Virgin America customers love?",
    "Tell me about the seats",
    "Where do customers disagree with the airlines' on-time stats?",
    "Do Delta customers agree with the on-time stats?",
    "Is there a gap between the cancellation rates and what customers say?",
    "What did US Airways passengers say about long lines in February?",
    "Are people frustrated with fees and refunds?",
    "What do customers say about booking on the website yesterday?",
    "Do customers complain about damaged luggage?",
    "What do customers think of the lounges on Mars?",
    "Which customers had their flight cancelled before 2015-02-20?",
]
FAITHFULNESS_DEMO = [
    "Where do customers disagree with our delivery stats?",
    "What do North customers complain about most?",
    "How many customers complain about late deliveries?",
    "Do customers in the West complain about damaged items?",
    "What do app customers say about support wait times?",
    "What do customers love?",
    "Are customers unhappy with billing and refunds in October?",
    "Do customers agree with our on-time delivery numbers?",
]
