"""The faithfulness checker (benchmarks/faithfulness.py) passes real answers and catches
fabricated citations and wrong figures."""

from __future__ import annotations

import copy
import json
import re
import shutil
from datetime import date
from pathlib import Path

from benchmarks.faith_view import two_prop_z
from benchmarks.faithfulness import Checker
from bot.citations import pct
from bot.engine import Engine
from ingest.config import Settings
from tests.conftest import make_settings

QUESTIONS = [
    "Where do customers disagree with our delivery stats?",
    "What do North customers complain about most?",
    "How many customers complain about late deliveries?",
]


def as_json(engine: Engine, question: str) -> dict:
    return json.loads(json.dumps(engine.ask(question).as_dict()))


def test_real_answers_are_faithful(demo_engine: Engine, demo_settings: Settings) -> None:
    checker = Checker(demo_settings, demo_engine)
    for q in QUESTIONS:
        verdict = checker.check(as_json(demo_engine, q))
        assert verdict.faithful, verdict.text()
        assert verdict.tally("figure")[0] >= 3 and verdict.tally("citation")[0] >= 2


def test_fabricated_citation_and_wrong_figure_are_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    checker = Checker(demo_settings, demo_engine)
    doc = as_json(demo_engine, QUESTIONS[0])
    bad = copy.deepcopy(doc)
    bad["citations"][1]["id"] = "survey_responses.csv:R999999"
    bad["answer"] = re.sub(
        r"(\d+) of all", lambda m: f"{int(m.group(1)) + 1} of all", bad["answer"], count=1
    )
    verdict = checker.check(bad)
    assert not verdict.faithful
    failed = {(c.kind, c.what.split(":")[0]) for c in verdict.failures}
    assert ("citation", "[2] survey_responses.csv") in failed
    assert any(c.kind == "figure" and "(k)" in c.what for c in verdict.failures), verdict.text()
    # a claim no rule can check is never passed silently
    doc["answer"] += "\n97% of customers love us [1]."
    assert checker.check(doc).unverified


def test_praise_answers_are_checked_and_a_padded_topic_is_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    checker = Checker(demo_settings, demo_engine)
    doc = as_json(demo_engine, "What do customers love?")
    verdict = checker.check(doc)
    assert verdict.faithful and not verdict.unverified, verdict.text()
    header = doc["answer"].splitlines()[0]
    k = int(header.split(" of ")[0].replace(",", ""))
    bad = copy.deepcopy(doc)  # a topic claiming more positive verbatims than there are
    bad["answer"] = re.sub(
        r"^(- [^:]+): \d[\d,]*",
        lambda m: f"{m.group(1)}: {k + 1:,}",
        bad["answer"],
        count=1,
        flags=re.M,
    )
    assert not checker.check(bad).faithful
    renamed = copy.deepcopy(doc)  # a name its quotes do not bear out
    renamed["answer"] = re.sub(
        r"^- [^:]+:", "- Zebra crossings:", renamed["answer"], count=1, flags=re.M
    )
    failed = checker.check(renamed).failures
    assert [c.kind for c in failed] and {c.kind for c in failed} == {"support"}, failed


def test_score_side_of_a_gap_is_recounted_and_tampering_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    """The demo's KPI export reports an NPS per region: each line against the survey's own
    NPS is recounted from the raw rows, and a wrong n or a flipped verdict is caught."""
    checker = Checker(demo_settings, demo_engine)
    doc = as_json(demo_engine, "Where do customers disagree with our metrics?")
    assert doc["score_gaps"] and checker.check(doc).faithful
    bad = copy.deepcopy(doc)
    bad["answer"] = re.sub(
        r"\(n=(\d+) scored", lambda m: f"(n={int(m.group(1)) + 1} scored", bad["answer"], count=1
    )
    bad["score_gaps"][0]["verdict"] = "agrees"
    failed = [c.what for c in checker.check(bad).failures]
    assert any("scored verbatims" in w for w in failed), failed
    assert any(w.endswith(": verdict") for w in failed), failed


def test_a_segment_with_no_gap_is_recounted_and_a_global_claim_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    """Asked about one region that is no gap, the answer speaks of that region (the store has
    gaps elsewhere) and each of its lines is recounted; the old wording, which claimed no
    segment anywhere disagrees, and a made-up share are caught."""
    checker = Checker(demo_settings, demo_engine)
    doc = as_json(demo_engine, "Do East customers agree with our delivery stats?")
    assert doc["answer"].startswith("No disagreement found for East:")
    verdict = checker.check(doc)
    assert verdict.faithful, verdict.text()
    assert verdict.tally("figure")[0] >= 10
    bad = copy.deepcopy(doc)
    bad["answer"] = bad["answer"].replace(
        "No disagreement found for East:", "No disagreement found:"
    )
    bad["answer"] = re.sub(r"vs (\d+)\.(\d)% for the other", r"vs 1\1.\2% for the other",
                           bad["answer"], count=1)  # fmt: skip
    failed = [c.what for c in checker.check(bad).failures]
    assert any(w.endswith("no gap") for w in failed), failed
    assert any("other segments' share" in w for w in failed), failed
    small = as_json(demo_engine, "Do Islands customers agree with our on-time delivery stats?")
    assert small["answer"].startswith("Too few verbatims from Islands")
    assert checker.check(small).faithful


def test_a_renamed_theme_is_checked_under_its_new_name(
    demo_settings: Settings, tmp_path: Path
) -> None:
    """Themes renamed (or discovered) in a data dir are what the bot answers with: the checker
    reads the same themes file, so their figures are recounted, not failed as unknown."""
    from ingest.theme_edits import rename

    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data)
    s = make_settings(data)
    rename(s, "lateness", "Parcels that came late")
    engine = Engine(s)
    doc = as_json(engine, "What do North customers complain about most?")
    assert "Parcels that came late" in doc["answer"]
    verdict = Checker(s, engine).check(doc)
    assert verdict.faithful, verdict.text()


def test_examples_and_word_counts_are_recounted(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    checker = Checker(demo_settings, demo_engine)
    for q, start in (
        ("Show me examples of late deliveries in the North", "Examples of "),
        ("Show me some comments from app customers", "Across "),
        ("How many customers mention the sofa?", "'sofa': "),
    ):
        doc = as_json(demo_engine, q)
        assert doc["answer"].startswith(start), doc["answer"]
        verdict = checker.check(doc)
        assert verdict.faithful and not verdict.unverified, verdict.text()
        bad = copy.deepcopy(doc)
        bad["answer"] = re.sub(  # the line's first count, one more
            r"(?<![\d.\[])(\d[\d,]*)(?![\d.%\]])",
            lambda m: f"{int(m.group(1).replace(',', '')) + 1:,}",
            bad["answer"],
            count=1,
        )
        assert not checker.check(bad).faithful, bad["answer"]


def test_share_answers_are_recounted_and_a_wrong_interval_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    checker = Checker(demo_settings, demo_engine)
    doc = as_json(demo_engine, "What share of North customers are unhappy?")
    assert doc["answer"].startswith("Of "), doc["answer"]
    verdict = checker.check(doc)
    assert verdict.faithful and not verdict.unverified, verdict.text()
    assert verdict.tally("figure")[0] >= 7
    bad = copy.deepcopy(doc)
    bad["answer"] = re.sub(
        r"CI (\d+)\.", lambda m: f"CI {int(m.group(1)) + 2}.", bad["answer"], count=1
    )
    failed = [c.what for c in checker.check(bad).failures]
    assert any("95% interval" in w for w in failed), failed


def test_segment_rankings_are_recounted_and_a_wrong_order_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    checker = Checker(demo_settings, demo_engine)
    for q in (
        "Which region complains most about late deliveries?",
        "Which region has the most complaints about the courier?",
        "Which channel gets the most complaints?",
    ):
        doc = as_json(demo_engine, q)
        verdict = checker.check(doc)
        assert verdict.faithful and not verdict.unverified, verdict.text()
        assert verdict.tally("figure")[0] >= 12, verdict.text()
    lines = doc["answer"].splitlines()
    first, second = [i for i, ln in enumerate(lines) if ln.startswith("- ")][:2]
    swapped = copy.deepcopy(doc)
    lines[first], lines[second] = lines[second], lines[first]
    swapped["answer"] = "\n".join(lines)
    failed = [c.what for c in checker.check(swapped).failures]
    assert any("order" in w for w in failed), failed
    bad = copy.deepcopy(doc)
    bad["answer"] = re.sub(
        r"\((\d+) of", lambda m: f"({int(m.group(1)) + 1} of", doc["answer"], count=2
    )
    assert not checker.check(bad).faithful


def test_trend_answers_are_recounted_and_a_left_out_mover_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    checker = Checker(demo_settings, demo_engine)
    doc = as_json(demo_engine, "Is anything getting worse?")
    assert doc["answer"].startswith("Change in "), doc["answer"]
    verdict = checker.check(doc)
    assert verdict.faithful and not verdict.unverified, verdict.text()
    assert verdict.tally("figure")[0] >= 15
    bad = copy.deepcopy(doc)
    bad["answer"] = re.sub(
        r"\((\d+) vs", lambda m: f"({int(m.group(1)) + 1} vs", doc["answer"], count=1
    )
    assert not checker.check(bad).faithful
    # the mover replaced by a theme that moved less, its own figures right: caught as left out
    lines = doc["answer"].splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith(("- Rising: ", "- Falling: ")))
    word = lines[at][2:].split(":")[0]
    label = lines[at].split(": ")[1]
    c = demo_engine.corpus()
    t = doc["trend"]
    now = c.day_mask(
        date.fromisoformat(t["period"]["since"]), date.fromisoformat(t["period"]["until"])
    )
    before = c.day_mask(
        date.fromisoformat(t["previous"]["since"]), date.fromisoformat(t["previous"]["until"])
    )
    now, before = now & (c.kind == "verbatim"), before & (c.kind == "verbatim")
    n1, n2 = int(now.sum()), int(before.sum())
    other = next(x for x in c.complaints if demo_engine.label(x) != label)
    k1, k2 = int((now & c.complaints[other]).sum()), int((before & c.complaints[other]).sum())
    pts = 100 * (k1 / n1 - k2 / n2)
    noise = "beyond" if abs(two_prop_z(k1, n1, k2, n2)) >= 1.959963984540054 else "within"
    lines[at] = (
        f"- {word}: {demo_engine.label(other)}: {pct(k1, n1)} ({k1}) vs {pct(k2, n2)} ({k2}) "
        f"complain about it, {pts:+.1f} pts, {noise} noise."
    )
    swapped = copy.deepcopy(doc)
    swapped["answer"] = "\n".join(lines)
    failed = {c.what: c.detail for c in checker.check(swapped).failures}
    assert any("not listed" in d for d in failed.values()), failed


def test_a_top_n_list_is_complete_for_its_n_and_a_left_out_theme_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    """'the two main issues' lists two: complete for N = 2 (nothing left out ranks higher); the
    same list without its first line leaves out the most raised complaint."""
    checker = Checker(demo_settings, demo_engine)
    doc = as_json(demo_engine, "Give me the two main issues North customers raise")
    assert doc["top_n"] == 2
    lines = doc["answer"].splitlines()
    assert len([ln for ln in lines if ln.startswith("- ")]) == 2
    assert checker.check(doc).faithful, checker.check(doc).text()
    bad = copy.deepcopy(doc)
    first = next(i for i, ln in enumerate(lines) if ln.startswith("- "))
    bad["answer"] = "\n".join(lines[:first] + lines[first + 1 :])
    failed = [f"{c.what} {c.detail}" for c in checker.check(bad).failures]
    assert any("most raised complaints" in w and "not listed" in w for w in failed), failed


def test_comparisons_are_recounted_and_a_wrong_side_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    """Each side's counts and shares, which side is higher by how much, the noise call, each
    quote being one the row counts, and (no theme asked) the most raised themes shown."""
    checker = Checker(demo_settings, demo_engine)
    for q in ("Compare North and South on late deliveries",
              "How do Islands compare with the other regions?", "app vs web vs store"):  # fmt: skip
        doc = as_json(demo_engine, q)
        assert doc["intent"] == "compare", q
        verdict = checker.check(doc)
        assert verdict.faithful and not verdict.unverified, verdict.text()
        assert verdict.tally("figure")[0] >= 12, q
    doc = as_json(demo_engine, "Compare North and South on late deliveries")
    bad = copy.deepcopy(doc)
    bad["answer"] = re.sub(r"; North higher by", "; South higher by", bad["answer"], count=1)
    bad["answer"] = re.sub(r"South (\d+\.\d)% \((\d+)/", r"South \1% (1\2/", bad["answer"], count=1)
    failed = [c.what for c in checker.check(bad).failures]
    assert any(w.endswith("higher side") for w in failed), failed
    assert any("South (k)" in w for w in failed), failed
    # a theme left out that is raised more than one shown
    doc = as_json(demo_engine, "How do Islands compare with the other regions?")
    lines = doc["answer"].splitlines()
    first = next(i for i, ln in enumerate(lines) if "(complaints)" in ln)
    doc["answer"] = "\n".join(lines[:first] + lines[first + 1 :])
    failed = [c.what for c in checker.check(doc).failures]
    assert any("themes compared" in w for w in failed), failed


def test_too_few_for_a_trend_is_recounted_and_a_wrong_count_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    """'Not enough evidence for a trend': both periods' verbatims recounted from the answer's
    `trend` block, and one of them really under the minimum."""
    checker = Checker(demo_settings, demo_engine)
    doc = as_json(demo_engine, "Are web customers getting more frustrated over time?")
    assert doc["answer"].startswith("Not enough evidence for a trend in web verbatims")
    assert doc["trend"]["period"]["since"] and doc["trend"]["previous"]["until"]
    verdict = checker.check(doc)
    assert verdict.faithful and not verdict.unverified, verdict.text()
    bad = copy.deepcopy(doc)
    bad["answer"] = re.sub(r": (\d+) and", r": 1\1 and", bad["answer"], count=1)
    failed = [c.what for c in checker.check(bad).failures]
    assert any("verbatims now" in w for w in failed), failed


def test_words_nobody_uses_are_recounted_and_a_false_none_caught(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    """'None of the 220 West verbatims use the words ...': the scope counted, and no verbatim in
    it uses them; the same claim about words West customers do use is caught."""
    checker = Checker(demo_settings, demo_engine)
    doc = as_json(demo_engine, "How often do West customers mention the trampoline?")
    assert doc["answer"].startswith("None of the ")
    verdict = checker.check(doc)
    assert verdict.faithful and not verdict.unverified, verdict.text()
    bad = copy.deepcopy(doc)
    bad["answer"] = bad["answer"].replace("'trampoline'", "'late'", 1)
    failed = [c.what for c in checker.check(bad).failures]
    assert any("using the words" in w for w in failed), failed


def test_no_theme_lowers_the_score_only_when_none_does(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    """'No theme clearly lowers the NPS' holds when the recount's fix-first list is empty; said
    of the whole survey, where themes do lower it, it is caught."""
    checker = Checker(demo_settings, demo_engine)
    none = "No theme clearly lowers the NPS: no theme's impact interval lies below 0 once the "
    none += "themes it comes with are held fixed."
    doc = as_json(demo_engine, "Why are East customers scoring us so low?")
    assert none in doc["answer"].splitlines()
    verdict = checker.check(doc)
    assert verdict.faithful and not verdict.unverified, verdict.text()
    bad = as_json(demo_engine, "What hurts our NPS most?")
    assert "fix first" in bad["answer"]
    bad["answer"] += "\n" + none
    failed = [c.what for c in checker.check(bad).failures]
    assert any("no theme clearly lowers" in w for w in failed), failed


def test_a_short_top_n_list_says_how_many_themes_and_uncovered_complaints(
    demo_engine: Engine, demo_settings: Settings
) -> None:
    """Asked for five where fewer themes are raised: the number of themes and the negative
    verbatims in none are recounted."""
    checker = Checker(demo_settings, demo_engine)
    doc = as_json(demo_engine, "What are the top 5 complaints from Islands customers?")
    assert "known theme(s) are raised as complaints here" in doc["answer"]
    verdict = checker.check(doc)
    assert verdict.faithful and not verdict.unverified, verdict.text()
    bad = copy.deepcopy(doc)
    bad["answer"] = re.sub(
        r"; (\d+) negative verbatims", r"; 1\1 negative verbatims", bad["answer"]
    )
    failed = [c.what for c in checker.check(bad).failures]
    assert any("negative verbatims in no theme" in w for w in failed), failed
