"""CXBOT_EMBEDDINGS=openai through langchain-openai against a local OpenAI-compatible server
over real HTTP: ingest, ask, switching models with a rebuild, and a failing endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.corpus import clear_cache
from bot.engine import Engine
from ingest.catalog import Catalog
from ingest.config import Settings, SourceSpec
from ingest.errors import ModelError
from ingest.pipeline import Job, run_ingest
from tests.conftest import EXAMPLES, make_settings
from tests.fakes.openai_server import EMBED_DIM, FakeOpenAI, error

SURVEY = EXAMPLES / "survey_responses.csv"
KEY = "sk-test-embeddings"
JOBS = [Job(SourceSpec(kind="survey", path=str(SURVEY)))]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as f:
        yield f


def openai_settings(data_dir: Path, fake: FakeOpenAI, **kw: object) -> Settings:
    return make_settings(
        data_dir,
        embeddings="openai",
        openai_embedding_model="bag-of-words-64",  # not a known OpenAI model: dim is asked
        openai_base_url=fake.base_url,
        openai_api_key=KEY,
        llm_max_retries=0,
        **kw,
    )


def test_ingest_and_ask_with_openai_compatible_embeddings(fake: FakeOpenAI, tmp_path: Path) -> None:
    s = openai_settings(tmp_path / "data", fake)
    summary = run_ingest(JOBS, s)
    assert summary.added == 1032
    reqs = fake.embedding_requests
    auth = {h.get("authorization") or h.get("Authorization") for h in (r.headers for r in reqs)}
    assert auth == {f"Bearer {KEY}"}
    assert all(isinstance(t, str) for r in reqs for t in r.body["input"])  # text, not tokens
    assert all(r.body["model"] == "bag-of-words-64" for r in reqs)

    a = Engine(s).ask("Which parcels arrived late?")
    assert a.citations
    assert sum("late" in c.text.lower() for c in a.citations) >= len(a.citations) // 2
    cat = Catalog(s.catalog_path)
    assert cat.meta("model_id") == "openai:bag-of-words-64"
    cat.close()


def test_switching_to_openai_embeddings_needs_a_rebuild_and_a_rebuild_does_it(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    local = make_settings(tmp_path / "data")
    run_ingest(JOBS, local)
    hosted = openai_settings(tmp_path / "data", fake)
    with pytest.raises(ModelError, match="built with embedding model.*--rebuild"):
        run_ingest(JOBS, hosted)
    done = run_ingest(JOBS, hosted, rebuild=True)
    assert (done.added, done.generation) == (1032, 1)
    clear_cache()
    vectors = Engine(hosted).corpus().vectors(Engine(hosted).store, 10_000)
    assert vectors is not None and vectors.shape == (1032, EMBED_DIM)
    assert Engine(hosted).ask("Which parcels arrived late?").citations


def test_failing_endpoint_is_a_clear_error_and_commits_nothing(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    s = openai_settings(tmp_path / "data", fake)
    run_ingest(JOBS, s)
    fake.embedding_error = error(401, "Incorrect API key provided")
    (tmp_path / "more.csv").write_text("id,comment\nX1,The courier was late again\n")
    with pytest.raises(ModelError, match=r"embeddings endpoint http://127\.0\.0\.1:\d+/v1 failed"):
        run_ingest([Job(SourceSpec(kind="survey", path=str(tmp_path / "more.csv")))], s)
    cat = Catalog(s.catalog_path)
    assert cat.count() == 1032
    cat.close()


def test_missing_key_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.embedder import OpenAIEmbedder

    for k in ("OPENAI_API_KEY", "CXBOT_OPENAI_API_KEY", "CXBOT_SECRETS_DIR"):
        monkeypatch.delenv(k, raising=False)
    s = make_settings(tmp_path, embeddings="openai", openai_api_key=None)
    with pytest.raises(ModelError, match="needs OPENAI_API_KEY"):
        OpenAIEmbedder(s)
