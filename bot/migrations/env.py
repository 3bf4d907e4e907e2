"""Alembic environment: runs migrations on the bot's own engine (SQLite pragmas, psycopg)."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import bot.models  # noqa: F401  (registers every table on SQLModel.metadata)
from bot.db import UTCDateTime, create_db_engine

target_metadata = SQLModel.metadata
MIGRATION_LOCK_ID = 4_127_001  # arbitrary constant: one migrator at a time on PostgreSQL


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render the bot's custom column types as plain SQLAlchemy types in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url
    engine = create_db_engine(url, migrations=True)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID}
                )
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_item=render_item,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID}
                )
                connection.commit()
    finally:
        engine.dispose()


run_migrations_online()
