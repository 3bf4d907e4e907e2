"""Test databases: a migrated SQLite file per test, or one PostgreSQL database truncated per test."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot import migrate
from bot.db import create_db_engine

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL") or None


def on_postgres() -> bool:
    """Whether this run uses PostgreSQL (TEST_DATABASE_URL set)."""
    return POSTGRES_URL is not None


def build_sqlite_template(directory: Path) -> Path:
    """Migrate an empty SQLite database once; tests copy it (migrations run for real, once)."""
    template = directory / "template.db"
    migrate.upgrade(f"sqlite:///{template}")
    with closing(sqlite3.connect(template)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return template


def sqlite_copy(template: Path, directory: Path) -> str:
    """A fresh copy of the migrated template for one test."""
    target = directory / "crebot.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def reset_postgres(url: str) -> None:
    """Drop everything and migrate from scratch (once per run).

    The test database also stops waiting for the disk at each COMMIT (`synchronous_commit = off`,
    for its sessions from now on): a commit is as visible and as atomic, only the last few
    hundred milliseconds of commits could be lost if the server crashed, which no test looks at.
    On a slow disk the wait for each of a run's commits was most of its time.
    """
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    # Only the database's owner may: on a database of someone else's, the run waits as before.
    with contextlib.suppress(sa.exc.ProgrammingError), engine.begin() as connection:
        name = connection.execute(sa.text("SELECT current_database()")).scalar_one()
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    engine.dispose()
    migrate.upgrade(url)


def truncate_postgres(url: str) -> None:
    """Empty every table (keeping the schema and the alembic version)."""
    engine = create_db_engine(url)
    with engine.begin() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


# What a test must leave as it found PostgreSQL's test database, which the whole run shares.
_SHARED_STATE = {
    "alembic revision": "SELECT version_num FROM alembic_version",
    "schemas": "SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' "
    "AND nspname <> 'information_schema'",
    "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default "
    "FROM information_schema.columns WHERE table_schema = 'public'",
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
    "FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
    "sequences": "SELECT sequencename, data_type::text, start_value, increment_by, max_value "
    "FROM pg_sequences WHERE schemaname = 'public'",
    "owners and grants": "SELECT tablename, tableowner, '' FROM pg_tables "
    "WHERE schemaname = 'public' UNION ALL SELECT table_name, grantee, privilege_type "
    "FROM information_schema.role_table_grants WHERE table_schema = 'public'",
}


def shared_state(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The schema a PostgreSQL test run shares: revision, tables, indexes, sequences, grants."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: sorted(tuple(row) for row in connection.execute(sa.text(query)))
                for name, query in _SHARED_STATE.items()
            }
    finally:
        engine.dispose()


def state_changes(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> list[str]:
    """What differs between two `shared_state`s, a line per thing added or gone."""
    changes = []
    for name, rows in before.items():
        now = after[name]
        changes += [f"{name}: gone {row}" for row in rows if row not in now]
        changes += [f"{name}: added {row}" for row in now if row not in rows]
    return changes


@contextmanager
def table_missing(engine: sa.Engine, table: str) -> Iterator[None]:
    """`table` renamed away inside the block: statements on it fail as real database errors."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {table} RENAME TO {table}_gone")
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"ALTER TABLE {table}_gone RENAME TO {table}")
