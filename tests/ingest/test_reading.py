"""How a verbatim reads: the cases VADER got wrong, in words from several businesses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ingest.catalog import Catalog
from ingest.reading import clean, read
from ingest.sentiment import compound


def test_brand_and_place_names_carry_no_sentiment() -> None:
    text = "@united my flight is delayed 3 hours"
    assert compound(text) > 0  # VADER: "united" +1.8
    assert read(text).polarity == -1 and read(text).intent == "complaint"
    # a segment value that happens to be a positive word is removed before scoring
    assert "Wonderful" not in clean("Wonderful Stores lost my order", ("Wonderful Stores",))
    assert read("Ordered from Wonderful Stores today", names=("Wonderful Stores",)).polarity == 0


@pytest.mark.parametrize(
    "text",
    [
        "Still waiting for my refund after three weeks",
        "The dress runs small, had to send it back",
        "I was charged twice for the same order",
        "Been on hold for 2 hours with no response",
        "My card was declined and nobody can tell me why",
        "The app keeps crashing when I try to log in",
    ],
)
def test_problems_stated_in_neutral_words_are_complaints(text: str) -> None:
    r = read(text)
    assert (r.polarity, r.intent) == (-1, "complaint"), (text, r)


@pytest.mark.parametrize(
    ("text", "intent", "polarity"),
    [
        ("Thank you for the quick refund, great service!", "praise", 1),
        ("Love this sweater, fits perfectly", "praise", 1),
        ("Can you tell me when the store opens on Sunday?", "request", 0),
        ("What time does boarding start?", "question", 0),
        ("Ordered a blue one on Monday", "other", 0),
    ],
)
def test_praise_requests_and_questions_are_not_complaints(
    text: str, intent: str, polarity: int
) -> None:
    r = read(text)
    assert (r.intent, r.polarity) == (intent, polarity), (text, r)


def test_the_respondents_own_score_wins() -> None:
    assert read("Fine I guess", score=1, scale=5).intent == "complaint"
    assert read("Fine I guess", score=2, scale=10).polarity == -1
    assert read("It arrived on Tuesday", score=10, scale=10).polarity == 1
    # a high score does not erase a problem the customer states
    assert read("Lovely but it runs small and the zip broke", score=5, scale=5).polarity == -1


def test_a_catalog_from_before_intents_gains_the_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE records(id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, "
        "text TEXT NOT NULL, location TEXT NOT NULL, date TEXT, day TEXT, ts REAL, "
        "segments TEXT NOT NULL, score REAL, url TEXT, sentiment REAL, "
        "polarity INTEGER NOT NULL DEFAULT 0, themes TEXT NOT NULL, facts TEXT NOT NULL, "
        "hash TEXT NOT NULL, indexed_at TEXT NOT NULL, complaints TEXT NOT NULL DEFAULT '[]')"
    )
    db.execute(
        "INSERT INTO records VALUES('s:1','verbatim','s','Late again','row 2',NULL,NULL,NULL,"
        "'{}',NULL,NULL,-0.2,-1,'[]','[]','h','2026-01-01','[]')"
    )
    db.commit()
    db.close()
    cat = Catalog(path)
    (row,) = list(cat.rows())
    assert (row["text"], row["polarity"], row["intent"]) == ("Late again", -1, "other")
    cat.close()
