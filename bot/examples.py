"""The bundled example data set for `make demo`. Entirely FICTIONAL: Larkspur Home is a made-up
retailer; every comment and figure below is generated here from templates with a fixed seed."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

REGIONS = {
    # region: (responses, share complaining about lateness, on-time % Sep, on-time % Oct)
    "North": (300, 0.34, 97.6, 97.9),
    "South": (260, 0.22, 91.2, 90.8),
    "East": (240, 0.08, 95.1, 95.4),
    "West": (220, 0.09, 94.0, 94.3),
    "Islands": (12, 0.10, 99.1, 99.0),
}
DAMAGE = {"North": 0.04, "South": 0.04, "East": 0.04, "West": 0.2, "Islands": 0.0}
DAMAGED_PCT = {"North": 1.1, "South": 1.3, "East": 1.2, "West": 0.6, "Islands": 0.9}
# the NPS the KPI export reports for October (a post-delivery SMS poll, not this survey): North
# and West well above what their own survey respondents give, South and East in line with it
INTERNAL_NPS = {"North": 32, "South": -4, "East": 2, "West": 18, "Islands": 40}

LATE = [
    "My order arrived {n} days late and nobody told me why.",
    "Delivery was late again. The tracking said out for delivery for three days.",
    "Still waiting for my sofa, it was due last week.",
    "The courier missed the delivery window twice, I took a day off for nothing.",
    "Late delivery ruined the birthday present I ordered.",
    "Parcel showed up a week after the promised date.",
    "Delivery slot was 8-12, it came at 6pm. Always late.",
    "Order delayed with no explanation, very frustrating.",
]
DAMAGED = [
    "The lamp arrived broken, the box was crushed.",
    "Two of the six plates were cracked when they arrived.",
    "The table came damaged, scratches all over the top.",
    "Package arrived torn open and one item was missing.",
]
SUPPORT = [
    "I was on hold for {n} minutes before anyone answered.",
    "Emailed support twice, no response after a week. Reach me at {email}.",
    "Customer service took forever to call me back, my number is {phone}.",
    "Nobody answers the phone when you need help.",
]
BILLING = [
    "I was charged twice for the same order and still wait for the refund.",
    "Hidden delivery fee at checkout, not happy.",
    "Refund took a month to arrive.",
]
STAFF = [
    "The delivery driver was rude and left the box in the rain.",
    "Store staff were dismissive when I asked about my order.",
]
QUALITY = [
    "The cushions look cheap, poor quality material.",
    "The chair wobbles, quality is not what it used to be.",
]
PRAISE = [
    "Great prices and the checkout was easy.",
    "Delivered on time and the driver was lovely, thank you!",
    "Love the new collection, very happy with my purchase.",
    "Fast delivery, well packed, will order again.",
    "Excellent service from the team in store.",
    "Everything arrived on time and in perfect condition.",
]
NEUTRAL = [
    "Ordered a rug, it is fine.",
    "Average experience, nothing special.",
    "Bought some towels for the guest room.",
]


def _comment(rng: random.Random, region: str) -> tuple[str, int]:
    _, late_share, _, _ = REGIONS[region]
    r = rng.random()
    if r < late_share:
        return rng.choice(LATE), rng.randint(0, 6)
    r -= late_share
    if r < DAMAGE[region]:
        return rng.choice(DAMAGED), rng.randint(0, 5)
    r -= DAMAGE[region]
    for pool, p, lo, hi in (
        (SUPPORT, 0.08, 0, 6),
        (BILLING, 0.05, 1, 6),
        (STAFF, 0.04, 0, 5),
        (QUALITY, 0.05, 2, 7),
        (NEUTRAL, 0.12, 6, 8),
    ):
        if r < p:
            return rng.choice(pool), rng.randint(lo, hi)
        r -= p
    return rng.choice(PRAISE), rng.randint(8, 10)


def write_examples(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20260927)
    start = datetime(2026, 9, 1, 8, 0)
    survey = out_dir / "survey_responses.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["response_id", "submitted_at", "region", "channel", "nps", "comment"])
        rid = 1000
        for region, (count, *_rest) in REGIONS.items():
            for _ in range(count):
                rid += 1
                text, nps = _comment(rng, region)
                text = text.format(
                    n=rng.randint(2, 9) if "days" in text else rng.randint(25, 90),
                    email=f"customer{rid}@example.com",
                    phone=f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                )
                when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 60))
                w.writerow(
                    [
                        f"R{rid}",
                        when.strftime("%Y-%m-%d %H:%M"),
                        region,
                        rng.choice(["web", "app", "store"]),
                        nps,
                        text,
                    ]
                )
    kpis = out_dir / "delivery_kpis.csv"
    with kpis.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["metric", "value", "unit", "period", "segment", "target"])
        for region, (_, _, sep, oct_) in REGIONS.items():
            w.writerow(["On-time delivery", sep, "%", "2026-09", region, 95])
            w.writerow(["On-time delivery", oct_, "%", "2026-10", region, 95])
        for region, pct in DAMAGED_PCT.items():
            w.writerow(["Damaged items rate", pct, "%", "2026-09", region, 1.5])
        for region, nps in INTERNAL_NPS.items():
            w.writerow(["NPS", nps, "", "2026-10", region, 20])
    report = out_dir / "ops_review_q3.md"
    report.write_text(
        "# Larkspur Home - Operations review, Q3 2026 (FICTIONAL example data)\n\n"
        "Larkspur Home is a made-up retailer. This report exists to demo cxbot.\n\n"
        "## Delivery\n\n"
        "On-time delivery was 95.6% in October 2026 (target 95%), up from 95.1% in September.\n"
        "In the North region, on-time delivery was 97.9% in October 2026, "
        "against a target of 95%.\n"
        "Damaged items stood at 1.0% of orders in September 2026 (target 1.5%).\n\n"
        "## Customers\n\n"
        "Net Promoter Score was 24 in October 2026 (target 20).\n\n"
        "## Customer support\n\n"
        "First-contact resolution reached 81% for Q3 2026 (target 80%).\n"
        "Average support wait time: 4.2 minutes in October 2026 (target: under 5 minutes).\n",
        encoding="utf-8",
    )
    sources = out_dir / "sources.yaml"
    sources.write_text(
        "# Sources for the FICTIONAL Larkspur Home demo. Paths are relative to this file.\n"
        "sources:\n"
        "  - kind: survey\n"
        "    path: survey_responses.csv\n"
        "    columns: {id: response_id, text: comment, date: submitted_at, score: nps,\n"
        "              segments: [region, channel]}\n"
        "  - kind: metrics\n"
        "    path: delivery_kpis.csv\n"
        "  - kind: metrics\n"
        "    path: ops_review_q3.md\n"
        "metric_directions: {}\n"
        "aliases: {}\n",
        encoding="utf-8",
    )
    readme = out_dir / "README.md"
    readme.write_text(
        "# Example data (FICTIONAL)\n\n"
        "Everything in this folder is made up: *Larkspur Home* is not a real company, and the "
        "survey comments, NPS scores and KPIs were generated by `cxbot examples` "
        "(`bot/examples.py`, fixed seed) for `make demo`. Some comments contain fake e-mail "
        "addresses and phone numbers on purpose, to show that cxbot redacts them before "
        "storing anything.\n\n"
        "- `survey_responses.csv`: 1,032 survey answers (Sep-Oct 2026) with region, channel, NPS.\n"
        "- `delivery_kpis.csv`: the internal KPI export in long form (metric, value, unit, "
        "period, segment, target), with an internal NPS per region that disagrees with the "
        "survey's own for North and West.\n"
        "- `ops_review_q3.md`: a narrative operations report; cxbot reads its figures.\n"
        "- `sources.yaml`: what `cxbot ingest --config examples/sources.yaml` loads.\n",
        encoding="utf-8",
    )
    return [survey, kpis, report, sources, readme]
