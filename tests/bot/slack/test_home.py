"""The App Home tab through the Web API emulator: views.publish on app_home_opened with the
top gaps, drivers, rising themes and freshness, and a button that posts the full cited answer
in the user's DM."""

from __future__ import annotations

import json

from bot.analysis.drivers import drivers
from bot.analysis.gaps import analyse
from bot.engine import Engine
from bot.slack.home import HOME_ASK_ACTION
from tests.bot.slack_harness import Harness, block_text, is_answer
from tests.fakes.slack_api import FakeSlack


def view_text(view: dict) -> str:
    out = []
    for b in view["blocks"]:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        for e in b.get("elements") or []:
            if isinstance(e, dict) and e.get("type") == "mrkdwn":
                out.append(e["text"])
    return "\n".join(out)


def test_home_tab_shows_where_things_stand(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    sent = slack.home_opened(user="U0HOME")
    assert sent.status == 200 and sent.ms < 1000
    call = fake.wait_for("views.publish", lambda c: c.body.get("user_id") == "U0HOME")[0]
    view = fake.views["U0HOME"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = view_text(view)
    assert "<@U0HOME>" in text  # per user
    top = analyse(demo_engine).gaps[0]
    assert f"{top.segment}: On-time delivery" in text and f"{100 * top.mix:.1f}%" in text
    report = drivers(demo_engine)
    assert report.fix_first[0].label in text and "NPS over" in text
    assert "Rising themes" in text and "Nothing is rising beyond noise." in text
    assert "Data indexed" in text and "Last re-index:" in text
    buttons = [b["accessory"] for b in view["blocks"] if b.get("accessory")]
    assert buttons and all(b["action_id"] == HOME_ASK_ACTION for b in buttons)
    assert call.body["view"]["blocks"] == view["blocks"][: len(call.body["view"]["blocks"])]


def test_messages_tab_publishes_nothing(slack: Harness, fake: FakeSlack) -> None:
    slack.home_opened(user="U0MSGTAB", tab="messages")
    slack.home_opened(user="U0MSGTAB2")  # a later event, to know the first was handled
    fake.wait_for("views.publish", lambda c: c.body.get("user_id") == "U0MSGTAB2")
    assert not fake.calls_to("views.publish", lambda c: c.body.get("user_id") == "U0MSGTAB")


def test_full_answer_button_posts_the_answer_in_the_users_dm(
    slack: Harness, fake: FakeSlack
) -> None:
    slack.home_opened(user="U0CLICK")
    fake.wait_for("views.publish", lambda c: c.body.get("user_id") == "U0CLICK")
    view = fake.views["U0CLICK"]
    assert slack.click_view(view, HOME_ASK_ACTION, user="U0CLICK").status == 200  # the top gap
    opened = fake.wait_for("conversations.open", lambda c: c.body.get("users") == "U0CLICK")
    assert opened
    dm = fake.dm_channel("U0CLICK")
    answer = slack.wait_answer(dm)
    assert any(b.get("block_id", "").startswith("gaps") for b in answer.body["blocks"])
    assert "<@U0CLICK> asked" in block_text(answer)
    assert "More evidence" in json.dumps(answer.body["blocks"]) or is_answer(answer)
