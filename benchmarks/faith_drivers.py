"""Rules for key-driver figures (bot.analysis.drivers), recounted from the raw catalog rows.

Independent of bot.analysis.drivers: the rows are read from SQLite here, the score is counted
with the textbook formulas (NPS = % 9-10 minus % 0-6; CSAT = % 4-5; stars = the mean), every
theme's score *with* and *without* its verbatims is counted record by record, the controlled
estimate is refitted by ordinary least squares on the records themselves (not on cells), and
the bootstrap intervals are checked against an independent Poisson bootstrap of the records
(another resampling scheme, another seed: the ends must agree within a third of the width).
A driver JSON (`cxbot drivers --json`, or the `drivers` object of an ask answer) and every
driver line of an answer are checked; the cited records must be low scores of their theme.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.faith_lines import NUM, REF, REFS, LineContext
from benchmarks.faith_view import Z95, Scope, number_ok, wilson

LABELS = {"nps": "NPS", "csat": "CSAT", "stars": "Star rating"}
LOW = {"nps": 6.0, "csat": 3.0, "stars": 2.0}
SIGNED = r"[+-]\d+(?:\.\d+)?"
VALUE = r"[+-]?\d+(?:\.\d+)?%?"
BOOT = 400
BOOT_SEED = 99


def contribution(kind: str, s: np.ndarray) -> np.ndarray:
    if kind == "nps":
        return 100.0 * (s >= 9) - 100.0 * (s <= 6)
    if kind == "csat":
        return 100.0 * (s >= 4)
    return s.astype(float)


@dataclass
class Raw:
    """The catalog rows this checker counts over, read with its own SQL."""

    ids: list[str]
    by_id: dict[str, int]
    verbatim: np.ndarray
    source: np.ndarray
    day: np.ndarray
    score: np.ndarray
    segments: list[dict[str, str]]
    themes: list[set[str]]
    kinds: dict[str, str | None]  # source -> stored score kind

    @classmethod
    def load(cls, path: Any) -> Raw:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute(
                "SELECT id, kind, source, day, score, segments, themes FROM records ORDER BY rowid"
            ).fetchall()
            cols = {r[1] for r in db.execute("PRAGMA table_info(sources)")}
            kinds = {}
            if "score_kind" in cols:
                kinds = dict(db.execute("SELECT source, score_kind FROM sources").fetchall())
        finally:
            db.close()
        ids = [str(r[0]) for r in rows]
        return cls(
            ids=ids,
            by_id={i: n for n, i in enumerate(ids)},
            verbatim=np.array([r[1] == "verbatim" for r in rows], dtype=bool),
            source=np.array([r[2] for r in rows], dtype=object),
            day=np.array([r[3] or "" for r in rows], dtype=object),
            score=np.array([np.nan if r[4] is None else float(r[4]) for r in rows]),
            segments=[json.loads(r[5]) for r in rows],
            themes=[set(json.loads(r[6])) for r in rows],
            kinds=kinds,
        )

    def theme(self, name: str) -> np.ndarray:
        return np.array([name in t for t in self.themes], dtype=bool)


@dataclass
class Recount:
    kind: str
    n: int
    value: float
    lo: float
    hi: float
    promoters: int
    detractors: int
    drivers: dict[str, dict[str, Any]] = field(default_factory=dict)
    fix_first: list[str] = field(default_factory=list)
    explained: list[str] = field(default_factory=list)
    too_small: dict[str, int] = field(default_factory=dict)


def stars_tol(rc: Recount) -> float:
    """How far a t interval's end may lie from the normal one's: t/z - 1 is below 1.5/df."""
    return (rc.hi - rc.lo) / 2 * (1.5 / max(1, rc.n - 1) + 0.01) + 1e-3


def textbook(kind: str, s: np.ndarray) -> tuple[float, float, float, int, int]:
    """(value, lo, hi, promoters, detractors) of one set of scores."""
    n = len(s)
    if kind == "nps":
        p, d = int((s >= 9).sum()), int((s <= 6).sum())
        v = 100 * (p - d) / n
        var = (p / n + d / n - (p / n - d / n) ** 2) / n
        half = 100 * Z95 * math.sqrt(var)
        return v, max(-100.0, v - half), min(100.0, v + half), p, d
    if kind == "csat":
        k = int((s >= 4).sum())
        lo, hi = wilson(k, n)
        return 100 * k / n, 100 * lo, 100 * hi, k, 0
    m = float(np.mean(s))
    half = Z95 * float(np.std(s, ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return m, m - half, m + half, 0, 0


class DriverCheck:
    """One driver report's scope, recounted once; rules and the JSON check share it."""

    def __init__(self, raw: Raw, min_n: int, doc: dict[str, Any], scope: Scope) -> None:
        self.raw, self.min_n, self.doc = raw, min_n, doc
        self.kind = str(doc.get("kind"))
        self.scope = scope
        self.mask = self._mask(scope, list(doc.get("sources") or []))
        self.rc = self._recount() if self.mask.any() else None

    def _mask(self, s: Scope, sources: list[str]) -> np.ndarray:
        r = self.raw
        m = r.verbatim & ~np.isnan(r.score) & np.isin(r.source, sources)
        for key, values in s.segments.items():
            m &= np.array([seg.get(key) in values for seg in r.segments], dtype=bool)
        if s.since:
            m &= np.array([bool(d) and d >= s.since.isoformat() for d in r.day], dtype=bool)
        if s.until:
            m &= np.array([bool(d) and d <= s.until.isoformat() for d in r.day], dtype=bool)
        if s.sources:
            m &= np.isin(r.source, s.sources)
        return m

    def _recount(self) -> Recount:
        r, kind = self.raw, self.kind
        idx = np.flatnonzero(self.mask)
        s = r.score[idx]
        y = contribution(kind, s)
        v, lo, hi, p, d = textbook(kind, s)
        rc = Recount(kind, len(idx), v, lo, hi, p, d)
        names = sorted({t for i in idx for t in r.themes[i]})
        x = np.array([[t in r.themes[i] for t in names] for i in idx], dtype=float)
        x = x.reshape(len(idx), len(names))
        beta = np.linalg.lstsq(np.column_stack([np.ones(len(idx)), x]), y, rcond=None)[0][1:]
        rng = np.random.default_rng(BOOT_SEED)
        w = rng.poisson(1.0, size=(BOOT, len(idx))).astype(float)  # the Poisson bootstrap
        wn, ws = w.sum(1), w @ y
        ranked = []
        for j, t in enumerate(names):
            has = x[:, j] > 0
            k = int(has.sum())
            if k < self.min_n or k == len(idx):
                rc.too_small[t] = k
                continue
            with_t = float(y[has].mean())
            without = float(y[~has].mean())
            wt, wst = w[:, has].sum(1), w[:, has] @ y[has]
            with np.errstate(divide="ignore", invalid="ignore"):
                boot = ws / wn - (ws - wst) / (wn - wt)
            blo, bhi = np.nanpercentile(boot, [2.5, 97.5])
            rc.drivers[t] = {
                "n": k,
                "share": k / len(idx),
                "with": with_t,
                "without": without,
                "impact": float(y.mean()) - without,
                "boot": (float(blo), float(bhi)),
                "coef": float(beta[j]),
                "adjusted": float(beta[j]) * k / len(idx),
            }
            ranked.append(t)
        return rc

    # -- the JSON
    def check_report(self, ctx: LineContext, cites: dict[int, dict[str, Any]]) -> None:
        doc, rc = self.doc, self.rc
        stored = self.raw.kinds
        for src in doc.get("sources") or []:
            k = stored.get(src)
            ok = k == self.kind or (k is None and self._fits(src))
            ctx.verdict.add(
                "figure",
                f"drivers: score kind of {src}",
                ok,
                "" if ok else f"says {self.kind}, the catalog stores {k}",
            )
        if rc is None:
            ctx.verdict.add("figure", "drivers: scored verbatims", False, "the scope has none")
            return
        sc = doc.get("score") or {}
        self._num(ctx, "drivers: n scored", sc.get("n"), rc.n, exact=True)
        for name, got, true in (
            ("score", sc.get("value"), rc.value),
            ("score CI low", sc.get("ci_low"), rc.lo),
            ("score CI high", sc.get("ci_high"), rc.hi),
        ):
            if self.kind == "stars" and "CI" in name:  # t there, normal here: loosely
                ok = got is not None and abs(float(got) - true) <= stars_tol(rc)
                ctx.verdict.add("figure", f"drivers: {name}", ok, "" if ok else f"{got} vs {true}")
            else:
                self._close(ctx, f"drivers: {name}", got, true, 1e-3)
        if self.kind == "nps":
            self._num(ctx, "drivers: promoters", sc.get("promoters"), rc.promoters, exact=True)
            self._num(ctx, "drivers: detractors", sc.get("detractors"), rc.detractors, exact=True)
        listed = {str(d["theme"]): d for d in doc.get("drivers") or []}
        small = {str(d["theme"]): int(d["n"]) for d in doc.get("too_small") or []}
        ok = set(listed) == set(rc.drivers) and small == rc.too_small
        ctx.verdict.add(
            "figure",
            "drivers: which themes are estimated / too small",
            ok,
            ""
            if ok
            else f"lists {sorted(listed)} / {small}, the rows give {sorted(rc.drivers)} / "
            f"{rc.too_small} (fewer than {self.min_n} scored: too small)",
        )
        for t, d in listed.items():
            true = rc.drivers.get(t)
            if true is None:
                continue
            self._num(ctx, f"drivers: {t} n", d.get("n"), true["n"], exact=True)
            for key, tk in (
                ("share", "share"),
                ("score_with", "with"),
                ("score_without", "without"),
                ("impact", "impact"),
                ("coefficient", "coef"),
                ("adjusted_impact", "adjusted"),
            ):
                self._close(ctx, f"drivers: {t} {key}", d.get(key), true[tk], 2e-3)
            lo, hi = d.get("ci_low"), d.get("ci_high")
            blo, bhi = true["boot"]
            width = max(bhi - blo, 1e-9)
            ok = (
                lo is not None
                and hi is not None
                and lo <= d["impact"] + 1e-9
                and d["impact"] <= hi + 1e-9
                and abs(lo - blo) <= width / 3
                and abs(hi - bhi) <= width / 3
            )
            ctx.verdict.add(
                "figure",
                f"drivers: {t} impact interval",
                ok,
                ""
                if ok
                else f"says [{lo}, {hi}], an independent bootstrap gives [{blo:.3f}, {bhi:.3f}]",
            )
            alo, ahi = d.get("adjusted_ci_low"), d.get("adjusted_ci_high")
            adj = true["adjusted"]
            ok = alo is not None and ahi is not None and alo - 1e-6 <= adj <= ahi + 1e-6
            ctx.verdict.add(
                "figure",
                f"drivers: {t} controlled interval holds its estimate",
                ok,
                "" if ok else f"[{alo}, {ahi}] does not hold {true['adjusted']:.3f}",
            )
            self._support(ctx, t, d.get("citations") or [], cites)
        # fix first: both intervals below 0, most negative impact first
        order = sorted(
            (
                d
                for t, d in listed.items()
                if t in rc.drivers
                and d["ci_high"] < 0
                and d["adjusted_ci_high"] is not None
                and d["adjusted_ci_high"] < 0
            ),
            key=lambda d: (rc.drivers[d["theme"]]["impact"], d["theme"]),
        )
        want = [d["label"] for d in order]
        got = list(doc.get("fix_first") or [])
        ctx.verdict.add(
            "figure",
            "drivers: fix-first order",
            got == want,
            "" if got == want else f"says {got}, the intervals and impacts give {want}",
        )
        self.fix_labels = want
        self.explained = [
            d["label"]
            for t, d in listed.items()
            if t in rc.drivers and d["ci_high"] < 0 and d["label"] not in want
        ]

    def _fits(self, source: str) -> bool:
        s = self.raw.score[(self.raw.source == source) & ~np.isnan(self.raw.score)]
        lo, hi = (0, 10) if self.kind == "nps" else (1, 5)
        return bool(((s >= lo) & (s <= hi)).all())

    def _support(
        self, ctx: LineContext, theme: str, cited: list[dict[str, Any]], cites: dict[int, Any]
    ) -> None:
        tm = self.raw.theme(theme)
        for c in cited:
            i = self.raw.by_id.get(str(c["id"]))
            ok = (
                i is not None
                and bool(self.mask[i] and tm[i])
                and self.raw.score[i] <= LOW[self.kind]
            )
            if cites and int(c["n"]) in cites:
                ok = ok and str(cites[int(c["n"])]["id"]) == str(c["id"])
            ctx.verdict.add(
                "support",
                f"drivers: {theme} [{c['n']}] {c['id']}",
                ok,
                "" if ok else f"not a low-score verbatim of '{theme}' in scope",
            )

    @staticmethod
    def _num(ctx: LineContext, what: str, got: Any, true: int, exact: bool) -> None:
        ok = got is not None and int(got) == true
        ctx.verdict.add("figure", what, ok, "" if ok else f"says {got}, the rows give {true}")

    @staticmethod
    def _close(ctx: LineContext, what: str, got: Any, true: float, tol: float) -> None:
        ok = got is not None and abs(float(got) - true) <= tol * max(1.0, abs(true))
        ctx.verdict.add("figure", what, ok, "" if ok else f"says {got}, the rows give {true:.4f}")


# ---------------------------------------------------------------- answer lines


def _printed(ctx: LineContext, what: str, printed: str, true: float) -> None:
    p = printed.rstrip("%")
    ctx.figure(what, number_ok(p.lstrip("+"), true), printed, f"{true:.3f}")


def score_line(ctx: LineContext, m: re.Match[str], dc: DriverCheck) -> None:
    rc = dc.rc
    who = m.group("who")
    ok_words = who == ctx.scope.who and (m.group("when") or "") == ctx.scope.when
    ctx.verdict.add(
        "figure", ctx.where("scope words"), ok_words, "" if ok_words else f"says '{who}'"
    )
    ok_label = m.group("label") == LABELS.get(dc.kind)
    ctx.verdict.add("figure", ctx.where("score kind"), ok_label, "" if ok_label else dc.kind)
    if rc is None:
        ctx.verdict.add("figure", ctx.where("scored verbatims"), False, "the scope has none")
        return
    ctx.count("scored verbatims", m.group("n"), rc.n)
    _printed(ctx, "score", m.group("value"), rc.value)
    ends = (("CI low", m.group("lo"), rc.lo), ("CI high", m.group("hi"), rc.hi))
    for name, printed, true in ends:
        if dc.kind == "stars":  # t there, normal here: compare the interval loosely
            ok = abs(float(printed) - true) <= stars_tol(rc) + 0.005
            ctx.figure(name, ok, printed, f"{true:.3f}")
        else:
            _printed(ctx, name, printed, true)
    if m.group("prom"):
        ctx.pct("promoters", m.group("prom") + "%", rc.promoters, rc.n)
        ctx.pct("detractors", m.group("det") + "%", rc.detractors, rc.n)


def driver_line(ctx: LineContext, m: re.Match[str], dc: DriverCheck) -> None:
    rc = dc.rc
    label = m.group("label")
    theme = ctx.view.label_to_theme.get(label)
    true = rc.drivers.get(theme or "") if rc else None
    if true is None:
        ctx.verdict.add("figure", ctx.where(f"driver '{label}'"), False, "not an estimated theme")
        return
    ctx.count(f"{theme} scored verbatims", m.group("n"), true["n"])
    ctx.pct(f"{theme} share", m.group("share") + "%", true["n"], rc.n)
    _printed(ctx, f"{theme} score with", m.group("with"), true["with"])
    _printed(ctx, f"{theme} score without", m.group("without"), true["without"])
    _printed(ctx, f"{theme} impact", m.group("impact"), true["impact"])
    if m.group("adj"):
        _printed(ctx, f"{theme} controlled", m.group("adj"), true["adjusted"])
    entry = next((d for d in dc.doc.get("drivers") or [] if d["theme"] == theme), None)
    if entry is not None:  # the printed intervals are the JSON's (checked there)
        for name, printed, key in (
            ("CI low", m.group("lo"), "ci_low"),
            ("CI high", m.group("hi"), "ci_high"),
            ("controlled CI low", m.group("alo"), "adjusted_ci_low"),
            ("controlled CI high", m.group("ahi"), "adjusted_ci_high"),
        ):
            if printed is not None:
                _printed(ctx, f"{theme} {name}", printed, float(entry[key]))
        if m.group("rank"):
            rank = int(m.group("rank"))
            ok = entry.get("fix_first") == rank
            ctx.figure(f"{theme} fix-first rank", ok, rank, entry.get("fix_first"))
    tm = dc.raw.theme(theme)
    low = dc.raw.score <= LOW[dc.kind]
    for n in (int(x) for x in REF.findall(m.group("refs") or "")):
        c = ctx.cites.get(n)
        if c is None:
            continue
        i = dc.raw.by_id.get(str(c["id"]))
        ok = i is not None and bool(dc.mask[i] and tm[i] and low[i])
        ctx.verdict.add(
            "support",
            ctx.where(f"[{n}] {c['id']}"),
            ok,
            "" if ok else f"cited for '{label}', but not a low score of it in scope",
        )


def small_line(ctx: LineContext, m: re.Match[str], dc: DriverCheck) -> None:
    ctx.count("minimum n", m.group("min"), dc.min_n)
    rc = dc.rc
    listed = {}
    for part in re.finditer(rf"(?P<label>.+?) \((?P<n>{NUM})\)(?:, |$)", m.group("items")):
        theme = ctx.view.label_to_theme.get(part.group("label").strip())
        listed[theme] = part.group("n")
    true = rc.too_small if rc else {}
    for theme, n in listed.items():
        ctx.count(f"{theme} scored verbatims (too small)", n, true.get(theme or "", -1))
    ok = set(listed) == {t for t, k in true.items() if k < dc.min_n}
    ctx.verdict.add("figure", ctx.where("too-small list"), ok, "" if ok else f"rows: {true}")


def small_one(ctx: LineContext, m: re.Match[str], dc: DriverCheck) -> None:
    theme = ctx.view.label_to_theme.get(m.group("label"))
    true = dc.rc.too_small.get(theme or "", -1) if dc.rc else -1
    ctx.count(f"{theme} scored verbatims (too small)", m.group("n"), true)
    ctx.count("minimum n", m.group("min"), dc.min_n)


def too_few(ctx: LineContext, m: re.Match[str], dc: DriverCheck) -> None:
    ctx.count("scored verbatims", m.group("n"), dc.rc.n if dc.rc else 0)
    ctx.count("minimum n", m.group("min"), dc.min_n)
    ok = (dc.rc.n if dc.rc else 0) < dc.min_n
    ctx.verdict.add("figure", ctx.where("too few to estimate"), ok, "")


def more_line(ctx: LineContext, m: re.Match[str], dc: DriverCheck) -> None:
    shown = getattr(dc, "shown", 0)
    total = len(dc.doc.get("fix_first") or [])
    ctx.count("fix-first themes not shown", m.group("k"), total - shown)


def explained_line(ctx: LineContext, m: re.Match[str], dc: DriverCheck) -> None:
    got = [x.strip() for x in m.group("items").split(", ")]
    want = getattr(dc, "explained", None)
    ok = want is not None and sorted(got) == sorted(want)
    ctx.verdict.add("figure", ctx.where("explained by co-occurring themes"), ok, f"{want}")


def none_lowers(ctx: LineContext, m: re.Match[str], dc: DriverCheck) -> None:
    """'No theme clearly lowers the NPS: ...': the recount's fix-first list (both intervals
    below 0) is empty, and the score named is the one estimated."""
    want = getattr(dc, "fix_labels", None)
    ok = want is not None and not want
    ctx.verdict.add("figure", ctx.where("no theme clearly lowers"), ok, f"fix first: {want}")
    label = dc.doc.get("label")
    ctx.figure("score named", m["label"] == label, m["label"], label)


DriverRule = Callable[[LineContext, re.Match[str], DriverCheck], None]
SCORE_RE = re.compile(
    rf"^(?P<label>NPS|CSAT|Star rating) over (?P<n>{NUM}) scored (?P<who>.*?)verbatims"
    rf"(?P<when> dated \S+ to \S+)?: (?P<value>{VALUE}) \(95% CI (?P<lo>{VALUE}) to "
    rf"(?P<hi>{VALUE})\)(?:; (?P<prom>\d+\.\d)% promoters \(9-10\), (?P<det>\d+\.\d)% "
    r"detractors \(0-6\)|; share answering 4-5)?\.$"
)
DRIVER_RE = re.compile(
    rf"^(?:\* |  )?(?:(?P<rank>\d+)\. )?(?P<label>[^:]+): (?P<n>{NUM}) scored verbatims "
    rf"\((?P<share>\d+\.\d)%\), (?:NPS|CSAT|Star rating) (?P<with>{VALUE}) among them vs "
    rf"(?P<without>{VALUE}) without; impact (?P<impact>{SIGNED}) (?:points|stars) \(95% CI "
    rf"(?P<lo>{SIGNED}) to (?P<hi>{SIGNED})\)(?:; (?P<adj>{SIGNED}) controlling for "
    rf"co-occurring themes \(95% CI (?P<alo>{SIGNED}) to (?P<ahi>{SIGNED})\))?"
    rf"(?: (?P<refs>{REFS}))?\.$"
)
DRIVER_RULES: list[tuple[re.Pattern[str], DriverRule]] = [
    (SCORE_RE, score_line),
    (DRIVER_RE, driver_line),
    (
        re.compile(
            rf"^Too small to estimate \(fewer than (?P<min>{NUM}) scored verbatims\): "
            r"(?P<items>.+)\.$"
        ),
        small_line,
    ),
    (
        re.compile(
            rf"^(?P<label>[^:]+): only (?P<n>{NUM}) scored verbatims \(fewer than (?P<min>{NUM})"
            r"\): too small to estimate its impact\.$"
        ),
        small_one,
    ),
    (
        re.compile(
            rf"^Only (?P<n>{NUM}) scored verbatims here \(fewer than (?P<min>{NUM})\): too few "
            r"to estimate what drives the score\.$"
        ),
        too_few,
    ),
    (re.compile(rf"^(?P<k>{NUM}) more: run `cxbot drivers` for all\.$"), more_line),
    (
        re.compile(
            r"^No theme clearly lowers the (?P<label>NPS|CSAT|Star rating): no theme's impact "
            r"interval lies below 0 once the themes it comes with are held fixed\.$"
        ),
        none_lowers,
    ),
    (
        re.compile(
            r"^Lower the score only together with other themes \(explained by co-occurring "
            r"themes, not ranked\): (?P<items>.+)\.$"
        ),
        explained_line,
    ),
]


def check_driver_lines(
    ctx: LineContext, lines: list[tuple[int, str]], dc: DriverCheck
) -> list[int]:
    """Apply the driver rules; returns the line numbers they matched."""
    matched = []
    dc.check_report(ctx, ctx.cites)
    dc.shown = 0  # type: ignore[attr-defined]
    for no, line in lines:
        ctx.line_no = no
        for pattern, rule in DRIVER_RULES:
            m = pattern.match(line)
            if m:
                if rule is driver_line and m.group("rank"):
                    dc.shown += 1  # type: ignore[attr-defined]
                rule(ctx, m, dc)
                matched.append(no)
                break
    return matched


def no_score_line(ctx: LineContext, raw: Raw, scope: Scope) -> bool:
    """'Not enough evidence: No score in ... verbatims': true when nothing in scope is scored
    with a known kind."""
    dc = DriverCheck.__new__(DriverCheck)
    dc.raw = raw
    mask = dc._mask(scope, sorted({str(s) for s in raw.source}))
    scored = [s for s in set(raw.source[mask]) if raw.kinds.get(s)]
    return not scored


# ---------------------------------------------------------------- the digest's score move


def check_score_move(ctx: LineContext, digest: dict[str, Any], raw: Raw, min_n: int) -> None:
    """A digest's "what moved the score" (digest-figures.json `score`), recounted from the raw
    rows: each period's score, the change and its interval (the variances summed, as for two
    independent samples), and per theme its scored verbatims and its impact in each period
    (score with everyone minus score without the theme, record by record); the change's
    bootstrap interval against an independent Poisson bootstrap of each period."""
    doc = digest.get("score")
    if not doc:
        return
    kind = str(doc.get("kind"))
    sources = list(doc.get("sources") or [])
    cites = {int(c["n"]): c for c in digest.get("citations") or []}

    def period_mask(p: dict[str, Any]) -> np.ndarray:
        a, b = str(p["since"]), str(p["until"])
        m = raw.verbatim & ~np.isnan(raw.score) & np.isin(raw.source, sources)
        return m & np.array([bool(d) and a <= d[:10] <= b for d in raw.day], dtype=bool)

    def close(what: str, got: Any, true: float, tol: float) -> None:
        ok = got is not None and abs(float(got) - true) <= tol
        ctx.verdict.add("figure", f"score move: {what}", ok, "" if ok else f"{got} vs {true:.4f}")

    masks = {"now": period_mask(digest["period"]), "before": period_mask(digest["previous"])}
    stats: dict[str, tuple[float, float, int]] = {}
    for key, m in masks.items():
        s = raw.score[m]
        got = doc.get(key) or {}
        ok = got.get("n") == len(s)
        ctx.verdict.add(
            "figure", f"score move: {key} n", ok, "" if ok else f"{got.get('n')} vs {len(s)}"
        )
        if not len(s):
            return
        v, lo, hi, _, _ = textbook(kind, s)
        y = contribution(kind, s)
        var = float(np.var(y, ddof=1 if kind == "stars" else 0)) / len(s)
        stats[key] = (v, var, len(s))
        close(f"{key} score", got.get("value"), v, 1e-3)
        if kind != "stars":
            close(f"{key} CI low", got.get("ci_low"), lo, 1e-3)
            close(f"{key} CI high", got.get("ci_high"), hi, 1e-3)
    if not doc.get("enough_data"):
        ok = min(n for _, _, n in stats.values()) < min_n
        ctx.verdict.add("figure", "score move: too few scored", ok, "")
        return
    change = stats["now"][0] - stats["before"][0]
    se = math.sqrt(stats["now"][1] + stats["before"][1])
    close("change", doc.get("change"), change, 1e-3)
    close("change CI low", doc.get("change_ci_low"), change - Z95 * se, 1e-3 + 1e-3 * abs(change))
    close("change CI high", doc.get("change_ci_high"), change + Z95 * se, 1e-3 + 1e-3 * abs(change))
    sig = abs(change) >= Z95 * se
    ctx.verdict.add("figure", "score move: beyond noise", doc.get("significant") == sig, f"{sig}")
    rng = np.random.default_rng(BOOT_SEED)
    per: dict[str, dict[str, Any]] = {}
    draws: dict[str, dict[str, np.ndarray]] = {}
    for key, m in masks.items():
        idx = np.flatnonzero(m)
        y = contribution(kind, raw.score[idx])
        w = rng.poisson(1.0, size=(BOOT, len(idx))).astype(float)
        wn, ws = w.sum(1), w @ y
        for t in sorted({t for i in idx for t in raw.themes[i]}):
            has = np.array([t in raw.themes[i] for i in idx], dtype=bool)
            without = float(y[~has].mean()) if (~has).any() else math.nan
            per.setdefault(t, {})[key] = (int(has.sum()), float(y.mean()) - without)
            wt, wst = w[:, has].sum(1), w[:, has] @ y[has]
            with np.errstate(divide="ignore", invalid="ignore"):
                draws.setdefault(t, {})[key] = ws / wn - (ws - wst) / (wn - wt)
    listed = {str(t["theme"]): t for t in doc.get("themes") or []}
    small = {str(t["theme"]): int(t["n"]) for t in doc.get("too_small") or []}
    for t, d in per.items():
        n_now, imp_now = d.get("now", (0, 0.0))
        n_before, imp_before = d.get("before", (0, 0.0))
        if n_now + n_before < min_n:
            ok = small.get(t) == n_now + n_before and t not in listed
            ctx.verdict.add("figure", f"score move: {t} too small", ok, f"{n_now + n_before}")
            continue
        got = listed.get(t)
        if got is None:
            ctx.verdict.add("figure", f"score move: {t} estimated", t in small, "not listed")
            continue
        ok = (got["n_now"], got["n_before"]) == (n_now, n_before)
        ctx.verdict.add("figure", f"score move: {t} n", ok, f"{n_now} / {n_before}")
        close(f"{t} impact now", got["impact_now"], imp_now, 2e-3 * max(1.0, abs(imp_now)))
        close(
            f"{t} impact before", got["impact_before"], imp_before, 2e-3 * max(1.0, abs(imp_before))
        )
        zero = np.zeros(BOOT)
        diff = draws[t].get("now", zero) - draws[t].get("before", zero)
        blo, bhi = (float(x) for x in np.nanpercentile(diff, [2.5, 97.5]))
        width = max(bhi - blo, 1e-9)
        lo, hi = got["ci_low"], got["ci_high"]
        ok = lo is not None and abs(lo - blo) <= width / 3 and abs(hi - bhi) <= width / 3
        ctx.verdict.add(
            "figure",
            f"score move: {t} change interval",
            ok,
            f"[{lo}, {hi}] vs [{blo:.3f}, {bhi:.3f}]",
        )
        worse = masks["now"] if imp_now <= imp_before else masks["before"]
        tm = raw.theme(t)
        for n in got.get("citations") or []:
            c = cites.get(int(n))
            i = raw.by_id.get(str(c["id"])) if c else None
            ok = i is not None and bool(worse[i] and tm[i] and raw.score[i] <= LOW[kind])
            ctx.verdict.add(
                "support", f"score move: {t} [{n}]", ok, "" if ok else "not a low score of it"
            )
    moved = sorted(
        (t for t in listed.values() if t["beyond_noise"]),
        key=lambda t: (-abs(t["change"]), t["theme"]),
    )
    want = [t["theme"] for t in moved][:3]
    ok = list(doc.get("moved") or []) == want
    for t in listed.values():
        beyond = t["ci_low"] > 0 or t["ci_high"] < 0
        if beyond != t["beyond_noise"]:
            ok = False
    ctx.verdict.add("figure", "score move: themes that moved it", ok, f"{want}")
