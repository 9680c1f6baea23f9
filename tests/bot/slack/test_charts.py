"""Drivers and trend answers in Slack, on the demo data: a fix-first table with the recomputed
figures and a chart uploaded into the answer's thread."""

from __future__ import annotations

from bot.analysis.drivers import drivers, fmt_delta
from bot.engine import Engine
from tests.bot.slack_harness import Harness, block_text
from tests.fakes.slack_api import FakeSlack


def uploads_in(fake: FakeSlack, channel: str, thread_ts: str) -> list:
    return fake.calls_to(
        "files.completeUploadExternal",
        lambda c: c.body.get("channel_id") == channel and c.body.get("thread_ts") == thread_ts,
    )


def test_drivers_answer_has_a_fix_first_table_and_a_chart_in_its_thread(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    channel = "C0DRIVERS"
    ts, _ = slack.mention("What hurts our NPS most?", channel=channel)
    answer = slack.wait_answer(channel, root=ts)
    text = block_text(answer)
    report = drivers(demo_engine)  # recomputed independently of the answer
    top = report.fix_first[0]
    assert "Fix first" in text
    row = next(line for line in text.splitlines() if line.startswith("1 ") and top.label in line)
    assert f"{top.n:,} ({100 * top.share:.1f}%)" in row
    assert f"{fmt_delta('nps', top.impact)} ({fmt_delta('nps', top.lo)} to " in row
    up = fake.wait_for(
        "files.completeUploadExternal", lambda c: c.body.get("thread_ts") == ts, timeout=30
    )[0]
    png = fake.uploads[up.body["files"][0]["id"]]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(uploads_in(fake, channel, ts)) == 1


def test_trend_answer_gets_its_chart_in_the_thread(slack: Harness, fake: FakeSlack) -> None:
    channel = "C0TREND"
    ts, _ = slack.mention("What changed in the last 7 days?", channel=channel)
    slack.wait_answer(channel, root=ts)
    up = fake.wait_for(
        "files.completeUploadExternal", lambda c: c.body.get("thread_ts") == ts, timeout=30
    )[0]
    assert fake.uploads[up.body["files"][0]["id"]][:8] == b"\x89PNG\r\n\x1a\n"
