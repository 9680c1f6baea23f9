"""Theme names from the LLM, over real HTTP against the scripted OpenAI fake and through the
real model: a name is kept only when the cluster's own texts bear it out; a made-up, swapped
or brand name, or a failing model, leaves the offline name. The feedback is a fictional
bank's, written here."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.adapt import ThemeChange, discovered_themes
from tests.conftest import make_settings
from tests.fakes.openai_server import FakeOpenAI, Request, error, ok

TOPICS = {
    "card": [
        "My card was declined abroad again even though the account has money in it.",
        "Card declined at the shop, Northbank blocked it for no reason.",
        "Travelling and my debit card keeps getting declined at every till.",
        "Card declined twice today, I had to phone Northbank to unblock it.",
    ],
    "mortgage": [
        "The mortgage application has taken eight weeks with no decision.",
        "Still no decision on my mortgage application, they keep asking for documents.",
        "Mortgage application stuck for weeks, nobody can tell me why.",
        "Applied for a mortgage in March and they lost my application twice.",
    ],
    "login": [
        "The app will not let me log in, it says my password is wrong.",
        "Login keeps failing on the mobile app, locked out again.",
        "Cannot log in since the app update, the page just spins.",
        "App login broken again, I can't see my balance.",
    ],
}
TAIL = ["", " Again.", " Third time.", " Fed up.", " Sort it out.", " Please help."]
TEXTS = [
    f"{t}{w}"
    for t, w in itertools.chain.from_iterable(
        itertools.product(ts, TAIL) for ts in TOPICS.values() for _ in range(2)
    )
]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake: FakeOpenAI) -> None:
    fake.reset()


@pytest.fixture(scope="module")
def vectors(embedder):  # type: ignore[no-untyped-def]
    return embedder.embed(TEXTS)


def groups(req: Request) -> list[dict[str, Any]]:
    user = req.body["messages"][-1]["content"]
    body = user.split("<groups>\n", 1)[1].split("\n</groups>", 1)[0]
    return [json.loads(line) for line in body.splitlines()]


def topic(group: dict[str, Any]) -> str:
    text = " ".join(group["examples"]).lower()
    return max(TOPICS, key=lambda k: text.count(k[:4]))


def namer(names: dict[str, str]) -> Callable[[Request], Any]:
    """A scripted model naming each group by the topic its examples are about."""

    def reply(req: Request) -> Any:
        return ok({"names": [{"id": g["id"], "name": names[topic(g)]} for g in groups(req)]})

    return reply


def labels_by_topic(themes: dict[str, Any]) -> dict[str, str]:
    out = {}
    for t in themes.values():
        text = " ".join(t.examples).lower()
        out[max(TOPICS, key=lambda k: text.count(k[:4]))] = t.label
    return out


def run(embedder, vectors, settings=None, change=None):  # type: ignore[no-untyped-def]
    return discovered_themes(
        TEXTS, vectors, embedder, ["Northbank"], set(), k=3, settings=settings,
        labels={"lost or damaged items"}, change=change,
    )  # fmt: skip


def llm(tmp_path: Path, fake: FakeOpenAI, **kw: Any) -> Any:
    return make_settings(
        tmp_path, llm="openai", openai_base_url=fake.base_url, openai_api_key="sk-test-names",
        llm_timeout_s=2.0, llm_max_retries=1, llm_max_wait_s=5.0, llm_backoff_s=0.01, **kw,
    )  # fmt: skip


def test_a_name_the_clusters_own_words_bear_out_replaces_the_offline_one(
    embedder, vectors, fake: FakeOpenAI, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    offline = labels_by_topic(run(embedder, vectors))
    assert set(offline) == set(TOPICS), offline
    fake.always(
        namer(
            {
                "card": "Mortgage application declined",  # mostly another cluster's words
                "mortgage": "Home loan paperwork",  # no customer wrote these words: rejected
                "login": "App login failing",  # its words are the cluster's: kept
            }
        )
    )
    change = ThemeChange()
    themes = run(embedder, vectors, llm(tmp_path, fake), change)
    got = labels_by_topic(themes)
    assert got == {**offline, "login": "App login failing"}
    assert "d_app_login_failing" in themes  # a new theme's id follows its name
    assert len(fake.chat_requests) == 1
    assert change.naming and "1 of 3 kept" in change.naming
    assert "in the cluster's texts" in change.naming and "fit another theme" in change.naming


def test_brand_and_taken_names_and_a_failing_model_leave_the_offline_names(
    embedder, vectors, fake: FakeOpenAI, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    offline = labels_by_topic(run(embedder, vectors))
    fake.always(
        namer(
            {
                "card": "Northbank card blocks",  # a brand
                "mortgage": "Lost or damaged items",  # another theme's label
                "login": "Locked out of the app",  # fine
            }
        )
    )
    got = labels_by_topic(run(embedder, vectors, llm(tmp_path, fake)))
    assert got == {**offline, "login": "Locked out of the app"}

    fake.reset()
    fake.always(error(503, "down"))
    change = ThemeChange()
    assert labels_by_topic(run(embedder, vectors, llm(tmp_path, fake), change)) == offline
    assert change.naming and "not used: the model server failed (HTTP 503)" in change.naming

    fake.reset()
    assert (
        labels_by_topic(run(embedder, vectors, llm(tmp_path, fake, llm_theme_names=False)))
        == offline
    )
    assert fake.chat_requests == []
