"""Bounded load test of `cxbot serve --http` on 127.0.0.1: signed mentions and /cx ask commands
from N concurrent simulated users (each waits for its answer before asking again) for a fixed
time, against the Slack Web API emulator. Reports acknowledgement and answer latency, answers
per question (must be exactly one) and errors. Stops by itself; sends nothing off this machine.

    python -m benchmarks.slack_load [--users 50] [--seconds 60] [--out docs/load.md]
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

from benchmarks.common import child_env, percentiles, stop_process
from tests.bot.slack_harness import SECRET, SlackSender, is_answer, start_serve, wait_healthy
from tests.chroma_server import free_port
from tests.fakes.slack_api import FakeSlack

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


@dataclass
class Sample:
    kind: str
    channel: str
    ack_ms: float
    status: int
    t0: float
    answer_ms: float | None = None


def demo_index(root: Path) -> Path:
    data = root / "data"
    env = child_env({"CXBOT_DATA_DIR": str(data)}, drop=("CXBOT_", "SLACK_"))
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


def start_bot(data: Path, fake: FakeSlack, port: int) -> subprocess.Popen[str]:
    """`cxbot serve --http` on the demo data, healthy; its output discarded (under load a
    pipe nobody reads would fill and block it)."""
    proc = start_serve(
        data,
        fake,
        ["--http", "--port", str(port)],
        output=subprocess.DEVNULL,
        SLACK_SIGNING_SECRET=SECRET,
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
                    Sample(kind, channel, (time.perf_counter() - t_send) * 1000, 0, t_send)
                )
            continue
        s = Sample(kind, channel, sent.ms, sent.status, sent.t0)
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


def _summary(ms: list[float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in percentiles(ms).items() if k != "n"}


def run(users: int, seconds: float) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="cxbot-load-"))
    fake = FakeSlack()
    proc = None
    try:
        data = demo_index(root)
        port = free_port()
        proc = start_bot(data, fake, port)
        sender = SlackSender(f"http://127.0.0.1:{port}", fake)
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
        answers_per_channel: dict[str, int] = {}
        for c in list(fake.calls):
            ch = c.body.get("channel")
            if isinstance(ch, str) and is_answer(c):
                answers_per_channel[ch] = answers_per_channel.get(ch, 0) + 1
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
            "answered_exactly_once": sum(answers_per_channel.get(s.channel) == 1 for s in samples),
            "duplicates": sum(1 for s in samples if answers_per_channel.get(s.channel, 0) > 1),
            "unanswered": sum(s.answer_ms is None for s in samples),
            "answer_ms": _summary(answered),
            "answers_per_s": round(len(answered) / wall, 2) if wall else None,
        }
    finally:
        if proc is not None:
            stop_process(proc)
        fake.close()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = run(args.users, args.seconds)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
