"""Slack fixtures shared by the HTTP-mode test modules: the Web API emulator and cxbot's
HTTP app on the demo data (module-scoped: each module gets its own pair)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.engine import Engine
from ingest.config import Settings
from tests.bot.slack_harness import Harness, slack_settings
from tests.fakes.slack_api import FakeSlack


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    f = FakeSlack()
    yield f
    f.close()


@pytest.fixture(scope="module")
def slack(fake: FakeSlack, demo_settings: Settings, demo_engine: Engine) -> Iterator[Harness]:
    h = Harness(slack_settings(demo_settings.data_dir, fake), demo_engine, fake)
    yield h
    h.close()
