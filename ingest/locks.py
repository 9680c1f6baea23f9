"""One ingest at a time per data dir, and many readers or one writer on the embedded store.
flock is released by the kernel when the holder dies, so a crashed or kill -9'd process never
leaves a stale lock behind."""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, TextIO

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
        downgrade_store(settings.data_dir)  # the write is over: other readers may open it
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


# -- the embedded Chroma store: readers share it (LOCK_SH), a writer has it alone (LOCK_EX)
Mode = Literal["read", "write"]
READERS = "store.readers"  # one small file per reading process: who to name to a writer
_HELD: dict[str, tuple[TextIO, Mode]] = {}


def _alive(pid: object) -> bool:
    try:
        os.kill(int(pid), 0)  # type: ignore[call-overload]
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


def store_holders(data_dir: Path) -> list[dict[str, object]]:
    """The other live processes that hold the store: its writer, or its readers."""
    out: list[dict[str, object]] = []
    seen: set[object] = {os.getpid()}
    for p in sorted((data_dir / READERS).glob("*.json")):
        try:
            info = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(info, dict) and info.get("pid") not in seen and _alive(info.get("pid")):
            seen.add(info.get("pid"))
            out.append({**info, "mode": "read"})
    try:
        with open(data_dir / "store.lock", encoding="utf-8") as fh:
            info = _read(fh)  # type: ignore[arg-type]
    except OSError:
        info = {}
    if info.get("pid") not in seen and _alive(info.get("pid")):
        out.append({**info, "mode": "write"})
    return out


def hold_store(
    data_dir: Path, mode: Mode, info: dict[str, object]
) -> list[dict[str, object]] | None:
    """Hold the embedded store for reading (shared) or writing (exclusive) in this process, at
    once or not at all; a process that reads and then writes (the bot re-indexing from Slack)
    upgrades its lock. Returns None when held, else who holds it."""
    key = str(data_dir.resolve())
    held = _HELD.get(key)
    if held is not None and (held[1] == "write" or mode == "read"):
        return None
    fh = held[0] if held is not None else open(data_dir / "store.lock", "a+")
    try:
        fcntl.flock(fh, (fcntl.LOCK_EX if mode == "write" else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        holders = store_holders(data_dir)
        if held is None:
            fh.close()
        else:  # a failed upgrade may have dropped the shared lock: take it back
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                _release(key)
        return holders
    if mode == "write":
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(info))
        fh.flush()
    else:
        readers = data_dir / READERS
        readers.mkdir(exist_ok=True)
        (readers / f"{os.getpid()}.json").write_text(json.dumps(info), encoding="utf-8")
    if not _HELD:
        atexit.register(release_stores)  # leave no reader file behind on a normal exit
    _HELD[key] = (fh, mode)
    return None


def downgrade_store(data_dir: Path) -> None:
    """After a write in a process that goes on reading (the bot): back to a shared lock."""
    key = str(data_dir.resolve())
    held = _HELD.get(key)
    if held is None or held[1] != "write":
        return
    fh = held[0]
    fcntl.flock(fh, fcntl.LOCK_SH)  # nobody else can hold it: this cannot wait
    fh.seek(0)
    fh.truncate()
    fh.flush()
    readers = data_dir / READERS
    readers.mkdir(exist_ok=True)
    info = {"pid": os.getpid(), "cmd": command_line(), "since": now_iso()}
    (readers / f"{os.getpid()}.json").write_text(json.dumps(info), encoding="utf-8")
    _HELD[key] = (fh, "read")


def command_line() -> str:
    return " ".join(["cxbot", *sys.argv[1:2]]) if sys.argv else "cxbot"


def _release(key: str) -> None:
    fh, _ = _HELD.pop(key)
    (Path(key) / READERS / f"{os.getpid()}.json").unlink(missing_ok=True)
    fh.close()


def release_stores() -> None:
    """Let go of every store this process holds (tests; a bot reconnecting after a failure)."""
    for key in list(_HELD):
        _release(key)
