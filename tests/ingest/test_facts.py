"""Narrative report parsing: metric, value, unit, period, segment, target, direction."""

import pytest

from ingest.facts import direction_for, extract_facts


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "On-time delivery was 96.4% in October (target 95%).",
            ("On-time delivery", 96.4, "%", "October", None, 95.0, "higher"),
        ),
        (
            "In the North region, on-time delivery was 97.1% in October 2026, "
            "against a target of 95%.",
            ("On-time delivery", 97.1, "%", "October 2026", "North", 95.0, "higher"),
        ),
        (
            "First-contact resolution reached 80% for Q3 2026.",
            ("First-contact resolution", 80.0, "%", "Q3 2026", None, None, "higher"),
        ),
        (
            "Average support wait time: 4.2 minutes in 2026-10 (target: under 5 minutes).",
            ("Support wait time", 4.2, "min", "2026-10", None, 5.0, "lower"),
        ),
        (
            "Cancellation rate stood at 2.5 percent in the West region in September 2026.",
            ("Cancellation rate", 2.5, "%", "September 2026", "West", None, "lower"),
        ),
    ],
)
def test_statements_become_facts(sentence: str, expected: tuple) -> None:
    facts = extract_facts(sentence)
    assert len(facts) == 1
    f = facts[0]
    assert (f.metric, f.value, f.unit, f.period, f.segment, f.target, f.direction) == expected


def test_sentences_without_a_metric_statement_give_nothing() -> None:
    assert extract_facts("The team met in 2026 to discuss the roadmap.") == []
    assert extract_facts("We thank all our customers.") == []


def test_heading_supplies_segment_and_period() -> None:
    facts = extract_facts("On-time delivery was 93.0%.", heading="South region, Q3 2026")
    assert (facts[0].segment, facts[0].period) == ("South", "Q3 2026")


def test_direction_from_the_name_and_overrides() -> None:
    assert direction_for("on_time_pct") == "higher"
    assert direction_for("cancelled_pct") == "lower"
    assert direction_for("avg support wait (min)") == "lower"
    assert direction_for("scheduled_arrivals") is None
    assert direction_for("scheduled_arrivals", {"Scheduled_Arrivals": "higher"}) == "higher"
