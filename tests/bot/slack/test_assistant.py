"""The assistant panel (bolt's Assistant middleware) through the Web API emulator: prompts
built from the data, a greeting, the thread's title and "Looking into it..." status, answers
with the same blocks as mentions, follow-ups keeping context, and the channel being viewed
narrowing the first answer when its name names a segment."""

from __future__ import annotations

import json
import time

from bot.analysis.gaps import analyse
from bot.engine import Engine
from tests.bot.slack_harness import Harness, block_text, citation_ids, is_answer
from tests.fakes.slack_api import Call, FakeSlack


def in_thread(fake: FakeSlack, method: str, channel: str, ts: str) -> list[Call]:
    return fake.calls_to(
        method,
        lambda c: (
            (c.body.get("channel_id") or c.body.get("channel")) == channel
            and c.body.get("thread_ts") == ts
        ),
    )


def answers(fake: FakeSlack, channel: str, ts: str, count: int) -> list[Call]:
    fake.wait_for(
        None,
        lambda c: (
            c.body.get("channel") == channel and c.body.get("thread_ts") == ts and is_answer(c)
        ),
        count=count,
    )
    return [c for c in in_thread(fake, "chat.postMessage", channel, ts) if is_answer(c)]


def regions(engine: Engine, call: Call) -> set[str]:
    corpus = engine.corpus()
    rows = [corpus.record(corpus.index[i]) for i in citation_ids(call)]
    return {r["segments"].get("region") for r in rows if r["kind"] == "verbatim"}


def test_thread_started_gets_a_greeting_and_prompts_from_the_data(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    channel, ts, sent = slack.assistant_started(user="U0PANEL")
    assert sent.status == 200 and sent.ms < 1000
    prompts = fake.wait_for(
        "assistant.threads.setSuggestedPrompts", lambda c: c.body.get("thread_ts") == ts
    )[0]
    greeting = in_thread(fake, "chat.postMessage", channel, ts)[0]
    assert "Ask me what customers say" in block_text(greeting)
    assert "Data indexed" in block_text(greeting)  # what the answers are counted over
    items = prompts.body["prompts"]
    assert 1 <= len(items) <= 4 and all(p["title"] and p["message"] for p in items)
    top = analyse(demo_engine).gaps[0]
    messages = [p["message"] for p in items]
    assert f"Where do {top.segment} customers disagree with our" in messages[0]  # the top gap
    assert "What changed in the last 7 days?" in messages  # nothing rises beyond noise here
    assert "What hurts our NPS most?" in messages  # the demo survey has an NPS column

    # a prompt, once clicked, is the user's message in the thread: it gets a gap answer
    slack.message(messages[0], channel=channel, thread_ts=ts, user="U0PANEL")
    answer = answers(fake, channel, ts, 1)[0]
    assert any(b.get("block_id", "").startswith("gaps") for b in answer.body["blocks"])


def test_status_title_answer_and_follow_up_in_the_panel(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    channel, ts, _ = slack.assistant_started(user="U0TITLE")
    fake.wait_for("assistant.threads.setSuggestedPrompts", lambda c: c.body.get("thread_ts") == ts)
    _, sent = slack.message(
        "What are the top 2 complaints in the West?", channel=channel, thread_ts=ts, user="U0TITLE"
    )
    assert sent.status == 200 and sent.ms < 1000
    first = answers(fake, channel, ts, 1)[0]
    status = in_thread(fake, "assistant.threads.setStatus", channel, ts)
    assert status[0].body["status"] == "Looking into it..." and status[0].at < first.at
    assert "Most raised complaints among" in block_text(first) and regions(demo_engine, first) == {
        "West"
    }
    # no placeholder: the status says it is working, the answer is the thread's one message
    posts = [c for c in in_thread(fake, "chat.postMessage", channel, ts) if not is_answer(c)]
    assert [("Ask me" in block_text(c)) for c in posts] == [True]  # only the greeting
    assert "More evidence" in json.dumps(first.body["blocks"])  # the same blocks as mentions
    titles = in_thread(fake, "assistant.threads.setTitle", channel, ts)
    assert [t.body["title"] for t in titles] == ["What are the top 2 complaints in the West?"]

    slack.message("And for the South?", channel=channel, thread_ts=ts, user="U0TITLE")
    second = answers(fake, channel, ts, 2)[1]
    text = block_text(second)
    assert "Most raised complaints among" in text and "South verbatims" in text
    assert len(in_thread(fake, "assistant.threads.setTitle", channel, ts)) == 1  # titled once


def test_the_viewed_channel_narrows_the_first_answer(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    fake.channels["C0CXNORTH"] = "cx-north"
    channel, ts, _ = slack.assistant_started(user="U0VIEW", viewing="C0CXNORTH")
    prompts = fake.wait_for(
        "assistant.threads.setSuggestedPrompts", lambda c: c.body.get("thread_ts") == ts
    )[0]
    assert "What do North customers complain about most?" in [
        p["message"] for p in prompts.body["prompts"]
    ]
    greeting = in_thread(fake, "chat.postMessage", channel, ts)[0]
    assert "#cx-north" in block_text(greeting) and "*North*" in block_text(greeting)

    slack.message("What do customers complain about?", channel=channel, thread_ts=ts, user="U0VIEW")
    first = answers(fake, channel, ts, 1)[0]
    assert "North verbatims" in block_text(first) and regions(demo_engine, first) == {"North"}
    assert "Narrowed to *North* (region), the channel you are viewing" in block_text(first)
    # a follow-up keeps North from the thread, without repeating the note
    slack.message("only about late deliveries", channel=channel, thread_ts=ts, user="U0VIEW")
    second = answers(fake, channel, ts, 2)[1]
    assert regions(demo_engine, second) == {"North"} and "Narrowed" not in block_text(second)

    # a question naming another segment is not narrowed
    other, ts2, _ = slack.assistant_started(user="U0VIEW", viewing="C0CXNORTH")
    slack.message(
        "What do East customers complain about?", channel=other, thread_ts=ts2, user="U0VIEW"
    )
    east = answers(fake, other, ts2, 1)[0]
    assert "East verbatims" in block_text(east) and "Narrowed" not in block_text(east)

    # a channel whose name names no segment narrows nothing
    fake.channels["C0RANDOMX"] = "random"
    plain, ts3, _ = slack.assistant_started(user="U0VIEW", viewing="C0RANDOMX")
    slack.message("What do customers complain about?", channel=plain, thread_ts=ts3, user="U0VIEW")
    assert "Narrowed" not in block_text(answers(fake, plain, ts3, 1)[0])


def test_a_dm_thread_outside_the_panel_gets_a_placeholder_instead_of_a_status(
    slack: Harness, fake: FakeSlack
) -> None:
    channel = "D0PLAIN"
    root, _ = slack.message("What do West customers complain about?", channel=channel)
    slack.wait_answer(channel, root=root)
    slack.message("and about refunds?", channel=channel, thread_ts=root)
    fake.wait_for(None, lambda c: c.body.get("channel") == channel and is_answer(c), count=2)
    refused = fake.calls_to(
        "assistant.threads.setStatus", lambda c: c.body.get("thread_ts") == root
    )
    assert refused  # tried, refused by Slack (not an assistant thread) ...
    looking = fake.calls_to(
        "chat.postMessage",
        lambda c: c.body.get("thread_ts") == root and "Looking into it" in block_text(c),
    )
    assert len(looking) == 2  # ... so the placeholder is used, as for any DM
    time.sleep(0.2)
    assert "West" in block_text(slack.answers(channel)[1])


def test_switching_the_viewed_channel_moves_the_context(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    fake.channels["C0CXWEST"] = "west-cx"
    channel, ts, _ = slack.assistant_started(user="U0MOVE")
    event = {
        "type": "assistant_thread_context_changed",
        "assistant_thread": {
            "user_id": "U0MOVE",
            "context": {"channel_id": "C0CXWEST", "team_id": "T0CX"},
            "channel_id": channel,
            "thread_ts": ts,
        },
        "event_ts": ts,
    }
    assert slack.event(event).status == 200  # bolt's default listener saves it in our store
    slack.message("What do customers complain about?", channel=channel, thread_ts=ts, user="U0MOVE")
    first = answers(fake, channel, ts, 1)[0]
    assert regions(demo_engine, first) == {"West"} and "#west-cx" in block_text(first)
