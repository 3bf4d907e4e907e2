"""Migrations: they build the schema the models describe, idempotently, and can be undone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers every table on SQLModel.metadata)
from bot import migrate
from bot.db import create_db_engine

TABLES = {
    "escalation",
    "escalation_event",
    "engineer_state",
    "outbox",
    "processed_event",
    "job_run",
}


def head_revision() -> str:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite:///unused.db"))
    head = script.get_current_head()
    assert head is not None
    return head


def table_names(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def schema_differences(url: str) -> list[object]:
    """What autogenerate would change to make the database match the models (types included)."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            # The same comparison `alembic revision --autogenerate` makes (env.py: compare_type).
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


@pytest.fixture
def empty_sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fresh.db'}"


def test_there_is_a_single_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite:///unused.db"))
    assert len(script.get_heads()) == 1
    assert [r.revision for r in script.walk_revisions()][-1] == "0001"


def test_upgrade_from_empty_builds_every_table(empty_sqlite: str) -> None:
    assert migrate.current_revision(empty_sqlite) is None
    migrate.upgrade(empty_sqlite)
    assert migrate.current_revision(empty_sqlite) == head_revision()
    assert table_names(empty_sqlite) >= TABLES


def test_upgrade_twice_is_a_no_op(empty_sqlite: str) -> None:
    migrate.upgrade(empty_sqlite)
    before = table_names(empty_sqlite)
    migrate.upgrade(empty_sqlite)
    assert table_names(empty_sqlite) == before
    assert migrate.current_revision(empty_sqlite) == head_revision()


def test_the_models_and_a_fresh_sqlite_schema_agree(empty_sqlite: str) -> None:
    migrate.upgrade(empty_sqlite)
    assert schema_differences(empty_sqlite) == []


def test_the_models_and_the_test_database_agree(database_url: str) -> None:
    """On the database this run uses (PostgreSQL when TEST_DATABASE_URL is set)."""
    assert migrate.current_revision(database_url) == head_revision()
    assert schema_differences(database_url) == []


def test_upgrade_at_head_is_a_no_op_on_the_test_database(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert migrate.current_revision(database_url) == head_revision()
    assert table_names(database_url) >= TABLES


def test_downgrade_to_base_and_back(empty_sqlite: str) -> None:
    migrate.upgrade(empty_sqlite)
    command.downgrade(migrate.alembic_config(empty_sqlite), "base")
    assert migrate.current_revision(empty_sqlite) is None
    assert table_names(empty_sqlite) - {"alembic_version"} == set()
    migrate.upgrade(empty_sqlite)
    assert migrate.current_revision(empty_sqlite) == head_revision()
    assert schema_differences(empty_sqlite) == []


def test_each_revision_steps_down_and_up(empty_sqlite: str) -> None:
    config = migrate.alembic_config(empty_sqlite)
    script = ScriptDirectory.from_config(config)
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    migrate.upgrade(empty_sqlite)
    for revision in reversed(revisions[:-1]):
        command.downgrade(config, "-1")
        assert migrate.current_revision(empty_sqlite) == revision
    for revision in revisions[1:]:
        command.upgrade(config, "+1")
        assert migrate.current_revision(empty_sqlite) == revision


@pytest.mark.postgres
def test_timestamps_are_timestamptz_on_postgres(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND data_type LIKE 'timestamp%'"
                )
            ).all()
    finally:
        engine.dispose()
    assert rows
    assert {data_type for _table, _column, data_type in rows} == {"timestamp with time zone"}


def test_the_comparison_notices_a_schema_that_drifted(empty_sqlite: str) -> None:
    """Guards the agreement tests above: a missing index and an extra column are both reported."""
    migrate.upgrade(empty_sqlite)
    engine = create_db_engine(empty_sqlite)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP INDEX ix_escalation_end_user_id"))
            connection.execute(sa.text("ALTER TABLE outbox ADD COLUMN stray INTEGER"))
    finally:
        engine.dispose()
    kinds = {str(difference[0]) for difference in schema_differences(empty_sqlite)}  # type: ignore[index]
    assert {"add_index", "remove_column"} <= kinds


def test_cards_posted_before_the_card_refresh_are_refreshed_once_after_it(
    empty_sqlite: str,
) -> None:
    """0007 marks running, posted escalations due for a refresh; the job then schedules them."""
    migrate.upgrade(empty_sqlite, "0006")
    engine = create_db_engine(empty_sqlite)
    stamp = "2026-11-25 01:00:00.000000"
    rows = [
        ("k1", "investigating", "1.1", stamp),
        ("k2", "waiting", "1.2", None),
        ("k3", "resolved", "1.3", None),
    ]
    with engine.begin() as connection:
        for key, status, ts, running in rows:
            connection.execute(
                sa.text(
                    "INSERT INTO escalation (intake_key, end_user_id, product, category, priority,"
                    " summary, details, filed_by, filed_at, status, channel_id, message_ts, version,"
                    " last_activity_at, slo_running_since) VALUES (:key, 'u-1', 'album', 'login',"
                    " 'P2', 's', '', 'U0CS', :at, :status, 'C0ESCALATE', :ts, 1, :at, :running)"
                ),
                {"key": key, "at": stamp, "status": status, "ts": ts, "running": running},
            )
    migrate.upgrade(empty_sqlite)
    with engine.connect() as connection:
        marked = dict(
            connection.execute(sa.text("SELECT intake_key, card_refresh_at FROM escalation")).all()
        )
    engine.dispose()
    assert marked["k1"] is not None
    assert (marked["k2"], marked["k3"]) == (None, None)


def test_labels_filed_as_suggestions_before_0015_are_marked_suggested(empty_sqlite: str) -> None:
    """0015 reads what earlier Zendesk intakes recorded as suggested into the new columns."""
    migrate.upgrade(empty_sqlite, "0014")
    engine = create_db_engine(empty_sqlite)
    stamp = "2026-11-25 01:00:00.000000"
    unmapped = {
        "both": '[{"what": "product", "value": "x", "used": "album", "suggested": "1"},'
        ' {"what": "category", "value": "", "used": "login", "suggested": "1"}]',
        "category": '[{"what": "category", "value": "", "used": "login", "suggested": "1"},'
        ' {"what": "priority", "value": "P9", "used": "P2"}]',
        "not_understood": '[{"what": "product", "value": "x", "used": "album"}]',
        "slack": None,
    }
    with engine.begin() as connection:
        for key, items in unmapped.items():
            connection.execute(
                sa.text(
                    "INSERT INTO escalation (intake_key, end_user_id, product, category, priority,"
                    " summary, details, filed_by, filed_at, status, channel_id, version,"
                    " last_activity_at, intake_unmapped) VALUES (:key, 'u-1', 'album', 'login',"
                    " 'P2', 's', '', 'U0CS', :at, 'open', 'C0ESCALATE', 1, :at, :unmapped)"
                ),
                {"key": key, "at": stamp, "unmapped": items},
            )
    migrate.upgrade(empty_sqlite)
    with engine.connect() as connection:
        marked = {
            key: (bool(product), bool(category))
            for key, product, category in connection.execute(
                sa.text("SELECT intake_key, product_suggested, category_suggested FROM escalation")
            ).all()
        }
    engine.dispose()
    assert marked == {
        "both": (True, True),
        "category": (False, True),
        "not_understood": (False, False),
        "slack": (False, False),
    }


def test_cards_matched_before_0016_get_their_first_match(database_url: str) -> None:
    """0016 reads each stored list's first id into the indexed column (SQLite and PostgreSQL)."""
    command.downgrade(migrate.alembic_config(database_url), "0015")
    engine = create_db_engine(database_url)
    stamp = "2026-11-25 01:00:00.000000"
    similar_match = sa.table(
        "similar_match",
        sa.column("escalation_id", sa.Integer()),
        sa.column("escalation_version", sa.Integer()),
        sa.column("fingerprint", sa.String()),
        sa.column("matches", sa.JSON()),
        sa.column("found_at", sa.DateTime(timezone=True)),
    )
    found = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    with engine.begin() as connection:
        for key in ("a", "b", "c"):
            connection.execute(
                sa.text(
                    "INSERT INTO escalation (intake_key, end_user_id, product, category, priority,"
                    " summary, details, filed_by, filed_at, status, channel_id, version,"
                    " last_activity_at) VALUES (:key, 'u-1', 'album', 'login',"
                    " 'P2', 's', '', 'U0CS', :at, 'open', 'C0ESCALATE', 1, :at)"
                ),
                {"key": key, "at": stamp},
            )
        ids = dict(connection.execute(sa.text("SELECT intake_key, id FROM escalation")).all())
        stored = {"a": [[ids["b"], 0.61], [ids["c"], 0.4]], "b": [[ids["a"], 0.61]], "c": []}
        connection.execute(
            sa.insert(similar_match),
            [
                {
                    "escalation_id": ids[key],
                    "escalation_version": 1,
                    "fingerprint": "f",
                    "matches": matches,
                    "found_at": found,
                }
                for key, matches in stored.items()
            ],
        )
    migrate.upgrade(database_url)
    with engine.connect() as connection:
        firsts = dict(
            connection.execute(
                sa.text("SELECT escalation_id, first_match_id FROM similar_match")
            ).all()
        )
    engine.dispose()
    assert firsts == {ids["a"]: ids["b"], ids["b"]: ids["a"], ids["c"]: None}
    assert schema_differences(database_url) == []
