"""Block Kit rendering for Slack: answers, gap tables, citations, status and help.

Everything stays inside Slack's limits (3,000 characters per section, 50 blocks per message),
and all text that comes from data (verbatims, segment and file names) goes through `escape`,
so a customer comment can never ping @channel, mention a user or disguise a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.analysis.drivers import UNIT, fmt_delta
from bot.citations import Answer, Citation

MAX_SECTION = 3000
MAX_BLOCKS = 50
MAX_FALLBACK = 300
QUOTE_CHARS = 400
PAGE = 5
METHOD_PREFIX = "Counts cover every matching record"
MORE_ACTION = "cx_more"
VOTE_UP_ACTION = "cx_vote_up"
VOTE_DOWN_ACTION = "cx_vote_down"

_AT_WORD = re.compile(r"@(?=[\w.-])")
_GAP_LINE = re.compile(r"^\d+\. ")


def escape(text: object) -> str:
    """Slack mrkdwn escaping (&, <, >) plus a word joiner after every '@'.

    Escaping the angle brackets turns `<!channel>`, `<@U123>` and `<http://x|label>` into
    literal text; the word joiner keeps a plain "@here" from ever being parsed as a mention,
    even by a client that sets link_names. It is invisible when displayed.
    """
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _AT_WORD.sub("@\u2060", s)


def trim(text: str, limit: int = QUOTE_CHARS) -> str:
    """Whitespace collapsed, cut at a word boundary with an ellipsis."""
    s = " ".join(str(text).split())
    if len(s) <= limit:
        return s
    cut = s[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL made safe for Slack's <url|label> syntax, or None."""
    if not url:
        return None
    u = urlsplit(url.strip())
    if u.scheme.lower() not in ("http", "https") or not u.netloc:
        return None
    quoted = quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~-._")  # '|', '<', '>', ' ' encoded
    return quoted.replace("&", "&amp;")


def cap(text: str, limit: int = MAX_SECTION) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sections(text: str, block_id: str | None = None) -> list[Block]:
    """Split mrkdwn text on line boundaries into sections of at most 3,000 characters."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines():
        line = cap(line)
        if current and len(current) + 1 + len(line) > MAX_SECTION:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    out: list[Block] = []
    for i, chunk in enumerate(chunks):
        bid = f"{block_id}-{i}" if block_id else None
        out.append(SectionBlock(text=MarkdownTextObject(text=chunk), block_id=bid))
    return out


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=cap(text))])


def citation_meta(c: Citation) -> str:
    parts = [c.segment, c.date or "", f"{c.source} {c.location}".strip()]
    meta = " · ".join(escape(p) for p in parts if p)
    url = safe_url(c.url)
    if url:
        meta += f" · <{url}|open source>"
    return meta


def citation_blocks(c: Citation) -> list[Block]:
    """`[n] "quote"` plus a small line with segment, date, source (and a link).

    The block_id carries the record id, so a reader (or a test) can trace the citation
    back to the stored record without showing ids to people.
    """
    label = "Report line: " if c.kind == "metric" else ""
    text = f"*[{c.n}]* {label}“{escape(trim(c.text))}”"
    return [
        SectionBlock(text=MarkdownTextObject(text=cap(text)), block_id=f"cite-{c.n}-{c.id}"[:255]),
        context(citation_meta(c)),
    ]


def summary_text(answer: Answer) -> tuple[str, str, str | None]:
    """The answer lines as mrkdwn (escaped): those before the gap table, those after it, and
    the method line for the footer. The numbered gap sentences are left to the table."""
    before: list[str] = []
    after: list[str] = []
    method = None
    seen_gap = False
    for line in answer.answer.splitlines():
        if line.startswith(METHOD_PREFIX):
            method = line
            continue
        if answer.gaps and _GAP_LINE.match(line):
            seen_gap = True
            continue
        line = line.replace("`cxbot gaps`", "`/cx gaps`")
        if line.startswith("- "):
            line = "• " + line[2:]
        (after if seen_gap else before).append(escape(line))
    return "\n".join(before), "\n".join(after), method


def _num(value: float) -> str:
    return f"{value:g}"


def customer_view(g: dict[str, Any]) -> tuple[str, str]:
    """The customer side of a gap and the same figure for the other segments.

    The gap analysis compares the linked theme's share of each segment's complaints; older
    reports (no complaint mix) compare its share of all verbatims.
    """
    if g.get("n_complaining") is not None and g.get("share_of_complaints") is not None:
        view = (
            f"{100 * g['share_of_complaints']:.1f}% of {g['n_complaining']:,} complaining "
            f"(CI {100 * g.get('complaints_ci_low', 0):.0f}-"
            f"{100 * g.get('complaints_ci_high', 1):.0f}%)"
        )
        return view, f"{100 * g.get('rest_share_of_complaints', 0.0):.1f}%"
    view = (
        f"{100 * g['customer_share']:.1f}% of {g['n']:,} "
        f"(CI {100 * g['ci_low']:.0f}-{100 * g['ci_high']:.0f}%)"
    )
    return view, f"{100 * g.get('rest_share', 0.0):.1f}%"


def gap_table(gaps: list[dict[str, Any]], rows: int = 8) -> str:
    """A compact fixed-width table: segment, internal metric, customer view with n."""
    header = ("Segment", "Internal metric", "Customers: theme share", "Elsewhere", "Sig.", "Src")
    table = [header]
    for g in gaps[:rows]:
        unit = g.get("unit") or ""
        value = _num(g["metric_value"]) + (unit if unit == "%" else f" {unit}" if unit else "")
        rank = (
            f" #{g['metric_rank']}/{g['segments_compared']}" if g.get("segments_compared") else ""
        )
        period = f" ({g['period']})" if g.get("period") else ""
        view, rest = customer_view(g)
        table.append(
            (
                str(g["segment"]),
                f"{g['metric']} {value}{rank}{period}",
                view,
                rest,
                "yes" if g.get("significant") else "no",
                "".join(f"[{c['n']}]" for c in g.get("citations", [])),
            )
        )
    cells = [[trim(c, 48).replace("`", "'") for c in row] for row in table]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "```\n" + escape("\n".join(lines)) + "\n```"


def drivers_table(report: dict[str, Any], rows: int = 8) -> str | None:
    """The fix-first drivers as a fixed-width table: rank, theme, volume, impact with its
    interval, the controlled estimate and the sources; None when no theme is fix-first."""
    fix = sorted(
        (d for d in report.get("drivers") or [] if d.get("fix_first")),
        key=lambda d: d["fix_first"],
    )
    if not fix:
        return None
    kind = report.get("kind", "nps")

    def delta(v: float | None) -> str:
        return "n/a" if v is None else fmt_delta(kind, v)

    header = ("#", "Theme", "Volume", "Impact (95% CI)", "Controlled (95% CI)", "Src")
    table = [header]
    for d in fix[:rows]:
        table.append(
            (
                str(d["fix_first"]),
                str(d["label"]),
                f"{d['n']:,} ({100 * d['share']:.1f}%)",
                f"{delta(d['impact'])} ({delta(d['ci_low'])} to {delta(d['ci_high'])})",
                f"{delta(d.get('adjusted_impact'))} ({delta(d.get('adjusted_ci_low'))} to "
                f"{delta(d.get('adjusted_ci_high'))})",
                "".join(f"[{c['n']}]" for c in d.get("citations") or []),
            )
        )
    cells = [[trim(c, 40).replace("`", "'") for c in row] for row in table]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    unit = UNIT.get(kind, "points")
    more = f"\n{len(fix) - rows:,} more: `cxbot drivers` lists all." if len(fix) > rows else ""
    return (
        f"*Fix first* (impact on the {escape(report.get('label', 'score'))}, in {unit})\n"
        "```\n" + escape("\n".join(lines)) + "\n```" + more
    )


def vote_and_more(answer_id: str | None, more: bool) -> list[Block]:
    if not answer_id:
        return []
    buttons = []
    if more:
        buttons.append(
            ButtonElement(
                text=PlainTextObject(text="More evidence"),
                action_id=MORE_ACTION,
                value=answer_id,
            )
        )
    buttons += [
        ButtonElement(
            text=PlainTextObject(text=":thumbsup: Helpful", emoji=True),
            action_id=VOTE_UP_ACTION,
            value=answer_id,
        ),
        ButtonElement(
            text=PlainTextObject(text=":thumbsdown: Not helpful", emoji=True),
            action_id=VOTE_DOWN_ACTION,
            value=answer_id,
        ),
    ]
    return [ActionsBlock(elements=buttons, block_id=f"cx-actions-{answer_id}")]


def answer_blocks(
    answer: Answer,
    answer_id: str | None = None,
    asked_by: str | None = None,
    page: int = PAGE,
    more_available: bool = True,
    note: str | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """The answer as Block Kit blocks plus the plain notification text; ``note`` (mrkdwn,
    already escaped) is a context line under the question, e.g. why the scope was narrowed."""
    head: list[Block] = []
    if asked_by:
        head.append(context(f"<@{asked_by}> asked: _{escape(trim(answer.question, 300))}_"))
    if note:
        head.append(context(note))
    before, after, method = summary_text(answer)
    table = drivers_table(answer.extra["drivers"]) if answer.extra.get("drivers") else None
    if table:  # under the score line, above the sentences that detail each driver
        first, _, rest = before.partition("\n")
        head += sections(first, "summary")
        head += sections(table, "drivers")
        head += sections(rest, "summary-drivers")
    else:
        head += sections(before, "summary")
    if answer.gaps:
        # as many rows as the answer has gap sentences (it says how many more there are)
        told = sum(1 for line in answer.answer.splitlines() if _GAP_LINE.match(line))
        head += sections(gap_table(answer.gaps, rows=told or 8), "gaps")
    head += sections(after, "summary-more")
    head += [context(f":warning: {escape(c)}") for c in answer.caveats]
    shown = answer.citations[:page]
    body: list[Block] = []
    if shown:
        body.append(DividerBlock())
        for c in shown:
            body += citation_blocks(c)
    foot: list[Block] = []
    if len(answer.citations) > len(shown):
        foot.append(
            context(
                f"Showing sources 1-{len(shown)} of {len(answer.citations)}: "
                "*More evidence* shows the rest."
            )
        )
    footer = " ".join(x for x in (escape(answer.freshness), escape(method or "")) if x)
    if footer:
        foot.append(context(footer))
    more = len(answer.citations) > len(shown) or (more_available and bool(answer.citations))
    foot += vote_and_more(answer_id, more)
    blocks = fit(head, body, foot)
    first = answer.answer.splitlines()[0] if answer.answer else "Answer"
    return blocks, fallback_text(first)


def evidence_blocks(
    question: str, citations: list[Citation], answer_id: str, more: bool, note: str = ""
) -> tuple[list[dict[str, Any]], str]:
    """A follow-up page of citations for the "More evidence" button."""
    if not citations:
        return [context("No more evidence for this question.").to_dict()], "No more evidence."
    first, last = citations[0].n, citations[-1].n
    head: list[Block] = [
        context(f"More evidence for _{escape(trim(question, 200))}_ (sources {first}-{last})")
    ]
    if note:
        head.append(context(escape(note)))
    body: list[Block] = []
    for c in citations:
        body += citation_blocks(c)
    foot = vote_and_more(answer_id, more)
    return fit(head, body, foot), fallback_text(f"More evidence: sources {first}-{last}")


def fit(head: list[Block], body: list[Block], foot: list[Block]) -> list[dict[str, Any]]:
    """At most 50 blocks: the body (citations) is cut first, in whole citations."""
    room = MAX_BLOCKS - len(head) - len(foot)
    if len(body) > room:
        body = body[: max(0, room - 1)]
        if (
            body
            and isinstance(body[-1], SectionBlock)
            and str(body[-1].block_id).startswith("cite-")
        ):
            body = body[:-1]  # never a quote without its source line
        body.append(context("Some sources were left out to fit Slack's message size."))
    blocks = (head + body + foot)[:MAX_BLOCKS]
    return [b.to_dict() for b in blocks]


def fallback_text(text: str) -> str:
    """The plain text shown in notifications: escaped and short."""
    return escape(trim(text, MAX_FALLBACK))


def message_blocks(text: str, note: str | None = None) -> list[dict[str, Any]]:
    """A plain message (text already escaped where it holds data)."""
    blocks: list[Block] = sections(text)
    if note:
        blocks.append(context(note))
    return [b.to_dict() for b in blocks[:MAX_BLOCKS]]


def looking_blocks(question: str, asked_by: str | None = None) -> list[dict[str, Any]]:
    who = f"<@{asked_by}> asked: " if asked_by else ""
    return message_blocks(
        f"{who}_{escape(trim(question, 300))}_\n:hourglass_flowing_sand: Looking into it…"
    )


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"• {x}" for x in items)


def status_blocks(stats: dict[str, Any], running: str | None) -> list[dict[str, Any]]:
    """`/cx status`: index size, last re-index, sources, segments."""
    when = str(stats.get("last_indexed") or "never").replace("T", " ").replace("+00:00", " UTC")
    lines = [
        f"*Index:* {stats['records']:,} records ({stats['verbatims']:,} verbatims, "
        f"{stats['metric_lines']:,} metric lines), version {stats['version']}"
        + (f" of generation {stats['generation']}." if stats.get("generation") else "."),
        f"*Last re-index:* {escape(when)}.",
    ]
    if stats.get("date_from"):
        lines.append(f"*Verbatims dated:* {stats['date_from']} to {stats['date_to']}.")
    lines.append(f"*Re-index running:* {running}." if running else "*Re-index running:* no.")
    sources = [
        f"{escape(s['source'])} ({escape(s['kind'])}): {int(s['records']):,} records, indexed "
        f"{escape(str(s.get('indexed_at') or '?').replace('T', ' ').replace('+00:00', ' UTC'))}"
        for s in stats.get("sources", [])
    ]
    if sources:
        lines.append("*Sources:*\n" + _bullets(sources[:20]))
    for key, counts in list(stats.get("segments", {}).items())[:5]:
        top = ", ".join(f"{escape(v)} {n:,}" for v, n in list(counts.items())[:10])
        lines.append(f"*{escape(key)}:* {top}")
    return message_blocks("\n".join(lines))


HELP = """*cxbot* tells you where internal metrics and customers disagree, with cited evidence.
• `@cxbot <question>` in a channel, or just ask me in a DM. Reply in the answer's thread \
to follow up, no mention needed: the first question's segment and dates are kept unless you \
change them (a reply to someone else, `@bob ...`, is left alone).
• `/cx ask <question>`: e.g. `/cx ask what do North customers complain about?`
• `/cx gaps [metric]`: where a metric looks good but that segment's customers complain more.
• `/cx status`: what is indexed, and when it was last re-indexed.
• `/cx reindex [source]`: re-read the configured sources (allowed users only); \
`/cx reindex full` rebuilds the whole index (the old one answers until it is complete).
• `/cx digest`: preview the weekly digest here (allowed users only).
• `/cx feedback`: export the thumbs up/down feedback as a file (allowed users only).
• `/cx watch <theme|segment|question> [#channel]`: a daily check posts spikes there, each \
against its own baseline, with the complaints behind it. `/cx watches` lists, \
`/cx unwatch <id>` stops.
• `/cx schedule "question" daily|weekly [#channel]`: the question re-run and posted.
• `/cx themes`: the themes answers count, with how many complaints each holds.
• `/cx help`: this message."""


def themes_blocks(rows: list[dict[str, Any]], coverage: str) -> list[dict[str, Any]]:
    """`/cx themes`: one line per theme, discovered ones marked, at most 40."""
    lines = []
    for r in rows[:40]:
        tag = " _(discovered)_" if r["discovered"] else ""
        under = f" under {escape(r['parent'])}" if r["parent"] and r["parent"] != r["label"] else ""
        lines.append(
            f"• *{escape(r['label'])}*{tag}{under}: {r['complaints']:,} complaints "
            f"({100 * r['share_of_complaints']:.1f}%), {r['verbatims']:,} verbatims"
        )
    more = f"\n…and {len(rows) - 40} more (`cxbot themes list`)." if len(rows) > 40 else ""
    text = "\n".join(lines) + more or "No themes."
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": escape(coverage) + " Rename, merge or split with `cxbot themes`.",
                }
            ],
        },
    ]


def help_blocks(note: str | None = None) -> list[dict[str, Any]]:
    return message_blocks(HELP if not note else f"{note}\n\n{HELP}")
