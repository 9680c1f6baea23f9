"""Many readers at once on one embedded data dir; a writer only alone, told who is reading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.common import child_env
from bot.corpus import clear_cache
from ingest.config import Settings, SourceSpec
from ingest.errors import StoreBusyError
from ingest.locks import hold_store, release_stores
from ingest.pipeline import Job, run_ingest
from ingest.store import forget_clients
from tests.conftest import EXAMPLES, ROOT, make_settings

SURVEY = EXAMPLES / "survey_responses.csv"
QUESTION = "What do North customers say about late deliveries?"

# a long-running reader, like `cxbot serve`: answers one question through Chroma's HNSW index
# (so it really opens the embedded store), says so, then keeps it open until killed
READER = """
import sys, time
from bot.engine import Engine
from ingest.config import Settings
e = Engine(Settings())
a = e.ask(sys.argv[1])
print("ready", len(a.citations), flush=True)
time.sleep(120)
"""


@pytest.fixture
def indexed(tmp_path: Path) -> Iterator[Settings]:
    s = make_settings(tmp_path / "data")
    run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], s)
    forget_clients()  # this test process lets go: only the children below hold the store
    clear_cache()
    yield s
    forget_clients()


def env(s: Settings, **extra: str) -> dict[str, str]:
    return child_env({"CXBOT_DATA_DIR": str(s.data_dir), "NO_COLOR": "1", **extra})


def cxbot(*args: str, e: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=e,
        cwd=ROOT,
    )


@pytest.mark.parametrize("dense_in_memory_max", ["200000", "0"])
def test_two_asks_at_once_both_answer(indexed: Settings, dense_in_memory_max: str) -> None:
    """In memory (vectors read from the saved file) and through Chroma's HNSW index (both
    processes open the embedded store at once)."""
    e = env(indexed, CXBOT_DENSE_IN_MEMORY_MAX=dense_in_memory_max)
    procs = [cxbot("ask", QUESTION, "--json", e=e) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert '"citations"' in out and "North" in out
    a, b = (json.loads(out) for out, _ in outs)
    assert (a["answer"], a["citations"]) == (b["answer"], b["citations"])  # the same answer


def test_an_ask_during_an_ingest_answers_from_the_saved_files(indexed: Settings) -> None:
    """A writer holds the store (as `cxbot ingest` does while it writes): a question answered
    from the catalog, the saved BM25 and the saved vectors never waits for it."""
    assert (
        hold_store(indexed.data_dir, "write", {"pid": os.getpid(), "cmd": "cxbot ingest"}) is None
    )
    try:
        p = cxbot("ask", QUESTION, e=env(indexed))
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        assert "North" in out
        # a question that needs Chroma itself (the HNSW path) is told who writes, not hung
        p = cxbot("ask", QUESTION, e=env(indexed, CXBOT_DENSE_IN_MEMORY_MAX="0"))
        out, err = p.communicate(timeout=240)
        assert p.returncode == 2
        assert f"pid {os.getpid()}: `cxbot ingest`" in err and "writing it" in err
        assert "Traceback" not in err
    finally:
        release_stores()


def test_ingest_while_a_reader_holds_the_store_names_it(indexed: Settings) -> None:
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, QUESTION],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(indexed, CXBOT_DENSE_IN_MEMORY_MAX="0"),
        cwd=ROOT,
    )
    try:
        line = reader.stdout.readline() if reader.stdout else ""
        assert line.startswith("ready"), reader.stderr.read() if reader.stderr else ""
        p = cxbot("ingest", str(SURVEY), "--kind", "survey", e=env(indexed))
        out, err = p.communicate(timeout=240)
        assert p.returncode == 2
        assert f"is open in another process (pid {reader.pid}:" in err
        assert "/cx reindex" in err and "CXBOT_CHROMA_URL" in err
        # this process is a writer too: the same answer in-process
        with pytest.raises(StoreBusyError, match=f"pid {reader.pid}"):
            run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], indexed)
    finally:
        reader.kill()
        reader.wait()
    forget_clients()
    time.sleep(0.1)
    p = cxbot("ingest", str(SURVEY), "--kind", "survey", "--json", e=env(indexed))
    out, err = p.communicate(timeout=240)
    assert p.returncode == 0, err  # the reader is gone (kill -9 leaves no stale lock)
    assert '"unchanged": 1032' in out


def test_a_bot_that_reads_can_then_reindex_and_read_on(indexed: Settings) -> None:
    """`/cx reindex` inside `cxbot serve`: the same process upgrades to writing, then shares."""
    from bot.engine import Engine

    s = make_settings(indexed.data_dir, dense_in_memory_max=0)
    engine = Engine(s)
    assert engine.ask(QUESTION).citations  # opens the store for reading
    summary = run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], s)
    assert summary.unchanged == 1032
    p = cxbot("ask", QUESTION, e=env(indexed, CXBOT_DENSE_IN_MEMORY_MAX="0"))
    out, err = p.communicate(timeout=240)
    assert p.returncode == 0, err  # back to shared: another reader answers
    assert engine.ask(QUESTION).citations
