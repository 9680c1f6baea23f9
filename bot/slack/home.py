"""The App Home tab: where things stand, per user, with a button that opens each full answer.

Published with views.publish when a user opens the tab (app_home_opened) and again for the
people who opened it lately after each re-index, so it never shows figures of an older index
for long. The figures are `bot.slack.highlights` (the same analyses as the answers); a button
posts the cited answer to the user's DM, where its thread takes follow-ups.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.slack import blocks as bk
from bot.slack.highlights import Highlight, Highlights
from bot.slack.reindex import fmt_time

HOME_ASK_ACTION = "cx_home_ask"
MAX_BLOCKS = 100  # Slack's limit for a Home view
MAX_VALUE = 2000  # a button's value


def _line(h: Highlight, block_id: str) -> Block:
    """A highlight with its "Full answer" button; the button's value is the question."""
    return SectionBlock(
        block_id=block_id[:255],
        text=MarkdownTextObject(text=bk.cap(bk.escape(h.text))),
        accessory=ButtonElement(
            text=PlainTextObject(text="Full answer"),
            action_id=HOME_ASK_ACTION,
            value=h.question[:MAX_VALUE],
        ),
    )


def _part(title: str, items: list[Highlight], empty: str, key: str) -> list[Block]:
    out: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{bk.escape(title)}*"), block_id=f"h-{key}")
    ]
    if not items:
        out.append(ContextBlock(elements=[MarkdownTextObject(text=bk.escape(empty))]))
    seen: set[str] = set()
    for i, h in enumerate(items):
        if h.text in seen:
            continue
        seen.add(h.text)
        out.append(_line(h, f"h-{key}-{i}"))
    return out


def home_view(
    h: Highlights,
    user: str,
    running: str | None = None,
    extra: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The Home view for one user: greeting, freshness, gaps, drivers, rising themes,
    segments, then ``extra`` blocks (e.g. the user's watches)."""
    when = fmt_time(h.last_indexed) if h.last_indexed else "never"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="cxbot: where things stand")),
        SectionBlock(
            block_id="h-hello",
            text=MarkdownTextObject(
                text=f"Hi <@{user}>. What customers say against the internal metrics, counted "
                "over every indexed record. *Full answer* posts the cited answer in our DM."
            ),
        ),
        ContextBlock(
            block_id="h-fresh",
            elements=[
                MarkdownTextObject(
                    text=bk.cap(
                        f"{bk.escape(h.freshness)} Last re-index: {bk.escape(when)}."
                        + (f" Re-index running, {running}." if running else "")
                    )
                )
            ],
        ),
        DividerBlock(),
    ]
    blocks += _part(
        "Top perception gaps (the metric looks good, customers complain more)",
        h.gaps,
        "No perception gaps: where metrics look good, customers do not complain more.",
        "gaps",
    )
    if h.drivers or h.drivers_note:
        blocks.append(DividerBlock())
        blocks += _part(
            f"What costs the score most ({h.drivers_note})" if h.drivers else "Key drivers",
            h.drivers,
            h.drivers_note,
            "drivers",
        )
    blocks.append(DividerBlock())
    blocks += _part(
        f"Rising themes ({h.rising_note})" if h.rising_note else "Rising themes",
        h.rising,
        "Nothing is rising beyond noise.",
        "rising",
    )
    if h.segments:
        blocks.append(DividerBlock())
        blocks += _part("Most negative segments", h.segments, "", "segments")
    for p in h.problems[:3]:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Note: {bk.escape(p)}")]))
    out = [b.to_dict() for b in blocks]
    room = MAX_BLOCKS - len(out)
    out += (extra or [])[:room]
    return {"type": "home", "blocks": out[:MAX_BLOCKS]}


def error_view(user: str, message: str) -> dict[str, Any]:
    """What the tab shows when the figures cannot be computed (a reference, not a blank)."""
    return {
        "type": "home",
        "blocks": bk.message_blocks(f"Hi <@{user}>. :warning: {bk.escape(message)}"),
    }
