"""Bounded load test of `cxbot serve --http` on 127.0.0.1: signed mentions, /cx ask commands,
assistant threads (assistant_thread_started, then a question as message.im in that thread) and
App Home opens (app_home_opened) from N concurrent simulated users (each waits for its answer
before sending again) for a fixed time, against the Slack Web API emulator. Reports, per kind,
acknowledgement and answer latency, answers per request (must be exactly one: one answer per
question, one greeting per assistant thread, one views.publish per Home open) and errors. Stops
by itself; sends nothing off this machine.

    python -m benchmarks.slack_load [--users 50] [--seconds 60] [--replicas 2]

--replicas 2: two `cxbot serve` processes, each on its own empty data dir, sharing only one
CXBOT_DATABASE_URL (a PostgreSQL started for the run: the catalog and all state) and a
`chroma run` server (the vectors), as issue 19 deploys them; every event is delivered to BOTH
at once (a retry landing on the other replica, or Socket Mode connections spread), slash
commands go to one of them in turn (a load balancer). Each event must still be answered
exactly once.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import child_env, percentiles, stop_process
from tests.bot.slack_harness import (
    SECRET,
    SlackSender,
    block_text,
    is_answer,
    start_serve,
    wait_healthy,
)
from tests.chroma_server import free_port
from tests.fakes.slack_api import Call, FakeSlack

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What do North customers complain about most?",
    "Where do customers disagree with our delivery stats?",
    "What do customers say about refunds?",
    "What do West customers say about damaged items?",
    "How long do customers wait for support?",
    "What do South customers complain about?",
]
ANSWER_TIMEOUT_S = 60.0
KINDS = ("mention", "/cx ask", "assistant_thread_started", "assistant message", "app_home_opened")
GREETING = "Ask me what customers say"


@dataclass
class Sample:
    kind: str
    channel: str
    ack_ms: float
    status: int
    t0: float
    answer_ms: float | None = None
    key: str = ""  # what its answer is counted by: channel, channel|thread_ts or Home user


def answer_keys(fake: FakeSlack) -> dict[str, int]:
    """How many times each request was answered, by the key of its Sample: an answer in a
    channel (mentions, /cx ask), an answer in an assistant thread (channel|thread_ts), a
    greeting in a new assistant thread (greet:channel|thread_ts), a Home tab published
    (home:user)."""
    calls = list(fake.calls)
    with fake._lock:  # chat.update carries no thread_ts: the message it replaces does
        roots = {(ch, m["ts"]): m.get("thread_ts") for ch, ms in fake.messages.items() for m in ms}
    counts: dict[str, int] = {}
    for c in calls:
        for k in call_keys(c, roots):
            counts[k] = counts.get(k, 0) + 1
    return counts


def call_keys(c: Call, roots: dict[tuple[str, str], Any]) -> list[str]:
    ch = c.body.get("channel")
    if c.method == "views.publish":
        return [f"home:{c.body.get('user_id')}"]
    if not isinstance(ch, str):
        return []
    root = c.body.get("thread_ts")
    if c.method == "chat.update":
        root = roots.get((ch, str(c.body.get("ts"))))
    if is_answer(c):
        return [ch] if not ch.startswith("D") else [f"{ch}|{root}"] if root else []
    if c.method == "chat.postMessage" and root and GREETING in block_text(c):
        return [f"greet:{ch}|{root}"]
    return []


def wait_key(fake: FakeSlack, key: str, start: int, sent_t0: float) -> float | None:
    """ms from sending to the first call answering ``key`` (scanning calls from ``start``)."""
    deadline = time.perf_counter() + ANSWER_TIMEOUT_S
    seen = start
    while time.perf_counter() < deadline:
        calls = fake.calls[seen:]
        seen += len(calls)
        roots: dict[tuple[str, str], Any] = {}
        if any(c.method == "chat.update" for c in calls):
            with fake._lock:
                roots = {
                    (ch, m["ts"]): m.get("thread_ts")
                    for ch, ms in fake.messages.items()
                    for m in ms
                }
        for c in calls:
            if key in call_keys(c, roots):
                return (c.at - sent_t0) * 1000
        time.sleep(0.1)
    return None


def assistant_turn(
    sender: SlackSender, fake: FakeSlack, user: int, n: int, out: list[Sample]
) -> None:
    """Open the assistant panel (wait for its greeting), then ask one question in the thread."""
    uid = f"U{user:05d}"
    start = len(fake.calls)
    try:
        channel, root, sent = sender.assistant_started(user=uid)
    except OSError:
        out.append(Sample("assistant_thread_started", "", 0.0, 0, time.perf_counter()))
        return
    s = Sample("assistant_thread_started", channel, sent.ms, sent.status, sent.t0)
    s.key = f"greet:{channel}|{root}"
    if sent.status == 200:
        s.answer_ms = wait_key(fake, s.key, start, sent.t0)
    out.append(s)
    if s.answer_ms is None:
        return
    question = QUESTIONS[(user + n) % len(QUESTIONS)]
    start = len(fake.calls)
    t_send = time.perf_counter()
    try:
        _, sent = sender.message(question, channel=channel, thread_ts=root, user=uid)
    except OSError:
        out.append(
            Sample(
                "assistant message",
                channel,
                (time.perf_counter() - t_send) * 1000,
                0,
                t_send,
                key=f"{channel}|{root}",
            )
        )
        return
    m = Sample("assistant message", channel, sent.ms, sent.status, sent.t0, key=f"{channel}|{root}")
    if sent.status == 200:
        m.answer_ms = wait_key(fake, m.key, start, sent.t0)
    out.append(m)


def home_turn(sender: SlackSender, fake: FakeSlack, user: int, n: int, out: list[Sample]) -> None:
    """Open the Home tab as a new user each time, so each views.publish is countable."""
    uid = f"UH{user:03d}N{n:05d}"
    start = len(fake.calls)
    try:
        sent = sender.home_opened(user=uid)
    except OSError:
        out.append(Sample("app_home_opened", "", 0.0, 0, time.perf_counter(), key=f"home:{uid}"))
        return
    s = Sample("app_home_opened", "", sent.ms, sent.status, sent.t0, key=f"home:{uid}")
    if sent.status == 200:
        s.answer_ms = wait_key(fake, s.key, start, sent.t0)
    out.append(s)


def demo_index(root: Path, **extra: str) -> Path:
    data = root / "data"
    env = child_env({"CXBOT_DATA_DIR": str(data), **extra}, drop=("CXBOT_", "SLACK_"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "ingest",
            "--config",
            str(ROOT / "examples" / "sources.yaml"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return data


def start_bot(data: Path, fake: FakeSlack, port: int, **env: str) -> subprocess.Popen[str]:
    """`cxbot serve --http` on the demo data, healthy; its output discarded (under load a
    pipe nobody reads would fill and block it)."""
    proc = start_serve(
        data,
        fake,
        ["--http", "--port", str(port)],
        output=subprocess.DEVNULL,
        SLACK_SIGNING_SECRET=SECRET,
        **env,
    )
    try:
        wait_healthy(proc, port, timeout=120)
    except AssertionError:
        stop_process(proc)
        raise
    return proc


def user_loop(
    sender: SlackSender,
    fake: FakeSlack,
    user: int,
    stop_at: float,
    samples: list[Sample],
    lock: threading.Lock,
) -> None:
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        if n % 4 in (0, 3):  # half the turns: an assistant thread or a Home open
            extra: list[Sample] = []
            (assistant_turn if n % 4 == 3 else home_turn)(sender, fake, user, n, extra)
            with lock:
                samples.extend(extra)
            continue
        channel = f"C{user:03d}X{n:05d}"  # one channel per question: answers are countable
        question = QUESTIONS[(user + n) % len(QUESTIONS)]
        kind = "mention" if n % 2 else "/cx ask"
        start = len(fake.calls)
        t_send = time.perf_counter()
        try:
            if n % 2:
                _, sent = sender.mention(question, channel=channel, user=f"U{user:05d}")
            else:
                sent = sender.command(f"ask {question}", channel=channel, user=f"U{user:05d}")
        except OSError:  # reset or timed out: counted as an error, the user goes on
            with lock:
                samples.append(
                    Sample(
                        kind, channel, (time.perf_counter() - t_send) * 1000, 0, t_send, key=channel
                    )
                )
            continue
        s = Sample(kind, channel, sent.ms, sent.status, sent.t0, key=channel)
        deadline = time.perf_counter() + ANSWER_TIMEOUT_S
        seen = start  # scan only the calls that arrived since this question was sent
        while time.perf_counter() < deadline and sent.status == 200:
            calls = fake.calls[seen:]
            seen += len(calls)
            hits = [c for c in calls if c.body.get("channel") == channel and is_answer(c)]
            if hits:
                s.answer_ms = (hits[0].at - sent.t0) * 1000
                break
            time.sleep(0.1)
        with lock:
            samples.append(s)


class TwoReplicas(SlackSender):
    """Sends each event to both replicas at once (the first one's response is the one
    reported; the other's ack is kept in ``echo_ms``); anything else to one in turn."""

    def __init__(self, urls: list[str], fake: FakeSlack) -> None:
        super().__init__(urls[0], fake)
        self.urls = urls
        self.echo_ms: list[float] = []
        self._turn = 0
        self._lock = threading.Lock()

    def send(
        self, body: bytes, content_type: str, headers=None, path="/slack/events", method="POST"
    ):  # type: ignore[no-untyped-def,override]
        if content_type != "application/json":  # a command or a click: the balancer picks one
            with self._lock:
                self._turn += 1
                self.url = self.urls[self._turn % 2]
            return SlackSender(self.url, self.fake).send(body, content_type, headers, path, method)
        echo: list[Any] = []
        other = SlackSender(self.urls[1], self.fake)
        t = threading.Thread(
            target=lambda: echo.append(other.send(body, content_type, headers, path, method))
        )
        t.start()
        first = SlackSender(self.urls[0], self.fake).send(body, content_type, headers, path, method)
        t.join(15)
        with self._lock:
            self.echo_ms.extend(e.ms if e.status == 200 else 1e9 for e in echo)
        return first


def _summary(ms: list[float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in percentiles(ms).items() if k != "n"}


def kind_summary(samples: list[Sample], counts: dict[str, int]) -> dict[str, Any]:
    """Acks within 3 s and answered exactly once, for one kind of request."""
    answered = [s.answer_ms for s in samples if s.answer_ms is not None]
    return {
        "requests": len(samples),
        "non_200": sum(s.status != 200 for s in samples),
        "acked_within_3s": sum(s.ack_ms <= 3000 and s.status == 200 for s in samples),
        "ack_ms": _summary([s.ack_ms for s in samples]),
        "answered": len(answered),
        "answered_exactly_once": sum(counts.get(s.key) == 1 for s in samples),
        "duplicates": sum(counts.get(s.key, 0) > 1 for s in samples),
        "unanswered": sum(s.answer_ms is None for s in samples),
        "answer_ms": _summary(answered),
    }


def run(users: int, seconds: float, replicas: int = 1) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="cxbot-load-"))
    fake = FakeSlack()
    procs: list[subprocess.Popen[str]] = []
    pg = chroma = None
    try:
        env: dict[str, str] = {}
        if replicas > 1:  # the embedded Chroma store allows one process: a server for both
            from tests.chroma_server import ChromaServer
            from tests.fakes.postgres import PostgresServer

            chroma = ChromaServer(root / "chroma").start()
            env["CXBOT_CHROMA_URL"] = chroma.url
            pg = PostgresServer()
            env["CXBOT_DATABASE_URL"] = pg.database()
        data = demo_index(root, **env)
        ports = [free_port() for _ in range(replicas)]
        # two replicas share nothing but PostgreSQL and the Chroma server: each its own data
        # dir (empty: the catalog, themes and state come from the database)
        dirs = [data] if replicas == 1 else [root / f"replica-{i}" for i in range(replicas)]
        procs = [start_bot(d, fake, p, **env) for d, p in zip(dirs, ports, strict=True)]
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        sender = TwoReplicas(urls, fake) if replicas > 1 else SlackSender(urls[0], fake)
        samples: list[Sample] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds
        threads = [
            threading.Thread(
                target=user_loop, args=(sender, fake, u, stop_at, samples, lock), daemon=True
            )
            for u in range(users)
        ]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + ANSWER_TIMEOUT_S + 30)
        wall = time.monotonic() - t0
        time.sleep(2.0)  # late duplicates would show up here
        answers_per_channel = answer_keys(fake)
        acks = [s.ack_ms for s in samples]
        answered = [s.answer_ms for s in samples if s.answer_ms is not None]
        return {
            "users": users,
            "seconds": round(wall, 1),
            "requests": len(samples),
            "non_200": sum(s.status != 200 for s in samples),
            "acked_within_3s": sum(s.ack_ms <= 3000 and s.status == 200 for s in samples),
            "ack_ms": _summary(acks),
            "answered": len(answered),
            "answered_exactly_once": sum(answers_per_channel.get(s.key) == 1 for s in samples),
            "duplicates": sum(1 for s in samples if answers_per_channel.get(s.key, 0) > 1),
            "unanswered": sum(s.answer_ms is None for s in samples),
            "answer_ms": _summary(answered),
            "answers_per_s": round(len(answered) / wall, 2) if wall else None,
            "replicas": replicas,
            "events_delivered_twice": len(getattr(sender, "echo_ms", [])),
            "second_deliveries_acked_within_3s": sum(
                ms <= 3000 for ms in getattr(sender, "echo_ms", [])
            ),
            "kinds": {
                k: kind_summary([s for s in samples if s.kind == k], answers_per_channel)
                for k in KINDS
            },
        }
    finally:
        for proc in procs:
            stop_process(proc)
        if pg is not None:
            pg.close()
        if chroma is not None:
            chroma.stop()
        fake.close()
        shutil.rmtree(root, ignore_errors=True)


def load_worker(args: dict[str, Any]) -> dict[str, Any]:
    return run(int(args["users"]), float(args["seconds"]))


def bench(ctx: Any) -> dict[str, Any]:
    """In `benchmarks.run`: its own demo index and `cxbot serve`, in a worker process."""
    users, seconds = (8, 20.0) if ctx.cfg.quick else (20, 60.0)
    ctx.say(f"slack_load: {users} users for {seconds:.0f} s against the Slack emulator")
    args = {"users": users, "seconds": seconds}
    return ctx.worker("slack_load", args, seconds + ANSWER_TIMEOUT_S + 600)


def tables(r: dict[str, Any]) -> str:
    from benchmarks.tables import table

    def ms(d: dict[str, float], k: str) -> str:
        v = d.get(k)
        return "n/a" if v is None or v != v else f"{v:,.0f}"

    def cells(label: str, k: dict[str, Any]) -> list[str]:
        return [
            label,
            f"{k['requests']:,}",
            f"{k['acked_within_3s']:,}/{k['requests']:,}",
            ms(k["ack_ms"], "p95"),
            ms(k["ack_ms"], "max"),
            f"{k['answered_exactly_once']:,}/{k['requests']:,}",
            str(k["duplicates"]),
            str(k["unanswered"]),
            ms(k["answer_ms"], "p50"),
            ms(k["answer_ms"], "p95"),
        ]

    rows = [cells(kind, k) for kind, k in r["kinds"].items() if k["requests"]]
    total = cells("**all**", r)
    head = [
        "kind",
        "requests",
        "acked <= 3 s",
        "ack p95 ms",
        "ack max ms",
        "answered once",
        "dup.",
        "unanswered",
        "answer p50 ms",
        "answer p95 ms",
    ]
    return "\n".join(
        [
            f"`cxbot serve --http` on the demo data, {r['users']} simulated users for "
            f"{r['seconds']:.0f} s (each waits for its answer before sending again) through the "
            "Slack Web API emulator, every request signed. A quarter of the turns are mentions, "
            "a quarter `/cx ask`, a quarter assistant threads (assistant_thread_started, then a "
            "question as message.im in that thread), a quarter App Home opens "
            "(app_home_opened, a new user each time). *Answered once*: exactly one answer per "
            "question, one greeting per assistant thread, one views.publish per Home open; "
            "*answer* is the time to it from sending. "
            f"{r['answers_per_s']} answers/s overall.",
            "",
            table(head, rows + [total]),
        ]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--replicas", type=int, choices=(1, 2), default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = run(args.users, args.seconds, args.replicas)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
