"""LLM labels of verbatims at ingest, over real HTTP against the scripted OpenAI fake: the
model's verified labels are stored, wrong or partial replies keep the offline reading, the
cache means the same text is never asked about twice, and the cap bounds the requests."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.catalog import Catalog
from ingest.config import Settings, SourceSpec
from ingest.pipeline import Job, run_ingest
from tests.conftest import make_settings
from tests.fakes.openai_server import FakeOpenAI, Request, error, ok

KEY = "sk-test-labels-0123456789"
# what a careful reader (the scripted model) says of each text
TRUTH: dict[str, tuple[str, str]] = {
    "Oh great, another three hour wait at the gate. Just what I needed tonight.": (
        "negative", "complaint"),
    "Wow, the crew really outdid themselves, my suitcase went to Denver without me.": (
        "negative", "complaint"),
    "Brilliant service, only took them six weeks to answer my email about the bill.": (
        "negative", "complaint"),
    "When does boarding start for the evening departure?": ("neutral", "question"),
    "The new seats are lovely and the staff were kind to my kids.": ("positive", "praise"),
    "Could you move me to an aisle seat on the return leg?": ("neutral", "request"),
}  # fmt: skip


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake: FakeOpenAI) -> None:
    fake.reset()


def write_csv(path: Path, texts: list[str], scores: list[int | None] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "comment", "stars"])
        for i, t in enumerate(texts):
            s = scores[i] if scores else None
            w.writerow([f"r{i}", t, "" if s is None else s])
    return path


def ingest(s: Settings, path: Path, rebuild: bool = False, stars: bool = False) -> Any:
    cols: dict[str, Any] = {"id": "id", "text": "comment"}
    if stars:
        cols |= {"score": "stars", "score_kind": "stars"}
    return run_ingest(
        [Job(SourceSpec(kind="survey", path=str(path), columns=cols))], s, rebuild=rebuild
    )


def stored(s: Settings) -> dict[str, tuple[str, str]]:
    word = {-1: "negative", 0: "neutral", 1: "positive"}
    cat = Catalog(s.catalog_path)
    try:
        rows = cat.db.execute("SELECT text, polarity, intent FROM records").fetchall()
    finally:
        cat.close()
    return {str(t): (word[int(p)], str(i)) for t, p, i in rows}


def items(req: Request) -> list[dict[str, Any]]:
    """The verbatims of one labelling request, as the model reads them."""
    user = req.body["messages"][-1]["content"]
    body = user.split("<verbatims>\n", 1)[1].split("\n</verbatims>", 1)[0]
    return [json.loads(line) for line in body.splitlines()]


def model(
    truth: dict[str, tuple[str, str]],
    tweak: Callable[[list[dict[str, Any]], list[dict[str, Any]]], list[dict[str, Any]]]
    | None = None,
) -> Callable[[Request], Any]:
    """A scripted model that labels each asked text as ``truth`` says (then ``tweak``s)."""

    def reply(req: Request) -> Any:
        asked = items(req)
        labels = [
            {"id": it["id"], "polarity": truth[it["text"]][0], "intent": truth[it["text"]][1]}
            for it in asked
        ]
        return ok({"labels": tweak(asked, labels) if tweak else labels})

    return reply


def llm_settings(data_dir: Path, fake: FakeOpenAI, **kw: Any) -> Settings:
    opts: dict[str, Any] = {
        "llm": "openai",
        "openai_base_url": fake.base_url,
        "openai_api_key": KEY,
        "llm_timeout_s": 2.0,
        "llm_max_retries": 1,
        "llm_max_wait_s": 5.0,
        "llm_backoff_s": 0.01,
        "llm_label_batch": 3,
        "discover": "off",
    }
    opts.update(kw)
    return make_settings(data_dir, **opts)


def test_the_models_verified_labels_are_stored_and_never_asked_for_twice(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    src = write_csv(tmp_path / "feedback.csv", list(TRUTH))
    offline = make_settings(tmp_path / "offline", discover="off")
    ingest(offline, src)
    s = llm_settings(tmp_path / "data", fake)
    fake.always(model(TRUTH))
    summary = ingest(s, src)

    assert stored(s) == TRUTH
    # the model was worth asking: the offline reading gets some of these wrong
    assert stored(offline) != TRUTH
    reqs = fake.chat_requests
    assert len(reqs) == 2  # six verbatims, three per request
    assert all(r.body["response_format"]["type"] == "json_schema" for r in reqs)
    assert KEY not in "".join(r.raw for r in reqs)
    assert summary.reading and summary.reading.startswith("6 verbatim(s) read by the model")

    fake.reset()
    again = ingest(s, src)  # nothing changed: no request at all
    assert again.unchanged == 6 and fake.chat_requests == []
    assert again.reading is None
    rebuilt = ingest(s, src, rebuild=True)  # every record read again, from the cache
    assert fake.chat_requests == []
    assert stored(s) == TRUTH
    assert rebuilt.reading and "6 from the cache" in rebuilt.reading


def test_wrong_and_partial_labels_keep_the_offline_reading(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    texts = list(TRUTH)
    src = write_csv(tmp_path / "feedback.csv", texts)
    offline = make_settings(tmp_path / "offline", discover="off")
    ingest(offline, src)
    before = stored(offline)
    bad = {texts[0]: "a word not allowed", texts[1]: "an id given twice", texts[2]: "left out"}

    def tweak(asked: list[dict[str, Any]], labels: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for it, lab in zip(asked, labels, strict=True):
            why = bad.get(it["text"])
            if why == "a word not allowed":
                out.append({**lab, "polarity": "furious"})
            elif why == "an id given twice":
                out += [lab, {**lab, "polarity": "positive", "intent": "praise"}]
            elif why != "left out":
                out.append(lab)
        out.append({"id": 99, "polarity": "negative", "intent": "complaint"})  # never asked
        return out

    s = llm_settings(tmp_path / "data", fake, llm_label_batch=6)
    fake.always(model(TRUTH, tweak))
    summary = ingest(s, src)
    got = stored(s)
    for t in texts:
        assert got[t] == (before[t] if t in bad else TRUTH[t]), t
    assert summary.reading and "3 label(s) failed the checks" in summary.reading

    # the next run asks again only about the three the model did not label well
    fake.reset()
    fake.always(model(TRUTH))
    ingest(s, src, rebuild=True)
    assert sorted(it["text"] for r in fake.chat_requests for it in items(r)) == sorted(bad)
    assert stored(s) == TRUTH


def test_a_reply_that_cannot_be_trusted_keeps_the_whole_batch_offline(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    texts = list(TRUTH)
    src = write_csv(tmp_path / "feedback.csv", texts)
    offline = make_settings(tmp_path / "offline", discover="off")
    ingest(offline, src)
    s = llm_settings(tmp_path / "data", fake, llm_label_batch=6)
    # not JSON (retried), then labels for only two of the six
    fake.push(ok("Sure! Here are the labels you asked for."))
    fake.always(model(TRUTH, lambda asked, labels: labels[:2]))
    summary = ingest(s, src)
    assert stored(s) == stored(offline)
    assert len(fake.chat_requests) == 2
    assert summary.reading and "1 batch(es)" in summary.reading
    assert "labelled only 2 of 6" in summary.reading


def test_a_failing_server_and_the_cap_bound_the_requests(fake: FakeOpenAI, tmp_path: Path) -> None:
    texts = list(TRUTH)
    src = write_csv(tmp_path / "feedback.csv", texts)
    offline = make_settings(tmp_path / "offline", discover="off")
    ingest(offline, src)

    fake.always(error(500, "overloaded"))
    s = llm_settings(tmp_path / "down", fake, llm_label_batch=2)
    summary = ingest(s, src)
    assert stored(s) == stored(offline)
    # the first wave (3 batches of 2, one retry each) failed: the run stops asking
    assert len(fake.chat_requests) == 6
    assert summary.reading and "the model server failed (HTTP 500)" in summary.reading

    fake.reset()
    fake.always(model(TRUTH))
    capped = llm_settings(tmp_path / "capped", fake, llm_label_batch=2, llm_label_max_calls=1)
    summary = ingest(capped, src)
    assert len(fake.chat_requests) == 1
    got = stored(capped)
    assert sum(got[t] == TRUTH[t] for t in texts) >= 2
    assert summary.reading and "4 left to the offline reading" in summary.reading


def test_the_respondents_score_still_wins_over_the_model(fake: FakeOpenAI, tmp_path: Path) -> None:
    texts = ["Gorgeous colour and it arrived early.", "Arrived on Tuesday in a box."]
    src = write_csv(tmp_path / "reviews.csv", texts, [1, 3])
    s = llm_settings(tmp_path / "data", fake)
    fake.always(model({texts[0]: ("positive", "praise"), texts[1]: ("negative", "complaint")}))
    ingest(s, src, stars=True)
    got = stored(s)
    assert got[texts[0]] == ("negative", "complaint")  # one star: unhappy, whatever the words
    assert got[texts[1]] == ("negative", "complaint")


def test_cxbot_ingest_says_what_the_model_read(fake: FakeOpenAI, tmp_path: Path) -> None:
    """`cxbot ingest` in its own process, configured from the environment as a user would."""
    from tests.conftest import run_cli

    src = write_csv(tmp_path / "feedback.csv", list(TRUTH))
    fake.always(model(TRUTH))
    env = {
        "CXBOT_LLM": "openai",
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": KEY,
        "CXBOT_LLM_LABEL_BATCH": "3",
        "CXBOT_DISCOVER": "off",
    }
    args = ["ingest", str(src), "--kind", "survey", "--id-column", "id", "--text-column", "comment"]
    res = run_cli(args, tmp_path / "data", **env)
    assert res.returncode == 0, res.stderr
    out = " ".join(res.stdout.split())
    assert "Reading: 6 verbatim(s) read by the model (gpt-4o-mini)" in out, res.stdout
    assert len(fake.chat_requests) == 2
    assert stored(make_settings(tmp_path / "data")) == TRUTH
