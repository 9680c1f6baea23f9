"""Is an answer faithful to the store? Run any `cxbot ask --json` answer (Answer.as_dict()),
`cxbot gaps --json` or `cxbot drivers --json` report through it:

    python -m benchmarks.faithfulness answer.json [--data-dir DIR]

Checks, each reported separately:
* citation: every cited record exists in the catalog *and* in Chroma with the same text, kind,
  source, location, segment and date; citations are numbered 1..n;
* reference: every [n] in the text has a citation and every citation is referred to;
* figure: every figure recounts from the catalog with the checker's own masks and formulas
  ("40 of 163 North verbatims (24.5%)" -> 40, 163 and 24.5% given the answer's filters); gap
  figures are matched to a fresh `bot.analysis.gaps.analyse()` and recounted (n, k, shares, Wilson
  interval, rank, score, significance); "most"/"highest" lists hold the top entries; key-driver
  figures are recounted from the raw rows (score with and without each theme, the controlled
  estimate, an independent bootstrap, the fix-first order: benchmarks/faith_drivers.py); the
  score side of a gap (an internal NPS/CSAT line vs the customers' own score) is recounted from
  the raw rows with textbook formulas, its verdict (inside or outside the customers' interval)
  re-derived, and the report line must state the internal value (benchmarks/faith_gaps.py); a
  digest's "what moved the score" (digest-figures.json) is recounted per period and per theme
  (faith_drivers.check_score_move);
* support: each record a line cites is one that line counts (in its segment, period, theme);
* freshness: the counts and dates of the "Data indexed ..." line.
A line with figures that no rule recognises is "unverified", which also fails the answer:
the checker never passes what it could not check. Exit code 0 faithful, 1 not, 2 usage error.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.faith_compare import COMPARE_RULES, compare_finish
from benchmarks.faith_drivers import (
    DriverCheck,
    Raw,
    check_driver_lines,
    check_score_move,
    no_score_line,
)
from benchmarks.faith_gaps import GAP_RULES, SCORE_GAP_RULES, check_entry, check_score_entry
from benchmarks.faith_lines import NUM, REF, RULES, LineContext
from benchmarks.faith_view import NUMBER, Scope, StoreView, as_int
from ingest.config import Settings

FRESHNESS = re.compile(
    rf"^Data indexed (?P<when>.+?); (?P<nv>{NUM}) verbatims and (?P<nm>{NUM}) metric lines from "
    r"(?P<ns>\d+) source\(s\); (?:verbatims dated (?P<d0>\S+) to (?P<d1>\S+)|verbatims undated)\.$"
)
KINDS = ("citation", "reference", "figure", "support", "freshness")


@dataclass
class Check:
    kind: str
    what: str
    ok: bool
    detail: str = ""


@dataclass
class Verdict:
    question: str = ""
    checks: list[Check] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, kind: str, what: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(kind, what, ok, detail))

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def faithful(self) -> bool:
        return not self.failures and not self.unverified

    def tally(self, kind: str) -> tuple[int, int]:
        mine = [c for c in self.checks if c.kind == kind]
        return len(mine), sum(not c.ok for c in mine)

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "faithful": self.faithful,
            "checks": {
                k: dict(zip(("checked", "failed"), self.tally(k), strict=True)) for k in KINDS
            },
            "failures": [c.__dict__ for c in self.failures],
            "unverified": self.unverified,
            "notes_not_checked": self.notes,
        }

    def text(self) -> str:
        head = "FAITHFUL" if self.faithful else "NOT FAITHFUL"
        counts = ", ".join(
            f"{k} {self.tally(k)[0] - self.tally(k)[1]}/{self.tally(k)[0]}" for k in KINDS
        )
        lines = [f'{head}: "{self.question}" ({counts} ok, {len(self.unverified)} unverified)']
        lines += [f"  FAIL {c.kind} {c.what}: {c.detail}" for c in self.failures]
        lines += [f"  UNVERIFIED {u}" for u in self.unverified]
        return "\n".join(lines)


class Checker:
    """Loads the store once; check() as many answers as you like."""

    def __init__(self, settings: Settings, engine: Any = None) -> None:
        self.settings = settings
        self.view = StoreView(settings)
        self._engine = engine
        self._raw: Raw | None = None

    @property
    def raw(self) -> Raw:
        """The catalog rows as the driver recount reads them (its own SQL), loaded once."""
        if self._raw is None:
            self._raw = Raw.load(self.settings.catalog_path)
        return self._raw

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from bot.engine import Engine

            self._engine = Engine(self.settings)
        return self._engine

    def _uses_word(self, term: str) -> np.ndarray:
        """The records that use a word, as the bot's lexical index matches it (stemmed): the
        one figure the checker does not recount from the rows themselves, aligned by id."""
        corpus = self.engine.corpus()
        hit = corpus.bm25_scores(term) > 0
        out = np.zeros(len(self.view), dtype=bool)
        for i, rid in enumerate(corpus.ids):
            j = self.view.by_id.get(str(rid))
            if j is not None and hit[i]:
                out[j] = True
        return out

    def check(
        self, doc: dict[str, Any], metric: str | None = None, segment: str | None = None
    ) -> Verdict:
        if "answer" in doc:
            return self.check_answer(doc)
        if "drivers" in doc and "kind" in doc:
            return self.check_driver_report(doc)
        if "period" in doc and "previous" in doc and "volume" in doc:
            return self.check_digest(doc)
        if "gaps" in doc:
            return self.check_gap_report(doc, metric, segment)
        raise ValueError("not an answer (no 'answer' key) nor a gaps report (no 'gaps' key)")

    # -- answers
    def check_answer(self, a: dict[str, Any]) -> Verdict:
        v = Verdict(question=str(a.get("question", "")))
        cites = {int(c["n"]): c for c in a.get("citations") or []}
        self._citations(list(cites.values()), v)
        self._references(str(a.get("answer", "")), cites, v)
        scope = self.view.scope_from(a.get("filters") or {})
        ctx = LineContext(
            self.view,
            scope,
            cites,
            v,
            words=self._uses_word,
            trend=a.get("trend"),
            top_n=int(a.get("top_n") or 3),
        )
        gap_state: tuple[Any, np.ndarray] | None = None
        lines = [(no, x.rstrip()) for no, x in enumerate(str(a.get("answer", "")).splitlines(), 1)]
        driven: set[int] = set()
        if a.get("drivers"):  # key drivers: recounted from the raw rows (faith_drivers)
            d = a["drivers"]
            dc = DriverCheck(
                self.raw,
                self.settings.min_segment_n,
                d,
                self.view.scope_from(d.get("filters") or {}),
            )
            driven = set(check_driver_lines(ctx, lines, dc))
        for no, line in lines:
            ctx.line_no = no
            if not line or no in driven:
                continue
            if line.startswith("Not enough evidence: No score in "):
                ok = no_score_line(ctx, self.raw, scope)
                v.add("figure", f"line {no}: no score in scope", ok, "" if ok else "there is one")
                continue
            if line.startswith(("Note: ", "Answered as: ")):  # a caveat, or the query read
                v.notes.append(f"line {no}: {line}")
                continue
            if self._apply(RULES + COMPARE_RULES, line, ctx):
                continue
            matched = False
            for pattern, srule in SCORE_GAP_RULES:  # internal score vs the customers' own
                m = pattern.match(line)
                if m:
                    matched = True
                    if srule is not None:
                        srule(ctx, m, self.raw)
                    break
            for pattern, rule in [] if matched else GAP_RULES:
                m = pattern.match(line)
                if m:
                    matched = True
                    if rule is not None:
                        gap_state = gap_state or self._gap_report(scope)
                        rule(ctx, m, *gap_state)
                    break
            if not matched and NUMBER.search(line):
                v.unverified.append(f"line {no}: {line}")
        ctx.finish()
        compare_finish(ctx)
        if a.get("gaps"):
            gap_state = gap_state or self._gap_report(scope)
            for g in a["gaps"]:
                check_entry(ctx, g, *gap_state)
                for c in g.get("citations") or []:
                    ok = cites.get(int(c["n"]), {}).get("id") == c["id"]
                    v.add(
                        "citation",
                        f"gap citation [{c['n']}] {c['id']}",
                        ok,
                        "" if ok else "not the answer's citation",
                    )
        for g in a.get("score_gaps") or []:
            check_score_entry(ctx, g, self.raw)
            for c in g.get("citations") or []:
                ok = cites.get(int(c["n"]), {}).get("id") == c["id"]
                v.add(
                    "citation",
                    f"score gap citation [{c['n']}] {c['id']}",
                    ok,
                    "" if ok else "not the answer's citation",
                )
        if a.get("freshness"):
            self._freshness(str(a["freshness"]), v)
        return v

    @staticmethod
    def _apply(rules: list[Any], line: str, ctx: LineContext) -> bool:
        for pattern, rule in rules:
            m = pattern.match(line)
            if m:
                rule(ctx, m)
                return True
        return False

    def _gap_report(self, scope: Scope) -> tuple[Any, np.ndarray]:
        """The analysis the ask path runs for this scope (bot.analysis.gaps.gap_answer_lines)."""
        from bot.analysis.gaps import analyse

        # segments are ranked against each other: recount them all, over the time window only
        window = dataclasses.replace(scope, segments={})
        filtered = bool(scope.since or scope.until)
        report = analyse(self.engine, filters=window.as_filters() if filtered else None)
        if scope.themes:
            themed = [g for g in report.gaps if set(scope.themes) & set(_themes(report, g))]
            if themed:
                report.gaps = themed
        base = self.view.scope(window) if filtered else self.view.verbatim
        return report, base

    # -- `cxbot drivers --json`
    def check_driver_report(self, doc: dict[str, Any]) -> Verdict:
        v = Verdict(question=f"cxbot drivers ({doc.get('kind')}, filters {doc.get('filters')})")
        cites = {int(c["n"]): c for c in doc.get("citations") or []}
        self._citations(list(cites.values()), v)
        scope = self.view.scope_from(doc.get("filters") or {})
        ctx = LineContext(self.view, scope, cites, v)
        DriverCheck(self.raw, self.settings.min_segment_n, doc, scope).check_report(ctx, cites)
        if doc.get("freshness"):
            self._freshness(str(doc["freshness"]), v)
        return v

    # -- `cxbot digest --dry-run --out DIR`: digest-figures.json
    def check_digest(self, doc: dict[str, Any]) -> Verdict:
        """The digest's citations, and its "what moved the score" recounted from the raw rows
        (the trend and gap figures have their own tests: tests/bot/digest/test_airline.py)."""
        v = Verdict(question=f"digest {doc['period'].get('label')}")
        cites = {int(c["n"]): c for c in doc.get("citations") or []}
        self._citations(list(cites.values()), v)
        ctx = LineContext(self.view, Scope(), cites, v)
        check_score_move(ctx, doc, self.raw, self.settings.min_segment_n)
        if doc.get("score_gaps"):  # internal scores vs the customers' own, in the period
            p = doc["period"]
            period = Scope(
                since=date.fromisoformat(p["since"]), until=date.fromisoformat(p["until"])
            )
            pctx = LineContext(self.view, period, cites, v)
            for g in doc["score_gaps"]:
                check_score_entry(pctx, g, self.raw)
        return v

    # -- `cxbot gaps --json`
    def check_gap_report(
        self, doc: dict[str, Any], metric: str | None, segment: str | None
    ) -> Verdict:
        from bot.analysis.gaps import analyse

        v = Verdict(question=f"cxbot gaps (metric={metric}, segment={segment})")
        report = analyse(self.engine, metric=metric)  # --segment only picks what is shown
        ctx = LineContext(self.view, Scope(), {}, v)
        for key in ("gaps", "not_ranked", "overall"):
            for g in doc.get(key) or []:
                check_entry(ctx, g, report, self.view.verbatim)
        for g in doc.get("gaps") or []:
            self._citations(g.get("citations") or [], v, numbered=False)
        for g in doc.get("score_gaps") or []:  # the customer score side, from the raw rows
            if segment is None or g.get("segment") == segment:
                check_score_entry(ctx, g, self.raw)
            self._citations(g.get("citations") or [], v, numbered=False)
        return v

    # -- citations, references, freshness
    def _citations(self, cites: list[dict[str, Any]], v: Verdict, numbered: bool = True) -> None:
        ns = [int(c["n"]) for c in cites]
        if numbered and ns != list(range(1, len(ns) + 1)):
            v.add("citation", "numbering", False, f"citations are numbered {ns}, not 1..{len(ns)}")
        docs = self._chroma_documents([str(c["id"]) for c in cites])
        for c in cites:
            cid = str(c["id"])
            i = self.view.by_id.get(cid)
            if i is None:
                v.add("citation", f"[{c['n']}] {cid}", False, "no such record in the catalog")
                continue
            row = self.view.rows[i]
            wrong = [
                name
                for name, got, true in (
                    ("text", c.get("text"), row["text"]),
                    ("kind", c.get("kind"), row["kind"]),
                    ("source", c.get("source"), row["source"]),
                    ("location", c.get("location"), row["location"]),
                    (
                        "segment",
                        c.get("segment"),
                        ", ".join(str(x) for x in row["segments"].values()),
                    ),
                    ("date", c.get("date"), row["day"]),
                )
                if got != true
            ]
            if docs.get(cid) != row["text"]:
                wrong.append("Chroma document" if cid in docs else "missing from Chroma")
            detail = f"differs from the store: {', '.join(wrong)}" if wrong else ""
            v.add("citation", f"[{c['n']}] {cid}", not wrong, detail)

    def _chroma_documents(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        from ingest.embedder import LOCAL_MODEL_ID
        from ingest.store import VectorStore

        col = VectorStore(self.settings, self.view.model_id or LOCAL_MODEL_ID, 0).collection(
            create=False
        )
        got = col.get(ids=list(dict.fromkeys(ids)), include=["documents"])
        return dict(zip(got["ids"], got["documents"] or [], strict=True))

    @staticmethod
    def _references(text: str, cites: dict[int, Any], v: Verdict) -> None:
        used = {int(x) for x in REF.findall(text)}
        for n in sorted(used - cites.keys()):
            v.add("reference", f"[{n}]", False, "the text refers to a citation that does not exist")
        for n in sorted(cites.keys() - used):
            v.add("reference", f"[{n}]", False, "cited but never referred to in the text")
        for n in sorted(used & cites.keys()):
            v.add("reference", f"[{n}]", True)

    def _freshness(self, line: str, v: Verdict) -> None:
        m = FRESHNESS.match(line)
        if not m:
            if NUMBER.search(line):
                v.unverified.append(f"freshness: {line}")
            return
        view = self.view
        when = (view.last_indexed or "unknown").replace("T", " ").replace("+00:00", " UTC")
        d0, d1 = view.verbatim_dates()
        for name, got, true in (
            ("indexed at", m.group("when"), when),
            ("verbatims", as_int(m.group("nv")), int(view.verbatim.sum())),
            ("metric lines", as_int(m.group("nm")), int((view.kind == "metric").sum())),
            ("sources", int(m.group("ns")), view.n_sources),
            ("first date", m.group("d0"), d0),
            ("last date", m.group("d1"), d1),
        ):
            v.add(
                "freshness", name, got == true, "" if got == true else f"says {got}, store {true}"
            )


def _themes(report: Any, g: Any) -> list[str]:
    return next((lk.themes for lk in report.links if lk.metric == g.fact.metric), [])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.faithfulness", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "files",
        nargs="+",
        help="JSON files (an answer, a list of answers, or a gaps report); - for stdin",
    )
    p.add_argument("--data-dir", type=Path, help="the index (default: CXBOT_DATA_DIR or .cxbot)")
    p.add_argument("--metric", help="for a gaps report: the --metric it was made with")
    p.add_argument("--segment", help="for a gaps report: the --segment it was made with")
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    args = p.parse_args(argv)
    try:
        docs: list[dict[str, Any]] = []
        for f in args.files:
            raw = json.load(sys.stdin) if f == "-" else json.loads(Path(f).read_text("utf-8"))
            docs.extend(raw if isinstance(raw, list) else [raw])
        settings = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
        if not settings.catalog_path.exists():
            raise ValueError(f"no index in {settings.data_dir} (set --data-dir or CXBOT_DATA_DIR)")
        checker = Checker(settings)
        verdicts = [checker.check(d, args.metric, args.segment) for d in docs]
    except (OSError, ValueError, KeyError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([x.as_dict() for x in verdicts], indent=2, ensure_ascii=False))
    else:
        print("\n".join(x.text() for x in verdicts))
    return 0 if all(x.faithful for x in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
