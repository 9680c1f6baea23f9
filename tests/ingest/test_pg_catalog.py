"""The catalog and the generation pointer in a real PostgreSQL, vectors in a real `chroma run`:
an ingest on one data dir and two bots on their own data dirs (no shared disk) answer alike,
see a re-ingest and a rebuild on their next question, and the database restarting mid-ingest
or being down while a bot answers is one clear error, then recovered."""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.corpus import clear_cache
from bot.engine import Engine
from ingest.catalog import Catalog
from ingest.config import Settings, SourceSpec
from ingest.errors import DatabaseError, StoreError
from ingest.pipeline import Job, run_ingest
from ingest.store import forget_clients
from tests.chroma_server import ChromaServer
from tests.conftest import EXAMPLES, make_settings, run_cli
from tests.fakes.postgres import PostgresServer

SURVEY = EXAMPLES / "survey_responses.csv"
QUESTIONS = [
    "What do customers complain about most?",
    "What do North customers say about late deliveries?",
    "How many complaints about support wait times?",
]


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    try:
        srv = ChromaServer(tmp_path_factory.mktemp("chroma-pg") / "server").start()
    except RuntimeError as exc:
        pytest.skip(f"`chroma run` could not start here: {exc}")
    yield srv
    srv.stop()
    forget_clients()


def shared(path: Path, chroma: ChromaServer, url: str, **kw: object) -> Settings:
    return make_settings(path, chroma_url=chroma.url, database_url=url, **kw)


def with_extra_rows(path: Path, n: int) -> Path:
    """The demo survey plus ``n`` new complaints about a broken zipper."""
    rows = list(csv.reader(SURVEY.open(encoding="utf-8")))
    for i in range(n):
        rows.append(
            [
                f"RX{i:03d}",
                "2026-10-20 10:00",
                "North",
                "web",
                "2",
                f"The zipper broke on day {i + 1}.",
            ]
        )
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def verbatims_in(answer_text: str) -> int:
    m = re.search(r"among ([\d,]+) verbatims", answer_text)
    assert m, answer_text
    return int(m.group(1).replace(",", ""))


def summary(a) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    return a.answer, [c.id for c in a.citations]


def test_two_bots_on_their_own_data_dirs_see_one_ingest_a_reingest_and_a_rebuild(
    tmp_path: Path, chroma: ChromaServer, pg_url: str
) -> None:
    src = tmp_path / "survey.csv"
    src.write_bytes(SURVEY.read_bytes())
    a = shared(tmp_path / "a", chroma, pg_url)
    assert run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], a).added == 1032
    again = run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], a)
    assert (again.skipped, again.unchanged) == (["survey.csv"], 1032)  # not read again
    b = Engine(shared(tmp_path / "b", chroma, pg_url))
    c = Engine(shared(tmp_path / "c", chroma, pg_url))
    first = [summary(b.ask(q)) for q in QUESTIONS]
    assert first == [summary(c.ask(q)) for q in QUESTIONS]
    assert verbatims_in(first[0][0]) == 1032
    for d in ("b", "c"):  # nothing of the index on the bots' disks but their own caches
        assert not list((tmp_path / d).glob("catalog*.sqlite*"))
        assert not (tmp_path / d / "chroma").exists()
    # a cxbot ask process on a third data dir answers the same
    done = run_cli(
        ["ask", QUESTIONS[0]],
        tmp_path / "d",
        CXBOT_DATABASE_URL=pg_url,
        CXBOT_CHROMA_URL=chroma.url,
        CXBOT_COLLECTION="cxbot",
    )
    assert done.returncode == 0, done.stderr
    assert "among 1,032 verbatims" in done.stdout

    # incremental re-ingest through A: both bots count the new rows on their next question
    with_extra_rows(src, 5)
    assert run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], a).added == 5
    after = [summary(e.ask(QUESTIONS[0])) for e in (b, c)]
    assert after[0] == after[1] and verbatims_in(after[0][0]) == 1037

    # a rebuild switches both to generation 1 at once; the old schema goes with the next run
    done_rebuild = run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], a, rebuild=True)
    assert done_rebuild.generation == 1
    assert b.corpus().generation == 1 and c.corpus().generation == 1
    rebuilt = [summary(e.ask(q)) for e in (b, c) for q in QUESTIONS[:1]]
    assert rebuilt[0] == rebuilt[1] and verbatims_in(rebuilt[0][0]) == 1037
    assert not list((tmp_path / "a").glob("catalog*.sqlite*"))  # the ingest side neither


def test_the_database_restarted_mid_ingest_commits_nothing_and_the_retry_completes(
    tmp_path: Path, chroma: ChromaServer, postgres: PostgresServer, pg_url: str
) -> None:
    src = tmp_path / "survey.csv"
    src.write_bytes(SURVEY.read_bytes())
    a = shared(tmp_path / "a", chroma, pg_url, collection="restart")
    run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], a)
    bot = Engine(shared(tmp_path / "b", chroma, pg_url, collection="restart"))
    assert verbatims_in(bot.ask(QUESTIONS[0]).answer) == 1032
    with_extra_rows(src, 7)

    def restart(stage: str, advance: int, total: int) -> None:
        if stage == "embed":  # the catalog transaction is open: the restart ends it
            postgres.stop()
            postgres.start()

    with pytest.raises(DatabaseError, match="Cannot reach the database at 127.0.0.1") as err:
        run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], a, progress=restart)
    assert "\n" not in str(err.value)
    cat = Catalog(a.generation(), readonly=True)
    try:
        assert cat.count() == 1032  # nothing of the failed run was committed
    finally:
        cat.close()
    assert verbatims_in(bot.ask(QUESTIONS[0]).answer) == 1032
    retry = run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], a)
    assert retry.added == 7 and retry.unchanged == 1032
    assert verbatims_in(bot.ask(QUESTIONS[0]).answer) == 1039


def test_the_database_down_while_a_bot_answers_is_one_line_then_it_recovers(
    tmp_path: Path, chroma: ChromaServer, postgres: PostgresServer, pg_url: str
) -> None:
    a = shared(tmp_path / "a", chroma, pg_url, collection="down")
    run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], a)
    bot = Engine(shared(tmp_path / "b", chroma, pg_url, collection="down"))
    before = summary(bot.ask(QUESTIONS[1]))
    postgres.stop()
    try:
        with pytest.raises(DatabaseError) as err:
            bot.ask(QUESTIONS[1])
        line = str(err.value)
        assert "\n" not in line and f"127.0.0.1:{postgres.port}" in line
        assert "try again once it is back" in line
    finally:
        postgres.start()
    assert summary(bot.ask(QUESTIONS[1])) == before
    clear_cache()  # a fresh process's view: rebuilt from the database and its own caches
    assert summary(bot.ask(QUESTIONS[1])) == before


def test_sqlite_and_postgresql_catalogs_give_the_same_answers(
    tmp_path: Path, chroma: ChromaServer, pg_url: str
) -> None:
    lite = make_settings(tmp_path / "lite", chroma_url=chroma.url, collection="lite")
    pg = shared(tmp_path / "pg", chroma, pg_url, collection="pgsame")
    for s in (lite, pg):
        run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], s)
    e_lite, e_pg = Engine(lite), Engine(pg)
    for q in QUESTIONS:
        assert summary(e_lite.ask(q)) == summary(e_pg.ask(q))


def test_db_copy_moves_a_sqlite_catalog_so_bots_answer_as_before(
    tmp_path: Path, chroma: ChromaServer, pg_url: str
) -> None:
    lite = make_settings(tmp_path / "old", chroma_url=chroma.url, collection="moved")
    run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], lite)
    env = {
        "CXBOT_DATABASE_URL": pg_url,
        "CXBOT_CHROMA_URL": chroma.url,
        "CXBOT_COLLECTION": "moved",
    }
    done = run_cli(["db", "copy", "--from", str(tmp_path / "old")], tmp_path / "new", **env)
    assert done.returncode == 0, done.stderr
    assert "catalog: 1,032 records copied (Chroma collection moved)" in done.stdout
    moved = Engine(shared(tmp_path / "bot", chroma, pg_url, collection="moved"))
    before = Engine(lite)
    for q in QUESTIONS:
        assert summary(moved.ask(q)) == summary(before.ask(q))
    again = run_cli(["db", "copy", "--from", str(tmp_path / "old")], tmp_path / "new", **env)
    assert again.returncode == 0, again.stderr
    assert "already holds 1,032 records for 'moved': left as it is" in again.stdout


def test_a_first_ingest_cut_by_a_restart_leaves_nothing_half_indexed(
    tmp_path: Path, chroma: ChromaServer, postgres: PostgresServer, pg_url: str
) -> None:
    a = shared(tmp_path / "a", chroma, pg_url, collection="first")

    def restart(stage: str, advance: int, total: int) -> None:
        if stage == "embed":
            postgres.stop()
            postgres.start()

    with pytest.raises(DatabaseError):
        run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], a, progress=restart)
    bot = Engine(shared(tmp_path / "b", chroma, pg_url, collection="first"))
    with pytest.raises(StoreError, match="Nothing has been indexed yet"):
        bot.ask(QUESTIONS[0])
    assert run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], a).added == 1032
    assert verbatims_in(bot.ask(QUESTIONS[0]).answer) == 1032


def _wait_for_dense(engine: Engine, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while engine.corpus().dense is None:
        assert time.monotonic() < deadline, "the bot never got its copy of the vector file"
        time.sleep(0.2)


def test_a_bot_on_its_own_data_dir_gets_its_own_copy_of_the_vector_file(
    tmp_path: Path, chroma: ChromaServer, pg_url: str
) -> None:
    """Between dense_in_memory_max and dense_exact_max records (here from 0, so the demo's
    1,032 count) dense search runs over ingest's vector file. With the catalog in PostgreSQL
    that file is on the ingest's disk: a bot elsewhere builds its own copy from the Chroma
    server in the background, answers the same meanwhile, and follows a re-ingest."""
    src = tmp_path / "survey.csv"
    src.write_bytes(SURVEY.read_bytes())
    limits = {"dense_in_memory_max": 0, "collection": "vfcopy"}
    a = shared(tmp_path / "a", chroma, pg_url, **limits)
    assert run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], a).added == 1032
    assert list((tmp_path / "a").glob("dense-g*"))  # written in PostgreSQL mode too
    here = Engine(a)
    expected = [summary(here.ask(q)) for q in QUESTIONS]
    bot = Engine(shared(tmp_path / "b", chroma, pg_url, **limits))
    meanwhile = [summary(bot.ask(q)) for q in QUESTIONS]  # Chroma's index, the copy underway
    assert [m[0] for m in meanwhile] == [e[0] for e in expected]
    _wait_for_dense(bot)
    assert [p.name for p in (tmp_path / "b").glob("dense-g*")] == [
        p.name for p in (tmp_path / "a").glob("dense-g*")
    ]
    assert [summary(bot.ask(q)) for q in QUESTIONS] == expected

    with_extra_rows(src, 5)
    assert run_ingest([Job(SourceSpec(kind="survey", path=str(src)))], a).added == 5
    assert verbatims_in(bot.ask(QUESTIONS[0]).answer) == 1037
    _wait_for_dense(bot)
    assert len(bot.corpus().dense) == 1037
    clear_cache()
    assert [summary(bot.ask(q)) for q in QUESTIONS] == [summary(here.ask(q)) for q in QUESTIONS]
