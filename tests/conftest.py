"""Shared fixtures: the real embedding model, real embedded Chroma, the bundled demo data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks.common import child_env, tweet_labels, write_unlabelled  # noqa: E402,F401
from bot.engine import Engine  # noqa: E402
from ingest.config import Settings, SourceSpec, load_sources_config  # noqa: E402
from ingest.embedder import get_embedder  # noqa: E402
from ingest.pipeline import Job, run_ingest  # noqa: E402
from tests.fakes.postgres import PostgresServer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AIRLINE = ROOT.parent / "shared" / "data" / "airline"
TWEETS = AIRLINE / "tweets.csv"


def run_cli(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`cxbot ARGS` as a user runs it: its own process, a clean environment, real exit code."""
    e = child_env({"CXBOT_DATA_DIR": str(data_dir), "NO_COLOR": "1", **env})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=e,
        cwd=ROOT,
        timeout=300,
    )


def make_settings(data_dir: Path, **kw: object) -> Settings:
    """Every value explicit, so the developer's environment never leaks into a test."""
    values: dict[str, object] = {
        "chroma_url": None,
        "database_url": None,
        "collection": "cxbot",
        "embeddings": "local",
        "model_path": None,
        "tokenizer_path": None,
        "taxonomy_path": None,
        "min_segment_n": 30,
        "llm": "none",
    }
    values.update(kw)
    return Settings(data_dir=data_dir, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server (initdb + pg_ctl in a tmp dir, a free port), for the session."""
    try:
        server = PostgresServer()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"no PostgreSQL server could start here: {exc}")
    yield server
    server.close()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> Iterator[str]:
    """A fresh empty database on that server, dropped afterwards."""
    url = postgres.database()
    yield url
    postgres.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str | None:
    """The state backend under test: None (the SQLite files) or a PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def embedder():
    return get_embedder(make_settings(Path("unused")))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


def ingest_file(settings: Settings, path: Path, kind: str = "survey", **spec: object):
    return run_ingest([Job(SourceSpec(kind=kind, path=str(path), **spec))], settings)


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled fictional data set, ingested once per test session."""
    root = tmp_path_factory.mktemp("demo")
    s = make_settings(root / "data")
    cfg_path = EXAMPLES / "sources.yaml"
    cfg = load_sources_config(cfg_path)
    summary = run_ingest(
        [Job(spec, cfg_path.parent) for spec in cfg.sources],
        s,
        gap_config=cfg.model_dump(include={"metric_themes", "metric_directions", "aliases"}),
    )
    assert summary.ok, summary
    return s


@pytest.fixture(scope="session")
def demo_engine(demo_settings: Settings) -> Engine:
    return Engine(demo_settings)


@pytest.fixture(scope="session")
def airline_tweets_unlabelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tweets.csv with only tweet_id, airline, text, tweet_created: the labels stay hidden."""
    if not TWEETS.exists():
        pytest.skip("../shared/data/airline/tweets.csv is not present")
    out = tmp_path_factory.mktemp("airline") / "tweets_unlabelled.csv"
    write_unlabelled(out)
    return out


@pytest.fixture(scope="session")
def airline_settings(tmp_path_factory: pytest.TempPathFactory, airline_tweets_unlabelled: Path):
    """The real tweets plus the DOT on-time report, ingested once (about 1.5 minutes)."""
    root = tmp_path_factory.mktemp("airline-index")
    s = make_settings(root / "data")
    summary = run_ingest(
        [
            Job(SourceSpec(kind="survey", path=str(airline_tweets_unlabelled), name="tweets.csv")),
            Job(
                SourceSpec(
                    kind="metrics",
                    path=str(AIRLINE / "dot_metrics_2015_02.csv"),
                    columns={
                        "segments": ["tweets_airline"],
                        "metrics": ["on_time_pct", "cancelled_pct"],
                    },
                )
            ),
        ],
        s,
    )
    assert summary.files and not summary.failed_files, summary
    return s


@pytest.fixture(scope="session")
def airline_engine(airline_settings: Settings) -> Engine:
    return Engine(airline_settings)


def copy_examples(dst: Path) -> Path:
    shutil.copytree(EXAMPLES, dst)
    return dst
