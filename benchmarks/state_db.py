"""The state database per Slack request: what SQLite (the data dir) and PostgreSQL
(CXBOT_DATABASE_URL, a local server started for the run) cost for what one answer does.

    python -m benchmarks.state_db [--n 500]

Per operation: the event dedupe insert (two per mention: event id, message key), saving the
answer, reading a thread's context (as another replica, no cache), a vote, a ledger claim;
milliseconds p50 / p95 over ``n`` calls, one thread.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bot.digest.post import Ledger
from bot.filters import Filters
from bot.slack.dedupe import Deduper
from bot.slack.feedback import FeedbackStore
from bot.state import state_db
from ingest.config import Settings
from ingest.db import Database
from tests.fakes.postgres import PostgresServer


def timed(n: int, op: Callable[[int], object]) -> tuple[float, float]:
    ms = []
    for i in range(n):
        t0 = time.perf_counter()
        op(i)
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def measure(settings: Settings, n: int) -> dict[str, tuple[float, float]]:
    db = state_db(settings, "slack")
    store, other = FeedbackStore(db), FeedbackStore(Database(db.url, db.store, db.schema))
    other._cache = False  # as another replica reads it
    seen = Deduper(db)
    ledger = Ledger(state_db(settings, "digest"))
    answer = {"question": "What do customers say?", "answer": "x" * 2000, "citations": []}
    ids: list[str] = []
    out = {
        "dedupe insert": timed(n, lambda i: seen.first(f"event:Ev{i}")),
        "save answer": timed(
            n, lambda i: ids.append(store.save_answer(answer, "C1", f"{i}.0", "U1", 4))
        ),
        "set thread": timed(n, lambda i: store.set_thread("C1", f"{i}.0", Filters(intent="x"))),
        "thread (other replica)": timed(n, lambda i: other.thread("C1", f"{i}.0")),
        "vote": timed(n, lambda i: store.vote(ids[i], "U2", 1)),
        "ledger claim": timed(n, lambda i: ledger.claim("C1", f"p{i}")),
    }
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.state_db")
    p.add_argument("--n", type=int, default=500)
    args = p.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="cxbot-statebench-"))
    results = {"sqlite": measure(Settings(data_dir=root / "sqlite", database_url=None), args.n)}
    server = PostgresServer()
    try:
        url = server.database()
        results["postgresql"] = measure(Settings(data_dir=root / "pg", database_url=url), args.n)
    finally:
        server.close()
    print(f"| operation ({args.n} calls) | SQLite p50 / p95 ms | PostgreSQL p50 / p95 ms |")
    print("|---|---|---|")
    for op in results["sqlite"]:
        s, q = results["sqlite"][op], results["postgresql"][op]
        print(f"| {op} | {s[0]:.2f} / {s[1]:.2f} | {q[0]:.2f} / {q[1]:.2f} |")


if __name__ == "__main__":
    main()
