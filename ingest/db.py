"""One database layer (SQLAlchemy Core, psycopg 3): SQLite files in the data dir by default,
PostgreSQL when CXBOT_DATABASE_URL is set, so several machines can share the state.

A `Database` is one URL plus, for SQLite, which store (file) it is. `begin()` gives a
transaction and turns "cannot connect" into a one-line `DatabaseError`. A `Schema` knows its
tables, its version and the migrations to it; `ensure()` creates a missing schema, migrates an
embedded SQLite file by itself, and refuses a PostgreSQL schema older or newer than the code
(`cxbot db upgrade` migrates it once, for every replica).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from ingest.errors import DatabaseError

CONNECT_TIMEOUT_S = 5
URL_HINT = (
    "Use postgresql://USER:PASSWORD@HOST:5432/DBNAME, or unset CXBOT_DATABASE_URL to keep "
    "the SQLite files in the data dir."
)

version_meta = sa.MetaData()
version_table = sa.Table(
    "cxbot_schema",
    version_meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated", sa.Text, nullable=False),
)

Migration = Callable[[Connection, "Database"], None]


@dataclass
class Schema:
    """The tables, grouped by SQLite store (one file each); PostgreSQL holds them all."""

    metadata: sa.MetaData
    version: int
    stores: dict[str, list[str]]  # store name -> its table names
    migrations: dict[int, Migration] = field(default_factory=dict)  # version N: from N-1
    legacy_tables: set[str] = field(default_factory=set)  # made before versioning (version 0)
    key: int = 1  # its row in cxbot_schema (1: the bot's state; 2: the catalog's pointer table)

    def tables(self, store: str | None) -> list[sa.Table]:
        names = (
            list(self.metadata.tables)
            if store is None
            else [n for n in self.metadata.tables if n in self.stores[store]]
        )
        return [self.metadata.tables[n] for n in names]


def parse_url(raw: str) -> URL:
    """The URL as SQLAlchemy wants it (postgresql:// -> psycopg 3), or a DatabaseError."""
    try:
        url = make_url(raw.strip())
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise DatabaseError(
            f"CXBOT_DATABASE_URL is not a database URL ({_first_line(exc)}).", URL_HINT
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
        if not url.host and not url.query.get("host"):
            raise DatabaseError(f"CXBOT_DATABASE_URL '{shown(url)}' names no host.", URL_HINT)
        if not url.database:
            raise DatabaseError(
                f"CXBOT_DATABASE_URL '{shown(url)}' names no database (the part after the /).",
                URL_HINT,
            )
    elif backend != "sqlite":
        raise DatabaseError(
            f"CXBOT_DATABASE_URL '{shown(url)}': cxbot stores its state in PostgreSQL "
            f"(postgresql://) or SQLite, not {backend}.",
            URL_HINT,
        )
    return url


def shown(url: URL) -> str:
    """The URL with its password hidden: safe in a message or a log."""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0].rstrip(".")


def translate(exc: BaseException, url: URL) -> DatabaseError:
    """A connection failure as one line: what failed, where, what to do."""
    text = str(getattr(exc, "orig", None) or exc)
    low = text.lower()
    where = f"{url.host}:{url.port or 5432}" if url.host else shown(url)
    if "password authentication failed" in low or "no password supplied" in low:
        return DatabaseError(
            f"PostgreSQL at {where} refused the login for user '{url.username}' "
            "(wrong password or unknown user).",
            "Check the user and password in CXBOT_DATABASE_URL.",
        )
    if "does not exist" in low and "database" in low:
        return DatabaseError(
            f"PostgreSQL at {where} has no database '{url.database}'.",
            f"Create it (createdb {url.database}) or fix the name in CXBOT_DATABASE_URL.",
        )
    if any(
        w in low
        for w in (
            "connection refused",
            "could not translate host name",
            "name or service not known",
            "timeout expired",
            "timed out",
            "server closed the connection",
            "terminating connection",
            "connection is closed",
            "the database system is",
            "no route to host",
            "network is unreachable",
            "connection failed",
        )
    ):
        detail = _first_line(exc).rsplit("failed: ", 1)[-1]
        return DatabaseError(
            f"Cannot reach the database at {where} ({detail}).",
            "Check that the server is running and the host and port in CXBOT_DATABASE_URL; "
            "try again once it is back.",
        )
    if url.get_backend_name() == "sqlite" and "locked" in low:
        return DatabaseError(
            f"The state file {url.database} stayed locked by another process for 30 s.",
            "Try again; if it persists, look for a stuck cxbot process using this data dir.",
        )
    if url.get_backend_name() == "sqlite":
        return DatabaseError(
            f"The state file {url.database} could not be used ({_first_line(exc)}).",
            "Check the data dir's permissions and free space.",
        )
    return DatabaseError(f"The database at {where} failed: {_first_line(exc)}.")


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, from a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Database:
    """One URL's engine (shared per process, see `open_database`) and, for SQLite, its store."""

    def __init__(
        self,
        url: URL,
        store: str | None = None,
        schema: Schema | None = None,
        fast_commits: bool = False,
    ) -> None:
        self.url = url
        self.store = store
        self.schema = schema
        self.is_postgres = url.get_backend_name() == "postgresql"
        self.engine = _engine(url, fast_commits)
        self._ensured = False
        self._lock = threading.Lock()

    @property
    def shown(self) -> str:
        return shown(self.url)

    @property
    def shared(self) -> bool:
        """True when other machines may read and write the same rows (PostgreSQL)."""
        return self.is_postgres

    def tables(self) -> list[sa.Table]:
        return self.schema.tables(None if self.is_postgres else self.store) if self.schema else []

    @contextmanager
    def begin(self, immediate: bool = False) -> Iterator[Connection]:
        """A transaction, committed on success; ``immediate``: take SQLite's write lock first."""
        if self.schema is not None and not self._ensured:
            self.ensure()
        try:
            with self.engine.connect() as conn:
                if immediate and not self.is_postgres:
                    conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
                with conn.begin():
                    yield conn
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise translate(exc, self.url) from None

    def ready(self) -> None:
        """The schema checked (created or refused) once per process, as `begin` does."""
        if self.schema is not None and not self._ensured:
            self.ensure()

    def insert(self, table: sa.Table) -> Any:
        """INSERT with the dialect's ON CONFLICT clauses (on_conflict_do_nothing/_update)."""
        if self.is_postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    # ---------------------------------------------------------------- schema

    def version(self, conn: Connection) -> int | None:
        """The schema version; 0 for tables made before versioning; None for an empty one."""
        insp = sa.inspect(conn)
        if insp.has_table("cxbot_schema"):
            assert self.schema is not None
            row = conn.execute(
                sa.select(version_table.c.version).where(version_table.c.id == self.schema.key)
            ).first()
            if row is not None:
                return int(row[0])
        assert self.schema is not None
        names = {t.name for t in self.tables()} | self.schema.legacy_tables
        return 0 if any(insp.has_table(n) for n in names) else None

    def current(self) -> int | None:
        """The schema version found, changing nothing (None: no schema yet, and a SQLite
        file that does not exist is not created by looking)."""
        if not self.is_postgres:
            db_file = self.url.database
            if db_file and db_file != ":memory:" and not Path(db_file).exists():
                return None
        try:
            with self.engine.connect() as conn:
                return self.version(conn)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise translate(exc, self.url) from None

    def ensure(self, upgrade: bool | None = None) -> tuple[int | None, int]:
        """Create the schema when missing; migrate it when ``upgrade`` (default: on SQLite,
        which one machine owns); refuse a version the code does not match. Returns
        (version found, version now)."""
        if self.schema is None:
            raise ValueError("a Database without a schema has nothing to ensure")
        auto = not self.is_postgres if upgrade is None else upgrade
        with self._lock:
            try:
                found, now = self._ensure(auto)
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                raise translate(exc, self.url) from None
            self._ensured = True
            return found, now

    def _ensure(self, auto: bool) -> tuple[int | None, int]:
        assert self.schema is not None
        want = self.schema.version
        if not self.is_postgres:
            with self.engine.connect() as raw:  # outside a transaction: WAL is a file mode
                raw.connection.dbapi_connection.execute("PRAGMA journal_mode=WAL")  # type: ignore[union-attr]
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            with conn.begin():
                if self.is_postgres:  # two replicas starting at once: one creates, one waits
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key("schema"))))
                found = self.version(conn)
                if found == want:
                    return found, want
                if found is not None and found > want:
                    raise DatabaseError(
                        f"The database at {self.shown} has schema version {found}, newer than "
                        f"this cxbot knows ({want}): a newer cxbot upgraded it.",
                        "Run the same cxbot version on every machine (upgrade this one).",
                    )
                if found is not None and not auto:
                    raise DatabaseError(
                        f"The database at {self.shown} has schema version {found}; this cxbot "
                        f"needs version {want}.",
                        "Run `cxbot db upgrade` once (from any machine with this "
                        "CXBOT_DATABASE_URL), then start cxbot again.",
                    )
                if found is None:
                    version_meta.create_all(conn)
                    self.schema.metadata.create_all(conn, tables=self.tables())
                else:
                    version_meta.create_all(conn)
                    for v in range(found + 1, want + 1):
                        self.schema.migrations[v](conn, self)
                key = self.schema.key
                conn.execute(sa.delete(version_table).where(version_table.c.id == key))
                conn.execute(
                    sa.insert(version_table).values(id=key, version=want, updated=now_iso())
                )
                return found, want


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine(url: URL, fast_commits: bool = False) -> Engine:
    """One engine (one pool) per URL per process, shared by every store that uses it."""
    key = url.render_as_string(hide_password=False)
    with _engines_lock:
        found = _engines.get(key)
        if found is not None:
            return found
        if url.get_backend_name() == "sqlite":
            # one short connection per call (NullPool): no process holds the file open
            engine = sa.create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

            @event.listens_for(engine, "connect")
            def _no_implicit_begin(dbapi_conn: Any, _rec: Any) -> None:
                dbapi_conn.isolation_level = None  # we say BEGIN ourselves (below)
                if fast_commits:  # WAL + NORMAL: no fsync per commit; a power cut may lose
                    dbapi_conn.execute("PRAGMA synchronous=NORMAL")  # the last writes, intact

            @event.listens_for(engine, "begin")
            def _begin(conn: Connection) -> None:
                conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

        else:
            engine = sa.create_engine(
                url,
                pool_pre_ping=True,  # a server restart costs one failed check, not an error
                pool_size=5,
                max_overflow=10,
                pool_timeout=10,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "cxbot"},
            )
        _engines[key] = engine
        return engine


_databases: dict[tuple[str, str | None, int], Database] = {}


def open_database(
    raw_url: str,
    store: str | None = None,
    schema: Schema | None = None,
    fast_commits: bool = False,
) -> Database:
    """The process's Database for this URL (and SQLite store), schema checked on first use.
    ``fast_commits``: a SQLite file whose last writes may be lost on a power cut (not a
    ledger, whose claims prevent double posts)."""
    url = parse_url(raw_url)
    if url.get_backend_name() == "postgresql":
        store = None
    key = (url.render_as_string(hide_password=False), store, id(schema))
    with _engines_lock:
        found = _databases.get(key)
    if found is not None:
        return found
    db = Database(url, store, schema, fast_commits)
    with _engines_lock:
        return _databases.setdefault(key, db)


def sqlite_url(path: Any) -> str:
    return f"sqlite:///{path}"
