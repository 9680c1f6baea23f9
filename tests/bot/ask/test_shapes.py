"""The answer shapes leaders ask for (issue 16), on the demo data: each figure recounted here
from the corpus arrays, independently of the code that wrote the answer."""

from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pytest

from bot.ask.understand import understand
from bot.engine import Engine
from bot.filters import Filters
from ingest.catalog import Catalog
from ingest.config import Settings


def items(answer: str) -> list[str]:
    return [ln for ln in answer.splitlines() if ln.startswith("- ")]


def verbatims(engine: Engine, **segments: str) -> np.ndarray:
    c = engine.corpus()
    m = c.kind == "verbatim"
    for key, value in segments.items():
        m &= c.segments[key] == value
    return m


def test_top_n_gives_that_many_lines_each_cited(demo_engine: Engine) -> None:
    a = demo_engine.ask("What are the top 2 complaints in the North?")
    assert a.extra["intent"] == "rank" and a.extra["query"]["top_n"] == 2
    lines = items(a.answer)
    assert len(lines) == 2
    assert all(re.search(r"\[\d+\]", ln) for ln in lines)
    c = demo_engine.corpus()
    north = verbatims(demo_engine, region="North")
    counts = sorted(((int((north & m).sum()), t) for t, m in c.complaints.items()), reverse=True)
    k, theme = counts[0]
    assert lines[0].startswith(f"- {demo_engine.label(theme)}: {k:,} ")
    assert "Answered as: top 2, most raised complaints; region North." in a.answer


def test_compare_puts_two_regions_side_by_side_with_noise(demo_engine: Engine) -> None:
    a = demo_engine.ask("How does North compare with South on complaints?")
    assert a.extra["intent"] == "compare"
    assert a.extra["query"]["compare"]["values"] == ["North", "South"]
    assert a.filters["segments"] == {}  # counted per value, not pooled
    c = demo_engine.corpus()
    neg = c.polarity < 0
    north, south = verbatims(demo_engine, region="North"), verbatims(demo_engine, region="South")
    kn, nn = int((north & neg).sum()), int(north.sum())
    ks, ns = int((south & neg).sum()), int(south.sum())
    line = next(ln for ln in items(a.answer) if ln.startswith("- Negative:"))
    assert f"North {100 * kn / nn:.1f}% ({kn:,}/{nn:,})" in line
    assert f"South {100 * ks / ns:.1f}% ({ks:,}/{ns:,})" in line
    assert re.search(r"(beyond|within) noise", line)
    assert len(items(a.answer)) >= 3  # the negative share and themes, each side by side
    cited = {cit.n: cit for cit in a.citations}
    for ln in items(a.answer):
        north_refs = re.findall(r"North [^\[]*((?:\[\d+\])+)", ln)
        for group in north_refs[:1]:
            for n in re.findall(r"\d+", group):
                assert cited[int(n)].segment.startswith("North")


def test_one_segment_against_the_rest(demo_engine: Engine) -> None:
    a = demo_engine.ask("How does the North compare with the rest?")
    assert a.extra["intent"] == "compare"
    assert "North vs all other region values" in a.answer.splitlines()[0]


def test_trend_compares_the_last_7_days_with_the_7_before(demo_engine: Engine) -> None:
    a = demo_engine.ask("Is anything getting worse?")
    assert a.extra["intent"] == "trend"
    c = demo_engine.corpus()
    _, last = c.date_range(c.kind == "verbatim")
    assert last is not None
    now = c.day_mask(last - timedelta(days=6), last) & (c.kind == "verbatim")
    before = c.day_mask(last - timedelta(days=13), last - timedelta(days=7)) & (
        c.kind == "verbatim"
    )
    neg = c.polarity < 0
    head = a.answer.splitlines()[0]
    assert f"{int(now.sum()):,} vs {int(before.sum()):,} verbatims" in head
    line = next(ln for ln in items(a.answer) if ln.startswith("- Negative:"))
    assert f"({int((now & neg).sum()):,}) vs" in line and re.search(r"\[\d+\]", line)


def test_trend_on_a_named_theme_reports_it_even_within_noise(demo_engine: Engine) -> None:
    a = demo_engine.ask("Are refund complaints rising?")
    assert a.extra["intent"] == "trend"
    assert any(ln.startswith("- Billing, fees and refunds:") for ln in items(a.answer))


def test_praise_names_what_positive_verbatims_talk_about(demo_engine: Engine) -> None:
    """Not the complaint-shaped themes ("Lost or damaged items" for "well packed"): topics
    named from the positive verbatims' own words, each counted and quoted."""
    a = demo_engine.ask("What do app customers like about us?")
    assert a.extra["intent"] == "praise" and a.filters["sentiment"] == "positive"
    c = demo_engine.corpus()
    app = verbatims(demo_engine, channel="app")
    pos = app & (c.polarity > 0)
    assert a.answer.startswith(f"{int(pos.sum()):,} of {int(app.sum()):,} app verbatims")
    quoted = [cit for cit in a.citations if cit.kind == "verbatim"]
    assert quoted and all(c.polarity[c.index[cit.id]] > 0 for cit in quoted)
    lines = items(a.answer)
    assert len(lines) >= 2
    labels = {demo_engine.label(t) for t in c.themes}
    counts = []
    for ln in lines:
        label, rest = ln[2:].split(": ", 1)
        assert label not in labels  # a complaint theme is not what they praise
        counts.append(int(rest.split()[0].replace(",", "")))
        quotes = [a.citations[int(n) - 1].text.lower() for n in re.findall(r"\[(\d+)\]", ln)]
        assert quotes and any(label.split()[-1].lower() in q for q in quotes), ln
    assert counts == sorted(counts, reverse=True) and sum(counts) <= int(pos.sum())


def test_every_quote_beside_a_praise_topic_uses_its_name(demo_engine: Engine) -> None:
    """A second quote that does not say "team" beside "Team" reads as evidence for it."""
    for q in ("What do app customers like about us?", "What do store customers appreciate?",
              "What are we doing well in the North?"):  # fmt: skip
        a = demo_engine.ask(q)
        for ln in items(a.answer):
            label = ln[2:].split(": ", 1)[0].lower()
            for n in re.findall(r"\[(\d+)\]", ln):
                quote = a.citations[int(n) - 1].text.lower()
                assert all(re.search(rf"\b{w}", quote) for w in label.split()), (q, ln, quote)


def test_which_region_ranks_segments_by_share(demo_engine: Engine) -> None:
    a = demo_engine.ask("Which region complains most about late deliveries?")
    assert a.extra["query"]["rank_by"] == "region"
    c = demo_engine.corpus()
    shares = []
    for region in ("North", "South", "East", "West"):
        m = verbatims(demo_engine, region=region)
        shares.append((int((m & c.complaints["lateness"]).sum()) / int(m.sum()), region))
    order = [r for _, r in sorted(shares, reverse=True)]
    got = [ln[2:].split(":")[0] for ln in items(a.answer)]
    assert got == order
    assert "Islands" in a.answer.splitlines()[-3]  # too few to rank, and said so
    # each line's quote is one of the complaints that line counts: its region's late ones
    by_id = {str(i): n for n, i in enumerate(c.ids)}
    for line in items(a.answer):
        region = line[2:].split(":")[0]
        for n in re.findall(r"\[(\d+)\]", line):
            i = by_id[a.citations[int(n) - 1].id]
            assert c.complaints["lateness"][i] and c.segments["region"][i] == region, line


def test_a_segment_ranking_about_words_no_theme_holds_counts_those_complaints(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    """'Which region has the most complaints about the courier?': no theme is the courier, so
    the regions are ranked by their complaints that say so, not by every complaint."""
    a = demo_engine.ask("Which region has the most complaints about the courier?")
    assert a.extra["query"]["rank_by"] == "region" and a.extra["query"]["terms"] == ["courier"]
    assert a.answer.startswith("Complaints using the words 'courier' by region")
    cat = Catalog(demo_settings.catalog_path)
    try:
        rows = list(cat.rows("WHERE kind='verbatim'"))
    finally:
        cat.close()
    says = [r for r in rows if r["complaints"] and re.search(r"\bcouriers?\b", r["text"], re.I)]
    for line in items(a.answer):
        region, k, n = re.match(r"- (\w+): [\d.]+% \((\d+) of (\d+)\)", line).groups()  # type: ignore[union-attr]
        assert int(k) == sum(r["segments"]["region"] == region for r in says), line
        assert int(n) == sum(r["segments"]["region"] == region for r in rows), line
    quoted = {c.id: c for c in a.citations}
    assert quoted and all("courier" in c.text.lower() for c in quoted.values())
    first = items(a.answer)[0]
    assert quoted[a.citations[0].id].segment.startswith(first[2:].split(":")[0])


def test_driver_question_goes_to_the_drivers(demo_engine: Engine) -> None:
    a = demo_engine.ask("What hurts our NPS most?")
    assert a.extra["intent"] == "drivers"
    assert "drivers" in a.extra and "NPS" in a.answer


def test_a_follow_up_keeps_the_shape_and_changes_the_scope(demo_engine: Engine) -> None:
    first = demo_engine.ask("Top 3 complaints in the North?")
    base = Filters(segments=first.filters["segments"], intent=first.extra["intent"])
    a = demo_engine.ask("And for the South?", base=base)
    assert a.extra["intent"] == "rank" and a.filters["segments"] == {"region": ["South"]}
    assert "kept from the question this replies to" in a.answer
    b = demo_engine.ask("What changed?", base=base)  # its own shape wins
    assert b.extra["intent"] == "trend"


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("What do customers complain about most?", "rank"),
        ("Give me the 4 biggest complaints from customers", "rank"),
        ("Compare app and web customers", "compare"),
        ("Is the East doing better than the West?", "compare"),
        ("What changed in the last few days?", "trend"),
        ("Has the North improved lately?", "trend"),
        ("What do customers love?", "praise"),
        ("Why is NPS low in the North?", "drivers"),
        ("Which themes drag our score down?", "drivers"),
        ("How many customers are unhappy?", "share"),
        ("How many customers mention late deliveries?", "count"),
        ("Show me examples of damaged parcels", "examples"),
        ("Where do customers disagree with our delivery stats?", "gap"),
        ("Do our KPIs match what customers tell us?", "gap"),
        # wordings beyond the keyword lists above: contrast, portion, raving, lifting, pulling up
        ("Does the ops dashboard tell the same story as our customers?", "gap"),
        ("Our delivery figures look great, but what do customers think?", "gap"),
        ("What portion of web customers are negative?", "share"),
        ("What are customers happiest with in the West?", "praise"),
        ("Which fixes would lift our NPS the most?", "drivers"),
        ("Pull up a few comments where the driver was rude", "examples"),
        ("How often do customers bring up the sofa?", "count"),
    ],
)
def test_intents(demo_engine: Engine, question: str, intent: str) -> None:
    qvec = demo_engine.embed_query(question)
    u = understand(question, demo_engine.corpus(), qvec, demo_engine.assigner)
    assert u.intent == intent, u.query()


def test_ranking_question_is_not_read_as_one_theme(demo_engine: Engine) -> None:
    a = demo_engine.ask("Give me the 4 biggest complaints from customers")
    assert a.filters["themes"] == [] and len(items(a.answer)) == 4


def test_a_count_of_mentions_when_no_theme_fits(demo_engine: Engine) -> None:
    """'How often ... mention X' with no theme for X counts the verbatims using the word,
    recounted here from the stored texts."""
    import sqlite3

    a = demo_engine.ask("How often do customers in the North bring up the sofa?")
    assert a.extra["intent"] == "count" and a.extra["query"]["terms"] == ["sofa"]
    db = sqlite3.connect(demo_engine.settings.generation().catalog_path)
    rows = db.execute("SELECT text, segments FROM records WHERE kind='verbatim'").fetchall()
    north = [t for t, seg in rows if '"North"' in seg]
    k = sum(bool(re.search(r"\bsofas?\b", t, re.I)) for t in north)
    assert k > 0
    first = a.answer.splitlines()[0]
    assert first.startswith(f"'sofa': {k:,} of {len(north):,} ")
    assert re.search(r"\[\d+\]", first)
    assert all("sofa" in c.text.lower() for c in a.citations)
    assert "verbatims using the words 'sofa'" in a.answer
    none = demo_engine.ask("How often do customers mention zeppelins?")
    assert none.extra["intent"] == "count" and not none.enough_evidence
    assert "None of the" in none.answer
    # asking and sign-off words are not looked for: "ask sofa" would find nothing
    polite = demo_engine.ask("How often do North customers ask about the sofa? thx")
    assert polite.extra["query"]["terms"] == ["sofa"]
    assert polite.answer.splitlines()[0].startswith(f"'sofa': {k:,} of {len(north):,} ")


def test_a_request_for_quotes_from_a_segment_samples_that_segment(demo_engine: Engine) -> None:
    """No topic, only a scope: its verbatims, not 'nothing is close to this question'."""
    a = demo_engine.ask("pull some verbatims from the Islands customers, I've never read any")
    assert a.enough_evidence and a.extra["intent"] == "examples"
    n = int(verbatims(demo_engine, region="Islands").sum())
    assert a.answer.splitlines()[0].startswith(f"Across {n:,} Islands verbatims, ")
    assert "Closest matches: [1]" in a.answer.splitlines()[0]
    assert len(a.citations) >= 3
    assert all(c.segment.startswith("Islands") for c in a.citations)
