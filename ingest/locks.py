"""One ingest at a time per data dir. flock is released by the kernel when the holder dies,
so a crashed or kill -9'd ingest never leaves a stale lock behind."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ingest.catalog import now_iso
from ingest.config import Settings
from ingest.errors import StoreBusyError


@contextmanager
def ingest_lock(settings: Settings, who: str = "cli") -> Iterator[None]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "ingest.lock"
    fh = open(path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            try:
                info = json.loads(fh.read() or "{}")
            except json.JSONDecodeError:
                info = {}
            raise StoreBusyError(
                f"A re-index is already running (started by {info.get('who', 'another process')}"
                f" at {info.get('since', 'an unknown time')}, pid {info.get('pid', '?')}).",
                "Wait for it to finish, then run this again.",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "who": who, "since": now_iso()}))
        fh.flush()
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
            try:
                return json.loads(fh.read() or "{}")
            except json.JSONDecodeError:
                return {}
        fcntl.flock(fh, fcntl.LOCK_UN)
    return None
