"""The database layer: UTC timestamps on both databases, URL normalisation, SQLite in WAL mode."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError

from bot import db as db_module
from bot import scope
from bot.db import (
    Database,
    DatabaseUnavailable,
    UTCDateTime,
    _Watchdog,
    normalize_database_url,
)
from bot.errors import ConfigError
from bot.models import EngineerState
from tests.conftest import TOKYO
from tests.support.db_faults import break_connection
from tests.support.flows import wait_for


def test_an_aware_datetime_round_trips_as_the_same_instant_in_utc(db: Database) -> None:
    local = datetime(2026, 11, 25, 23, 30, 15, 123456, tzinfo=TOKYO)
    with db.session() as session:
        session.add(EngineerState(user_id="U0HANAKO", away=True, away_until=local))
        session.commit()
    with db.session() as session:
        state = session.get(EngineerState, "U0HANAKO")
        assert state is not None
        assert state.away_until == local
        assert state.away_until is not None
        assert state.away_until.utcoffset() == timedelta(0)
        assert state.away_until.tzinfo == UTC
        assert state.away_until.hour == 14  # 23:30 JST is 14:30 UTC


def test_other_offsets_are_stored_as_utc_too(db: Database) -> None:
    minus_five = timezone(timedelta(hours=-5))
    instant = datetime(2026, 12, 31, 22, 0, tzinfo=minus_five)  # 2027-01-01 03:00 UTC
    with db.session() as session:
        session.add(EngineerState(user_id="U0TARO", last_assigned_at=instant))
        session.commit()
    with db.session() as session:
        stored = session.execute(
            sa.select(EngineerState.__table__.c.last_assigned_at)  # type: ignore[attr-defined]
        ).scalar_one()
        assert stored == instant
        assert (stored.year, stored.month, stored.day, stored.hour) == (2027, 1, 1, 3)


def test_timestamps_compare_as_instants_in_queries(db: Database) -> None:
    noon_tokyo = datetime(2026, 11, 25, 12, 0, tzinfo=TOKYO)  # 03:00 UTC
    with db.session() as session:
        session.add(EngineerState(user_id="U0HANAKO", away_until=noon_tokyo))
        session.commit()
    table = EngineerState.__table__  # type: ignore[attr-defined]
    with db.session() as session:
        later = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)
        earlier = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)
        assert session.execute(sa.select(table.c.user_id).where(table.c.away_until < later)).all()
        assert not session.execute(
            sa.select(table.c.user_id).where(table.c.away_until < earlier)
        ).all()


def test_a_naive_datetime_is_refused(db: Database) -> None:
    with db.session() as session:
        session.add(EngineerState(user_id="U0KENJI", away_until=datetime(2026, 11, 25, 10, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_the_column_type_binds_utc(dialect: sa.Dialect) -> None:
    column_type = UTCDateTime()
    local = datetime(2026, 11, 25, 9, 0, tzinfo=TOKYO)
    bound = column_type.process_bind_param(local, dialect)
    assert bound is not None
    assert bound.hour == 0  # 09:00 JST is 00:00 UTC
    if dialect.name == "sqlite":  # SQLite has no time zones: UTC wall time, stored naive
        assert bound.tzinfo is None
    else:
        assert bound.utcoffset() == timedelta(0)
    assert column_type.process_bind_param(None, dialect) is None
    with pytest.raises(ValueError, match="naive"):
        column_type.process_bind_param(datetime(2026, 11, 25, 9, 0), dialect)


def test_the_column_type_reads_naive_values_as_utc() -> None:
    read = UTCDateTime().process_result_value(datetime(2026, 11, 25, 1, 0), sqlite.dialect())
    assert read == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert read is not None
    assert read.tzinfo == UTC


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db:5432/crebot", "postgresql+psycopg://u:p@db:5432/crebot"),
        ("postgresql://u@db/crebot", "postgresql+psycopg://u@db/crebot"),
        ("postgresql+psycopg://u@db/crebot", "postgresql+psycopg://u@db/crebot"),
        ("sqlite:///crebot.db", "sqlite:///crebot.db"),
        ("sqlite:////var/lib/crebot.db", "sqlite:////var/lib/crebot.db"),
    ],
)
def test_normalize_database_url(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize(
    "url", ["mysql://u@db/crebot", "not a url", "", "oracle://scott:tiger@db/orcl"]
)
def test_other_databases_are_refused_naming_the_variable(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        normalize_database_url(url)
    message = str(caught.value)
    assert message.startswith("DATABASE_URL: ")
    assert "\n" not in message


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'nested' / 'crebot.db'}")
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert (tmp_path / "nested" / "crebot.db").exists()
        assert database.dialect == "sqlite"
        assert database.ping()
    finally:
        database.dispose()


def test_ping_is_false_when_the_database_is_unreachable() -> None:
    unreachable = Database("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert unreachable.ping() is False
    finally:
        unreachable.dispose()


def test_a_session_rolls_back_on_error(db: Database) -> None:
    def fail_midway() -> None:
        with db.session() as session:
            session.add(EngineerState(user_id="U0HANAKO", away=True))
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_midway()
    with db.session() as session:
        assert session.get(EngineerState, "U0HANAKO") is None


def test_a_read_only_session_reads_while_another_transaction_holds_the_write_lock(
    db: Database,
) -> None:
    """On SQLite every other transaction takes the write lock up front; a read-only one never waits."""
    count = sa.text("SELECT count(*) FROM escalation")
    with db.session() as writer:
        writer.execute(count)  # BEGIN IMMEDIATE on SQLite: the write lock is held until the end
        with scope.scoped(scope.Scope(kind="command /cre", deadline=0.2)):
            with db.session(read_only=True) as reader:
                assert reader.execute(count).scalar_one() == 0
            if db.dialect == "sqlite":
                with (
                    pytest.raises(sa.exc.OperationalError, match="locked"),
                    db.session() as second_writer,
                ):
                    second_writer.execute(count)
        writer.rollback()


def test_while_the_breaker_is_open_only_work_slack_waits_on_fails_fast(db: Database) -> None:
    """A submission (a budget Slack waits on) fails at once; work after an ack still runs."""
    db.breaker.seconds = 3600  # open for the whole test, however slow the machine
    db.breaker.trip()
    count = sa.text("SELECT count(*) FROM escalation")
    with scope.scoped(scope.request("block_actions esc.wait")), db.session() as session:
        assert session.execute(count).scalar_one() == 0
    submission = scope.request("view_submission escalate")
    submission.until = time.monotonic() + 2.5
    with scope.scoped(submission), pytest.raises(DatabaseUnavailable), db.session():
        pass


def _pooled_connection_broken_while_idle(db: Database) -> None:
    """Use one pooled connection, then cut it while it sits in the pool (a database restart)."""
    with db.engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
        dbapi_connection = connection.connection.dbapi_connection
    break_connection(dbapi_connection)


@pytest.mark.postgres
def test_a_connection_that_sat_idle_is_pinged_and_replaced_when_dead(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.0)  # every connection counts as idle
    database = Database(database_url)
    try:
        _pooled_connection_broken_while_idle(database)
        with database.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        database.dispose()


@pytest.mark.postgres
def test_a_connection_used_just_now_is_not_pinged_and_a_dead_one_fails_once(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        _pooled_connection_broken_while_idle(database)
        with pytest.raises(sa.exc.OperationalError) as failed, database.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        assert failed.value.connection_invalidated
        with database.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        database.dispose()


def test_the_watchdog_cuts_a_call_past_its_deadline_and_spares_one_within() -> None:
    watchdog = _Watchdog(tick=0.01)
    silent, peer = socket.socketpair()
    spared, spared_peer = socket.socketpair()
    with silent, peer, spared, spared_peer:
        silent.settimeout(10)
        with watchdog.guard(spared, 60):
            pass  # done well within its deadline: disarmed
        started = time.monotonic()
        with watchdog.guard(silent, 0.05):
            assert silent.recv(1) == b""  # no answer ever comes: cut, not waited out
        assert time.monotonic() - started < 5
        spared_peer.sendall(b"x")
        assert spared.recv(1) == b"x"


def _watchdog_threads() -> int:
    return sum(thread.name == "db-watchdog" for thread in threading.enumerate())


@pytest.mark.postgres
def test_every_engine_shares_the_one_watchdog_thread(database_url: str) -> None:
    """A thread per engine, never ending, made thousands in a test run and starved the rest."""
    databases = [Database(database_url) for _ in range(3)]
    try:
        before = _watchdog_threads()
        with scope.scoped(scope.job("watchdog-test")):  # a deadline: every call is armed
            for database in databases:
                with database.engine.connect() as connection:
                    assert connection.execute(sa.text("SELECT 1")).scalar() == 1
        assert _watchdog_threads() <= before + 1  # one shared thread, started if not running
    finally:
        for database in databases:
            database.dispose()


def test_the_watchdog_thread_stops_when_nothing_is_armed_and_starts_again() -> None:
    watchdog = _Watchdog(tick=0.01, idle_ticks=3)
    silent, peer = socket.socketpair()
    with silent, peer:
        silent.settimeout(10)
        watchdog.disarm(watchdog.arm(silent, 60))
        assert wait_for(lambda: not watchdog.is_running())
        with watchdog.guard(silent, 0.05):
            assert watchdog.is_running()
            assert silent.recv(1) == b""  # cut all the same by the thread started again
        assert wait_for(lambda: not watchdog.is_running())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_cuts_none_of_its_parents_calls_and_watches_its_own() -> None:
    """A child inherits the parent's armed calls (the same sockets) and maybe its lock, held."""
    watchdog = _Watchdog(tick=0.01)
    parents, peer = socket.socketpair()
    with parents, peer:
        # The parent's call, due at once, armed without the parent's thread to cut it: only a
        # child that kept it could cut it.
        watchdog._armed[id(parents)] = (time.monotonic(), parents.fileno())
        with watchdog._lock:  # held at the fork, as a call arming in another thread holds it
            pid = os.fork()
        if pid == 0:
            status = 1
            try:
                signal.alarm(5)  # a child stuck on the inherited lock dies instead of hanging
                own, _own_peer = socket.socketpair()
                own.settimeout(5)
                with watchdog.guard(own, 0.05):
                    status = 0 if own.recv(1) == b"" else 2  # its own call is cut
                time.sleep(0.1)  # another tick or more, for the inherited call too
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        peer.sendall(b"x")
        assert parents.recv(1) == b"x"  # the parent's socket was not shut down by the child
