"""The weekly digest through the Slack Web API emulator, on the demo data: posted once per
channel and period (twice-run jobs, restarts, replicas, crashed runs), 429s waited out, the
chart uploaded with the three-step flow, one failing channel not stopping the others."""

from __future__ import annotations

import io
import json
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from matplotlib.image import imread

from bot.digest.build import build_digest
from bot.digest.post import DigestPoster, Ledger
from bot.digest.schedule import JOB_ID, start_digest_scheduler
from bot.engine import Engine
from ingest.config import Settings
from ingest.errors import ConfigError
from tests.bot.slack_harness import Harness, slack_settings
from tests.fakes.slack_api import FakeSlack


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    f = FakeSlack()
    yield f
    f.close()


@pytest.fixture
def ledger_file(tmp_path: Path) -> Path:
    return tmp_path / "digest.sqlite"


def settings_for(fake: FakeSlack, demo_settings: Settings, *channels: str, **kw) -> Settings:
    return slack_settings(demo_settings.data_dir, fake, digest_channels=list(channels), **kw)


def poster(
    fake: FakeSlack, settings: Settings, engine: Engine, ledger_file: Path, **kw
) -> DigestPoster:
    """A poster on its own ledger file (the shared demo data dir stays untouched)."""
    stale_s = kw.pop("stale_s", 900)
    return DigestPoster(
        slack_settings(settings.data_dir, fake, digest_channels=settings.digest_channels),
        engine=engine,
        ledger=Ledger(ledger_file, stale_s=stale_s),
        backoff_s=0.05,
        **kw,
    )


def digests_in(fake: FakeSlack, channel: str) -> list[dict]:
    """Digest messages Slack accepted in `channel` (a request answered 429 is not one)."""
    return [
        m
        for m in fake.messages[channel]
        if not m.get("thread_ts") and (m.get("blocks") or [{}])[0].get("type") == "header"
    ]


def shown_text(message: dict) -> str:
    """The header and mrkdwn a reader sees in a posted message."""
    out = []
    for b in message.get("blocks") or []:
        if b.get("text"):
            out.append(b["text"].get("text", ""))
        out += [e.get("text", "") for e in b.get("elements") or [] if isinstance(e, dict)]
    return "\n".join(out)


def shared_charts(fake: FakeSlack, channel: str) -> list[dict]:
    return [f for f in fake.files.values() if f.get("channels") == [channel]]


def test_scheduled_job_posts_once_per_channel_and_survives_a_restart(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine, ledger_file: Path
) -> None:
    s = settings_for(
        fake,
        demo_settings,
        "C0DIGA",
        "C0DIGB",
        digest_cron="0 9 * * 1",  # crontab: 1 = Monday (APScheduler alone would read Tuesday)
        digest_timezone="Europe/Paris",
    )
    scheduler = start_digest_scheduler(s, poster=poster(fake, s, demo_engine, ledger_file))
    assert scheduler is not None
    try:
        job = scheduler.get_job(JOB_ID)
        nxt = job.next_run_time
        assert (nxt.weekday(), nxt.hour, nxt.minute) == (0, 9, 0)
        assert str(nxt.tzinfo) == "Europe/Paris"
        job.func(*job.args)  # the scheduled job, run twice (a retried or overlapping run)
        job.func(*job.args)
    finally:
        scheduler.shutdown(wait=True)
    for channel in ("C0DIGA", "C0DIGB"):
        assert len(digests_in(fake, channel)) == 1
        assert len(shared_charts(fake, channel)) == 1

    # restart: a new scheduler (and ledger connection) on the same data; the job fires for real
    again = start_digest_scheduler(s, poster=poster(fake, s, demo_engine, ledger_file))
    assert again is not None
    ran = threading.Event()
    again.add_listener(lambda _e: ran.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        again.get_job(JOB_ID).modify(next_run_time=datetime.now(timezone.utc))
        assert ran.wait(60), "the scheduled job did not run"
    finally:
        again.shutdown(wait=True)
    for channel in ("C0DIGA", "C0DIGB"):
        assert len(digests_in(fake, channel)) == 1, "posted twice after a restart"
        assert len(shared_charts(fake, channel)) == 1
    rows = Ledger(ledger_file).rows()
    assert {(r["channel"], r["status"]) for r in rows} == {("C0DIGA", "done"), ("C0DIGB", "done")}

    # what the channel reads: the period, the figures, cited quotes
    text = shown_text(digests_in(fake, "C0DIGA")[0])
    d = build_digest(demo_engine)
    assert f"CX digest: {d.period.label()} vs {d.previous.label()}" in text
    assert f"Volume: {d.volume.now:,} verbatims" in text
    assert "*[1]*" in text


def test_chart_goes_through_the_three_step_upload_into_the_digest_thread(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine, ledger_file: Path
) -> None:
    out = poster(fake, demo_settings, demo_engine, ledger_file).run(["C0CHART"])
    assert [o.status for o in out] == ["posted"]
    ts = out[0].message_ts
    get_url = fake.calls_to("files.getUploadURLExternal")[-1]
    assert get_url.body["filename"].endswith(".png")
    complete = fake.calls_to(
        "files.completeUploadExternal", lambda c: c.body.get("channel_id") == "C0CHART"
    )
    assert len(complete) == 1 and complete[0].body["thread_ts"] == ts
    file_id = complete[0].body["files"][0]["id"]
    png = fake.uploads[file_id]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) == int(get_url.body["length"])
    height, width = imread(io.BytesIO(png)).shape[:2]
    assert width >= 800 and height > width  # tall: made for a phone screen
    assert out[0].file_id == file_id


def test_rate_limit_is_waited_out_and_posts_once(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine, ledger_file: Path
) -> None:
    fake.script("chat.postMessage", status=429, retry_after=1)
    fake.script("files.getUploadURLExternal", status=429, retry_after=1)
    out = poster(fake, demo_settings, demo_engine, ledger_file).run(["C0RATE"])
    assert [o.status for o in out] == ["posted"]
    posts = fake.calls_to("chat.postMessage", lambda c: c.body.get("channel") == "C0RATE")
    assert len(posts) == 2  # the 429, then the one Slack took
    assert posts[1].at - posts[0].at >= 1.0  # Retry-After honoured
    assert len(digests_in(fake, "C0RATE")) == 1
    assert len(shared_charts(fake, "C0RATE")) == 1


def test_a_failing_channel_does_not_stop_the_others_and_is_retried_later(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine, ledger_file: Path
) -> None:
    fake.script("chat.postMessage", error="not_in_channel")  # the first channel's post
    p = poster(fake, demo_settings, demo_engine, ledger_file)
    out = {o.channel: o for o in p.run(["C0NOTIN", "C0FINE"])}
    assert out["C0NOTIN"].status == "failed" and out["C0NOTIN"].error == "not_in_channel"
    assert out["C0FINE"].status == "posted"
    # not_in_channel needs a person: no retries
    assert len(fake.calls_to("chat.postMessage", lambda c: c.body["channel"] == "C0NOTIN")) == 1

    # the bot is invited; the next run posts there and leaves the other channel alone
    out = {o.channel: o.status for o in p.run(["C0NOTIN", "C0FINE"])}
    assert out == {"C0NOTIN": "posted", "C0FINE": "already posted"}
    assert len(digests_in(fake, "C0NOTIN")) == 1 and len(digests_in(fake, "C0FINE")) == 1


def test_a_run_that_died_after_the_message_only_adds_the_chart(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine, ledger_file: Path
) -> None:
    fake.script("files.getUploadURLExternal", error="invalid_auth")
    first = poster(fake, demo_settings, demo_engine, ledger_file).run(["C0HALF"])[0]
    assert first.status == "failed" and first.message_ts
    assert len(digests_in(fake, "C0HALF")) == 1 and not shared_charts(fake, "C0HALF")

    second = poster(fake, demo_settings, demo_engine, ledger_file).run(["C0HALF"])[0]
    assert second.status == "posted" and second.message_ts == first.message_ts
    assert len(digests_in(fake, "C0HALF")) == 1  # no second message
    complete = fake.calls_to(
        "files.completeUploadExternal", lambda c: c.body.get("channel_id") == "C0HALF"
    )
    assert [c.body["thread_ts"] for c in complete] == [first.message_ts]


def test_a_claim_held_by_a_live_process_is_respected_and_a_stale_one_taken_over(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine, ledger_file: Path
) -> None:
    period = build_digest(demo_engine).period.key
    crashed = Ledger(ledger_file)
    assert crashed.claim("C0STALE", period) is not None  # then the process "dies"

    busy = poster(fake, demo_settings, demo_engine, ledger_file).run(["C0STALE"])
    assert [o.status for o in busy] == ["busy"] and not digests_in(fake, "C0STALE")

    later = poster(fake, demo_settings, demo_engine, ledger_file, stale_s=0).run(["C0STALE"])
    assert [o.status for o in later] == ["posted"]
    assert len(digests_in(fake, "C0STALE")) == 1


def test_two_replicas_at_the_same_moment_post_once(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine, ledger_file: Path
) -> None:
    replicas = [poster(fake, demo_settings, demo_engine, ledger_file) for _ in range(2)]
    start = threading.Barrier(2)
    results: list[str] = []

    def run(p: DigestPoster) -> None:
        start.wait()
        results.extend(o.status for o in p.run(["C0TWIN"]))

    threads = [threading.Thread(target=run, args=(p,)) for p in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) in (["already posted", "posted"], ["busy", "posted"])
    assert len(digests_in(fake, "C0TWIN")) == 1


def test_bad_schedule_settings_are_named(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine
) -> None:
    with pytest.raises(ConfigError, match="CXBOT_DIGEST_CRON '0 9 \\* mon'"):
        start_digest_scheduler(settings_for(fake, demo_settings, "C0X", digest_cron="0 9 * mon"))
    with pytest.raises(ConfigError, match="CXBOT_DIGEST_TIMEZONE 'Mars/Olympus'"):
        start_digest_scheduler(
            settings_for(fake, demo_settings, "C0X", digest_timezone="Mars/Olympus")
        )
    assert start_digest_scheduler(settings_for(fake, demo_settings)) is None  # no channels


def test_cx_digest_previews_without_posting(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine
) -> None:
    s = settings_for(fake, demo_settings, "C0WEEKLY", reindex_users=["U0ADMIN"])
    h = Harness(s, demo_engine, fake)
    try:
        h.command("digest", channel="C0PREVIEW", user="U0MALLORY")
        refusal = fake.wait_for("response", lambda c: "limited to" in json.dumps(c.body))[0]
        assert refusal.body["response_type"] == "ephemeral"
        assert "CX digest" not in json.dumps(refusal.body)
        h.command("digest", channel="C0PREVIEW", user="U0ADMIN")
        resp = fake.wait_for("response", lambda c: "CX digest" in json.dumps(c.body))[0]
    finally:
        h.close()
    blocks = resp.body["blocks"]
    assert blocks[0]["type"] == "header"
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "Preview. Posted to <#C0WEEKLY>" in shown and "Volume:" in shown
    assert resp.body["response_type"] == "ephemeral"
    assert not fake.calls_to("chat.postMessage", lambda c: c.body.get("channel") == "C0WEEKLY")


def test_cxbot_serve_starts_the_schedule_and_names_a_bad_setting(
    demo_settings: Settings, tmp_path: Path
) -> None:
    from tests.bot.slack_harness import start_serve, stop_serve, wait_healthy
    from tests.chroma_server import free_port

    data_dir = tmp_path / "data"  # a copy: the bot process must not share our Chroma folder
    shutil.copytree(
        demo_settings.data_dir,
        data_dir,
        ignore=shutil.ignore_patterns("slack.sqlite*", "digest.sqlite*"),
    )
    fake = FakeSlack()
    try:
        env = {"SLACK_SIGNING_SECRET": "s", "CXBOT_DIGEST_CHANNELS": '["C0SERVE"]'}
        port = free_port()
        proc = start_serve(
            data_dir,
            fake,
            ["--http", "--port", str(port)],
            CXBOT_DIGEST_TIMEZONE="Europe/Paris",
            **env,
        )
        try:
            wait_healthy(proc, port)
        finally:
            assert stop_serve(proc) == 0
        log = proc.stdout.read()
        assert "weekly digest scheduled (0 9 * * mon, Europe/Paris) for C0SERVE; next run" in log

        bad = start_serve(data_dir, fake, ["--http"], CXBOT_DIGEST_TIMEZONE="Mars/Olympus", **env)
        out, _ = bad.communicate(timeout=120)
        assert bad.returncode == 2
        assert "Error: CXBOT_DIGEST_TIMEZONE 'Mars/Olympus' is not a known time zone." in out
        assert "Traceback" not in out
    finally:
        fake.close()


def test_a_run_missed_while_down_is_caught_up_once_at_start_up(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine, ledger_file: Path
) -> None:
    import sqlite3
    import time
    from datetime import timedelta

    from bot.digest.schedule import cron_trigger, missed

    due = (datetime.now(timezone.utc) - timedelta(hours=2)).replace(second=0, microsecond=0)
    s = settings_for(
        fake,
        demo_settings,
        "C0LATE",
        "C0NEWCHAN",
        digest_cron=f"{due.minute} {due.hour} * * *",  # daily, last due two hours ago
        digest_timezone="UTC",
    )
    ledger = Ledger(ledger_file)
    claim = ledger.claim("C0LATE", "an earlier week")
    assert claim is not None
    ledger.done(claim, None)
    db = sqlite3.connect(ledger_file)  # ... and that one went out three days ago
    db.execute("UPDATE digest_posts SET claimed_at = ?", (time.time() - 3 * 86400,))
    db.commit()
    db.close()

    scheduler = start_digest_scheduler(s, poster=poster(fake, s, demo_engine, ledger_file))
    assert scheduler is not None
    try:
        deadline = time.monotonic() + 60
        while not digests_in(fake, "C0LATE") and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=True)
    assert len(digests_in(fake, "C0LATE")) == 1  # the missed digest, posted at start-up
    assert digests_in(fake, "C0NEWCHAN") == []  # no history: waits for its first run
    # a second start owes nothing: the catch-up is recorded in the ledger
    assert missed(s, cron_trigger(s), Ledger(ledger_file), datetime.now(timezone.utc))[1] == []
    off = settings_for(fake, demo_settings, "C0LATE", digest_catch_up_hours=0)
    assert missed(off, cron_trigger(s), ledger, datetime.now(timezone.utc)) == (None, [])
