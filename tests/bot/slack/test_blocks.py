"""Block Kit rendering: Slack's limits and the escaping of customer text."""

from __future__ import annotations

import json

from bot.citations import Answer, Citation
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_SECTION,
    answer_blocks,
    escape,
    evidence_blocks,
    safe_url,
    sections,
)


def citation(n: int, text: str = "It was late.", url: str | None = None) -> Citation:
    return Citation(
        n=n,
        id=f"survey.csv:R{n}",
        kind="verbatim",
        source="survey.csv",
        text=text,
        segment="North, app",
        date="2026-10-01",
        score=0.1,
        location=f"row {n + 1}",
        url=url,
    )


def answer(text: str, citations: list[Citation]) -> Answer:
    return Answer(
        question="What do North customers complain about?",
        answer=text,
        citations=citations,
        filters={},
        timings_ms={},
        freshness="Data indexed today.",
    )


def test_escape_neutralises_mentions_broadcasts_and_links() -> None:
    out = escape("<!channel> <!here|here> <@U123> <#C1> <http://evil|click> & @everyone hi")
    assert "<" not in out and ">" not in out
    assert out.startswith("&lt;!channel&gt; &lt;!here|here&gt; &lt;@\u2060U123&gt;")
    assert "&amp; @\u2060everyone" in out
    assert escape("&lt;") == "&amp;lt;"  # an entity in the data stays literal text


def test_urls_must_be_http_and_cannot_break_out_of_the_link() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("slack://open") is None
    assert safe_url("https://x.test/a?b=1&c=2") == "https://x.test/a?b=1&amp;c=2"
    assert safe_url("https://x.test/a|<!channel>") == "https://x.test/a%7C%3C!channel%3E"


def test_long_answers_stay_within_slack_limits() -> None:
    long_line = "word " * 1000  # one 5,000-character line
    text = "\n".join(["Summary line."] + [f"- item {i}: " + "x" * 200 for i in range(60)])
    cits = [citation(i, "very long verbatim " * 100) for i in range(1, 80)]
    blocks, fallback = answer_blocks(answer(text + "\n" + long_line, cits), "id1", page=80)
    assert len(blocks) <= MAX_BLOCKS
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= MAX_SECTION
    assert blocks[-1]["type"] == "actions"  # the buttons survive the cut
    assert "left out to fit" in json.dumps(blocks)
    assert len(fallback) <= 300
    # whole citations are dropped: never a quote without its source line
    ids = [b.get("block_id", "") for b in blocks]
    for i, bid in enumerate(ids):
        if bid.startswith("cite-"):
            assert blocks[i + 1]["type"] == "context"


def test_sections_split_on_lines() -> None:
    text = "\n".join("y" * 900 for _ in range(7))
    parts = sections(text)
    assert len(parts) == 3 and all(len(p.text.text) <= MAX_SECTION for p in parts)  # type: ignore[attr-defined]


def test_citations_are_quoted_trimmed_with_source_and_link() -> None:
    c = citation(1, "Late " * 200, url="https://reviews.test/r/1")
    blocks, _ = answer_blocks(answer("Late deliveries [1].", [c]), "id1")
    quote = next(b for b in blocks if b.get("block_id") == "cite-1-survey.csv:R1")
    assert quote["text"]["text"].startswith("*[1]* “Late Late")
    assert quote["text"]["text"].endswith("…”") and len(quote["text"]["text"]) < 450
    meta = blocks[blocks.index(quote) + 1]["elements"][0]["text"]
    assert (
        meta
        == "North, app · 2026-10-01 · survey.csv row 2 · <https://reviews.test/r/1|open source>"
    )


def test_more_evidence_page_and_empty_page() -> None:
    blocks, text = evidence_blocks("q?", [citation(6), citation(7)], "id1", more=False)
    assert "sources 6-7" in text
    assert [b["block_id"] for b in blocks if b.get("block_id", "").startswith("cite-")] == [
        "cite-6-survey.csv:R6",
        "cite-7-survey.csv:R7",
    ]
    actions = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["cx_vote_up", "cx_vote_down"]  # no "More evidence" button left
    empty, _ = evidence_blocks("q?", [], "id1", more=False)
    assert "No more evidence" in json.dumps(empty)
