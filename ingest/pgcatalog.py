"""The catalog in PostgreSQL (CXBOT_DATABASE_URL): what differs from the SQLite files.

Each index generation is one PostgreSQL schema (`cxcat_<collection>_g<N>`) holding the same
three tables as a `catalog*.sqlite` file (records, sources, meta), so the catalog's SQL is the
same text on both backends; a connection's ``search_path`` names the generation. The pointer
to the generation that answers is one row per collection in `catalog_generations` (public
schema, versioned in `cxbot_schema` row 2): a rebuild switches it in one UPDATE, and every bot
sees it on its next question. Records get an explicit integer key (`seq`, an identity column)
where SQLite has its implicit rowid: both give the order the bot numbers records in.

The dialect differences the catalog's SQL meets go through `Dialect` (one for each backend):
the parameter mark, the upsert, row ids, string aggregation, JSON functions, collation and
the read snapshot.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingest.db import Database, Schema, lock_key, now_iso, open_database, translate

# -------------------------------------------------------------------------- dialects


@dataclass(frozen=True)
class Dialect:
    """SQL fragments that differ between SQLite and PostgreSQL."""

    name: str
    key: str  # the integer key records are numbered by
    collate: str  # byte order for sorted names (PostgreSQL's default follows the locale)
    snapshot: str  # BEGIN of a read that must see one committed state

    def ids(self, expr: str) -> str:
        """Comma-joined values of a group (row ids)."""
        if self.name == "sqlite":
            return f"group_concat({expr})"
        return f"string_agg(({expr})::text, ',')"

    def list_items(self, column: str, alias: str) -> str:
        """A JSON list column as rows with ``alias.value`` (for FROM records r, ...)."""
        if self.name == "sqlite":
            return f"json_each(r.{column}) {alias}"
        return f"jsonb_array_elements_text(r.{column}::jsonb) AS {alias}(value)"

    def object_items(self, column: str, alias: str) -> str:
        """A JSON object column as rows with ``alias.key``, ``alias.value``."""
        if self.name == "sqlite":
            return f"json_each(r.{column}) {alias}"
        return f"jsonb_each_text(r.{column}::jsonb) AS {alias}(key, value)"

    def list_length(self, column: str) -> str:
        if self.name == "sqlite":
            return f"json_array_length({column})"
        return f"jsonb_array_length({column}::jsonb)"

    def upsert(self, table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
        """INSERT that replaces the row with the same ``keys``."""
        marks = ",".join("?" * len(columns))
        cols = ", ".join(columns)
        if self.name == "sqlite":
            return f"INSERT OR REPLACE INTO {table}({cols}) VALUES({marks})"
        sets = ", ".join(f"{c}=EXCLUDED.{c}" for c in columns if c not in keys)
        return (
            f"INSERT INTO {table}({cols}) VALUES({marks}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
        )


SQLITE = Dialect("sqlite", key="rowid", collate="", snapshot="BEGIN")
POSTGRES = Dialect(
    "postgresql",
    key="seq",
    collate=' COLLATE "C"',
    snapshot="BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
)


def dialect(db: Any) -> Dialect:
    """The dialect of a catalog connection (a sqlite3 connection or a `PgConn`)."""
    return getattr(db, "dialect", SQLITE)


# -------------------------------------------------------------------------- schema

pointer_meta = sa.MetaData()
pointers = sa.Table(
    "catalog_generations",
    pointer_meta,
    sa.Column("base", sa.Text, primary_key=True),  # CXBOT_COLLECTION
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("info", sa.Text, nullable=False),
    sa.Column("switched_at", sa.Text, nullable=False),
)
POINTER_SCHEMA = Schema(
    metadata=pointer_meta, version=1, stores={"catalog": ["catalog_generations"]}, key=2
)
FORMAT = 1  # the tables of one generation; kept in its meta as 'catalog_format'


def database(url: str) -> Database:
    return open_database(url, None, POINTER_SCHEMA)


def schema_name(base: str, number: int) -> str:
    """The PostgreSQL schema of one generation (at most 63 characters, any collection name)."""
    safe = re.sub(r"[^a-z0-9_]", "_", base.lower())
    name = f"cxcat_{safe}_g{number}"
    if len(name) > 63 or safe != base:  # not spelled as is: keep names of two bases apart
        tag = hashlib.sha1(base.encode()).hexdigest()[:8]
        name = f"cxcat_{safe[:40]}_{tag}_g{number}"
    return name


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def generation_tables(schema: str) -> sa.MetaData:
    """records, sources, meta of one generation: the SQLite catalog's columns, plus `seq`."""
    md = sa.MetaData(schema=schema)
    T, F = sa.Text, sa.Float
    sa.Table(
        "records",
        md,
        sa.Column("seq", sa.BigInteger, sa.Identity(always=False), nullable=False, unique=True),
        sa.Column("id", T, primary_key=True),
        *(sa.Column(c, T, nullable=False) for c in ("kind", "source", "text", "location")),
        sa.Column("date", T),
        sa.Column("day", T),
        sa.Column("ts", F),
        sa.Column("segments", T, nullable=False),
        sa.Column("score", F),
        sa.Column("url", T),
        sa.Column("sentiment", F),
        sa.Column("polarity", sa.Integer, nullable=False, server_default="0"),
        sa.Column("themes", T, nullable=False),
        sa.Column("facts", T, nullable=False),
        sa.Column("hash", T, nullable=False),
        sa.Column("indexed_at", T, nullable=False),
        sa.Column("complaints", T, nullable=False, server_default="[]"),
        sa.Column("intent", T, nullable=False, server_default="other"),
        sa.Index("records_source", "source"),
    )
    sa.Table(
        "sources",
        md,
        sa.Column("source", T, primary_key=True),
        *(sa.Column(c, T) for c in ("path", "kind", "indexed_at")),
        sa.Column("records", sa.Integer),
        sa.Column("score_kind", T),
    )
    sa.Table("meta", md, sa.Column("key", T, primary_key=True), sa.Column("value", T))
    return md


def create_generation(db: Database, base: str, number: int) -> None:
    """Create a generation's schema and tables when missing (under a lock: two at once wait)."""
    schema = schema_name(base, number)
    with db.begin() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key(f"catalog:{schema}"))))
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
        generation_tables(schema).create_all(conn)
        conn.exec_driver_sql(
            f"INSERT INTO {quote(schema)}.meta(key, value) VALUES('catalog_format', %s) "
            "ON CONFLICT (key) DO NOTHING",
            (str(FORMAT),),
        )


def generation_exists(db: Database, base: str, number: int) -> bool:
    with db.begin() as conn:
        return bool(sa.inspect(conn).has_table("records", schema=schema_name(base, number)))


def generations(db: Database, base: str) -> list[int]:
    """The generation numbers that have a schema in the database."""
    pattern = re.compile(re.escape(schema_name(base, 0)[:-1]) + r"(\d+)")
    with db.begin() as conn:
        names = sa.inspect(conn).get_schema_names()
    return sorted(int(m.group(1)) for n in names if (m := pattern.fullmatch(n)))


def drop_generations(db: Database, base: str, keep: set[int]) -> list[int]:
    dropped = [n for n in generations(db, base) if n not in keep]
    for n in dropped:
        with db.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quote(schema_name(base, n))} CASCADE")
    return dropped


_readers: dict[str, PgConn] = {}
_readers_lock = threading.Lock()


def current(db: Database, base: str) -> int:
    """The generation that answers now (0 until a rebuild switches): one query on a kept
    connection, since a bot asks before every question (several times per answer)."""
    db.ready()
    key = db.url.render_as_string(hide_password=False)
    with _readers_lock:
        conn = _readers.get(key)
        if conn is None:
            conn = _readers[key] = PgConn(db, "public")
        rows = conn.execute(
            "SELECT generation FROM catalog_generations WHERE base = ?", (base,)
        ).fetchall()
    return int(rows[0][0]) if rows else 0


def switch(db: Database, base: str, number: int, info: dict[str, Any]) -> None:
    """Point ``base`` at generation ``number``: one committed row, seen by every reader next."""
    row = {"base": base, "generation": number, "info": json.dumps(info), "switched_at": now_iso()}
    with db.begin() as conn:
        conn.execute(
            db.insert(pointers)
            .values(**row)
            .on_conflict_do_update(index_elements=["base"], set_=row)
        )


# -------------------------------------------------------------------------- connection


class PgConn:
    """One connection to one generation's schema, with the subset of sqlite3.Connection the
    catalog uses: ``execute(sql, params)`` and ``executemany``, '?' marks, autocommit outside
    an explicit BEGIN ... COMMIT. A broken connection (server restarted) is one
    DatabaseError, and the next call connects again."""

    dialect = POSTGRES

    def __init__(self, db: Database, schema: str) -> None:
        self.database = db
        self.schema = schema
        self._conn: Connection | None = None
        self.in_transaction = False

    def _c(self) -> Connection:
        if self._conn is None:
            try:
                conn = self.database.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
                conn.exec_driver_sql(f"SET search_path TO {quote(self.schema)}, public")
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                raise translate(exc, self.database.url) from None
            self._conn = conn
        return self._conn

    def _run(self, sql: str, params: Any, many: bool = False) -> Any:
        text = sql.replace("%", "%%").replace("?", "%s")
        for attempt in (1, 2):
            fresh = self._conn is None
            conn = self._c()
            try:
                if many:
                    return conn.exec_driver_sql(text, params)
                if params:
                    return conn.exec_driver_sql(text, tuple(params))
                return conn.exec_driver_sql(sql)
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                self._drop()
                # a kept connection the server dropped (a restart since its last use): outside
                # a transaction nothing is lost, so one new connection tries again
                if attempt == 1 and not fresh and not self.in_transaction:
                    continue
                raise translate(exc, self.database.url) from None
        raise AssertionError("unreachable")

    def execute(self, sql: str, params: Iterable[object] = ()) -> Any:
        word = sql.strip().split(None, 1)[0].upper() if sql.strip() else ""
        if word == "BEGIN":
            self.in_transaction = True
        elif word in ("COMMIT", "ROLLBACK"):
            if self._conn is None:  # the connection broke inside the transaction: all gone
                self.in_transaction = False
                return None
            self.in_transaction = False
        return self._run(sql, list(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            self._run(sql, rows, many=True)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # noqa: BLE001 - it is broken already
                pass

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                if self.in_transaction:
                    conn.exec_driver_sql("ROLLBACK")
                conn.exec_driver_sql("RESET search_path")
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection is dropped by the pool
                try:
                    conn.invalidate()
                except Exception:  # noqa: BLE001
                    pass
        self.in_transaction = False


def connect(url: str, base: str, number: int, create: bool = False) -> PgConn:
    """A connection to generation ``number`` of ``base`` (created first when ``create``)."""
    db = database(url)
    if create:
        create_generation(db, base, number)
    return PgConn(db, schema_name(base, number))


def stamp(conn: PgConn) -> tuple[str | None, ...] | None:
    """(version, updated_ns, themes_sha) of a generation's catalog in one query; None when it
    has no catalog yet or nothing was ever committed into it (a first ingest that failed)."""
    try:
        rows = conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('version', 'updated_ns', 'themes_sha')"
        ).fetchall()
    except sa.exc.ProgrammingError:  # no such schema or table: never written
        return None
    got = dict(rows)
    if got.get("version") is None:
        return None
    return got.get("version"), got.get("updated_ns"), got.get("themes_sha")


THEMES_KEY = "themes_file"


def publish_file(conn: PgConn, text: str | None) -> None:
    """Store the data dir's themes file (discovered or edited themes) with the catalog, so a
    bot on another machine answers with the same themes (``None``: there is none)."""
    body = text or ""
    sha = hashlib.sha1(body.encode()).hexdigest()
    upsert = POSTGRES.upsert("meta", ["key", "value"], ["key"])
    conn.execute("BEGIN")
    try:
        conn.execute(upsert, (THEMES_KEY, body))
        conn.execute(upsert, ("themes_sha", sha))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def fetch_file(conn: PgConn) -> str | None:
    """The themes file published with the catalog ('' when none; None: never published)."""
    rows = conn.execute("SELECT value FROM meta WHERE key = ?", (THEMES_KEY,)).fetchall()
    return str(rows[0][0]) if rows else None


def copy_from_sqlite(path: Any, url: str, base: str, number: int) -> tuple[int, bool]:
    """Copy one SQLite catalog file into generation ``number`` of ``base`` and point at it.

    In record (rowid) order, so the bot numbers records as before; every row in one
    transaction, then the pointer: a failure leaves the database as it was. A generation that
    already holds records is left alone (returns (its count, False)): copying twice copies
    nothing twice. Returns (records, copied)."""
    import sqlite3

    db = database(url)
    live = current(db, base)
    if generation_exists(db, base, live):  # the database already answers for this index
        conn = PgConn(db, schema_name(base, live))
        try:
            (have,) = conn.execute("SELECT COUNT(*) FROM records").fetchone()
        finally:
            conn.close()
        if have:
            return int(have), False
    create_generation(db, base, number)
    conn = PgConn(db, schema_name(base, number))
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        (have,) = conn.execute("SELECT COUNT(*) FROM records").fetchone()
        if have:
            return int(have), False
        cols = [r[1] for r in src.execute("PRAGMA table_info(records)")]
        want = [c for c in generation_tables("x").tables["x.records"].columns.keys() if c != "seq"]
        got = [c for c in want if c in cols]  # an older file lacks later columns: defaults
        n = 0
        conn.execute("BEGIN")
        try:
            cur = src.execute(f"SELECT {', '.join(got)} FROM records ORDER BY rowid")
            insert = f"INSERT INTO records({', '.join(got)}) VALUES({','.join('?' * len(got))})"
            while rows := cur.fetchmany(5000):
                conn.executemany(insert, rows)
                n += len(rows)
            scols = [r[1] for r in src.execute("PRAGMA table_info(sources)")]
            for table, keys, columns in (
                ("sources", ["source"], scols),
                ("meta", ["key"], ["key", "value"]),
            ):
                rows = src.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
                conn.executemany(POSTGRES.upsert(table, columns, keys), rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        src.close()
        conn.close()
    switch(db, base, number, {"copied_from": str(path), "collection": base})
    return n, True
