"""The state database as an operator meets it: a wrong URL, password or host is one line; a
schema older or newer than the code is refused until `cxbot db upgrade`; the SQLite files an
older cxbot wrote are migrated in place; two ingests at once: the second names the first."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.digest.post import Ledger
from bot.slack.feedback import FeedbackStore
from bot.state import SCHEMA, state_db
from ingest.db import Database, open_database, parse_url
from ingest.errors import DatabaseError, StoreBusyError
from ingest.locks import ingest_lock, lock_holder
from tests.conftest import EXAMPLES, make_settings, run_cli
from tests.fakes.postgres import PASSWORD, PostgresServer


def one_line_error(done) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://u:p@db/cx", "PostgreSQL (postgresql://) or SQLite, not mysql"),
        ("postgresql://u:p@db:5432/", "names no database"),
        ("postgresql://u:p@db:notaport/cx", "is not a database URL"),
        ("postgresql://cxbot:pw@127.0.0.1:1/cx", "Cannot reach the database at 127.0.0.1:1"),
    ],
)
def test_a_wrong_database_url_is_one_clear_error(tmp_path: Path, url: str, said: str) -> None:
    s = make_settings(tmp_path / "d", database_url=url)
    with pytest.raises(DatabaseError, match=re.escape(said)) as err:
        FeedbackStore(state_db(s, "slack"))
    assert "\n" not in str(err.value) and "CXBOT_DATABASE_URL" in str(err.value)


def test_a_wrong_password_and_a_missing_database_say_so_in_one_line(
    tmp_path: Path, postgres: PostgresServer, pg_url: str
) -> None:
    name = pg_url.rsplit("/", 1)[1]
    done = run_cli(
        ["db", "upgrade"], tmp_path / "d", CXBOT_DATABASE_URL=postgres.url(name, "not-it")
    )
    line = one_line_error(done)
    assert "refused the login for user 'cxbot'" in line and "not-it" not in line
    done = run_cli(["db", "upgrade"], tmp_path / "d", CXBOT_DATABASE_URL=postgres.url("nosuch"))
    assert "has no database 'nosuch'" in one_line_error(done)
    done = run_cli(["db", "upgrade"], tmp_path / "d", CXBOT_DATABASE_URL=pg_url)
    assert done.returncode == 0 and "created -> version 1" in done.stdout
    assert PASSWORD not in done.stdout


def _set_version(db: Database, version: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE cxbot_schema SET version = :v"), {"v": version})


def test_an_older_schema_is_refused_until_db_upgrade(tmp_path: Path, pg_url: str) -> None:
    s = make_settings(tmp_path / "d", database_url=pg_url)
    store = FeedbackStore(state_db(s, "slack"))  # an empty database: created at start
    kept = store.save_answer({"question": "q", "answer": "a"}, "C1", None, "U1", shown=0)
    _set_version(store.db, 0)
    fresh = Database(parse_url(pg_url), None, SCHEMA)  # the next bot to start
    with pytest.raises(DatabaseError, match="schema version 0; this cxbot needs version 1"):
        FeedbackStore(fresh)
    done = run_cli(["db", "status"], tmp_path / "d", CXBOT_DATABASE_URL=pg_url)
    assert "schema version 0, this cxbot needs 1" in done.stdout
    done = run_cli(["db", "upgrade"], tmp_path / "d", CXBOT_DATABASE_URL=pg_url)
    assert done.returncode == 0 and "version 0 -> version 1" in done.stdout, done.stderr
    again = FeedbackStore(Database(parse_url(pg_url), None, SCHEMA))
    assert again.answer(kept) is not None  # nothing lost on the way


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path, backend: str | None) -> None:
    s = make_settings(tmp_path / "d", database_url=backend)
    db = state_db(s, "slack")
    FeedbackStore(db)
    _set_version(db, 7)
    with pytest.raises(DatabaseError, match="schema version 7, newer than this cxbot knows"):
        FeedbackStore(Database(db.url, db.store, SCHEMA))


def test_replicas_starting_on_an_empty_database_create_the_schema_once(pg_url: str) -> None:
    dbs = [Database(parse_url(pg_url), None, SCHEMA) for _ in range(4)]
    results: list[object] = []
    gate = threading.Barrier(len(dbs))

    def start(db: Database) -> None:
        gate.wait()
        try:
            results.append(db.ensure())
        except Exception as exc:  # noqa: BLE001 - asserted below
            results.append(exc)

    threads = [threading.Thread(target=start, args=(d,)) for d in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results, key=str) == sorted([(None, 1)] + [(1, 1)] * 3, key=str)


OLD_SLACK = """
CREATE TABLE answers (id TEXT PRIMARY KEY, created TEXT NOT NULL, channel TEXT, thread_ts TEXT,
    user TEXT, question TEXT NOT NULL, answer_json TEXT NOT NULL, shown INTEGER NOT NULL DEFAULT 0);
CREATE TABLE feedback (answer_id TEXT NOT NULL, user TEXT NOT NULL, vote INTEGER NOT NULL,
    at TEXT NOT NULL, PRIMARY KEY (answer_id, user));
INSERT INTO answers VALUES ('a1', '2024-01-01T00:00:00+00:00', 'C1', NULL, 'U1', 'why?',
    '{"question": "why?", "answer": "because"}', 2);
INSERT INTO feedback VALUES ('a1', 'U2', 1, '2024-01-01T00:00:01+00:00');
"""
OLD_LEDGER = """
CREATE TABLE digest_posts (channel TEXT NOT NULL, period TEXT NOT NULL, status TEXT NOT NULL,
    owner TEXT NOT NULL, claimed_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 1,
    message_ts TEXT, file_id TEXT, error TEXT, updated_at REAL NOT NULL,
    PRIMARY KEY (channel, period));
INSERT INTO digest_posts VALUES ('watch-1:C1', '2024-03-01', 'done', 'x', 1.0, 1, '1.1', NULL,
    NULL, 1.0);
"""


def test_the_sqlite_files_an_older_cxbot_wrote_are_migrated_in_place(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name, ddl in (("slack.sqlite", OLD_SLACK), ("alerts.sqlite", OLD_LEDGER)):
        with sqlite3.connect(data / name) as conn:
            conn.executescript(ddl)
    s = make_settings(data)
    store = FeedbackStore(state_db(s, "slack"))
    assert store.answer("a1")["shown"] == 2
    assert store.votes()[0]["user"] == "U2"
    alerts = Ledger(state_db(s, "alerts"), ledger="alerts")
    assert alerts.claim("watch-1:C1", "2024-03-01") is None  # posted before: not again
    assert alerts.status("watch-1:C1", "2024-03-01") == "done"
    assert [db.current() for db in (store.db, alerts.db)] == [1, 1]


def test_two_ingests_at_once_the_second_names_the_first(
    tmp_path: Path, backend: str | None
) -> None:
    """With a URL the lock is shared across machines: the second ingest has its own data dir."""
    first = make_settings(tmp_path / "a", database_url=backend)
    other_dir = tmp_path / ("b" if backend else "a")
    env = {"CXBOT_DATABASE_URL": backend} if backend else {}
    with ingest_lock(first, who="alice"):
        holder = lock_holder(make_settings(other_dir, database_url=backend))
        assert holder is not None and holder["who"] == "alice"
        done = run_cli(
            ["ingest", str(EXAMPLES / "survey_responses.csv"), "--kind", "survey"], other_dir, **env
        )
        line = one_line_error(done)
        assert "A re-index is already running (started by alice at" in line
        with pytest.raises(StoreBusyError, match="started by alice"):
            with ingest_lock(make_settings(other_dir, database_url=backend)):
                pass
    assert lock_holder(first) is None
    with ingest_lock(make_settings(other_dir, database_url=backend), who="bob"):
        pass  # released: the next one runs


def test_no_url_keeps_the_files_in_the_data_dir(tmp_path: Path) -> None:
    s = make_settings(tmp_path / "data")
    FeedbackStore(state_db(s, "slack"))
    Ledger(state_db(s, "digest"))
    assert sorted(p.name for p in (tmp_path / "data").glob("*.sqlite")) == [
        "digest.sqlite",
        "slack.sqlite",
    ]
    assert open_database(f"sqlite:///{tmp_path / 'data' / 'slack.sqlite'}").shared is False


def test_a_database_restart_mid_ingest_still_guards_the_data_dir(
    tmp_path: Path, postgres: PostgresServer, pg_url: str
) -> None:
    """The advisory lock ends with its session; the data dir's file lock does not."""
    s = make_settings(tmp_path / "a", database_url=pg_url)
    with ingest_lock(s, who="alice"):
        postgres.stop()
        postgres.start()
        with pytest.raises(StoreBusyError, match="started by alice"):
            with ingest_lock(make_settings(tmp_path / "a", database_url=pg_url)):
                pass


def test_db_status_on_a_fresh_data_dir_reports_and_creates_nothing(tmp_path: Path) -> None:
    done = run_cli(["db", "status"], tmp_path / "d")
    assert done.returncode == 0, done.stderr
    assert "empty" in done.stdout
    assert not list((tmp_path / "d").glob("*.sqlite"))
