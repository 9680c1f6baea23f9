"""Answer shapes beyond a list of quotes: compare, trend, praise, rank by segment, examples.

Each takes the structured query (`Understanding`), counts over every matching record of the
corpus (never over search hits), cites per line, appends plain-text lines and returns whether
there was enough evidence. Differences are marked beyond or within noise for their n (the same
tests as the digest's, from `bot.analysis.stats` and `bot.analysis.trends`).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.analysis.praise import praise_topics
from bot.analysis.stats import Z95, two_prop_z
from bot.analysis.trends import ThemeChange, period_changes, periods
from bot.ask.retrieval import stored_rows
from bot.citations import CitationBook, Hit, pct, refs, scope_label
from bot.filters import Filters
from ingest.errors import CxbotError

if TYPE_CHECKING:
    from bot.ask.understand import Understanding
    from bot.corpus import Corpus
    from bot.index import Index

REST = "(rest)"
DEFAULT_LINES = 3
MAX_SEGMENT_LINES = 10


def noise(z: float) -> str:
    return "beyond noise" if abs(z) >= Z95 else "within noise"


def _when(f: Filters) -> str:
    if f.since or f.until:
        return f" dated {f.since or 'start'} to {f.until or 'now'}"
    return ""


def _segment_scope(
    index: Index, f: Filters, key: str, group: list[str]
) -> tuple[np.ndarray, Filters]:
    """Mask and search filters for one compared group of values of ``key``."""
    corpus = index.corpus()
    sf = copy.deepcopy(f)
    sf.segments = {**f.segments, key: group}
    return f.mask(corpus) & corpus.segment_mask(key, group), sf


def compare_lines(
    index: Index, u: Understanding, book: CitationBook, qvec: np.ndarray, lines: list[str]
) -> bool:
    """Two or more segment values side by side: negative share, then per theme."""
    corpus = index.corpus()
    assert u.compare is not None and u.compare.key is not None
    key, values = u.compare.key, list(u.compare.values)
    f = copy.deepcopy(u.filters)
    f.segments.pop(key, None)
    if REST in values:
        named = [v for v in values if v != REST]
        others = [v for v in corpus.segment_values.get(key, []) if v not in named]
        groups, labels = [named, others], [" / ".join(named), f"all other {key} values"]
    else:
        groups, labels = [[v] for v in values], values
    scopes = [_segment_scope(index, f, key, g) for g in groups]
    ns = [int(m.sum()) for m, _ in scopes]
    when = _when(f)
    who = scope_label(f)
    if min(ns) == 0:
        empty = [lab for lab, n in zip(labels, ns, strict=True) if n == 0]
        lines.append(
            f"Not enough evidence to compare: no {who}verbatims{when} of {', '.join(empty)}."
        )
        return False
    neg = corpus.polarity < 0
    themes = list(f.themes)
    if not themes:
        pooled = np.zeros(len(corpus), dtype=bool)
        for m, _ in scopes:
            pooled |= m
        counts = sorted(
            ((int((pooled & c).sum()), t) for t, c in corpus.complaints.items()), reverse=True
        )
        themes = [t for k, t in counts[: u.top_n or DEFAULT_LINES] if k]
    lines.append(
        f"{' vs '.join(labels)}, {who}verbatims{when} "
        f"({', '.join(f'{lab}: {n:,}' for lab, n in zip(labels, ns, strict=True))}):"
    )
    rows: list[tuple[str, np.ndarray, str | None]] = [("Negative", neg, None)]
    # a quote per side on every row, within the answer's limit: three sides get fewer rows
    fit = max(0, (book.limit - len(book.items)) // len(groups) - 1)
    if len(themes) > fit:
        which = "theme" if fit == 1 else f"{fit} themes"
        lines[-1] = lines[-1][:-1] + f", the most raised {which} only (a quote per side each):"
        themes = themes[:fit]
    for t in themes:
        rows.append((f"{index.label(t)} (complaints)", corpus.complaints[t], t))
    for title, mask, theme in rows:
        ks = [int((m & mask).sum()) for m, _ in scopes]
        cells = []
        for (_m, sf), lab, k, n in zip(scopes, labels, ks, ns, strict=True):
            pf = copy.deepcopy(sf)
            pf.polarity = -1
            hits = index.search(
                u.question + (" " + index.label(theme) if theme else ""),
                pf,
                k=8,
                theme_filter=[theme] if theme else None,
                qvec=qvec,
            )
            if theme:
                hits = [h for h in hits if corpus.complaints[theme][h.idx]]
            else:  # the quote behind a negative share reads as negative
                hits = [h for h in hits if corpus.polarity[h.idx] < 0]
            cited = book.cite(hits, 1) if k else []
            cells.append(f"{lab} {pct(k, n)} ({k:,}/{n:,}){' ' + refs(cited) if cited else ''}")
        hi = max(range(len(ks)), key=lambda i: ks[i] / ns[i])
        lo = min(range(len(ks)), key=lambda i: ks[i] / ns[i])
        z = two_prop_z(ks[hi], ns[hi], ks[lo], ns[lo])
        diff = 100 * (ks[hi] / ns[hi] - ks[lo] / ns[lo])
        verdict = (
            f"{labels[hi]} higher by {diff:.1f} pts, {noise(z)}" if diff > 0 else "no difference"
        )
        lines.append(f"- {title}: " + " vs ".join(cells) + f"; {verdict}.")
    if not themes:
        lines.append("No theme is raised as a complaint in either; only the shares above.")
    return True


def trend_lines(
    index: Index,
    u: Understanding,
    book: CitationBook,
    qvec: np.ndarray,
    lines: list[str],
    out: dict[str, Any] | None = None,
) -> bool:
    """This period against the previous one of the same length, within the question's scope.
    ``out`` gets ``trend``: the periods and the figures of the themes the lines show (a chart's
    data)."""
    corpus = index.corpus()
    f = copy.deepcopy(u.filters)
    try:
        now_p, before_p = periods(corpus, f.since, f.until)
    except CxbotError as exc:
        lines.append(f"Not enough evidence for a trend: {exc.message}")
        return False
    scope_f = copy.deepcopy(f)
    scope_f.since = scope_f.until = None
    scope = scope_f.mask(corpus)
    tr = period_changes(index, now_p, before_p, scope)
    who = scope_label(f)
    min_n = index.settings.min_segment_n
    length = (now_p.until - now_p.since).days + 1
    head = f"{who}verbatims, {now_p.label()} vs the {length} days before ({before_p.label()})"
    if tr.volume.now < min_n or tr.volume.before < min_n:
        lines.append(
            f"Not enough evidence for a trend in {head}: {tr.volume.now:,} and "
            f"{tr.volume.before:,} verbatims (at least {min_n} in each period are needed)."
        )
        if out is not None:  # which periods were counted, so the figures can be checked
            out["trend"] = {
                "period": now_p.as_dict(),
                "previous": before_p.as_dict(),
                "verbatims": {"now": tr.volume.now, "before": tr.volume.before},
                "themes": [],
            }
        return False
    v = tr.volume
    change = v.change_pct
    neg = tr.negative
    nf = copy.deepcopy(scope_f)
    nf.since, nf.until, nf.polarity = now_p.since, now_p.until, -1
    ns = book.cite(index.search(u.question, nf, k=4, qvec=qvec), 1)
    vol = f"{v.now:,} vs {v.before:,} verbatims" + (
        f", {change:+.1f}% per day, {noise(v.z)}" if change is not None else ""
    )
    lines.append(f"Change in {head} ({vol}):")
    lines.append(
        f"- Negative: {pct(neg.now.k, neg.now.n)} ({neg.now.k:,}) vs "
        f"{pct(neg.before.k, neg.before.n)} ({neg.before.k:,}), {neg.points:+.1f} pts, "
        f"{noise(neg.z)} {refs(ns)}".rstrip()
        + "."
    )
    asked = [t for t in tr.themes if t.theme in f.themes]
    moved = [t for t in tr.themes if t.significant and t.theme not in f.themes]
    rising = sorted([t for t in moved if t.points > 0], key=lambda t: -t.points)
    falling = sorted([t for t in moved if t.points < 0], key=lambda t: t.points)
    limit = u.top_n or DEFAULT_LINES

    def theme_line(t: ThemeChange, word: str) -> str:
        tf = copy.deepcopy(scope_f)
        tf.since, tf.until, tf.polarity = now_p.since, now_p.until, -1
        hits = [
            h
            for h in index.search(t.label, tf, k=6, theme_filter=[t.theme], qvec=None)
            if corpus.complaints[t.theme][h.idx]
        ]
        cited = book.cite(hits, 1) if t.now.k else []
        return (
            f"- {word}{t.label}: {pct(t.now.k, t.now.n)} ({t.now.k:,}) vs "
            f"{pct(t.before.k, t.before.n)} ({t.before.k:,}) complain about it, "
            f"{t.points:+.1f} pts, {noise(t.z)} {refs(cited)}"
        ).rstrip() + "."

    shown = [(t, "asked") for t in asked]
    shown += [(t, "rising") for t in rising[:limit]] + [(t, "falling") for t in falling[:limit]]
    for t, why in shown:
        lines.append(theme_line(t, {"asked": "", "rising": "Rising: "}.get(why, "Falling: ")))
    if out is not None:
        out["trend"] = {
            "period": now_p.as_dict(),
            "previous": before_p.as_dict(),
            "verbatims": {"now": v.now, "before": v.before},
            "themes": [
                {
                    "theme": t.theme,
                    "label": t.label,
                    "shown_as": why,
                    "now": {"k": t.now.k, "n": t.now.n, "share": round(t.now.share, 4)},
                    "before": {"k": t.before.k, "n": t.before.n, "share": round(t.before.share, 4)},
                    "change_points": round(t.points, 2),
                    "significant": t.significant,
                }
                for t, why in shown
            ],
        }
    if not asked and not rising and not falling:
        lines.append("- No complaint theme changed beyond noise between the two periods.")
    return True


def praise_lines(
    index: Index, u: Understanding, book: CitationBook, qvec: np.ndarray, lines: list[str]
) -> bool:
    """What customers like. The themes are complaint-shaped, so unless the question names
    one, the positive verbatims' own topics are listed (`bot.analysis.praise`), most raised
    first, each with the quotes closest to it."""
    corpus = index.corpus()
    f = u.filters
    scope = f.mask(corpus)
    n = int(scope.sum())
    pos = scope & (corpus.polarity > 0)
    n_pos = int(pos.sum())
    who, when = scope_label(f), _when(f)
    if n_pos == 0:
        lines.append(
            f"Not enough evidence: none of the {n:,} {who}verbatims{when} reads as positive."
        )
        return False
    head = f"{n_pos:,} of {n:,} {who}verbatims{when} ({pct(n_pos, n)}) are positive."
    pf = copy.deepcopy(f)
    pf.polarity = 1
    limit = u.top_n or DEFAULT_LINES
    if f.themes:
        _praised_themes(index, u, book, qvec, lines, pos, n_pos, pf, head, limit)
    else:
        store = index.store
        vectors = corpus.vectors(store, store.settings.dense_in_memory_max)
        found = praise_topics(
            corpus, pos, scope, lambda idx: stored_rows(corpus, store, vectors, idx)
        )
        topics = found.topics[:limit] if found else []
        if not topics:
            lines.append(
                head + " Too few of them share distinctive words to name what they praise."
            )
        elif found and found.clustered < found.total:
            lines.append(
                head + " What they praise most, in their own words (an evenly spaced sample "
                f"of {found.clustered:,} of them):"
            )
        else:
            lines.append(head + " What they praise most, in their own words:")
        if found and topics:
            base = found.clustered
            of = "of" if base == n_pos else "of the sampled"
            for t in topics:
                cited = book.cite([Hit(i, corpus.ids[i], 1.0) for i in t.examples], 2)
                lines.append(
                    f"- {t.label}: {t.k:,} ({pct(t.k, base)} {of} positive verbatims) {refs(cited)}"
                )
            rest = base - sum(t.k for t in found.topics)
            if rest * 2 > base:
                lines.append(
                    f"{pct(rest, base)} of them fall in no named topic: thanks or praise in "
                    "general, or topics too small to list."
                )
    if len(book.items) < 2:
        hits = [
            h for h in index.search(u.question, pf, k=6, qvec=qvec) if corpus.polarity[h.idx] > 0
        ]
        cited = book.cite(hits, 3)
        if cited:
            lines.append(f"Closest positive verbatims: {refs(cited)}.")
    return True


def _praised_themes(
    index: Index,
    u: Understanding,
    book: CitationBook,
    qvec: np.ndarray,
    lines: list[str],
    pos: np.ndarray,
    n_pos: int,
    pf: Filters,
    head: str,
    limit: int,
) -> None:
    """ "What do customers like about delivery?": the named themes' positive verbatims."""
    corpus = index.corpus()
    counts = sorted(
        ((int((pos & corpus.themes[t]).sum()), t) for t in u.filters.themes if t in corpus.themes),
        reverse=True,
    )
    counts = [(k, t) for k, t in counts if k][:limit]
    lines.append(head + (" Of them:" if counts else " None of them raises that theme."))
    for k, t in counts:
        hits = index.search(u.question + " " + index.label(t), pf, k=6, theme_filter=[t], qvec=qvec)
        hits = [h for h in hits if corpus.polarity[h.idx] > 0]
        cited = book.cite(hits, 2)
        lines.append(
            f"- {index.label(t)}: {k:,} ({pct(k, n_pos)} of positive verbatims) {refs(cited)}"
        )


def segment_rank_lines(
    index: Index, u: Understanding, book: CitationBook, qvec: np.ndarray, lines: list[str]
) -> bool:
    """'Which airline gets the most complaints?': segment values by complaint share."""
    corpus = index.corpus()
    key = u.rank_by
    assert key is not None
    f = u.filters
    base = f.mask(corpus)
    none = np.zeros(len(corpus), dtype=bool)
    if f.themes:
        target = none.copy()
        for t in f.themes:
            target |= corpus.complaints.get(t, none)
        what = " / ".join(index.label(t) for t in f.themes) + " complaints"
    elif u.terms:  # "the worst customer service", no theme for it: the complaints that say so
        words = " ".join(u.terms)
        target = corpus.any_complaint.copy()
        for term in u.terms:
            target &= corpus.bm25_scores(term) > 0
        what = f"complaints using the words '{words}'"
        if not (base & target).any():  # the words are not the customers': every complaint
            lines.append(f"No complaint uses the words '{words}': all complaints are ranked.")
            target, what = corpus.any_complaint, "complaints"
    else:
        target = corpus.any_complaint
        what = "complaints"
    min_n = index.settings.min_segment_n
    rows, small = [], []
    total_k, total_n = int((base & target).sum()), int(base.sum())
    for value in corpus.segment_values.get(key, []):
        m = base & corpus.segment_mask(key, [value])
        n = int(m.sum())
        if n < min_n:
            if n:
                small.append(value)
            continue
        k = int((m & target).sum())
        rows.append((k / n, k, n, value))
    who, when = scope_label(f), _when(f)
    if not rows:
        lines.append(f"Not enough evidence: no {key} has {min_n} or more {who}verbatims{when}.")
        return False
    rows.sort(reverse=True)
    lines.append(
        f"{what.capitalize()} by {key}, share of each one's {who}verbatims{when} "
        f"(overall {pct(total_k, total_n)}, {total_k:,} of {total_n:,}):"
    )
    # a line per value, each citing one quote: at most as many lines as citations allowed
    shown = rows[: min(u.top_n or MAX_SEGMENT_LINES, max(1, book.limit - len(book.items)))]
    for share, k, n, value in shown:
        z = two_prop_z(k, n, total_k - k, total_n - n) if total_n > n else 0.0
        sf = copy.deepcopy(f)
        sf.segments = {**f.segments, key: [value]}
        sf.polarity = -1
        # the quote is one of the complaints the line counts
        own = base & corpus.segment_mask(key, [value]) & target
        hits = index.search(u.question, sf, k=8, theme_filter=f.themes or None, qvec=qvec)
        hits = [h for h in hits if own[h.idx]]
        if u.terms and not f.themes:  # or one that uses the words best
            hits += _word_hits(corpus, own, u.terms)
        cited = book.cite(hits, 1) if k else []
        lines.append(
            f"- {value}: {100 * share:.1f}% ({k:,} of {n:,}), {noise(z)} against the others "
            f"{refs(cited)}".rstrip()
        )
    rest = [value for *_, value in rows[len(shown) : u.top_n or len(rows)]]
    if rest:
        lines.append(f"Then, in order: {', '.join(rest)}.")
    if small:
        lines.append(f"Too few verbatims to rank (under {min_n}): {', '.join(small[:10])}.")
    return True


def _word_hits(corpus: Corpus, mask: np.ndarray, terms: list[str], at_most: int = 25) -> list[Hit]:
    """The records of ``mask`` that score highest on the words, as search hits."""
    score = np.where(mask, corpus.bm25_scores(" ".join(terms)), -1.0)
    top = [int(i) for i in np.argsort(-score)[:at_most] if score[i] >= 0]
    return [Hit(i, corpus.ids[i], float(score[i]), lexical=float(score[i])) for i in top]


def examples_lines(
    index: Index, u: Understanding, book: CitationBook, qvec: np.ndarray, lines: list[str]
) -> bool:
    """'Show me examples of...': the closest verbatims, with how many match the scope."""
    corpus = index.corpus()
    f = u.filters
    scope = f.mask(corpus)
    n = int(scope.sum())
    who, when = scope_label(f), _when(f)
    none = np.zeros(len(corpus), dtype=bool)
    want = u.top_n or 5  # "quote me three customers": three
    hits = index.search(u.question, f, k=max(8, want + 3), theme_filter=f.themes or None, qvec=qvec)
    cited = book.cite(hits, want)
    if not cited:
        lines.append(f"Not enough evidence: nothing among {n:,} {who}verbatims{when} matches.")
        return False
    if f.themes:
        tm = none.copy()
        for t in f.themes:
            tm |= corpus.themes.get(t, none)
        k = int((scope & tm).sum())
        label = " / ".join(index.label(t) for t in f.themes)
        lines.append(
            f"Examples of {label} ({k:,} of {n:,} {who}verbatims{when}, {pct(k, n)}): "
            f"{refs(cited)}."
        )
    else:
        lines.append(f"Closest of {n:,} {who}verbatims{when}: {refs(cited)}.")
    return True


def mention_lines(
    index: Index, u: Understanding, book: CitationBook, qvec: np.ndarray, lines: list[str]
) -> bool:
    """'How often do shoppers mention see-through fabric?' with no theme for it: the verbatims
    in scope that use every word looked for (stemmed, as search matches them), counted."""
    corpus = index.corpus()
    f = u.filters
    scope = f.mask(corpus)
    n = int(scope.sum())
    who, when = scope_label(f), _when(f)
    words = " ".join(u.terms)
    if n == 0:
        lines.append(f"Not enough evidence: no {who}verbatims{when} are indexed.")
        return False
    found = scope.copy()
    for term in u.terms:
        found &= corpus.bm25_scores(term) > 0
    k = int(found.sum())
    if k == 0:
        lines.append(
            f"None of the {n:,} {who}verbatims{when} use the words '{words}'. Not enough "
            "evidence that customers raise it."
        )
        return False
    cited = book.cite(_word_hits(corpus, found, u.terms, at_most=9), 3)
    neg = int((found & (corpus.polarity < 0)).sum())
    lines.append(
        f"'{words}': {k:,} of {n:,} {who}verbatims{when} ({pct(k, n)}) use these words, "
        f"{neg:,} of them negative ({pct(neg, k)}) {refs(cited)}."
    )
    return True
