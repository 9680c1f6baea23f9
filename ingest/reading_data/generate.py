"""Build train.jsonl from the hand-written phrases in industries.py (deterministic).

`python ingest/reading_data/generate.py` rewrites train.jsonl next to this file. Each phrase is
rendered in two of five registers (tweet, survey free text, product/app review, support
ticket, NPS comment); hard cases (sarcasm, mixed reviews, a complaint phrased as a request or
a question, praise with a request, very short texts) are built from the same phrases. Labels
follow from the phrase family, never from any evaluation data.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from industries import INDUSTRIES  # noqa: E402

OUT = Path(__file__).parent / "train.jsonl"
REGISTERS = ("tweet", "survey", "review", "ticket", "nps")
NEG_TAGS = ["#fail", "#customerservice", "#notimpressed", "#fedup", "#disappointed"]
POS_TAGS = ["#happycustomer", "#thankyou", "#recommend", "#impressed"]
NEG_TAILS = ["", "", "", " again", " ...", " 😡", " smh", " !!", " seriously"]
POS_TAILS = ["", "", "", " 👍", " 🙌", "!", " thank you!", " ❤️"]
NEU_TAILS = ["", "", "", " thanks", " cheers"]
NEG_TITLES = ["Disappointed", "Not good", "Not as described", "Frustrating", "Avoid", "Meh"]
POS_TITLES = ["Great", "Really pleased", "Excellent", "Just what I needed", "Lovely"]
NEU_TITLES = ["Question", "Order", "Update", "Note"]
NAMES = ["Sam", "Priya", "Tom", "Aisha", "Marek", "Joanna", "Luis", "Chen", "Olu", "Fran"]

SARCASM = [
    "great, {c}. thanks {b}",
    "love how {c}",
    "wow, {c}. amazing service",
    "{c}. brilliant, just brilliant",
    "oh good, {c} 🙄",
    "nice one {b}, {c}",
    "{c}. 10/10 would not recommend",
    "fantastic. {c}. cheers for that",
    "thanks so much {b}, {c}",
    "{c}. well done, really",
]
COMPLAINT_REQUEST = [
    "please sort this out, {c}",
    "{c}. can someone please help",
    "{c}, could you look into it please",
    "hi, {c}. please can you fix this",
    "{c}. I need this resolved today please",
    "could you explain why {c}",
]
COMPLAINT_QUESTION = [
    "why is it that {c}?",
    "{c}, is anyone actually reading these?",
    "how is it acceptable that {c}?",
    "is anyone going to explain why {c}?",
    "{c}. what is going on?",
    "{c}. is this normal?",
]
# waiting and chasing: the most common complaint in neutral words, for any industry's things
WAITING = [
    "still waiting for {t} to be sorted",
    "been waiting since {d} for {t}",
    "no update on {t} since {d}",
    "{t}: day {n} and counting",
    "I've chased {t} {n} times now",
    "how much longer do I have to wait for {t}?",
    "{n} weeks on and {t} is still not resolved",
    "still no news about {t}",
    "I was promised a call back about {t} by {d}, nothing",
    "chasing {t} again",
]
DAYS = [
    "Monday",
    "last Tuesday",
    "the 3rd",
    "March",
    "last week",
    "Friday",
    "the start of the month",
]
MIXED = [
    "{g} but {p}",
    "{g}, however {p}",
    "{g}. shame that {p}",
    "{g}, only problem is {p}",
    "{g} although {p}",
]
POSITIVE_REQUEST = ["{g}. {r}?", "{g}! {r}", "really happy so far. {r}?"]
PRAISE = [
    "{c}, thank you {b}!",
    "shout out to {b}, {c}",
    "{c}. keep it up",
    "{c}. would recommend {b} to anyone",
    "have to say {c}",
    "{c}, made my week",
]
# a problem that was put right: praise, though it names the problem
RESOLVED = [
    "had a problem with {t} but support fixed it the same day, thank you",
    "there was an issue with {t} and {b} sorted it straight away, great service",
    "was worried about {t} but the team were brilliant and it's all resolved",
    "small hiccup with {t}, fixed within the hour, really appreciate it",
]

# lukewarm: satisfied but not enthusiastic, no problem named ("it's fine", "nothing special").
# Neutral. Added after the first 1,427 texts, from its own random stream, so those stay as they
# were; before it, the set had "fine" only in mixed complaints and read "It is fine." as one.
LUKEWARM = [
    "{t} is fine",
    "{t} was ok, nothing special",
    "{t} does the job",
    "no problems with {t} so far",
    "{t} was as expected",
    "{t} was alright I suppose",
    "all fine with {t}",
    "{t} works, that's all I need",
    "average experience with {t}, nothing more to say",
    "{t} was fine, same as last time",
]
# ...and the same words with a problem after them stay complaints ("fine but it arrived cold")
LUKEWARM_MIXED = [
    "{l} but {p}",
    "{l}. {p} though",
    "{l}, except that {p}",
    "{l}, whatever. {p}",
]
LUKEWARM_SHORT = [
    "it's fine",
    "fine",
    "it is what it is",
    "average",
    "nothing special",
    "as expected",
    "alright",
    "ok I guess",
    "decent enough",
    "no strong feelings",
]

SHORT = {
    ("negative", "complaint"): [
        "never again",
        "still broken",
        "so disappointed",
        "worst service ever",
        "not happy",
        "this is a joke",
        "still waiting",
        "cancelled again",
        "no reply yet",
        "absolutely useless",
        "day 3, still nothing",
        "sent it back",
        "doesn't fit",
        "broken on arrival",
        "late again",
        "not impressed",
        "waste of money",
        "what a shambles",
        "avoid",
        "still no refund",
        "on hold again",
        "poor",
        "the app is down again",
        "wrong order again",
        "rip off",
    ],
    ("positive", "praise"): [
        "thanks!",
        "brilliant, thank you",
        "love it",
        "perfect",
        "10/10",
        "spot on",
        "great service",
        "five stars",
        "sorted, cheers",
        "so pleased",
        "happy customer",
        "much appreciated",
        "top notch",
        "excellent as always",
        "you're the best",
        "fab, thanks",
        "really good",
        "super quick, thanks",
        "no complaints at all",
        "nailed it",
    ],
    ("neutral", "other"): [
        "ok",
        "order placed",
        "just joined",
        "see attached",
        "n/a",
        "no comment",
        "nothing to add",
        "bought it yesterday",
        "on my way to the store",
        "checking in now",
        "first order",
        "none",
        "just signed up",
        "renewed today",
        "picked it up this morning",
    ],
    ("neutral", "question"): [
        "are you open today?",
        "is this in stock?",
        "what's the number to call?",
        "do you ship abroad?",
        "any discount codes?",
        "which size should I get?",
        "is the app down or is it me?",
        "where do I send the form?",
    ],
    ("neutral", "request"): [
        "please call me",
        "DM sent",
        "please email me the invoice",
        "can you call me back?",
        "please send the link again",
        "can I get a receipt?",
        "please update my email address",
        "follow up please",
    ],
}


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def end(s: str, mark: str = ".") -> str:
    s = s.rstrip()
    return s if s[-1:] in ".!?" or s.endswith(("🙄", "😡")) else s + mark


def render(clause: str, reg: str, pol: str, intent: str, ind: dict, rng: random.Random) -> str:
    """One clause in one register; questions keep their question mark (mostly)."""
    mark = (
        "?" if intent == "question" else ("!" if pol == "positive" and rng.random() < 0.3 else ".")
    )
    handle = rng.choice(ind["handles"])
    if reg == "tweet":
        tails = {"negative": NEG_TAILS, "positive": POS_TAILS}.get(pol, NEU_TAILS)
        body = clause + ("?" if mark == "?" and rng.random() < 0.8 else "") + rng.choice(tails)
        form = rng.random()
        if form < 0.55:
            text = f"@{handle} {body}"
        elif form < 0.75:
            text = f"{body} @{handle}"
        elif form < 0.9:
            text = f"hey @{handle} {body}"
        else:
            text = f"@{handle} @{rng.choice(NAMES)}{rng.randint(1, 99)} {body}"
        tags = {"negative": NEG_TAGS, "positive": POS_TAGS}.get(pol)
        if tags and rng.random() < 0.2:
            text += " " + rng.choice(tags)
        return text
    if reg == "survey":
        pre = rng.choice(["", "", "", "Honestly, ", "Overall ", "To be honest "])
        return end(pre + (clause if pre else cap(clause)), mark)
    if reg == "review":
        titles = {"negative": NEG_TITLES, "positive": POS_TITLES}.get(pol, NEU_TITLES)
        body = end(cap(clause), mark)
        if rng.random() < 0.45:
            return f"{rng.choice(titles)}. {body}"
        return body
    if reg == "ticket":
        ref = rng.randint(10000, 99999)
        form = rng.random()
        if form < 0.35:
            return f"Hi, {end(clause, mark)} Ref {ref}. Thanks, {rng.choice(NAMES)}"
        if form < 0.65:
            return f"Subject: {cap(rng.choice(ind['things']))}\n{end(cap(clause), mark)}"
        return f"Hello team, {end(clause, mark)} Account {ref}."
    pre = "" if intent in ("request", "question") else rng.choice(["", "", "", "Overall, "])
    if pol != "neutral" and rng.random() < 0.15:
        pre = "Why this score: "
    return end(pre + (clause if pre else cap(clause)), mark)


def build() -> list[dict[str, str]]:
    rng = random.Random(14)
    rows: list[dict[str, str]] = []

    seen: set[str] = set()

    def add(text: str, pol: str, intent: str, industry: str, reg: str, family: str) -> None:
        if text.lower() in seen:  # the same short text twice teaches nothing new
            return
        seen.add(text.lower())
        rows.append(
            {
                "text": text,
                "polarity": pol,
                "intent": intent,
                "industry": industry,
                "register": reg,
                "family": family,
            }
        )

    for name, ind in INDUSTRIES.items():
        families = [
            ("explicit", "negative", "complaint"),
            ("implicit", "negative", "complaint"),
            ("praise", "positive", "praise"),
            ("requests", "neutral", "request"),
            ("questions", "neutral", "question"),
            ("neutral", "neutral", "other"),
        ]
        for family, pol, intent in families:
            copies = 3 if family in ("praise", "neutral") else 2
            for clause in ind[family]:
                for reg in rng.sample(REGISTERS, copies):
                    add(render(clause, reg, pol, intent, ind, rng), pol, intent, name, reg, family)
        for good, bad in ind["mixed"]:
            for reg in rng.sample(("review", "survey", "nps", "tweet"), 2):
                clause = rng.choice(MIXED).format(g=good, p=bad)
                add(
                    render(clause, reg, "negative", "complaint", ind, rng),
                    "negative",
                    "complaint",
                    name,
                    reg,
                    "mixed",
                )
        for frame, n, family, reg_pool in (
            (SARCASM, 5, "sarcasm", ("tweet", "tweet", "review", "survey")),
            (COMPLAINT_REQUEST, 3, "complaint_request", ("tweet", "ticket")),
            (COMPLAINT_QUESTION, 3, "complaint_question", ("tweet", "ticket", "survey")),
        ):
            for clause in rng.sample(ind["implicit"] + ind["explicit"][:3], n):
                text = rng.choice(frame).format(c=clause, b=rng.choice(ind["brands"]))
                reg = rng.choice(reg_pool)
                add(
                    render(text, reg, "negative", "complaint", ind, rng),
                    "negative",
                    "complaint",
                    name,
                    reg,
                    family,
                )
        for frame in rng.sample(WAITING, 5):
            text = frame.format(
                t=rng.choice(ind["things"]), d=rng.choice(DAYS), n=rng.randint(3, 9)
            )
            reg = rng.choice(REGISTERS)
            add(
                render(text, reg, "negative", "complaint", ind, rng),
                "negative",
                "complaint",
                name,
                reg,
                "waiting",
            )
        for clause in rng.sample(ind["praise"], 4):
            text = rng.choice(PRAISE).format(c=clause, b=rng.choice(ind["brands"]))
            reg = rng.choice(("tweet", "review", "survey", "nps"))
            add(
                render(text, reg, "positive", "praise", ind, rng),
                "positive",
                "praise",
                name,
                reg,
                "praise_frame",
            )
        for thing in rng.sample(ind["things"], 2):
            text = rng.choice(RESOLVED).format(t=thing, b=rng.choice(ind["brands"]))
            reg = rng.choice(("tweet", "review", "survey", "nps"))
            add(
                render(text, reg, "positive", "praise", ind, rng),
                "positive",
                "praise",
                name,
                reg,
                "resolved",
            )
        for _ in range(2):
            good = rng.choice(ind["praise"])
            req = rng.choice(ind["requests"])
            text = rng.choice(POSITIVE_REQUEST).format(g=good, r=req)
            reg = rng.choice(("tweet", "review", "survey"))
            add(
                render(text, reg, "positive", "request", ind, rng),
                "positive",
                "request",
                name,
                reg,
                "praise_request",
            )
    names = list(INDUSTRIES)
    for (pol, intent), texts in SHORT.items():
        for text in texts:
            add(text, pol, intent, "short", "short", "short")
            ind = INDUSTRIES[rng.choice(names)]
            add(f"@{rng.choice(ind['handles'])} {text}", pol, intent, "short", "tweet", "short")
    luke = random.Random(15)
    for name, ind in INDUSTRIES.items():
        for frame in luke.sample(LUKEWARM, 6):
            reg = luke.choice(REGISTERS)
            text = render(
                frame.format(t=luke.choice(ind["things"])), reg, "neutral", "other", ind, luke
            )
            add(text, "neutral", "other", name, reg, "lukewarm")
        for frame in luke.sample(LUKEWARM_MIXED, 3):
            lukewarm = luke.choice(LUKEWARM[:6]).format(t=luke.choice(ind["things"]))
            problem = luke.choice(ind["implicit"] + ind["explicit"])
            reg = luke.choice(("review", "survey", "nps", "tweet"))
            clause = frame.format(l=lukewarm, p=problem)
            text = render(clause, reg, "negative", "complaint", ind, luke)
            add(text, "negative", "complaint", name, reg, "lukewarm_mixed")
    for text in LUKEWARM_SHORT:
        add(text, "neutral", "other", "short", "short", "lukewarm")
        ind = INDUSTRIES[luke.choice(names)]
        add(
            f"@{luke.choice(ind['handles'])} {text}",
            "neutral",
            "other",
            "short",
            "tweet",
            "lukewarm",
        )
    return rows


def main() -> None:
    rows = build()
    with OUT.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} texts to {OUT}")


if __name__ == "__main__":
    main()
