"""CXBOT_CHROMA_URL against a real `chroma run` on 127.0.0.1; the embedded store owner lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.common import child_env
from bot.corpus import clear_cache
from bot.engine import Engine
from ingest.catalog import Catalog
from ingest.config import SourceSpec
from ingest.errors import StoreError
from ingest.pipeline import Job, run_ingest
from ingest.store import VectorStore, forget_clients
from tests.chroma_server import ChromaServer
from tests.conftest import EXAMPLES, ROOT, make_settings

SURVEY = EXAMPLES / "survey_responses.csv"


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    srv = ChromaServer(tmp_path / "chroma-server").start()
    yield srv
    srv.stop()
    forget_clients()


def chroma_ids(settings) -> list[str]:  # type: ignore[no-untyped-def]
    from ingest.embedder import get_embedder

    e = get_embedder(settings)
    return VectorStore(settings, e.model_id, e.dim).collection(create=False).get()["ids"]


def test_ingest_and_ask_through_a_chroma_server(server: ChromaServer, tmp_path: Path) -> None:
    s = make_settings(tmp_path / "data", chroma_url=server.url)
    summary = run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], s)
    assert summary.added == 1032
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded locally
    a = Engine(s).ask("What do North customers say about late deliveries?")
    assert a.citations and all(c.segment.startswith("North") for c in a.citations)


def test_server_stopped_mid_ingest_then_retry_completes(
    server: ChromaServer, tmp_path: Path
) -> None:
    s = make_settings(tmp_path / "data", chroma_url=server.url)

    def kill_on_first_batch(stage: str, advance: int, total: int) -> None:
        if stage == "embed" and server.proc is not None:
            server.stop()

    with pytest.raises(StoreError, match=f"Cannot reach the Chroma server at {server.url}"):
        run_ingest(
            [Job(SourceSpec(kind="survey", path=str(SURVEY)))], s, progress=kill_on_first_batch
        )
    cat = Catalog(s.catalog_path)
    assert cat.count() == 0  # nothing committed
    cat.close()
    server.start()
    summary = run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], s)
    assert summary.added == 1032
    ids = chroma_ids(s)
    assert len(ids) == len(set(ids)) == 1032


def test_rebuild_through_a_server_stopped_midway_keeps_the_old_generation(
    server: ChromaServer, tmp_path: Path
) -> None:
    s = make_settings(tmp_path / "data", chroma_url=server.url)
    jobs = [Job(SourceSpec(kind="survey", path=str(SURVEY)))]
    run_ingest(jobs, s)
    question = "What do North customers say about late deliveries?"
    before = Engine(s).ask(question)

    def stop_on_first_batch(stage: str, advance: int, total: int) -> None:
        if stage == "embed" and server.proc is not None:
            server.stop()

    with pytest.raises(StoreError, match="Cannot reach the Chroma server"):
        run_ingest(jobs, s, progress=stop_on_first_batch, rebuild=True)
    assert s.generation().number == 0
    server.start()
    forget_clients()
    clear_cache()
    assert Engine(s).ask(question).answer == before.answer
    done = run_ingest(jobs, s, rebuild=True)
    assert (done.added, done.generation) == (1032, 1)
    clear_cache()
    assert Engine(s).ask(question).answer == before.answer
    e = VectorStore(s, "x", 0)
    assert sorted(c.name for c in e.client.list_collections()) == ["cxbot", "cxbot-g1"]
    run_ingest(jobs, s)  # the next run drops the superseded generation from the server
    assert [c.name for c in e.client.list_collections()] == ["cxbot-g1"]
    assert len(set(chroma_ids(s))) == 1032


def test_bot_reconnects_after_a_server_restart(server: ChromaServer, tmp_path: Path) -> None:
    # no in-memory vectors and no exact vector file: every dense search goes to the server
    # (the setup beyond dense_exact_max records)
    s = make_settings(
        tmp_path / "data", chroma_url=server.url, dense_in_memory_max=0, dense_exact_max=0
    )
    run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], s)
    engine = Engine(s)
    cached = Engine(make_settings(tmp_path / "data", chroma_url=server.url))
    first = engine.ask("refunds")
    assert cached.ask("refunds").citations
    server.stop()
    with pytest.raises(StoreError, match="Cannot reach the Chroma server"):
        engine.ask("late deliveries")  # a new question needs the server's index
    # a small index searched in memory keeps answering while the server is away
    assert cached.ask("refunds").citations
    server.start()
    clear_cache()
    again = engine.ask("refunds")
    assert [c.id for c in again.citations] == [c.id for c in first.citations]


def test_second_process_on_the_embedded_store_fails_fast(tmp_path: Path) -> None:
    """`cxbot ingest` while another process holds the same embedded data dir."""
    s = make_settings(tmp_path / "data")
    run_ingest([Job(SourceSpec(kind="survey", path=str(SURVEY)))], s)  # this process owns it
    env = child_env({"CXBOT_DATA_DIR": str(s.data_dir)})
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", str(SURVEY), "--kind", "survey"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 2
    assert "is open in another process" in r.stderr and "CXBOT_CHROMA_URL" in r.stderr
    assert "Traceback" not in r.stderr
    forget_clients()  # release: now the other process may open it
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", str(SURVEY), "--kind", "survey", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert '"unchanged": 1032' in r.stdout
