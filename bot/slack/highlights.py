"""Where things stand, for the surfaces nobody asked a question on yet: the assistant panel's
suggested prompts and the App Home tab. Each highlight carries the question whose answer shows
it in full, so a prompt or a "Full answer" button leads to the same cited answer as asking.

Computed once per corpus version (a re-index makes a new one) from the same analyses as the
answers: perception gaps (`bot.analysis.gaps`), change against the previous period
(`bot.analysis.trends`), key drivers when a score exists (`bot.analysis.drivers`).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.analysis.gaps import analyse, humanise
from bot.analysis.trends import period_changes, periods
from bot.citations import freshness
from ingest.errors import CxbotError

if TYPE_CHECKING:
    from bot.corpus import Corpus
    from bot.index import Index

log = logging.getLogger("cxbot.slack")

TOP = 3
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class Highlight:
    """One line of the Home tab (or one suggested prompt) and the question behind it."""

    title: str  # short: the prompt's title, the line's lead
    text: str  # the figure, plain text (escaped when rendered)
    question: str  # asked when the prompt or the button is used


@dataclass
class Highlights:
    version: int
    gaps: list[Highlight] = field(default_factory=list)
    rising: list[Highlight] = field(default_factory=list)
    rising_note: str = ""  # the period compared, or why nothing is shown
    drivers: list[Highlight] = field(default_factory=list)
    drivers_note: str = ""
    segments: list[Highlight] = field(default_factory=list)  # most complaining first
    freshness: str = ""
    last_indexed: str | None = None
    problems: list[str] = field(default_factory=list)


_CACHE: dict[tuple[str, int], Highlights] = {}
_LOCK = threading.Lock()


def highlights(index: Index) -> Highlights:
    """The current highlights, computed at most once per corpus version and data dir."""
    corpus = index.corpus()
    key = (str(index.settings.data_dir), corpus.version)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is None:
            hit = _CACHE[key] = _compute(index, corpus)
    return hit


def _compute(index: Index, corpus: Corpus) -> Highlights:
    h = Highlights(version=corpus.version, freshness=freshness(corpus))
    h.last_indexed = corpus.last_indexed
    for part in (_gaps, _rising, _drivers, _segments):
        try:
            part(index, corpus, h)
        except CxbotError as exc:  # no metrics, no dates, no score: the others still stand
            h.problems.append(str(exc))
        except Exception:  # noqa: BLE001 - a highlight must never take the surface down
            log.exception("highlight %s failed", part.__name__)
            h.problems.append(f"{part.__name__.strip('_')} could not be computed (see the log).")
    return h


def _gaps(index: Index, corpus: Corpus, h: Highlights) -> None:
    report = analyse(index)
    for v in report.gaps[:TOP]:
        metric = humanise(v.fact.metric)
        period = f" ({v.period_label})" if v.period_label else ""
        sig = "significant" if v.significant else "not significant at this n"
        h.gaps.append(
            Highlight(
                title=f"Top gap: {v.segment}, {metric}"[:75],
                text=(
                    f"{v.segment}: {metric}{period} looks good, yet {100 * v.mix:.1f}% of its "
                    f"{v.n_c:,} complaining customers raise it vs {100 * v.rest_share:.1f}% "
                    f"elsewhere ({sig})."
                ),
                question=(
                    f"Where do {v.segment} customers disagree with our "
                    f"{metric[:1].lower() + metric[1:]} figures?"
                ),
            )
        )


def _rising(index: Index, corpus: Corpus, h: Highlights) -> None:
    now, before = periods(corpus)
    trend = period_changes(index, now, before)
    h.rising_note = f"{now.label()} against {before.label()}"
    min_n = index.settings.min_segment_n
    if trend.volume.now < min_n or trend.volume.before < min_n:
        h.rising_note += f": too few verbatims to call a change (fewer than {min_n})"
        return
    up = sorted(
        (t for t in trend.themes if t.significant and t.points > 0), key=lambda t: -t.points
    )
    for t in up[:TOP]:
        h.rising.append(
            Highlight(
                title=f"Rising: {t.label}"[:75],
                text=(
                    f"{t.label}: {100 * t.now.share:.1f}% of {t.now.n:,} verbatims "
                    f"(was {100 * t.before.share:.1f}% of {t.before.n:,}), "
                    f"+{t.points:.1f} points, beyond noise."
                ),
                question=f"Are {t.label.lower()} complaints rising?",
            )
        )


def _drivers(index: Index, corpus: Corpus, h: Highlights) -> None:
    from bot.analysis.drivers import UNIT, NoScore, drivers, fmt_delta

    try:
        report = drivers(index)
    except NoScore:
        h.drivers_note = "No score column (NPS, CSAT or stars) is indexed."
        return
    min_n = index.settings.min_segment_n
    if report.score.n < min_n:
        h.drivers_note = f"Only {report.score.n:,} scored verbatims: too few to estimate."
        return
    h.drivers_note = f"{report.label} over {report.score.n:,} scored verbatims"
    for d in report.fix_first[:TOP]:
        h.drivers.append(
            Highlight(
                title=f"Costs the {report.label}: {d.label}"[:75],
                text=(
                    f"{d.label}: impact {fmt_delta(report.kind, d.impact)} "
                    f"{UNIT[report.kind]} (95% CI "
                    f"{fmt_delta(report.kind, d.lo)} to {fmt_delta(report.kind, d.hi)}), "
                    f"{d.n:,} scored verbatims."
                ),
                question=f"What hurts our {report.label} most?",
            )
        )
    if not report.fix_first:
        h.drivers_note += ": no theme clearly lowers it"


def _segments(index: Index, corpus: Corpus, h: Highlights) -> None:
    """Segment values with enough verbatims, the most complaining (negative share) first."""
    verb = corpus.kind == "verbatim"
    neg = corpus.polarity < 0
    min_n = index.settings.min_segment_n
    rows: list[tuple[float, str, int]] = []
    for key, values in corpus.segment_values.items():
        for value in values:
            m = verb & corpus.segment_mask(key, [value])
            n = int(m.sum())
            if n >= min_n:
                rows.append((float((m & neg).sum()) / n, value, n))
    rows.sort(key=lambda r: (-r[0], r[1]))
    for share, value, n in rows[:TOP]:
        h.segments.append(
            segment_highlight(
                value, f"{value}: {100 * share:.1f}% of its {n:,} verbatims read negative."
            )
        )


def segment_highlight(value: str, text: str = "") -> Highlight:
    return Highlight(
        title=f"{value} complaints"[:75],
        text=text,
        question=f"What do {value} customers complain about most?",
    )


# ---------------------------------------------------------------- the channel being viewed


def _words(s: str) -> list[str]:
    return _WORD.findall(s.lower())


def segment_for_channel(corpus: Corpus, name: str | None) -> tuple[str, str] | None:
    """(segment key, value) whose words appear, in order, in a channel's name: #north,
    #cx-north-region, #delta-feedback. The longest match wins; a tie between values is no
    match (the answer is not narrowed on a guess)."""
    if not name:
        return None
    words = _words(name)
    best: list[tuple[int, str, str]] = []
    for key, values in corpus.segment_values.items():
        for value in values:
            vw = _words(value)
            if not vw:
                continue
            found = any(words[i : i + len(vw)] == vw for i in range(len(words) - len(vw) + 1))
            if found:
                best.append((len(" ".join(vw)), key, value))
    if not best:
        return None
    best.sort(reverse=True)
    if len(best) > 1 and best[0][0] == best[1][0] and best[0][2] != best[1][2]:
        return None
    return best[0][1], best[0][2]


def verbatims_of(corpus: Corpus, key: str, value: str) -> int:
    return int((corpus.segment_mask(key, [value]) & (corpus.kind == "verbatim")).sum())


def assistant_prompts(h: Highlights, segment: str | None = None) -> list[dict[str, str]]:
    """At most four suggested prompts (Slack's limit): the top gap, the fastest-rising theme
    (or what changed), a segment (the one being viewed, else the most complaining), drivers."""
    picks: list[Highlight] = []
    if h.gaps:
        picks.append(h.gaps[0])
    picks.append(
        h.rising[0]
        if h.rising
        else Highlight("What changed this week?", "", "What changed in the last 7 days?")
    )
    if segment:
        picks.append(segment_highlight(segment))
    elif h.segments:
        picks.append(h.segments[0])
    if h.drivers:
        picks.append(Highlight(h.drivers[0].question, "", h.drivers[0].question))
    if len(picks) < 4:
        picks.append(
            Highlight("Most raised complaints", "", "What do customers complain about most?")
        )
    return [{"title": p.title, "message": p.question} for p in picks[:4]]
