"""Test databases: a migrated SQLite file per test, or one PostgreSQL database truncated per test."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

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
    """Drop everything and migrate from scratch (once per run)."""
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
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
