"""One ingest at a time: per data dir with a file lock (flock), or, when CXBOT_DATABASE_URL is
set, per index (CXBOT_COLLECTION) across every machine with a PostgreSQL advisory lock. Both are
released when the holder dies (the kernel closes the file; the server ends the session), so a
crashed or kill -9'd ingest never leaves a stale lock behind. Who holds it is in the message."""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timezone
from pathlib import Path
from typing import Any, TextIO

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
