"""A real `chroma run` server on 127.0.0.1 for tests of CXBOT_CHROMA_URL (not a fake)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.common import stop_process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChromaServer:
    """`chroma run --path PATH` on 127.0.0.1 (tests, and the scale benchmark's server point)."""

    def __init__(self, path: Path, port: int | None = None, log: Path | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.log = log  # where its output goes (default: nowhere)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ChromaServer:
        chroma = Path(sys.executable).with_name("chroma")
        out = self.log.open("a") if self.log else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(
                [
                    str(chroma),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT if self.log else subprocess.DEVNULL,
            )
        finally:
            if self.log:
                out.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("chroma run exited at start") from None
                time.sleep(0.2)
        raise RuntimeError("chroma run did not answer in time")

    def stop(self, graceful: bool = False) -> None:
        """Killed by default (the tests' server dying mid-write); ``graceful``: SIGTERM first."""
        if self.proc and self.proc.poll() is None:
            if graceful:
                stop_process(self.proc)
            else:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
