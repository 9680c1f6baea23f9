"""One ingest at a time per data dir. flock is released by the kernel when the holder dies,
so a crashed or kill -9'd ingest never leaves a stale lock behind."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ingest.catalog import now_iso
from ingest.config import Settings
from ingest.errors import StoreBusyError


def try_lock(path: Path, info: dict[str, object]) -> tuple[TextIO | None, dict[str, object]]:
    """Take an exclusive flock on ``path`` and write ``info`` into it; or, when another
    process holds it, return None and what that process wrote."""
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = _read(fh)
        fh.close()
        return None, holder
    fh.seek(0)
    fh.truncate()
    fh.write(json.dumps(info))
    fh.flush()
    return fh, info


def _read(fh: TextIO) -> dict[str, object]:
    try:
        data = json.loads(fh.read() or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def ingest_lock(settings: Settings, who: str = "cli") -> Iterator[None]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fh, info = try_lock(
        settings.data_dir / "ingest.lock", {"pid": os.getpid(), "who": who, "since": now_iso()}
    )
    if fh is None:
        raise StoreBusyError(
            f"A re-index is already running (started by {info.get('who', 'another process')}"
            f" at {info.get('since', 'an unknown time')}, pid {info.get('pid', '?')}).",
            "Wait for it to finish, then run this again.",
        )
    try:
        yield
    finally:
        fh.close()


def lock_holder(settings: Settings) -> dict[str, object] | None:
    """Who holds the lock right now, or None."""
    path = settings.data_dir / "ingest.lock"
    if not path.exists():
        return None
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            return _read(fh)
        fcntl.flock(fh, fcntl.LOCK_UN)
    return None
