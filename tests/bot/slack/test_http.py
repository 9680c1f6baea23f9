"""cxbot in HTTP mode, over real HTTP, on the bundled demo data: what a Slack user sees."""

from __future__ import annotations

import json
import time

import pytest

from bot.engine import Engine
from bot.slack.blocks import MORE_ACTION, VOTE_DOWN_ACTION, VOTE_UP_ACTION
from bot.slack.reply import make_client
from bot.slack.serve import check_tokens, run
from ingest.config import Settings
from ingest.errors import ConfigError
from tests.bot.slack_harness import (
    Harness,
    block_text,
    citation_ids,
    is_answer,
    mention_event,
    slack_settings,
)
from tests.conftest import make_settings
from tests.fakes.slack_api import Call, FakeSlack


def posts_in(fake: FakeSlack, channel: str, thread_ts: str | None = None) -> list[Call]:
    return fake.calls_to(
        "chat.postMessage",
        lambda c: c.body.get("channel") == channel and c.body.get("thread_ts") == thread_ts,
    )


def verbatim_rows(engine: Engine, call: Call) -> list[dict]:
    corpus = engine.corpus()
    rows = [corpus.record(corpus.index[i]) for i in citation_ids(call)]
    return [r for r in rows if r["kind"] == "verbatim"]


def test_healthz(slack: Harness) -> None:
    r = slack.get("/healthz")
    assert r.status == 200
    assert json.loads(r.body)["ok"] is True
    assert slack.get("/nope").status == 404


def test_url_verification_challenge_is_answered(slack: Harness) -> None:
    raw = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"}).encode()
    r = slack.send(raw, "application/json")
    assert r.status == 200 and "c-123" in r.body


def test_bad_signature_and_stale_timestamp_are_rejected(slack: Harness, fake: FakeSlack) -> None:
    channel = "C0SIGNED"
    ts = fake.add_message(channel, "hi", "U0MALLORY")
    raw = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvFORGED",
            "team_id": "T0CX",
            "event": mention_event(
                "What do North customers complain about?", channel, "U0MALLORY", ts
            ),
        }
    ).encode()
    forged = slack.send(raw, "application/json", slack.signed_headers(raw, secret="not-it"))
    stale = slack.send(
        raw, "application/json", slack.signed_headers(raw, ts=int(time.time()) - 600)
    )
    unsigned = slack.send(raw, "application/json", {})
    tampered_headers = slack.signed_headers(raw)
    tampered = slack.send(raw.replace(b"North", b"South"), "application/json", tampered_headers)
    assert [forged.status, stale.status, unsigned.status, tampered.status] == [401] * 4
    time.sleep(0.3)
    assert not fake.calls_to("chat.postMessage", lambda c: c.body.get("channel") == channel)


def test_mention_gets_a_cited_answer_in_its_thread(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    channel = "C0ASK"
    ts, sent = slack.mention("What do North customers complain about?", channel=channel)
    assert sent.status == 200 and sent.ms < 1000  # acknowledged at once, answered later
    answer = slack.wait_answer(channel, root=ts)
    placeholder = posts_in(fake, channel, ts)[0]
    assert "Looking into it" in block_text(placeholder)
    assert answer.method == "chat.update" and placeholder.at < answer.at
    text = block_text(answer)
    assert "North verbatims" in text and "[1]" in text
    rows = verbatim_rows(demo_engine, answer)
    assert len(rows) >= 3  # citations point to stored records ...
    assert all(r["segments"]["region"] == "North" for r in rows)  # ... of the asked segment
    assert all(r["text"][:40] in text for r in rows)  # and quote them
    fake.wait_for("reactions.remove", lambda c: c.body.get("timestamp") == ts)
    reactions = [c.method for c in fake.calls if c.body.get("timestamp") == ts]
    assert reactions == ["reactions.add", "reactions.remove"]
    print(
        f"\nLATENCY mention: ack {sent.ms:.0f} ms, placeholder "
        f"{(placeholder.at - sent.t0) * 1000:.0f} ms, answer {(answer.at - sent.t0) * 1000:.0f} ms"
    )


def test_retried_event_is_answered_once(slack: Harness, fake: FakeSlack) -> None:
    channel = "C0RETRY"
    ts = fake.add_message(channel, "q", "U0ALICE")
    event = mention_event("What do East customers complain about?", channel, "U0ALICE", ts)
    sent = [
        slack.event(event, event_id="EvRETRY0001"),
        slack.event(event, event_id="EvRETRY0001", retry=1),
        slack.event(event, event_id="EvRETRY0001", retry=2),
    ]
    assert [s.status for s in sent] == [200, 200, 200]
    slack.wait_answer(channel, root=ts)
    time.sleep(0.3)
    assert len(posts_in(fake, channel, ts)) == 1
    assert len(slack.answers(channel)) == 1


def test_same_dm_message_as_mention_and_message_is_answered_once(
    slack: Harness, fake: FakeSlack
) -> None:
    channel = "D0ALICE"
    ts = fake.add_message(channel, "q", "U0ALICE")
    question = "What do South customers complain about?"
    dm = {
        "type": "message",
        "channel_type": "im",
        "user": "U0ALICE",
        "text": question,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "client_msg_id": "5c6d3a2e-0000-4000-8000-000000000001",
    }
    assert slack.event(dm).status == 200
    assert slack.event(mention_event(question, channel, "U0ALICE", ts)).status == 200
    slack.wait_answer(channel, root=ts)
    time.sleep(0.3)
    assert len(slack.answers(channel)) == 1


def test_thread_follow_up_keeps_the_first_questions_segment(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    channel = "C0THREAD"
    root, _ = slack.mention("What do West customers complain about?", channel=channel)
    first = slack.wait_answer(channel, root=root)
    assert "West verbatims" in block_text(first)

    follow_up = "and what about late deliveries?"
    slack.mention(follow_up, channel=channel, thread_ts=root)
    fake.wait_for(None, lambda c: c.body.get("channel") == channel and is_answer(c), count=2)
    second = slack.answers(channel)[1]
    assert "West verbatims" in block_text(second)
    assert all(r["segments"]["region"] == "West" for r in verbatim_rows(demo_engine, second))

    # the same words outside the thread have no segment: the thread is what carried it
    alone, _ = slack.mention(follow_up, channel="C0ALONE")
    reply = slack.wait_answer("C0ALONE", root=alone)
    assert "West verbatims" not in block_text(reply)  # counted over every region
    # (a quote may still come from a West customer: no region was asked for)
    assert any(r["segments"]["region"] != "West" for r in verbatim_rows(demo_engine, reply))

    # a follow-up naming another segment switches to it
    slack.mention("what about South customers?", channel=channel, thread_ts=root)
    fake.wait_for(None, lambda c: c.body.get("channel") == channel and is_answer(c), count=3)
    assert "South verbatims" in block_text(slack.answers(channel)[2])


def test_thread_follow_up_keeps_the_shape_of_the_answer(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    channel = "C0SHAPE"
    root, _ = slack.mention("What are the top 2 complaints in the North?", channel=channel)
    first = block_text(slack.wait_answer(channel, root=root))
    assert "Most raised complaints among" in first and "North verbatims" in first
    slack.mention("And for the South?", channel=channel, thread_ts=root)
    fake.wait_for(None, lambda c: c.body.get("channel") == channel and is_answer(c), count=2)
    second = block_text(slack.answers(channel)[1])
    assert "Most raised complaints among" in second and "South verbatims" in second
    assert "kept from the question this replies to" in second


def test_thread_context_survives_a_restart(
    fake: FakeSlack, demo_settings: Settings, demo_engine: Engine
) -> None:
    first = Harness(slack_settings(demo_settings.data_dir, fake), demo_engine, fake)
    try:
        root, _ = first.mention("What do East customers complain about?", channel="C0RESTART")
        first.wait_answer("C0RESTART", root=root)
    finally:
        first.close()
    again = Harness(slack_settings(demo_settings.data_dir, fake), demo_engine, fake)  # new process
    try:
        again.mention("and about refunds?", channel="C0RESTART", thread_ts=root)
        fake.wait_for(
            None, lambda c: c.body.get("channel") == "C0RESTART" and is_answer(c), count=2
        )
        assert "East verbatims" in block_text(again.answers("C0RESTART")[1])
        assert not fake.calls_to("conversations.replies", lambda c: c.body.get("ts") == root)
    finally:
        again.close()


def test_question_in_a_people_thread_takes_the_context_of_its_first_message(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    channel = "C0PEOPLE"
    root = fake.add_message(channel, "Are the North region deliveries getting worse?", "U0DAN")
    slack.mention("what do customers complain about?", channel=channel, thread_ts=root)
    answer = slack.wait_answer(channel, root=root)
    assert fake.calls_to("conversations.replies", lambda c: c.body.get("ts") == root)
    assert "North verbatims" in block_text(answer)
    assert all(r["segments"]["region"] == "North" for r in verbatim_rows(demo_engine, answer))


def test_slash_ask_posts_a_placeholder_then_updates_it(slack: Harness, fake: FakeSlack) -> None:
    channel = "C0SLASH"
    sent = slack.command("ask What do South customers complain about?", channel=channel)
    assert sent.status == 200 and sent.body == "" and sent.ms < 1000
    answer = slack.wait_answer(channel)
    placeholder = posts_in(fake, channel)[0]
    assert answer.method == "chat.update"  # the placeholder, updated in place
    assert [m["ts"] for m in fake.messages[channel]] == [answer.body["ts"]]
    text = block_text(answer)
    assert "<@U0ALICE> asked" in text and "South verbatims" in text
    print(
        f"\nLATENCY /cx ask: ack {sent.ms:.0f} ms, placeholder "
        f"{(placeholder.at - sent.t0) * 1000:.0f} ms, answer {(answer.at - sent.t0) * 1000:.0f} ms"
    )


def test_more_evidence_and_feedback_buttons(
    slack: Harness, fake: FakeSlack, demo_engine: Engine
) -> None:
    channel = "C0MORE"
    slack.command("ask What do customers complain about most?", channel=channel)
    answer = slack.wait_answer(channel)
    message = slack.final_message(channel, answer.body["ts"])
    first_page = citation_ids(answer)
    assert len(first_page) == 5 and "More evidence" in json.dumps(message["blocks"])

    assert slack.click(message, MORE_ACTION).status == 200
    more = fake.wait_for(
        "chat.postMessage",
        lambda c: c.body.get("channel") == channel and c.body.get("thread_ts") == message["ts"],
    )[0]
    second_page = citation_ids(more)
    assert second_page and not set(second_page) & set(first_page)
    assert all(i in demo_engine.corpus().index for i in second_page)
    assert "*[6]*" in block_text(more)

    assert slack.click(message, VOTE_UP_ACTION, user="U0BOSS").status == 200
    assert slack.click(message, VOTE_DOWN_ACTION, user="U0CARL").status == 200
    fake.wait_for("response", lambda c: "recorded" in json.dumps(c.body), count=2)
    votes = {v["user"]: v["vote"] for v in slack.bot.store.votes()}
    assert votes["U0BOSS"] == 1 and votes["U0CARL"] == -1

    import io

    buf = io.StringIO()
    slack.bot.store.export(buf)
    rows = [json.loads(line) for line in buf.getvalue().splitlines()]
    mine = [r for r in rows if r["user"] in ("U0BOSS", "U0CARL")]
    assert {r["question"] for r in mine} == {"What do customers complain about most?"}
    assert all(r["answer"].startswith("Most raised complaints") and r["citations"] for r in mine)


def test_slash_gaps_shows_a_table_with_cited_metric_and_verbatims(
    slack: Harness, demo_engine: Engine
) -> None:
    from bot.analysis.gaps import analyse, fmt_value

    channel = "C0GAPS"
    slack.command("gaps", channel=channel)
    answer = slack.wait_answer(channel)
    table = next(b for b in answer.body["blocks"] if b.get("block_id", "").startswith("gaps"))
    rows = table["text"]["text"].strip("`\n").splitlines()
    report = analyse(demo_engine)
    top = report.gap_dict(demo_engine, report.gaps[0])
    assert len(rows) == 1 + len(report.gaps)  # a header, then one row per gap, biggest first
    assert rows[1].startswith(top["segment"]) and top["metric"] in rows[1]
    assert fmt_value(report.gaps[0].fact) in rows[1]
    n = top.get("n_complaining", top["n"])
    assert f"of {n:,} " in rows[1] and ("yes" if top["significant"] else "no") in rows[1]
    corpus = demo_engine.corpus()
    kinds = {corpus.kind[corpus.index[i]] for i in citation_ids(answer)}
    assert kinds == {"metric", "verbatim"}


def test_status_help_digest_and_errors(
    slack: Harness, fake: FakeSlack, demo_settings: Settings
) -> None:
    from bot.analysis.overview import index_stats

    channel = "C0MISC"
    helped = slack.command("help", channel=channel)
    assert helped.status == 200 and "/cx ask" in helped.body  # in the ack itself

    slack.command("status", channel=channel)
    status = fake.wait_for("response", lambda c: "Index:" in json.dumps(c.body))[0]
    stats = index_stats(demo_settings)
    expected = f"{stats['records']:,} records ({stats['verbatims']:,} verbatims, "
    assert expected in json.dumps(status.body) and "Re-index running:* no" in json.dumps(
        status.body
    )

    slack.command("themes", channel=channel)
    themes = fake.wait_for("response", lambda c: "complaints (" in json.dumps(c.body))[0]
    from ingest.theme_edits import theme_rows

    top = theme_rows(demo_settings)[0]
    assert f"{top['label']}*: {top['complaints']:,} complaints" in json.dumps(themes.body)
    assert "fall in some theme" in json.dumps(themes.body)

    slack.command("gaps nosuchmetric", channel=channel)
    err = fake.wait_for(
        None,
        lambda c: (
            "nosuchmetric" in json.dumps(c.body) and "No metric matches" in json.dumps(c.body)
        ),
    )[0]
    assert "Traceback" not in json.dumps(err.body)

    slack.command("ask ?!", channel=channel)
    fake.wait_for(None, lambda c: "no words in it" in json.dumps(c.body))

    slack.command("frobnicate", channel=channel)
    fake.wait_for("response", lambda c: "I don't know `frobnicate`" in json.dumps(c.body))


def test_rate_limit_is_retried_and_uninvited_channel_falls_back(
    slack: Harness, fake: FakeSlack
) -> None:
    fake.script("chat.update", status=429, retry_after=0)
    ts, _ = slack.mention("What do East customers complain about?", channel="C0LIMITED")
    # the 429, then the same update again after Retry-After, which lands
    updates = fake.wait_for("chat.update", lambda c: c.body.get("channel") == "C0LIMITED", 2)
    assert updates[0].body == updates[1].body and is_answer(updates[1])
    assert (
        slack.final_message("C0LIMITED", updates[1].body["ts"])["blocks"]
        == updates[1].body["blocks"]
    )

    fake.script("chat.postMessage", error="not_in_channel", times=2)
    slack.command("ask What do West customers complain about?", channel="C0PRIVATE")
    fake.wait_for("response", lambda c: is_answer(c) and c.body["response_type"] == "in_channel")
    assert not fake.messages["C0PRIVATE"]  # both posts were refused; the answer still came


def test_channel_allowlist(fake: FakeSlack, demo_settings: Settings, demo_engine: Engine) -> None:
    settings = slack_settings(
        demo_settings.data_dir, fake, allowed_channels=["C0CXTEAM"], reindex_users=["U0ADMIN"]
    )
    h = Harness(settings, demo_engine, fake)
    try:
        h.mention("What do North customers complain about?", channel="C0RANDOM", user="U0EVE")
        declined = fake.wait_for("chat.postEphemeral", lambda c: c.body.get("user") == "U0EVE")
        assert "not enabled in this channel" in json.dumps(declined[0].body)
        h.command("ask What do North customers complain about?", channel="C0RANDOM", user="U0EVE")
        fake.wait_for("response", lambda c: "not enabled in this channel" in json.dumps(c.body))
        ok_ts, _ = h.mention("What do North customers complain about?", channel="C0CXTEAM")
        h.wait_answer("C0CXTEAM", root=ok_ts)
        assert not posts_in(fake, "C0RANDOM") and not h.answers("C0RANDOM")
        h.command("reindex", user="U0ADMIN", channel="C0CXTEAM")  # allowed, but no sources.yaml
        fake.wait_for("response", lambda c: "CXBOT_SOURCES_PATH" in json.dumps(c.body))
    finally:
        h.close()


def test_missing_tokens_are_named_at_start_up(tmp_path) -> None:
    bare = make_settings(
        tmp_path, slack_bot_token=None, slack_signing_secret=None, slack_app_token=None
    )
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        run(bare, http=True)
    no_secret = make_settings(
        tmp_path, slack_bot_token="xoxb-1", slack_signing_secret=None, slack_app_token=None
    )
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        run(no_secret)  # no SLACK_APP_TOKEN: HTTP mode, which needs the secret
    socket = make_settings(
        tmp_path, slack_bot_token="xoxb-1", slack_signing_secret=None, slack_app_token="xapp-1"
    )
    assert check_tokens(socket, http=False) is False  # Socket Mode, no secret needed
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        check_tokens(socket, http=True)
    empty = make_settings(  # docker compose passes unset variables as ""
        tmp_path, slack_bot_token="xoxb-1", slack_signing_secret="s", slack_app_token=""
    )
    assert check_tokens(empty, http=False) is True  # so: HTTP mode, not Socket Mode
    prod = make_settings(
        tmp_path, slack_bot_token="xoxb-1", production=True, slack_api_url="http://x.test/api/"
    )
    with pytest.raises(ConfigError, match="only goes over HTTPS"):
        make_client(prod)
