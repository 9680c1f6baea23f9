"""A count of mentions looks for every word the question asks about, hyphenated ones too."""

from __future__ import annotations

import csv

import pytest

from bot.engine import Engine
from ingest.config import SourceSpec
from ingest.pipeline import Job, run_ingest
from tests.conftest import make_settings

TEXTS = [
    ("The fabric is see-through, I had to wear a slip", True),
    ("So see through in daylight, and the fabric pills", True),
    ("Lovely soft fabric, washes well", False),
    ("The fabric feels cheap but the cut is nice", False),
    ("Runs small, order a size up", False),
    ("Through the wash it kept its colour, great fabric", False),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("mentions")
    path = root / "reviews.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "review", "department"])
        for n in range(5):
            for i, (text, _) in enumerate(TEXTS):
                w.writerow([f"{n}-{i}", f"{text} (review {n}-{i})", "Tops"])
    s = make_settings(root / "data")
    run_ingest([Job(SourceSpec(kind="survey", path=str(path)))], s)
    return Engine(s)


def test_a_hyphenated_word_is_looked_for_whole(engine: Engine) -> None:
    a = engine.ask("How many reviews mention see-through fabric?")
    assert a.extra["intent"] == "count"
    assert a.extra["query"]["terms"] == ["see", "through", "fabric"]
    k = 5 * sum(see for _, see in TEXTS)
    assert a.answer.splitlines()[0].startswith(f"'see through fabric': {k:,} of 30 ")
    assert a.citations and all("through" in c.text.lower() for c in a.citations)
