"""Mistyped question words are read as the word the customers use, and the answer says so."""

from __future__ import annotations

import re

from bot.engine import Engine


def first_line(answer: str) -> str:
    return answer.splitlines()[0]


def test_a_mistyped_word_counts_what_the_right_spelling_counts(demo_engine: Engine) -> None:
    right = demo_engine.ask("How often do customers mention the cushions?")
    typo = demo_engine.ask("How often do customers mention the cushons?")
    assert right.extra["query"]["terms"] == ["cushions"]
    assert typo.extra["query"]["terms"] == ["cushions"]
    assert typo.extra["query"]["respelled"] == {"cushons": "cushions"}
    assert "read 'cushons' as 'cushions'" in typo.answer
    assert re.match(r"'cushions': [1-9]", first_line(typo.answer))
    assert first_line(typo.answer) == first_line(right.answer)
    assert "respelled" not in right.extra["query"]


def test_a_mistyped_word_quotes_what_the_right_spelling_quotes(demo_engine: Engine) -> None:
    right = demo_engine.ask("which customers were let down by the courier?")
    typo = demo_engine.ask("which customers were let down by the courrier?")
    assert typo.extra["query"]["respelled"] == {"courrier": "courier"}
    assert [c.text for c in typo.citations] == [c.text for c in right.citations]
    assert typo.citations and first_line(typo.answer) == first_line(right.answer)


def test_real_words_and_quoted_words_are_taken_as_typed(demo_engine: Engine) -> None:
    # an English word no verbatim uses is not a typo of one they do
    none = demo_engine.ask("How often do customers mention zeppelins?")
    assert "respelled" not in none.extra["query"] and "None of the" in none.answer
    # quoting asks for the word as typed
    quoted = demo_engine.ask('How often do customers mention "cushons"?')
    assert "respelled" not in quoted.extra["query"]
    assert quoted.extra["query"]["terms"] == ["cushons"] and not quoted.enough_evidence
    # names are never respelled: a segment value stays what it is
    north = demo_engine.ask("What do Islands customers complain about?")
    assert "respelled" not in north.extra["query"]
