"""The bot's state tables (Slack answers, threads, votes, watches, ledgers, event dedupe) and
where they live: three SQLite files in the data dir by default (`slack.sqlite`,
`digest.sqlite`, `alerts.sqlite`, as before), one PostgreSQL database when
CXBOT_DATABASE_URL is set, so several bot replicas share them.

Schema versions: 0 is the unversioned files cxbot wrote before; 1 adds the version table, the
shared event dedupe table and gives the alert ledger its own table name (`alert_posts`, so it
can sit beside the digest's in one database).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingest.config import Settings
from ingest.db import Database, Schema, open_database, sqlite_url

metadata = sa.MetaData()
T = sa.Text


def _col(name: str, type_: type = T, **kw: object) -> sa.Column:
    return sa.Column(name, type_, **kw)  # type: ignore[arg-type]


answers = sa.Table(
    "answers",
    metadata,
    _col("id", primary_key=True),
    _col("created", nullable=False),
    _col("channel"),
    _col("thread_ts"),
    _col("user"),
    _col("question", nullable=False),
    _col("answer_json", nullable=False),
    _col("shown", sa.Integer, nullable=False, server_default="0"),
)
feedback = sa.Table(
    "feedback",
    metadata,
    _col("answer_id", primary_key=True),
    _col("user", primary_key=True),
    _col("vote", sa.Integer, nullable=False),
    _col("at", nullable=False),
)
threads = sa.Table(
    "threads",
    metadata,
    _col("channel", primary_key=True),
    _col("thread_ts", primary_key=True),
    _col("filters_json", nullable=False),
    _col("updated", nullable=False),
)
assistant_threads = sa.Table(
    "assistant_threads",
    metadata,
    _col("channel", primary_key=True),
    _col("thread_ts", primary_key=True),
    _col("user"),
    _col("context_json", nullable=False),
    _col("titled", sa.Integer, nullable=False, server_default="0"),
    _col("updated", nullable=False),
)
home_users = sa.Table(
    "home_users", metadata, _col("user", primary_key=True), _col("opened", nullable=False)
)
watches = sa.Table(
    "watches",
    metadata,
    _col("id", sa.Integer, primary_key=True, autoincrement=True),
    _col("kind", nullable=False),
    _col("channel", nullable=False),
    _col("user"),
    _col("target", nullable=False),
    _col("themes_json", nullable=False),
    _col("segments_json", nullable=False),
    _col("cadence"),
    _col("label", nullable=False),
    _col("created", nullable=False),
    sqlite_autoincrement=True,
)
alerts_fired = sa.Table(
    "alerts_fired",
    metadata,
    _col("watch_id", sa.Integer, primary_key=True),
    _col("spike", primary_key=True),
    _col("window_until", primary_key=True),
    _col("at", nullable=False),
)
slack_events = sa.Table(  # insert-on-arrival: the first inserter answers, a duplicate is dropped
    "slack_events",
    metadata,
    _col("key", primary_key=True),
    _col("at", sa.Float, nullable=False, index=True),
    _col("owner"),
)


def _ledger(name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        _col("channel", primary_key=True),
        _col("period", primary_key=True),
        _col("status", nullable=False),  # claimed | posted | done | failed
        _col("owner", nullable=False),
        _col("claimed_at", sa.Float, nullable=False),
        _col("attempts", sa.Integer, nullable=False, server_default="1"),
        _col("message_ts"),
        _col("file_id"),
        _col("error"),
        _col("updated_at", sa.Float, nullable=False),
    )


digest_posts = _ledger("digest_posts")
alert_posts = _ledger("alert_posts")
LEDGERS = {"digest": digest_posts, "alerts": alert_posts}

FILES = {"slack": "slack.sqlite", "digest": "digest.sqlite", "alerts": "alerts.sqlite"}
STORES = {
    "slack": [
        "answers",
        "feedback",
        "threads",
        "assistant_threads",
        "home_users",
        "watches",
        "alerts_fired",
        "slack_events",
    ],
    "digest": ["digest_posts"],
    "alerts": ["alert_posts"],
}


def _v1(conn: Connection, db: Database) -> None:
    """From the unversioned files: the alert ledger renamed, the new tables created."""
    insp = sa.inspect(conn)
    if (
        db.store == "alerts"
        and insp.has_table("digest_posts")
        and not insp.has_table("alert_posts")
    ):
        conn.exec_driver_sql("ALTER TABLE digest_posts RENAME TO alert_posts")
    metadata.create_all(conn, tables=db.tables())


SCHEMA = Schema(
    metadata=metadata,
    version=1,
    stores=STORES,
    migrations={1: _v1},
    legacy_tables={"digest_posts"},
)


def sqlite_store(path: Path, store: str) -> Database:
    """One of the embedded SQLite files (tests and the copy from SQLite name them directly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # the Slack store is written on every request (dedupe, answers): no fsync per commit there;
    # the ledgers, whose claims keep a digest from posting twice, stay fully synchronous
    return open_database(sqlite_url(path), store, SCHEMA, fast_commits=store == "slack")


def state_db(settings: Settings, store: str) -> Database:
    """Where ``store`` lives: CXBOT_DATABASE_URL when set, else its file in the data dir."""
    if settings.database_url is not None:
        return open_database(settings.database_url.get_secret_value(), None, SCHEMA)
    return sqlite_store(settings.data_dir / FILES[store], store)


def databases(settings: Settings) -> list[Database]:
    """Every database holding this deployment's state (one URL, or the three files)."""
    if settings.database_url is not None:
        return [state_db(settings, "slack")]
    return [state_db(settings, s) for s in FILES]


def upgrade(settings: Settings) -> list[tuple[Database, int | None, int]]:
    """`cxbot db upgrade`: create or migrate every state database; (db, found, now) each."""
    return [(db, *db.ensure(upgrade=True)) for db in databases(settings)]


def copy_catalog(
    settings: Settings, source_dir: Path | None = None
) -> tuple[str, int, bool] | None:
    """`cxbot db copy`, the index half: the data dir's current catalog (the generation its
    generation.json names) into CXBOT_DATABASE_URL as the same generation number, so it keeps
    naming the same Chroma collection. Under the ingest lock. None: no catalog there.
    Returns (collection, records, copied: False when the database already had them)."""
    from ingest import pgcatalog
    from ingest.adapt import THEMES_FILE
    from ingest.generations import current
    from ingest.locks import ingest_lock

    assert settings.database_url is not None
    folder = source_dir or settings.data_dir
    gen = current(folder, settings.collection)
    if not gen.catalog_path.exists():
        return None
    with ingest_lock(settings, who="db copy"):
        n, copied = pgcatalog.copy_from_sqlite(
            gen.catalog_path,
            settings.database_url.get_secret_value(),
            settings.collection,
            gen.number,
        )
        themes = folder / THEMES_FILE  # discovered or edited themes
        if copied and themes.exists() and not settings.taxonomy_path:
            conn = pgcatalog.connect(
                settings.database_url.get_secret_value(), settings.collection, gen.number
            )
            try:
                pgcatalog.publish_file(conn, themes.read_text(encoding="utf-8"))
            finally:
                conn.close()
    return gen.collection, n, copied


def copy_sqlite(settings: Settings, source_dir: Path | None = None) -> list[tuple[str, int, int]]:
    """`cxbot db copy`: the SQLite state files of a data dir into CXBOT_DATABASE_URL.

    Row by row, keys kept (a watch keeps its id, so its ledger keys and cooldowns still match),
    a row already there is left alone: copying twice copies nothing twice. The event dedupe
    table is not copied (it only matters for an hour). Returns (table, copied, already there).
    """
    from ingest.errors import ConfigError

    if settings.database_url is None:
        raise ConfigError(
            "`cxbot db copy` copies the SQLite state into CXBOT_DATABASE_URL, which is not set.",
            "Set CXBOT_DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/DBNAME and run it again.",
        )
    folder = source_dir or settings.data_dir
    target = state_db(settings, "slack")
    target.ensure()
    done: list[tuple[str, int, int]] = []
    for store, name in FILES.items():
        path = folder / name
        if not path.exists():
            continue
        source = sqlite_store(path, store)
        for table in source.tables():
            if table.name == "slack_events":
                continue
            with source.begin() as src:
                rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
            copied = 0
            keys = [c.name for c in table.primary_key.columns]
            with target.begin() as dst:
                for i in range(0, len(rows), 1000):
                    chunk = rows[i : i + 1000]
                    got = dst.execute(
                        target.insert(table)
                        .on_conflict_do_nothing(index_elements=keys)
                        .returning(table.c[keys[0]]),
                        chunk,
                    )
                    copied += len(got.all())
                if table.name == "watches" and target.is_postgres:  # new watches after the copy
                    dst.execute(
                        sa.text(
                            "SELECT setval(pg_get_serial_sequence('watches', 'id'), "
                            "COALESCE((SELECT MAX(id) FROM watches), 0) + 1, false)"
                        )
                    )
            done.append((table.name, copied, len(rows) - copied))
    return done
