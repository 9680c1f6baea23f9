"""Alert back-test on the airline tweets (issue 20): for each day D from 16 to 24 Feb 2015, the
spike check `bot.analysis.alerts.spikes(index, until=D)` as the daily check in `cxbot serve`
would have run it that day, and which theme x airline (and theme x all tweets) spikes it would
have fired. ``until`` is the check's own "as of": the window ends at D and the baseline lies
before it, so nothing after D is counted; the back-test also checks that every record behind a
spike is dated inside its window.

Each day's flags are checked against an independent recount: the catalog rows (SQLite, plain
SQL over ``records``, not the corpus or alerts code), the window and baseline dates worked out
here, the two-proportion z computed here, and the documented rule applied to *every* pair, so a
spike the check missed shows as well as a count it got wrong.

Two settings: the defaults (a 7-day window against the 4 weeks before it: with 9 days of
tweets the baseline holds at most 2 days, so this shows what the shipped check does with a
short history), and a daily one (each day against the 7 days before it), where the 9 days are
enough to test from 18 Feb on.

    python -m benchmarks.alerts_backtest [DATA_DIR]
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

FIRST_DAY = date(2015, 2, 16)
LAST_DAY = date(2015, 2, 24)
ALL = "(all)"
SETTINGS = [
    {"name": "defaults", "window_days": 7, "baseline_weeks": 4},
    {"name": "daily", "window_days": 1, "baseline_weeks": 1},
]


def days() -> list[date]:
    return [FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]


def periods(d: date, window_days: int, baseline_weeks: int) -> tuple[date, date, date, date]:
    """(window start, window end, baseline start, baseline end) as of day ``d``."""
    w0 = d - timedelta(days=window_days - 1)
    return w0, d, w0 - timedelta(days=7 * baseline_weeks), w0 - timedelta(days=1)


def z_two(k1: int, n1: int, k2: int, n2: int) -> float:
    """Pooled two-proportion z, written out here (not the library's)."""
    if not n1 or not n2:
        return 0.0
    p = (k1 + k2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return 0.0 if not se else (k1 / n1 - k2 / n2) / se


def sql_counts(
    db: sqlite3.Connection, lo: date, hi: date, as_of: date
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str, str], int]]:
    """Dated verbatims per (key, value) and complaints per (theme, key, value) with
    lo <= day <= hi (and day <= as_of: nothing later is visible); key ALL: every verbatim."""
    hi = min(hi, as_of)
    args = (lo.isoformat(), hi.isoformat())
    where = "r.kind = 'verbatim' AND r.day IS NOT NULL AND r.day BETWEEN ? AND ?"
    n: dict[tuple[str, str], int] = {}
    (total,) = db.execute(f"SELECT COUNT(*) FROM records r WHERE {where}", args).fetchone()
    n[(ALL, ALL)] = int(total)
    for key, value, c in db.execute(
        f"SELECT s.key, s.value, COUNT(*) FROM records r, json_each(r.segments) s "
        f"WHERE {where} GROUP BY s.key, s.value",
        args,
    ):
        n[(str(key), str(value))] = int(c)
    k: dict[tuple[str, str, str], int] = {}
    for theme, c in db.execute(
        f"SELECT t.value, COUNT(DISTINCT r.id) FROM records r, json_each(r.complaints) t "
        f"WHERE {where} GROUP BY t.value",
        args,
    ):
        k[(str(theme), ALL, ALL)] = int(c)
    for theme, key, value, c in db.execute(
        f"SELECT t.value, s.key, s.value, COUNT(DISTINCT r.id) FROM records r, "
        f"json_each(r.complaints) t, json_each(r.segments) s WHERE {where} "
        f"GROUP BY t.value, s.key, s.value",
        args,
    ):
        k[(str(theme), str(key), str(value))] = int(c)
    return n, k


def recount_day(
    db: sqlite3.Connection, d: date, setting: dict[str, Any], rule: dict[str, Any]
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every pair the documented rule flags as of ``d``, from SQL alone."""
    w0, w1, b0, b1 = periods(d, setting["window_days"], setting["baseline_weeks"])
    n_now, k_now = sql_counts(db, w0, w1, d)
    n_bef, k_bef = sql_counts(db, b0, b1, d)
    flagged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for (theme, key, value), k in k_now.items():
        nn, nb = n_now.get((key, value), 0), n_bef.get((key, value), 0)
        kb = k_bef.get((theme, key, value), 0)
        if k < rule["min_complaints"] or nb < rule["min_baseline_n"]:
            continue
        z = z_two(k, nn, kb, nb)
        points = 100 * (k / nn - (kb / nb if nb else 0.0))
        if z >= rule["z_min"] - 1e-9 and points >= rule["min_points"]:
            flagged[(theme, key, value)] = {"k_now": k, "n_now": nn, "k_before": kb, "n_before": nb}
            flagged[(theme, key, value)]["z"] = z
    return flagged


def backtest_worker(args: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.common import settings_for
    from bot.analysis.alerts import MIN_COMPLAINTS, MIN_POINTS, Z_ALERT, spikes
    from bot.engine import Engine

    data_dir = Path(args["data_dir"])
    engine = Engine(settings_for(data_dir))
    corpus = engine.corpus()
    db = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    day_of = dict(db.execute("SELECT id, day FROM records WHERE kind = 'verbatim'").fetchall())
    rule = {
        "z_min": Z_ALERT,
        "min_complaints": MIN_COMPLAINTS,
        "min_points": MIN_POINTS,
        "min_baseline_n": engine.settings.min_segment_n,
    }
    out: dict[str, Any] = {
        "records": len(day_of),
        "rule": {**rule, "z_min": round(Z_ALERT, 3)},
        "settings": [],
    }
    for setting in SETTINGS:
        rows = []
        for d in days():
            t = time.perf_counter()
            report = spikes(
                engine,
                until=d,
                window_days=setting["window_days"],
                baseline_weeks=setting["baseline_weeks"],
            )
            check_ms = (time.perf_counter() - t) * 1000
            w0, w1, b0, b1 = periods(d, setting["window_days"], setting["baseline_weeks"])
            expected = recount_day(db, d, setting, rule)
            fired, mismatches, outside = [], [], 0
            for s in report.spikes:
                ident = (s.theme, s.key, s.value if s.key != ALL else ALL)
                got = {
                    "k_now": s.change.now.k,
                    "n_now": s.change.now.n,
                    "k_before": s.change.before.k,
                    "n_before": s.change.before.n,
                }
                want = expected.get(ident)
                ok = want is not None and all(want[f] == got[f] for f in got)
                ok = ok and abs(want["z"] - s.change.z) < 1e-6  # type: ignore[index]
                days_behind = [day_of.get(corpus.ids[int(i)]) for i in s.records]
                late = sum(not (w0.isoformat() <= str(x) <= w1.isoformat()) for x in days_behind)
                outside += late
                ok = ok and late == 0 and len(days_behind) == got["k_now"]
                if not ok:
                    mismatches.append({"spike": list(ident), "check": got, "recount": want})
                fired.append(
                    {
                        "theme": s.label,
                        "segment": s.scope,
                        **got,
                        "points": round(s.change.points, 1),
                        "z": round(s.change.z, 2),
                        "recount_ok": ok,
                    }
                )
            flagged = {(s.theme, s.key, s.value if s.key != ALL else ALL) for s in report.spikes}
            missed = sorted("|".join(x) for x in set(expected) - flagged)
            rows.append(
                {
                    "day": d.isoformat(),
                    "window": [w0.isoformat(), w1.isoformat()],
                    "baseline": [b0.isoformat(), b1.isoformat()],
                    "window_matches": [report.window.since, report.window.until] == [w0, w1]
                    and [report.baseline.since, report.baseline.until] == [b0, b1],
                    "baseline_days_with_data": report.baseline.as_dict()["days_with_data"],
                    "tested": report.tested,
                    "too_small": report.too_small,
                    "fired": fired,
                    "mismatches": mismatches,
                    "missed_by_check": missed,
                    "records_outside_window": outside,
                    "check_ms": round(check_ms, 1),
                }
            )
        out["settings"].append({**setting, "days": rows})
    db.close()
    return out


def run(ctx: Any) -> dict[str, Any]:
    ctx.say("alerts: day-by-day spike back-test on the airline tweets, against a SQL recount")
    return ctx.worker("alerts_backtest", {"data_dir": ctx.index}, 600)


def tables(r: dict[str, Any]) -> str:
    from benchmarks.tables import table

    rule = r["rule"]
    out = [
        f"`bot.analysis.alerts.spikes(index, until=D)` for each day D, on the {r['records']:,} "
        "dated tweets (16-24 Feb 2015), every theme x airline and theme x all tweets; a spike "
        f"fires at z >= {rule['z_min']}, >= {rule['min_complaints']} complaints in the window, "
        f">= {rule['min_baseline_n']} tweets in the baseline and up >= {rule['min_points']:g} "
        "points. Each day is recounted independently from the catalog (SQL over `records`, "
        "window and baseline dates and z computed in the benchmark, the rule applied to every "
        "pair): *recount* says whether each fired spike's counts and z match and no pair the "
        "rule flags was missed; every record behind a spike must be dated inside its window "
        "(as of D, nothing later is visible).",
    ]
    all_ok = True
    for st in r["settings"]:
        rows, fired = [], []
        for d in st["days"]:
            good = (
                not d["mismatches"]
                and not d["missed_by_check"]
                and d["window_matches"]
                and d["records_outside_window"] == 0
            )
            all_ok &= good
            rows.append(
                [
                    d["day"],
                    f"{d['window'][0][5:]} .. {d['window'][1][5:]}",
                    f"{d['baseline'][0][5:]} .. {d['baseline'][1][5:]} "
                    f"({d['baseline_days_with_data']} d with data)",
                    str(d["tested"]),
                    str(d["too_small"]),
                    str(len(d["fired"])),
                    "yes" if good else "**no**",
                    f"{d['check_ms']:.0f}",
                ]
            )
            fired += [[d["day"], *_spike_row(s)] for s in d["fired"]]
        what = (
            "the shipped defaults, what `cxbot serve` checks daily"
            if st["name"] == "defaults"
            else "each day against the week before it"
        )
        testable = [d["day"] for d in st["days"] if d["tested"]]
        since = f"pairs big enough to test from {testable[0]}" if testable else "nothing testable"
        out += [
            "",
            f"**{st['name'].capitalize()}** ({what}: a {st['window_days']}-day window against "
            f"the {st['baseline_weeks']} week{'s' if st['baseline_weeks'] > 1 else ''} before "
            f"it; {since}).",
            "",
            table(
                ["as of", "window", "baseline", "tested", "too small", "fired", "recount", "ms"],
                rows,
            ),
        ]
        if fired:
            out += [
                "",
                table(
                    [
                        "as of",
                        "theme",
                        "segment",
                        "window k/n",
                        "baseline k/n",
                        "points",
                        "z",
                        "recount",
                    ],
                    fired,
                ),
            ]
        else:
            out += ["", "No spike would have fired on any day."]
    out += [
        "",
        "Every day's flags match the recount."
        if all_ok
        else "**Some days differ from the "
        "recount** (see `mismatches` / `missed_by_check` in the JSON).",
    ]
    return "\n".join(out)


def _spike_row(s: dict[str, Any]) -> list[str]:
    return [
        s["theme"],
        s["segment"],
        f"{s['k_now']}/{s['n_now']:,}",
        f"{s['k_before']}/{s['n_before']:,}",
        f"{s['points']:+.1f}",
        f"{s['z']:.2f}",
        "yes" if s["recount_ok"] else "**no**",
    ]


if __name__ == "__main__":
    result = backtest_worker({"data_dir": sys.argv[1] if len(sys.argv) > 1 else "data"})
    print(json.dumps(result, indent=1, default=str))
