"""/cx reindex from Slack on a tiny hostile data set, then what its verbatims look like in
Slack: escaped, so a customer comment can never ping a channel, mention a user or fake a link."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack.blocks import VOTE_UP_ACTION, escape, trim
from bot.slack.feedback import main as feedback_main
from ingest.locks import ingest_lock
from tests.bot.slack_harness import Harness, block_text, citation_ids, is_answer, slack_settings
from tests.fakes.slack_api import FakeSlack

HOSTILE = "<!channel> <@U123> <http://evil|click> &lt; the courier left my parcel out in the rain"
ROWS = [
    ("H1", "2026-10-01", "North", HOSTILE, "http://example.com/r/1|<!channel>"),
    ("H2", "2026-10-02", "North", "Parcel arrived two days late, again.", ""),
    ("H3", "2026-10-03", "South", "", ""),  # rejected: empty text
    ("H4", "2026-10-04", "<!here>", "@here the refund never came, three weeks now", ""),
    ("H5", "2026-10-05", "South", "Courier was friendly and on time.", ""),
    ("H6", "2026-10-06", "East", "The box was crushed and the vase inside broken.", ""),
    ("H7", "2026-10-07", "East", "Support kept me on hold for an hour.", ""),
    ("H8", "2026-10-08", "West", "Left in the rain on the porch, everything soaked.", ""),
]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    f = FakeSlack(usergroups={"S0CXOPS": ["U0GROUPIE"]})
    yield f
    f.close()


@pytest.fixture(scope="module")
def slack(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    root: Path = tmp_path_factory.mktemp("slack-reindex")
    with (root / "hostile.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "region", "comment", "link"])
        w.writerows(ROWS)
    (root / "sources.yaml").write_text(
        "sources:\n  - kind: survey\n    path: hostile.csv\n"
        "    columns: {id: id, text: comment, date: date, segments: [region], url: link}\n"
    )
    settings = slack_settings(
        root / "data",
        fake,
        reindex_users=["U0ADMIN"],
        reindex_usergroup="S0CXOPS",
        sources_path=root / "sources.yaml",
    )
    h = Harness(settings, None, fake)
    yield h
    h.close()


@pytest.fixture(scope="module")
def reindexed(slack: Harness, fake: FakeSlack) -> str:
    """Re-index through Slack as an allowed user; returns the thread with the progress."""
    sent = slack.command("reindex", user="U0ADMIN", channel="C0OPS")
    assert sent.status == 200 and sent.ms < 1000
    summary = fake.wait_for(
        "chat.postMessage", lambda c: "Re-index finished" in c.text_and_blocks()
    )
    return str(summary[0].body["thread_ts"])


def test_reindex_is_refused_for_a_user_not_on_the_allowlist(
    slack: Harness, fake: FakeSlack
) -> None:
    slack.command("reindex", user="U0MALLORY", channel="C0OPS")
    refusal = fake.wait_for("response", lambda c: "not allowed to re-index" in json.dumps(c.body))
    assert refusal[0].body["response_type"] == "ephemeral"
    assert not fake.calls_to(
        "chat.postMessage", lambda c: "started a re-index" in json.dumps(c.body)
    )


def test_reindex_posts_progress_and_the_summary_in_a_thread(
    slack: Harness, fake: FakeSlack, reindexed: str
) -> None:
    root = next(
        c for c in fake.calls_to("chat.postMessage") if "started a re-index" in c.text_and_blocks()
    )
    assert "<@U0ADMIN> started a re-index of 1 source(s): hostile.csv" in block_text(root)
    in_thread = [m for m in fake.messages["C0OPS"] if m.get("thread_ts") == reindexed]
    progress, summary = in_thread[0], in_thread[-1]
    assert "Done." in json.dumps(progress["blocks"])  # the progress message, updated in place
    progress_texts = [
        c.body.get("text", "")
        for c in fake.calls
        if c.method in ("chat.postMessage", "chat.update") and c.body.get("channel") == "C0OPS"
    ]
    assert any("file(s) read" in t or "records processed" in t for t in progress_texts)
    text = block_text_of(summary)
    assert "7 records processed (7 new, 0 changed, 0 unchanged)" in text
    assert "1 rejected" in text and "row 4" in text and "empty text" in text


def block_text_of(message: dict) -> str:
    return "\n".join(b["text"]["text"] for b in message["blocks"] if b.get("text"))


def test_hostile_verbatims_cannot_ping_mention_or_link(
    slack: Harness, fake: FakeSlack, reindexed: str
) -> None:
    ts, _ = slack.mention("What do customers say about parcels left in the rain?", channel="C0HOST")
    answer = slack.wait_answer("C0HOST", root=ts)
    corpus = slack.bot.engine.corpus()
    ids = citation_ids(answer)
    assert "hostile.csv:H1" in ids  # the hostile verbatim is quoted ...
    posted = json.dumps({"text": answer.body["text"], "blocks": answer.body["blocks"]})
    for attack in ("<!channel>", "<!here>", "<@U123>", "<http://evil", "|click>", "<!"):
        assert attack not in posted  # ... but can neither ping, mention nor link
    stored = corpus.record(corpus.index["hostile.csv:H1"])["text"]
    assert escape(trim(stored)) in block_text(answer)  # shown as literal text
    assert "&lt;!channel&gt; &lt;@\u2060U123&gt; &lt;http://evil|click&gt;" in block_text(answer)
    assert "http://example.com/r/1%7C%3C!channel%3E|open source>" in block_text(answer)

    # a segment value and an @here typed by a customer are neutralised the same way
    ts, _ = slack.mention("What do customers say about the refund?", channel="C0HOST2")
    refund = slack.wait_answer("C0HOST2", root=ts)
    assert "hostile.csv:H4" in citation_ids(refund)
    shown = block_text(refund)
    assert "&lt;!here&gt;" in shown and "@\u2060here the refund" in shown
    assert "<!here>" not in json.dumps(refund.body) and "@here" not in shown


def test_second_reindex_while_one_runs_says_who_started_it(
    slack: Harness, fake: FakeSlack, reindexed: str
) -> None:
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with ingest_lock(slack.settings, who="U0BOB"):
            held.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    try:
        held.wait(10)
        slack.command("reindex", user="U0GROUPIE", channel="C0OPS")  # user group member: allowed
        busy = fake.wait_for("response", lambda c: "already running" in json.dumps(c.body))
        assert "already running, started by <@U0BOB> at " in json.dumps(busy[0].body)
        slack.command("status", user="U0GROUPIE", channel="C0OPS")
        fake.wait_for(
            "response", lambda c: "Re-index running:* started by <@U0BOB>" in json.dumps(c.body)
        )
    finally:
        release.set()
        t.join()
    started = fake.calls_to(
        "chat.postMessage", lambda c: "started a re-index" in c.text_and_blocks()
    )
    assert len(started) == 1  # only the first one ran


def test_unknown_source_is_explained(slack: Harness, fake: FakeSlack) -> None:
    slack.command("reindex nope", user="U0ADMIN", channel="C0OPS")
    fake.wait_for(
        "response",
        lambda c: (
            "No source is called 'nope'." in json.dumps(c.body)
            and "hostile.csv" in json.dumps(c.body)
        ),
    )


def test_feedback_export_uploads_jsonl_in_a_dm(
    slack: Harness, fake: FakeSlack, reindexed: str
) -> None:
    ts, _ = slack.mention("What do customers say about support?", channel="C0VOTE")
    answer = slack.wait_answer("C0VOTE", root=ts)
    slack.click(slack.final_message("C0VOTE", answer.body["ts"]), VOTE_UP_ACTION, user="U0BOSS")
    fake.wait_for("response", lambda c: "is recorded" in json.dumps(c.body))

    slack.command("feedback", user="U0MALLORY", channel="D0MALLORY")
    fake.wait_for("response", lambda c: "exporting feedback is limited" in json.dumps(c.body))
    slack.command("feedback", user="U0ADMIN", channel="C0OPS")
    fake.wait_for("response", lambda c: "in a direct message" in json.dumps(c.body))

    slack.command("feedback", user="U0ADMIN", channel="D0ADMIN")
    done = fake.wait_for("files.completeUploadExternal")[0]
    assert done.body["channel_id"] == "D0ADMIN"
    file_id = done.body["files"][0]["id"]
    rows = [json.loads(line) for line in fake.uploads[file_id].decode().splitlines()]
    assert rows[-1]["question"] == "What do customers say about support?"
    assert rows[-1]["vote"] == "up" and rows[-1]["user"] == "U0BOSS"
    assert is_answer(answer) and rows[-1]["citations"]

    out = slack.settings.data_dir.parent / "feedback.jsonl"  # the same export, offline
    assert (
        feedback_main(["export", "--data-dir", str(slack.settings.data_dir), "--out", str(out)])
        == 0
    )
    assert [json.loads(line) for line in out.read_text().splitlines()] == rows


def test_full_rebuild_from_slack_switches_generation_and_keeps_answering(
    slack: Harness, fake: FakeSlack, reindexed: str
) -> None:
    assert slack.settings.generation().number == 0
    slack.command("reindex full", user="U0GROUPIE", channel="C0REBUILD")
    done = fake.wait_for(
        "chat.postMessage",
        lambda c: "Full rebuild finished (index generation 1 now answers)" in c.text_and_blocks(),
    )
    assert "7 records processed (7 new" in done[0].text_and_blocks()
    started = fake.calls_to(
        "chat.postMessage", lambda c: "started a full rebuild of 1 source(s)" in c.text_and_blocks()
    )
    assert "<@U0GROUPIE>" in block_text(started[0])
    assert slack.settings.generation().number == 1
    # the running bot answers from the new generation on its next question
    ts, _ = slack.mention("What do customers say about the refund?", channel="C0REBUILD2")
    answer = slack.wait_answer("C0REBUILD2", root=ts)
    assert "hostile.csv:H4" in citation_ids(answer)
    assert slack.bot.engine.corpus().generation == 1
    slack.command("status", channel="C0REBUILD")
    fake.wait_for("response", lambda c: "version 1 of generation 1." in json.dumps(c.body))


def test_the_home_tab_is_refreshed_after_a_reindex(
    slack: Harness, fake: FakeSlack, reindexed: str
) -> None:
    slack.home_opened(user="U0HOMER")
    fake.wait_for("views.publish", lambda c: c.body.get("user_id") == "U0HOMER")
    before = len(
        fake.calls_to("chat.postMessage", lambda c: "Re-index finished" in c.text_and_blocks())
    )
    slack.command("reindex", user="U0ADMIN", channel="C0OPS2")
    fake.wait_for(
        "chat.postMessage", lambda c: "Re-index finished" in c.text_and_blocks(), count=before + 1
    )
    # published again, unasked, once the new index answers
    fake.wait_for("views.publish", lambda c: c.body.get("user_id") == "U0HOMER", count=2)
    text = json.dumps(fake.views["U0HOMER"])
    assert "Last re-index" in text and "Data indexed" in text
