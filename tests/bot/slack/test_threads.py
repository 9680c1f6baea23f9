"""Thread follow-ups without a new mention: cxbot reads the replies in threads it answered
(message.channels) and answers those addressed to it, never a reply to someone else; and no
request is dropped without a word (a reference the user sees, the same one in the log)."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.bot.slack_harness import Harness, block_text, is_answer
from tests.fakes.slack_api import FakeSlack


def answers_in(fake: FakeSlack, channel: str) -> list:
    return [c for c in fake.calls if c.body.get("channel") == channel and is_answer(c)]


def wait_answers(fake: FakeSlack, channel: str, count: int) -> list:
    fake.wait_for(None, lambda c: c.body.get("channel") == channel and is_answer(c), count=count)
    return answers_in(fake, channel)


def test_reply_in_an_answered_thread_is_answered_without_a_mention(
    slack: Harness, fake: FakeSlack
) -> None:
    channel = "C0FOLLOW"
    root, _ = slack.mention("What are the top 2 complaints in the North?", channel=channel)
    slack.wait_answer(channel, root=root)
    ts, sent = slack.message("And for the South?", channel=channel, thread_ts=root)
    assert sent.status == 200
    second = wait_answers(fake, channel, 2)[1]
    text = block_text(second)
    assert "Most raised complaints among" in text and "South verbatims" in text  # shape kept
    # in the thread, as a new message replaced in place
    assert any(
        m["ts"] == second.body["ts"] and m["thread_ts"] == root for m in fake.messages[channel]
    )
    # the :eyes: reaction went on the follow-up itself
    fake.wait_for("reactions.remove", lambda c: c.body.get("timestamp") == ts)


def test_gaps_thread_follow_up_keeps_the_gap_shape(slack: Harness, fake: FakeSlack) -> None:
    channel = "C0GAPTHREAD"
    slack.command("gaps", channel=channel)
    first = slack.wait_answer(channel)
    slack.message("and for the West?", channel=channel, thread_ts=first.body["ts"])
    second = wait_answers(fake, channel, 2)[-1]
    assert any(b.get("block_id", "").startswith("gaps") for b in second.body["blocks"])
    assert "West" in block_text(second)


def test_replies_not_for_the_bot_are_left_alone(slack: Harness, fake: FakeSlack) -> None:
    channel = "C0PEOPLETALK"
    root, _ = slack.mention("What do East customers complain about?", channel=channel)
    slack.wait_answer(channel, root=root)
    slack.message("<@U0BOB> can you check this with the courier?", channel, thread_ts=root)
    slack.message("thanks!", channel, thread_ts=root)
    slack.message("<!here> have a look", channel, thread_ts=root)
    slack.message(":+1:", channel, thread_ts=root)
    # a thread cxbot never answered, and a top-level message: not followed either
    other = fake.add_message(channel, "lunch?", "U0BOB")
    slack.message("what do North customers complain about?", channel, thread_ts=other)
    slack.message("what do North customers complain about?", channel)
    # the edit of a question (message_changed) is not a new question
    slack.message("edited", channel, thread_ts=root, subtype="message_changed")
    time.sleep(1.0)
    assert len(answers_in(fake, channel)) == 1
    posted = fake.calls_to("chat.postMessage", lambda c: c.body.get("channel") == channel)
    assert len(posted) == 1  # only the first answer's placeholder


def test_a_follow_up_that_also_mentions_the_bot_is_answered_once(
    slack: Harness, fake: FakeSlack
) -> None:
    channel = "C0BOTH"
    root, _ = slack.mention("What do West customers complain about?", channel=channel)
    slack.wait_answer(channel, root=root)
    ts, _ = slack.mention("and about refunds?", channel=channel, thread_ts=root)
    # Slack delivers the same message as app_mention and as message.channels
    slack.event(
        {
            "type": "message",
            "channel": channel,
            "channel_type": "channel",
            "user": "U0ALICE",
            "text": "<@UCXBOT> and about refunds?",
            "ts": ts,
            "thread_ts": root,
        }
    )
    wait_answers(fake, channel, 2)
    time.sleep(0.5)
    assert len(answers_in(fake, channel)) == 2


def test_thread_broadcast_and_file_share_replies_are_followed(
    slack: Harness, fake: FakeSlack
) -> None:
    channel = "C0BCAST"
    root, _ = slack.mention("What do North customers complain about?", channel=channel)
    slack.wait_answer(channel, root=root)
    slack.message("and in September?", channel, thread_ts=root, subtype="thread_broadcast")
    assert "North" in block_text(wait_answers(fake, channel, 2)[1])


def test_an_undeliverable_answer_tells_the_user_its_reference(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    channel = "C0REFUSED"
    root, _ = slack.mention("What do East customers complain about?", channel=channel)
    slack.wait_answer(channel, root=root)
    # the placeholder and the answer are both refused (e.g. the channel was archived)
    fake.script("chat.postMessage", error="msg_too_long", times=2)
    with caplog.at_level(logging.ERROR, logger="cxbot.slack"):
        slack.message("and about refunds?", channel, thread_ts=root, user="U0DORA")
        told = fake.wait_for("chat.postEphemeral", lambda c: c.body.get("user") == "U0DORA")[0]
    said = json.dumps(told.body)
    assert "refused my answer" in said and "msg_too_long" in said
    ref = said.split("ref ")[1][:8]
    assert any(ref in r.getMessage() for r in caplog.records)
