"""One ingest at a time: per data dir with a file lock (flock), or, when CXBOT_DATABASE_URL is
set, per index (CXBOT_COLLECTION) across every machine with a PostgreSQL advisory lock; and many
readers or one writer on the embedded store. All are released when the holder dies (the kernel
closes the file; the server ends the session), so a crashed or kill -9'd process never leaves a
stale lock behind. Who holds it is in the message."""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import re
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timezone
from pathlib import Path
from typing import Any, Literal, TextIO

from ingest.catalog import now_iso
from ingest.config import Settings
from ingest.db import CONNECT_TIMEOUT_S, lock_key, parse_url, translate
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


def busy(info: dict[str, object]) -> StoreBusyError:
    host = f" on {info['host']}" if info.get("host") else ""
    return StoreBusyError(
        f"A re-index is already running (started by {info.get('who', 'another process')}"
        f" at {info.get('since', 'an unknown time')}, pid {info.get('pid', '?')}{host}).",
        "Wait for it to finish, then run this again.",
    )


@contextmanager
def ingest_lock(settings: Settings, who: str = "cli") -> Iterator[None]:
    """The data dir's file lock, and with CXBOT_DATABASE_URL also the index's advisory lock:
    the file lock still guards a shared data dir if the database restarts mid-ingest (the
    advisory lock ends with its session)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fh, info = try_lock(
        settings.data_dir / "ingest.lock", {"pid": os.getpid(), "who": who, "since": now_iso()}
    )
    if fh is None:
        raise busy(info)
    try:
        if settings.database_url is None:
            yield
        else:
            with advisory_lock(settings, who):
                yield
    finally:
        downgrade_store(settings.data_dir)  # the write is over: other readers may open it
        fh.close()


# ---------------------------------------------------------------- PostgreSQL

_NAME = re.compile(r"cxbot-ingest (?P<pid>\d+)@(?P<host>\S*) (?P<who>.*)")


def _key(settings: Settings) -> tuple[int, int, int]:
    """The lock's key and its two 32-bit halves (as pg_locks shows them)."""
    key = lock_key(f"cxbot ingest {settings.collection}")
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return key, unsigned >> 32, unsigned & 0xFFFFFFFF


def _connect(settings: Settings, application_name: str) -> Any:
    """A session of its own (not from a pool): the lock lives exactly as long as it."""
    import psycopg

    assert settings.database_url is not None
    url = parse_url(settings.database_url.get_secret_value())
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        return psycopg.connect(
            dsn,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=application_name[:63],
        )
    except psycopg.Error as exc:
        raise translate(exc, url) from None


@contextmanager
def advisory_lock(settings: Settings, who: str) -> Iterator[None]:
    key, _, _ = _key(settings)
    name = f"cxbot-ingest {os.getpid()}@{socket.gethostname()} {who}"
    conn = _connect(settings, name)
    try:
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
        if not got:
            raise busy(_pg_holder(conn, settings) or {})
        yield
    finally:
        conn.close()  # ends the session: the lock goes with it


def _pg_holder(conn: Any, settings: Settings) -> dict[str, object] | None:
    _, hi, lo = _key(settings)
    row = conn.execute(
        "SELECT a.application_name, a.backend_start, a.client_addr FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
        "AND l.granted AND l.classid::bigint = %s AND l.objid::bigint = %s AND l.objsubid = 1",
        (hi, lo),
    ).fetchone()
    if row is None:
        return None
    m = _NAME.fullmatch(row[0] or "")
    since = row[1].astimezone(timezone.utc).isoformat(timespec="seconds") if row[1] else None
    if m is None:
        return {"who": row[0] or "another process", "since": since, "host": row[2]}
    return {"who": m["who"], "since": since, "pid": int(m["pid"]), "host": m["host"]}


def lock_holder(settings: Settings) -> dict[str, object] | None:
    """Who holds the lock right now (on any machine with CXBOT_DATABASE_URL), or None."""
    if settings.database_url is not None:
        conn = _connect(settings, "cxbot status")
        try:
            found = _pg_holder(conn, settings)
        finally:
            conn.close()
        if found is not None:
            return found
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
