"""Watches and scheduled questions through the Web API emulator, on a survey with a planted
spike (late deliveries in the North, last week): `/cx watch` in its three forms, the daily
check posting a cited alert once per watch and period, the cooldown, `/cx watches`,
`/cx unwatch`, and `/cx schedule` re-run and posted once per period."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.analysis.alerts import spikes
from bot.slack.watch import Watcher, start_watch_scheduler
from tests.bot.analysis.test_alerts import LAST, write_spike_survey
from tests.bot.slack_harness import Harness, block_text, citation_ids, slack_settings
from tests.conftest import ingest_file
from tests.fakes.slack_api import Call, FakeSlack

OPS, NORTH_OPS = "C0CXOPS", "C0NORTHOPS"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    f = FakeSlack(channels={OPS: "cx-ops", NORTH_OPS: "north-ops", "C0GENERAL": "general"})
    yield f
    f.close()


@pytest.fixture(scope="module")
def slack(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    root: Path = tmp_path_factory.mktemp("watch")
    write_spike_survey(root / "survey.csv")
    settings = slack_settings(root / "data", fake, reindex_users=["U0ADMIN"])
    columns = {"id": "id", "text": "comment", "date": "date", "segments": ["region"]}
    assert ingest_file(settings, root / "survey.csv", columns=columns).ok
    h = Harness(settings, None, fake)
    yield h
    h.close()


def said(fake: FakeSlack, words: str) -> Call:
    return fake.wait_for("response", lambda c: words in json.dumps(c.body))[-1]


def posts_in(fake: FakeSlack, channel: str) -> list[Call]:
    return fake.calls_to("chat.postMessage", lambda c: c.body.get("channel") == channel)


@pytest.fixture(scope="module")
def watches(slack: Harness, fake: FakeSlack) -> dict[str, int]:
    """Three watches, set the three ways: a theme to a #name, a segment to a picked channel,
    a question (here, in the channel it was typed in)."""
    late, billing = slack.bot.engine.label("lateness"), slack.bot.engine.label("billing")
    slack.command("watch late deliveries #cx-ops", user="U0ALICE")
    theme = said(fake, f"Watching *{late}, in every segment*")
    slack.command(f"watch North <#{NORTH_OPS}|north-ops>", user="U0BOB")
    seg = said(fake, "Watching *every theme in North (region)*")
    slack.command("watch are billing complaints rising in the South?", user="U0CARL")
    q = said(fake, f"Watching *{billing}, in South (region)*")
    assert f"<#{OPS}>" in json.dumps(theme.body) and f"<#{NORTH_OPS}>" in json.dumps(seg.body)
    assert "<#C0GENERAL>" in json.dumps(q.body)
    ids = {w.label: w.id for w in slack.bot.watches.all("watch")}
    return {
        "theme": ids[f"{late}, in every segment"],
        "segment": ids["every theme in North (region)"],
        "question": ids[f"{billing}, in South (region)"],
    }


def test_the_daily_check_posts_a_cited_alert_once_per_watch_and_period(
    slack: Harness, fake: FakeSlack, watches: dict[str, int]
) -> None:
    day = LAST - timedelta(days=1)  # the spike's fourth day: the first the check sees it
    outcomes = {p.watch: p.status for p in slack.bot.watcher.check(until=day)}
    assert outcomes == {
        watches["theme"]: "posted",
        watches["segment"]: "posted",
        watches["question"]: "quiet",  # billing in the South did not move
    }
    alert = posts_in(fake, OPS)[-1]
    text = block_text(alert)
    report = spikes(slack.bot.engine, until=day)
    north = next(s for s in report.spikes if s.value == "North" and s.theme == "lateness")
    now, before = north.change.now, north.change.before
    assert f"{north.label} in North: {now.k} of {now.n} verbatims" in text
    assert f"({before.k} of {before.n}) before" in text
    assert f"Alert for watch #{watches['theme']}" in text and "unwatch" in text
    # the quotes are the complaints behind the spike
    corpus = slack.bot.engine.corpus()
    behind = {corpus.ids[int(i)] for s in report.spikes if s.theme == "lateness" for i in s.records}
    cited = citation_ids(alert)
    assert len(cited) >= 3 and set(cited) <= behind
    assert "North" in block_text(posts_in(fake, NORTH_OPS)[-1])

    # the same check again (a second replica, a restart): nothing new is posted
    count = len(fake.calls_to("chat.postMessage"))
    again = Watcher(
        slack.settings, slack.bot.engine, slack.bot.client, slack.bot.store, slack.bot.watches
    )
    assert {p.status for p in again.check(until=day)} <= {"already posted", "quiet"}
    assert len(fake.calls_to("chat.postMessage")) == count

    # the next day's window still shows the spike: within the cooldown, so quiet
    assert spikes(slack.bot.engine).spikes
    assert {p.status for p in slack.bot.watcher.check()} == {"quiet"}
    assert len(fake.calls_to("chat.postMessage")) == count


def test_watches_lists_and_unwatch_stops(
    slack: Harness, fake: FakeSlack, watches: dict[str, int]
) -> None:
    slack.command("watches", user="U0DAN")
    listing = json.dumps(said(fake, "watch(es) and scheduled question(s)").body)
    for wid in watches.values():
        assert f"*#{wid}*" in listing
    wid = watches["question"]
    slack.command(f"unwatch {wid}", user="U0DAN")
    said(fake, f"Only <@U0CARL> (who set it) or the re-index allowlist can stop #{wid}")
    slack.command(f"unwatch {wid}", user="U0CARL")
    said(fake, f"Stopped #{wid}")
    assert slack.bot.watches.get(wid) is None
    slack.command("unwatch 999", user="U0CARL")
    said(fake, "There is no watch `999`")


def test_watch_errors_are_one_line(slack: Harness, fake: FakeSlack) -> None:
    slack.command("watch late deliveries #nope", user="U0ALICE")
    said(fake, "I can't find #nope")
    slack.command("watch", user="U0ALICE")
    said(fake, "Say what to watch")
    slack.command("schedule what changed", user="U0ALICE")
    said(fake, "Say the question and how often")


def test_a_scheduled_question_is_rerun_and_posted_once_per_period(
    slack: Harness, fake: FakeSlack
) -> None:
    slack.command('schedule "What do North customers complain about?" weekly #cx-ops')
    said(fake, "re-run and posted in <#C0CXOPS> weekly")
    watcher = slack.bot.watcher
    monday = date(2026, 11, 2)
    assert [p.status for p in watcher.run_schedules("weekly", today=monday)] == ["posted"]
    post = posts_in(fake, OPS)[-1]
    assert "North verbatims" in block_text(post) and "Scheduled question #" in block_text(post)
    assert [p.status for p in watcher.run_schedules("weekly", today=monday + timedelta(3))] == [
        "already posted"  # the same ISO week
    ]
    assert [p.status for p in watcher.run_schedules("daily", today=monday)] == []
    assert [p.status for p in watcher.run_schedules("weekly", today=monday + timedelta(7))] == [
        "posted"
    ]


def test_the_scheduler_runs_in_serve_at_the_configured_times(slack: Harness) -> None:
    scheduler = start_watch_scheduler(slack.settings, slack.bot.watcher)
    try:
        daily = scheduler.get_job("cxbot-alerts").next_run_time
        weekly = scheduler.get_job("cxbot-weekly-questions").next_run_time
        assert (daily.hour, daily.minute) == (8, 0)
        assert weekly.weekday() == 0 and weekly.hour == 9  # "0 9 * * mon", the digest's time
    finally:
        scheduler.shutdown(wait=False)
