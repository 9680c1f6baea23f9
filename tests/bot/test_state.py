"""The bot's state stores on both backends (the SQLite files, a real PostgreSQL): what one
process writes another sees, and what only one may win (a claim, a title, an event) is won
once however many threads and replicas race for it."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot.digest.post import Ledger
from bot.filters import Filters
from bot.slack.dedupe import Deduper
from bot.slack.feedback import FeedbackStore
from bot.slack.watch import WatchStore
from bot.state import SCHEMA, state_db
from ingest.db import Database, open_database
from tests.conftest import make_settings, run_cli


def db_for(tmp_path: Path, url: str | None, store: str = "slack") -> Database:
    return state_db(make_settings(tmp_path / "data", database_url=url), store)


def replica(db: Database) -> Database:
    """Another bot's view of the same state: its own Database object on the same URL/file."""
    return Database(db.url, db.store, db.schema)


def race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` in ``n`` threads released at once; their results in order."""
    results: list[Any] = [None] * n
    errors: list[BaseException] = []
    gate = threading.Barrier(n)

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_answers_votes_and_threads_are_seen_by_another_replica(
    tmp_path: Path, backend: str | None
) -> None:
    db = db_for(tmp_path, backend)
    a, b = FeedbackStore(db), FeedbackStore(replica(db))
    answer = {"question": "What do North customers say?", "answer": "Late deliveries [1].",
              "citations": [{"n": 1, "id": "r1"}]}  # fmt: skip
    aid = a.save_answer(answer, "C1", "100.1", "U1", shown=1)
    assert b.answer(aid)["question"] == answer["question"]
    assert b.answer(aid)["shown"] == 1
    assert a.vote(aid, "U2", 1) and b.vote(aid, "U2", -1)  # a changed mind, on another replica
    assert not b.vote("no-such-answer", "U2", 1)
    out = io.StringIO()
    assert a.export(out) == 1
    row = json.loads(out.getvalue())
    assert (row["vote"], row["question"], row["citations"]) == (
        "down",
        answer["question"],
        answer["citations"],
    )
    a.set_thread("C1", "100.1", Filters(segments={"region": ["North"]}, intent="complaints"))
    got = b.thread("C1", "100.1")
    assert got is not None and got.segments == {"region": ["North"]}
    assert got.intent == "complaints"
    assert b.thread("C1", "999.9") is None
    if db.shared:  # a follow-up answered by the other replica changes the context for both
        b.set_thread("C1", "100.1", Filters(segments={"region": ["South"]}))
        again = a.thread("C1", "100.1")
        assert again is not None and again.segments == {"region": ["South"]}
    a.set_assistant_context("D1", "5.5", {"channel_id": "C9"}, user="U1")
    b.set_assistant_context("D1", "5.5", {"channel_id": "C8"})  # user kept
    assert a.assistant_context("D1", "5.5") == {"channel_id": "C8"}
    a.home_opened("U1")
    b.home_opened("U2")
    assert set(a.home_users("2000-01-01")) == {"U1", "U2"}


def test_an_assistant_thread_is_titled_once_however_many_replicas_race(
    tmp_path: Path, backend: str | None
) -> None:
    db = db_for(tmp_path, backend)
    stores = [FeedbackStore(db), FeedbackStore(replica(db))]
    won = race(8, lambda i: stores[i % 2].first_title("D1", "7.7"))
    assert won.count(True) == 1


def test_watches_and_their_cooldown(tmp_path: Path, backend: str | None) -> None:
    db = db_for(tmp_path, backend)
    ws = WatchStore(db)
    w = ws.add("watch", "C1", "U1", "late deliveries", ["late"], {}, "Late deliveries")
    s = ws.add("schedule", "C2", "U2", "What changed?", [], {}, "What changed?", "weekly")
    assert s.id > w.id
    other = WatchStore(replica(db))
    assert [x.id for x in other.all("watch")] == [w.id]
    assert [x.cadence for x in other.all("schedule")] == ["weekly"]
    ws.fired(w.id, ["late|region=North", "late|region=South"], date(2024, 3, 1))
    ws.fired(w.id, ["late|region=North"], date(2024, 3, 1))  # again: no error, one row
    assert other.cooling(w.id, "late|region=North", date(2024, 3, 7), days=7)
    assert not other.cooling(w.id, "late|region=North", date(2024, 3, 8), days=7)
    assert not other.cooling(w.id, "late|region=East", date(2024, 3, 2), days=7)
    other.remove(w.id)
    assert ws.get(w.id) is None
    assert not ws.cooling(w.id, "late|region=North", date(2024, 3, 2), days=7)


def test_a_post_is_claimed_once_by_racing_replicas_and_resumed_after_a_failure(
    tmp_path: Path, backend: str | None
) -> None:
    db = db_for(tmp_path, backend, "digest")
    ledgers = [Ledger(replica(db)) for _ in range(6)]
    claims = race(6, lambda i: ledgers[i].claim("C0CX", "2024-W09"))
    winners = [i for i, c in enumerate(claims) if c is not None]
    assert len(winners) == 1
    first = ledgers[winners[0]]
    first.posted(claims[winners[0]], "1700000000.000100")
    first.failed(claims[winners[0]], "upload failed")  # the message went out, the chart did not
    retry = race(6, lambda i: ledgers[i].claim("C0CX", "2024-W09"))
    taken = [c for c in retry if c is not None]
    assert len(taken) == 1 and taken[0].message_ts == "1700000000.000100"  # resume, not repost
    owner = ledgers[retry.index(taken[0])]
    owner.done(taken[0], "F1")
    assert all(led.claim("C0CX", "2024-W09") is None for led in ledgers)
    assert ledgers[0].status("C0CX", "2024-W09") == "done"
    assert ledgers[0].rows()[0]["attempts"] == 2
    # the alert ledger is its own table: the same key there is free
    alerts = Ledger(db_for(tmp_path, backend, "alerts"), ledger="alerts")
    assert alerts.claim("C0CX", "2024-W09") is not None


def test_each_event_is_answered_once_across_replicas(tmp_path: Path, backend: str | None) -> None:
    db = db_for(tmp_path, backend)
    replicas = [Deduper(db), Deduper(replica(db))]
    keys = [f"event:Ev{i:04d}" for i in range(40)]

    def deliver(i: int) -> list[str]:  # each thread in its own order, as deliveries interleave
        order = keys[i * 7 :] + keys[: i * 7]
        return [k for k in order if replicas[i % 2].first(k)]

    answered = race(6, deliver)
    flat = [k for got in answered for k in got]
    assert sorted(flat) == sorted(keys)  # every event answered, none twice


def test_dedupe_falls_back_to_memory_when_the_database_is_unreachable() -> None:
    down = open_database("postgresql://cxbot:pw@127.0.0.1:1/cxbot", None, SCHEMA)
    d = Deduper(down)
    assert d.first("event:Ev1") and not d.first("event:Ev1")


def test_db_copy_moves_the_sqlite_state_into_postgresql_once(tmp_path: Path, pg_url: str) -> None:
    data = tmp_path / "data"
    local = make_settings(data)
    answers = FeedbackStore(state_db(local, "slack"))
    aid = answers.save_answer({"question": "why?", "answer": "because"}, "C1", "1.1", "U1", 1)
    answers.vote(aid, "U2", -1)
    answers.set_thread("C1", "1.1", Filters(segments={"region": ["North"]}))
    watches = WatchStore(state_db(local, "slack"))
    for i in range(3):
        w = watches.add("watch", "C1", "U1", f"w{i}", [], {}, f"watch {i}")
    watches.remove(1)  # ids 2 and 3 are left: they must keep them
    watches.fired(w.id, ["late|region=North"], date(2024, 3, 1))
    alerts = Ledger(state_db(local, "alerts"), ledger="alerts")
    claim = alerts.claim(f"watch-{w.id}:C1", "2024-03-01")
    assert claim is not None
    alerts.posted(claim, "9.9")
    alerts.done(claim, None)

    done = run_cli(["db", "copy"], data, CXBOT_DATABASE_URL=pg_url)
    assert done.returncode == 0, done.stderr
    assert "answers: 1 row(s) copied" in done.stdout
    assert "watches: 2 row(s) copied" in done.stdout
    assert "alert_posts: 1 row(s) copied" in done.stdout

    shared = make_settings(tmp_path / "elsewhere", database_url=pg_url)  # another machine
    there = FeedbackStore(state_db(shared, "slack"))
    assert there.answer(aid)["question"] == "why?"
    assert [v["vote"] for v in there.votes()] == [-1]
    ctx = there.thread("C1", "1.1")
    assert ctx is not None and ctx.segments == {"region": ["North"]}
    ws = WatchStore(state_db(shared, "slack"))
    assert [x.id for x in ws.all()] == [2, 3]
    assert ws.cooling(w.id, "late|region=North", date(2024, 3, 2), days=7)
    assert ws.add("watch", "C1", "U1", "new", [], {}, "new").id == 4  # no id reused
    ledger = Ledger(state_db(shared, "alerts"), ledger="alerts")
    assert ledger.claim(f"watch-{w.id}:C1", "2024-03-01") is None  # posted already: not again

    again = run_cli(["db", "copy"], data, CXBOT_DATABASE_URL=pg_url)
    assert "answers: 0 row(s) copied, 1 already there" in again.stdout


def test_db_copy_without_a_url_says_what_to_set(tmp_path: Path) -> None:
    done = run_cli(["db", "copy"], tmp_path / "data")
    assert done.returncode == 2 and "CXBOT_DATABASE_URL, which is not set" in done.stderr
