"""Key drivers: which themes cost the score (NPS, CSAT, stars) the most, with evidence.

Per theme: volume (scored verbatims that raise it), *impact* = the score over every scored
verbatim minus the score without that theme's verbatims (score points; negative = it costs
points), a second estimate that controls for co-occurring themes (least squares of each
record's score contribution on the theme indicators: the coefficient times the theme's share),
and bootstrap 95% intervals for both. Volume alone misleads: a frequent theme may cost little.
"Fix first": themes whose two intervals both lie below 0, most costly first. A theme whose raw
impact is negative but whose controlled one is not is named as explained by the themes it comes
with. Themes with fewer than ``min_segment_n`` scored verbatims are "too small", never ranked.

Records with the same themes and the same score are interchangeable, so everything is counted
over a few hundred (themes, score) cells and each bootstrap resample is one multinomial draw of
the cell counts: exactly the record bootstrap, a few milliseconds at 100k records.
"""

from __future__ import annotations

import copy
import math
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.analysis.stats import Z95, wilson
from bot.citations import CitationBook, Hit, refs, scope_label
from bot.filters import Filters
from ingest.errors import CxbotError
from ingest.scores import KINDS, LABEL

if TYPE_CHECKING:
    from bot.ask.understand import Understanding
    from bot.corpus import Corpus
    from bot.index import Index

RESAMPLES = 200
SEED = 17
UNIT = {"nps": "points", "csat": "points", "stars": "stars"}
_KIND_WORDS = [
    (re.compile(r"\b(nps|net promoter|promoters?|detractors?|recommend)\b", re.I), "nps"),
    (re.compile(r"\b(csat|satisfaction|satisfied)\b", re.I), "csat"),
    (re.compile(r"\b(stars?|ratings?|rated|reviews? scores?)\b", re.I), "stars"),
]


def contribution(kind: str, s: np.ndarray) -> np.ndarray:
    """Each record's share of the score, so that the score is their mean: NPS +100 promoter /
    -100 detractor / 0 passive, CSAT 100 for 4-5, stars the value."""
    if kind == "nps":
        return np.where(s >= 9, 100.0, np.where(s <= 6, -100.0, 0.0))
    if kind == "csat":
        return np.where(s >= 4, 100.0, 0.0)
    return s.astype(np.float64)


def low_score(kind: str, s: np.ndarray) -> np.ndarray:
    """The verbatims a driver quotes: detractors, CSAT 1-3, 1-2 stars."""
    return s <= {"nps": 6, "csat": 3}.get(kind, 2)


def fmt_score(kind: str, v: float) -> str:
    if kind == "nps":
        return f"{v:+.1f}"
    if kind == "csat":
        return f"{v:.1f}%"
    return f"{v:.2f}"


def fmt_delta(kind: str, v: float) -> str:
    return f"{v:+.1f}" if kind != "stars" else f"{v:+.2f}"


def _t_crit(df: int) -> float:
    """Student's t 97.5% quantile (Cornish-Fisher expansion; within 0.1% from df 5 up)."""
    if df <= 0:
        return math.inf
    z = Z95
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass
class ScoreView:
    """The score over some verbatims, with n and a 95% interval."""

    kind: str
    n: int
    value: float
    lo: float
    hi: float
    promoters: int = 0  # NPS 9-10 (CSAT: 4-5)
    detractors: int = 0  # NPS 0-6

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kind": self.kind,
            "n": self.n,
            "value": _r(self.value),
            "ci_low": _r(self.lo),
            "ci_high": _r(self.hi),
        }
        if self.kind == "nps" and self.n:
            (plo, phi), (dlo, dhi) = wilson(self.promoters, self.n), wilson(self.detractors, self.n)
            d |= {
                "promoters": self.promoters,
                "detractors": self.detractors,
                "passives": self.n - self.promoters - self.detractors,
                "promoters_ci": [_r(100 * plo), _r(100 * phi)],
                "detractors_ci": [_r(100 * dlo), _r(100 * dhi)],
            }
        if self.kind == "csat":
            d["satisfied"] = self.promoters
        return d


def score_view(kind: str, s: np.ndarray) -> ScoreView:
    """NPS: the variance of a difference of two shares of one sample; CSAT: Wilson; stars: t."""
    n = len(s)
    if n == 0:
        return ScoreView(kind, 0, math.nan, math.nan, math.nan)
    if kind == "nps":
        p, d = int((s >= 9).sum()), int((s <= 6).sum())
        pp, pd = p / n, d / n
        v = 100 * (pp - pd)
        half = 100 * Z95 * math.sqrt(max(0.0, pp + pd - (pp - pd) ** 2) / n)
        return ScoreView(kind, n, v, max(-100.0, v - half), min(100.0, v + half), p, d)
    if kind == "csat":
        k = int((s >= 4).sum())
        lo, hi = wilson(k, n)
        return ScoreView(kind, n, 100 * k / n, 100 * lo, 100 * hi, k)
    m = float(s.mean())
    half = _t_crit(n - 1) * float(s.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return ScoreView(kind, n, m, m - half, m + half)


@dataclass
class Driver:
    theme: str
    label: str
    n: int  # scored verbatims that raise the theme
    share: float  # of all scored verbatims in scope
    score_with: float  # the score among them
    score_without: float  # and among the others
    impact: float  # overall minus without (score points)
    lo: float
    hi: float
    coef: float | None = None  # points per verbatim raising it, the other themes held fixed
    adjusted: float | None = None  # coef x share: the impact controlling for co-occurrence
    adj_lo: float | None = None
    adj_hi: float | None = None
    ranked: bool = True
    fix_rank: int = 0  # 1.. for "fix first", 0 otherwise
    citations: list[int] = field(default_factory=list)

    @property
    def explained(self) -> bool:
        """Costs points raw, but not once the themes it comes with are held fixed."""
        return (
            self.ranked
            and self.hi < 0
            and self.adj_hi is not None
            and not self.adj_hi < 0
            and self.fix_rank == 0
        )

    def as_dict(self, book: CitationBook | None = None) -> dict[str, Any]:
        cits = [c.as_dict() for c in (book.items if book else []) if c.n in self.citations]
        return {
            "theme": self.theme,
            "label": self.label,
            "n": self.n,
            "share": _r(self.share, 4),
            "score_with": _r(self.score_with),
            "score_without": _r(self.score_without),
            "impact": _r(self.impact),
            "ci_low": _r(self.lo),
            "ci_high": _r(self.hi),
            "coefficient": _r(self.coef),
            "adjusted_impact": _r(self.adjusted),
            "adjusted_ci_low": _r(self.adj_lo),
            "adjusted_ci_high": _r(self.adj_hi),
            "ranked": self.ranked,
            "fix_first": self.fix_rank or None,
            "explained_by_co_occurring": self.explained,
            "citations": cits,
        }


@dataclass
class DriverReport:
    kind: str
    sources: list[str]  # the scored sources counted
    filters: Filters
    score: ScoreView
    drivers: list[Driver]  # estimated themes, most costly first
    too_small: list[Driver]
    verbatims: int  # verbatims in scope (scored or not)
    segments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    periods: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    book: CitationBook | None = None

    @property
    def fix_first(self) -> list[Driver]:
        return sorted((d for d in self.drivers if d.fix_rank), key=lambda d: d.fix_rank)

    @property
    def label(self) -> str:
        return LABEL[self.kind]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "sources": self.sources,
            "filters": self.filters.as_dict(),
            "score": self.score.as_dict(),
            "verbatims": self.verbatims,
            "fix_first": [d.label for d in self.fix_first],
            "drivers": [d.as_dict(self.book) for d in self.drivers],
            "too_small": [{"theme": d.theme, "label": d.label, "n": d.n} for d in self.too_small],
            "segments": self.segments,
            "periods": self.periods,
            "notes": self.notes,
            "method": {
                "impact": "score of all scored verbatims minus the score without the theme's",
                "adjusted": "least squares of each record's contribution on theme indicators "
                "(numpy.linalg.lstsq); coefficient x the theme's share",
                "intervals": f"bootstrap, {RESAMPLES} resamples, seed {SEED}, 2.5-97.5 percentiles",
                "fix_first": "both intervals below 0, most negative impact first",
                "min_n": "themes with fewer scored verbatims are too small to estimate",
            },
            "timings_ms": self.timings_ms,
        }


def _r(v: float | None, nd: int = 3) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), nd)


# ---------------------------------------------------------------- which score


@dataclass
class _ScoreIndex:
    """Per corpus version, once: source codes and a mask of scored verbatims per kind (string
    comparisons over 100k records cost more than the whole analysis)."""

    names: list[str]  # source names; codes index them
    codes: np.ndarray
    kinds: dict[str, np.ndarray]  # kind -> scored verbatims of that kind
    unknown: np.ndarray  # scored verbatims whose kind is unknown

    def sources_mask(self, sources: list[str]) -> np.ndarray:
        table = np.array([n in sources for n in self.names], dtype=bool)
        return table[self.codes]


def _score_index(corpus: Corpus) -> _ScoreIndex:
    got = corpus.memo.get("drivers.score_index")
    if got is None:
        names, codes = corpus.source.names, corpus.source.codes
        scored = corpus.is_verbatim & ~np.isnan(corpus.score)
        kinds = {k: scored & (corpus.score_kind == k) for k in KINDS}
        unknown = scored & (corpus.score_kind == "")
        got = _ScoreIndex([str(n) for n in names], codes.reshape(-1), kinds, unknown)
        corpus.memo["drivers.score_index"] = got
    return got


def available_scores(corpus: Corpus, mask: np.ndarray) -> dict[str, dict[str, int]]:
    """kind -> source -> scored verbatims within ``mask``."""
    si = _score_index(corpus)
    out: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        m = si.kinds[kind] & mask
        if m.any():
            counts = np.bincount(si.codes[m], minlength=len(si.names))
            out[kind] = {si.names[i]: int(c) for i, c in enumerate(counts) if c}
    return out


def pick_score(
    corpus: Corpus, mask: np.ndarray, score: str | None, question: str | None = None
) -> tuple[str | None, list[str], list[str]]:
    """(kind, sources, notes). ``score`` names a kind (nps, csat, stars, rating) or a source;
    otherwise the question's words pick the kind, else the kind with the most scored
    verbatims."""
    avail = available_scores(corpus, mask)
    notes: list[str] = []
    si = _score_index(corpus)
    unknown = mask & si.unknown
    if unknown.any():
        srcs = [si.names[i] for i in np.flatnonzero(np.bincount(si.codes[unknown]))]
        notes.append(
            f"Scores of {', '.join(srcs)} fit no known scale (NPS 0-10, CSAT or stars 1-5); "
            "not counted. Set columns.score_kind in sources.yaml (or --score-kind) and ingest "
            "again."
        )
    choices = ", ".join(f"{k} ({', '.join(v)})" for k, v in avail.items()) or "none"
    if score:
        want = score.strip().lower()
        want = {"rating": "stars", "ratings": "stars", "star": "stars"}.get(want, want)
        if want in avail:
            return want, sorted(avail[want]), notes
        for kind, srcs in avail.items():
            if score in srcs:
                return kind, [score], notes
        raise CxbotError(
            f"No score named '{score}' in these verbatims.",
            f"Scores: {choices}. Give a kind (nps, csat, stars) or a source name.",
        )
    if not avail:
        return None, [], notes
    if question:
        for pattern, kind in _KIND_WORDS:
            if pattern.search(question) and kind in avail:
                return kind, sorted(avail[kind]), notes
    kind = max(avail, key=lambda k: sum(avail[k].values()))
    others = [k for k in avail if k != kind]
    if others:
        notes.append(
            f"Also scored: {', '.join(LABEL[k] for k in others)}; pick one with --score "
            "(or name it in the question)."
        )
    return kind, sorted(avail[kind]), notes


# ---------------------------------------------------------------- the analysis


@dataclass
class _Cells:
    """Scored records grouped by (themes, contribution): counts ``w``, indicators ``x``."""

    names: list[str]
    x: np.ndarray  # K x T float
    y: np.ndarray  # K contributions
    w: np.ndarray  # K counts


def _cells(corpus: Corpus, idx: np.ndarray, y: np.ndarray) -> _Cells:
    names = [t for t in sorted(corpus.themes) if corpus.themes[t][idx].any()]
    yv, ycode = np.unique(y, return_inverse=True)
    if len(names) <= 62:
        bits = np.zeros(len(idx), dtype=np.int64)
        for j, t in enumerate(names):
            bits |= corpus.themes[t][idx].astype(np.int64) << j
        keys, counts = np.unique(bits * len(yv) + ycode, return_counts=True)
        pattern, yc = keys // len(yv), keys % len(yv)
        x = ((pattern[:, None] >> np.arange(len(names))) & 1).astype(np.float64)
    else:  # a very large taxonomy: group the indicator rows themselves
        mat = np.column_stack([corpus.themes[t][idx] for t in names] + [ycode])
        rows, counts = np.unique(mat, axis=0, return_counts=True)
        x, yc = rows[:, :-1].astype(np.float64), rows[:, -1]
    return _Cells(names, x, yv[yc].astype(np.float64), counts.astype(np.float64))


def _impacts(c: _Cells, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(impact, score with, score without) per theme for cell weights ``w`` (B x K or K)."""
    n = w.sum(axis=-1, keepdims=True)
    s = w @ c.y
    nt = w @ c.x
    st = w @ (c.x * c.y[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        without = (s[..., None] - st) / (n - nt)
        return s[..., None] / n - without, st / nt, without


def _adjusted(c: _Cells, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, coef x share) of the weighted least squares of contribution on
    [1, indicators], batched over the rows of ``w``; a tiny ridge keeps a resample in which a
    rare theme vanishes solvable."""
    z = np.column_stack([np.ones(len(c.y)), c.x])
    p = z.shape[1]
    outer = (z[:, :, None] * z[:, None, :]).reshape(len(c.y), p * p)
    w2 = np.atleast_2d(w)
    a = (w2 @ outer).reshape(-1, p, p)
    b = w2 @ (z * c.y[:, None])
    ridge = 1e-9 * w2.sum(axis=1)[:, None, None] * np.eye(p)
    ridge[:, 0, 0] = 0
    beta = np.linalg.solve(a + ridge, b[..., None])[..., 0][:, 1:]
    share = (w2 @ c.x) / w2.sum(axis=1, keepdims=True)
    if w.ndim == 1:
        return beta[0], (beta * share)[0]
    return beta, beta * share


def _point_coef(c: _Cells) -> np.ndarray:
    """The point estimate by ordinary least squares (numpy.linalg.lstsq on sqrt-weighted cells:
    the same fit as scikit-learn's LinearRegression with sample weights)."""
    z = np.column_stack([np.ones(len(c.y)), c.x])
    sw = np.sqrt(c.w)
    beta = np.linalg.lstsq(z * sw[:, None], c.y * sw, rcond=None)[0]
    return beta[1:]


def drivers(
    index: Index,
    filters: Filters | None = None,
    score: str | None = None,
    question: str | None = None,
) -> DriverReport:
    """The score in the filters' scope and what drives it; raises CxbotError when the scope has
    no score of a known kind (the message says how to ingest one)."""
    t0 = time.perf_counter()
    corpus = index.corpus()
    f = copy.deepcopy(filters) if filters else Filters()
    base = f.mask(corpus)
    kind, sources, notes = pick_score(corpus, base, score, question)
    if kind is None:
        where = scope_label(f).strip() or "the indexed"
        raise NoScore(
            f"No score in {where} verbatims: key drivers need a score column (NPS, CSAT or a "
            "star rating) per verbatim.",
            "Ingest it with --score-column NAME (and --score-kind nps|csat|stars if the name "
            "does not say), or columns.score in sources.yaml.",
            notes,
        )
    si = _score_index(corpus)
    scope = base & si.kinds[kind]
    if len(sources) < len(available_scores(corpus, base)[kind]):
        scope &= si.sources_mask(sources)
    idx = np.flatnonzero(scope)
    s = corpus.score[idx]
    y = contribution(kind, s)
    overall = score_view(kind, s)
    report = DriverReport(
        kind, sources, f, overall, [], [], int(base.sum()), notes=notes, timings_ms={}
    )
    min_n = index.settings.min_segment_n
    if len(idx):
        _estimate(index, corpus, idx, y, report, min_n)
        report.segments = _by_segment(corpus, idx, s, kind, f, min_n)
        report.periods = _by_period(corpus, idx, s, kind)
    report.timings_ms["analysis"] = round((time.perf_counter() - t0) * 1000, 2)
    return report


class NoScore(CxbotError):
    """The scope has no score to drive: a clear message, not an error trace."""

    def __init__(self, message: str, hint: str, notes: list[str]) -> None:
        super().__init__(message, hint)
        self.notes = notes


def _estimate(
    index: Index,
    corpus: Corpus,
    idx: np.ndarray,
    y: np.ndarray,
    report: DriverReport,
    min_n: int,
) -> None:
    c = _cells(corpus, idx, y)
    if not c.names:
        return
    n = float(c.w.sum())
    impact, with_t, without = _impacts(c, c.w)
    coef = _point_coef(c)
    rng = np.random.default_rng(SEED)
    boot = rng.multinomial(int(n), c.w / n, size=RESAMPLES).astype(np.float64)
    b_imp = _impacts(c, boot)[0]
    b_coef, b_adj = _adjusted(c, boot)
    with np.errstate(invalid="ignore"):
        lo, hi = np.nanpercentile(b_imp, [2.5, 97.5], axis=0)
        alo, ahi = np.nanpercentile(b_adj, [2.5, 97.5], axis=0)
    nt = c.x.T @ c.w
    for j, t in enumerate(c.names):
        d = Driver(
            theme=t,
            label=index.label(t),
            n=int(nt[j]),
            share=float(nt[j] / n),
            score_with=float(with_t[j]),
            score_without=float(without[j]),
            impact=float(impact[j]),
            lo=float(lo[j]),
            hi=float(hi[j]),
            coef=float(coef[j]),
            adjusted=float(coef[j] * nt[j] / n),
            adj_lo=float(alo[j]),
            adj_hi=float(ahi[j]),
        )
        if d.n < min_n or d.n >= n:  # too few to estimate, or no "without" to compare with
            d.ranked = False
            report.too_small.append(d)
        else:
            report.drivers.append(d)
    report.drivers.sort(key=lambda d: (d.impact, d.theme))
    col = {t: c.x[:, j] for j, t in enumerate(c.names)}
    for i, a in enumerate(report.drivers):
        same = [b for b in report.drivers[i + 1 :] if np.array_equal(col[a.theme], col[b.theme])]
        if same:
            report.notes.append(
                f"{a.label} and {', '.join(b.label for b in same)} are raised by the same "
                "verbatims: their separate effects cannot be told apart (the controlled "
                "estimate splits it between them)."
            )
    report.too_small.sort(key=lambda d: (-d.n, d.theme))
    rank = 0
    for d in report.drivers:
        if d.hi < 0 and d.adj_hi is not None and d.adj_hi < 0:
            rank += 1
            d.fix_rank = rank


def _by_segment(
    corpus: Corpus, idx: np.ndarray, s: np.ndarray, kind: str, f: Filters, min_n: int
) -> dict[str, list[dict[str, Any]]]:
    """The score per value of each segment (the 20 largest values with >= min_n scored)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, codes_all in corpus.seg_codes.items():
        if key in f.segments or key not in corpus.segment_values:
            continue
        codes = codes_all[idx]
        counts = np.bincount(codes)
        names = {c: v for v, c in corpus.seg_index[key].items()}
        rows = []
        for code in np.argsort(-counts, kind="stable"):
            if code == 0 or counts[code] < min_n or len(rows) >= 20:
                continue
            v = score_view(kind, s[codes == code])
            rows.append({"segment": names[int(code)], **v.as_dict()})
        if len(rows) > 1:
            out[key] = rows
    return out


def _by_period(corpus: Corpus, idx: np.ndarray, s: np.ndarray, kind: str) -> list[dict[str, Any]]:
    """The score per calendar month of dated scored verbatims."""
    months = corpus.dayn[idx] // 100
    out = []
    for m in np.unique(months[months > 0]):
        v = score_view(kind, s[months == m])
        out.append({"period": f"{m // 100:04d}-{m % 100:02d}", **v.as_dict()})
    return out if len(out) > 1 else []


# ---------------------------------------------------------------- citations and lines


def cite_drivers(
    index: Index, report: DriverReport, book: CitationBook, top: int = 3, per: int = 2
) -> None:
    """Quote low-score verbatims of each listed driver (detractors for NPS), best match first."""
    report.book = book
    asked = [d for d in report.drivers if d.theme in report.filters.themes]
    shown = [d for d in report.fix_first if d not in asked][:top]
    if not shown and not asked:  # nothing significant: the largest estimated costs
        shown = [d for d in report.drivers if d.impact < 0][:top]
    for d in asked + shown:
        if d.citations or book.full():
            continue
        d.citations = cite_low_scores(
            index, d.theme, report.filters, report.kind, report.sources, book, per
        )


def cite_low_scores(
    index: Index,
    theme: str | None,
    filters: Filters,
    kind: str,
    sources: list[str],
    book: CitationBook,
    per: int = 2,
    query: str | None = None,
) -> list[int]:
    """Up to ``per`` low-score verbatims (detractors for NPS) of ``theme`` (None: any) within
    ``filters``, scored with ``kind`` by ``sources``: the search's best matches first, then the
    lowest scores. The drivers, the digest's "what moved the score" and the score side of a
    perception gap quote with it."""
    corpus = index.corpus()
    si = _score_index(corpus)
    f = copy.deepcopy(filters)
    f.polarity = -1
    f.themes = []
    base = f.mask(corpus)
    if (base & ~si.sources_mask(sources)).any():  # other sources in scope: leave them out
        f.sources = list(sources)
    low = si.kinds[kind] & si.sources_mask(sources)
    low &= low_score(kind, np.nan_to_num(corpus.score, nan=99.0))
    names = index.assigner.names
    qvec = None
    if theme is not None:
        f.themes = [theme]
        # the theme's own prototype (description + examples) is the query: no model call
        qvec = index.assigner.prototypes[names.index(theme)] if theme in names else None
    text = query or (index.label(theme) if theme else "disappointed, would not recommend")
    tf = [theme] if theme else None
    hits = index.search(text, f, k=per * 6, theme_filter=tf, qvec=qvec)
    good = [h for h in hits if low[h.idx]]
    if len(good) < per:  # too few found: the lowest scores (of the theme)
        pool = base & low
        if theme is not None:
            pool &= corpus.themes[theme] if theme in corpus.themes else False
        cand = np.flatnonzero(pool)
        cand = cand[np.argsort(corpus.score[cand], kind="stable")]
        seen = {h.idx for h in good}
        good += [Hit(int(i), corpus.ids[i], 0.0) for i in cand[: per * 3] if i not in seen]
    return book.cite(good, per)


def _when(f: Filters) -> str:
    return f" dated {f.since or 'start'} to {f.until or 'now'}" if (f.since or f.until) else ""


def score_line(report: DriverReport) -> str:
    v, k = report.score, report.kind
    head = (
        f"{report.label} over {v.n:,} scored {scope_label(report.filters)}verbatims"
        f"{_when(report.filters)}: {fmt_score(k, v.value)} "
        f"(95% CI {fmt_score(k, v.lo)} to {fmt_score(k, v.hi)})"
    )
    if k == "nps" and v.n:
        head += (
            f"; {100 * v.promoters / v.n:.1f}% promoters (9-10), "
            f"{100 * v.detractors / v.n:.1f}% detractors (0-6)"
        )
    if k == "csat" and v.n:
        head += "; share answering 4-5"
    return head + "."


def driver_line(report: DriverReport, d: Driver, i: int | None = None) -> str:
    k = report.kind
    lead = f"{i}. " if i is not None else ""
    adj = ""
    if d.adjusted is not None and d.adj_lo is not None and d.adj_hi is not None:
        adj = (
            f"; {fmt_delta(k, d.adjusted)} controlling for co-occurring themes "
            f"(95% CI {fmt_delta(k, d.adj_lo)} to {fmt_delta(k, d.adj_hi)})"
        )
    cites = f" {refs(d.citations)}" if d.citations else ""
    return (
        f"{lead}{d.label}: {d.n:,} scored verbatims ({100 * d.share:.1f}%), {report.label} "
        f"{fmt_score(k, d.score_with)} among them vs {fmt_score(k, d.score_without)} without; "
        f"impact {fmt_delta(k, d.impact)} {UNIT[k]} (95% CI {fmt_delta(k, d.lo)} to "
        f"{fmt_delta(k, d.hi)}){adj}{cites}."
    )


def small_line(report: DriverReport, min_n: int) -> str:
    items = ", ".join(f"{d.label} ({d.n:,})" for d in report.too_small)
    return f"Too small to estimate (fewer than {min_n:,} scored verbatims): {items}."


def report_lines(
    report: DriverReport, min_n: int, top: int | None = 3, asked: list[str] | None = None
) -> list[str]:
    """The lines an answer and `cxbot drivers` share."""
    lines = [score_line(report)]
    k = report.kind
    if report.score.n < min_n:
        lines.append(
            f"Only {report.score.n:,} scored verbatims here (fewer than {min_n:,}): too few to "
            "estimate what drives the score."
        )
        return lines
    asked_d = [d for d in report.drivers + report.too_small if d.theme in (asked or [])]
    for d in asked_d:
        if d.ranked:
            lines.append(driver_line(report, d, d.fix_rank or None))
        else:
            lines.append(small_line_one(report, d, min_n))
    fix = [d for d in report.fix_first if d not in asked_d]
    fix = fix if top is None else fix[:top]
    if fix:
        lines.append(
            f"What costs the {report.label} most, fix first (impact = the score minus the "
            f"score without the theme's verbatims, in {UNIT[k]}; bootstrap intervals):"
        )
        lines += [driver_line(report, d, d.fix_rank) for d in fix]
        rest = len(report.fix_first) - len(fix) - sum(1 for d in asked_d if d.fix_rank)
        if rest > 0:
            lines.append(f"{rest:,} more: run `cxbot drivers` for all.")
    elif not asked_d:
        lines.append(
            f"No theme clearly lowers the {report.label}: no theme's impact interval lies "
            "below 0 once the themes it comes with are held fixed."
        )
        worst = [d for d in report.drivers if d.impact < 0][: top or None]
        if worst:
            lines.append("Largest estimated costs, not significant at this n:")
            lines += [driver_line(report, d) for d in worst]
    explained = [d for d in report.drivers if d.explained]
    if explained:
        lines.append(
            "Lower the score only together with other themes (explained by co-occurring "
            "themes, not ranked): " + ", ".join(d.label for d in explained) + "."
        )
    if report.too_small:
        lines.append(small_line(report, min_n))
    lines += [f"Note: {n}" for n in report.notes]
    return lines


def small_line_one(report: DriverReport, d: Driver, min_n: int) -> str:
    return (
        f"{d.label}: only {d.n:,} scored verbatims (fewer than {min_n:,}): too small to "
        "estimate its impact."
    )


def driver_answer_lines(
    index: Index, u: Understanding, book: CitationBook, qvec: np.ndarray
) -> tuple[list[str], dict[str, Any] | None, bool]:
    """The ask path for driver questions ("what hurts our NPS most?"): the score with its
    interval, then the themes that cost it most, each citing low-score verbatims. Without a
    score in scope: one line saying what to ingest, and enough=False."""
    f = copy.deepcopy(u.filters)
    try:
        report = drivers(index, f, question=u.question)
    except NoScore as exc:
        return (
            [f"Not enough evidence: {exc.message} {exc.hint}"] + [f"Note: {n}" for n in exc.notes],
            None,
            False,
        )
    min_n = index.settings.min_segment_n
    if report.score.n >= min_n:
        cite_drivers(index, report, book)
    lines = report_lines(report, min_n, asked=list(f.themes))
    enough = report.score.n >= min_n and bool(report.drivers or report.too_small)
    return lines, report.as_dict(), enough


def render_drivers_text(index: Index, report: DriverReport) -> str:
    """`cxbot drivers`: every estimated theme, most costly first, with its sources."""
    min_n = index.settings.min_segment_n
    book = CitationBook(index.corpus(), 40)
    if report.score.n >= min_n:
        cite_drivers(index, report, book, top=len(report.drivers))
    lines = [score_line(report)]
    if report.score.n >= min_n:
        lines.append(
            f"Every theme, most costly first (impact = the score minus the score without the "
            f"theme's verbatims, in {UNIT[report.kind]}; bootstrap intervals; * = fix first):"
        )
        for d in report.drivers:
            star = "* " if d.fix_rank else "  "
            lines.append(star + driver_line(report, d, d.fix_rank or None))
        if not report.fix_first:
            lines.append(f"No theme clearly lowers the {report.label}.")
        explained = [d.label for d in report.drivers if d.explained]
        if explained:
            lines.append(
                "Explained by co-occurring themes (not ranked): " + ", ".join(explained) + "."
            )
        if report.too_small:
            lines.append(small_line(report, min_n))
    else:
        lines += report_lines(report, min_n)[1:]
    for key, rows in report.segments.items():
        parts = [
            f"{r['segment']} {fmt_score(report.kind, r['value'])} (n={r['n']:,})" for r in rows
        ]
        lines.append(f"{report.label} by {key}: " + ", ".join(parts) + ".")
    if report.periods:
        parts = [
            f"{r['period']} {fmt_score(report.kind, r['value'])} (n={r['n']:,})"
            for r in report.periods
        ]
        lines.append(f"{report.label} by month: " + ", ".join(parts) + ".")
    lines += [f"Note: {n}" for n in report.notes]
    if book.items:
        lines.append("\nSources:")
        for c in book.items:
            text = c.text if len(c.text) <= 240 else c.text[:237] + "..."
            meta = ", ".join(x for x in (c.segment, c.date or "", f"{c.source} {c.location}") if x)
            lines.append(f'  [{c.n}] "{text}" ({meta})')
    return "\n".join(lines)
