"""Database faults for tests: a connection that drops under one statement, a database that stalls.

The faults are real ones: the connection's socket is shut down (PostgreSQL) or the connection closed
(SQLite) under the statement, and a stall is a silent proxy (PostgreSQL) or a writer holding SQLite's
lock. Nothing in the code under test is replaced.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url

from bot.db import Database
from tests.support.tcp_proxy import TcpProxy

StatementMatcher = Callable[[str], bool]


def break_connection(dbapi_connection: Any) -> None:
    """Make the connection unusable, as a network drop or a crashed server would."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.close()
        return
    sock = socket.socket(fileno=os.dup(dbapi_connection.fileno()))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@contextmanager
def drop_connection_on(
    db: Database, matches: StatementMatcher, *, times: int = 1
) -> Iterator[list[str]]:
    """Drop the connection under the first `times` statements that `matches`; yields what was hit."""
    hit: list[str] = []

    def before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if len(hit) < times and matches(statement):
            hit.append(statement)
            break_connection(conn.connection.dbapi_connection)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield hit
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def marks_outbox_row_sent(statement: str) -> bool:
    """The statement that records a delivered post (`OutboxDeliverer._record_success`)."""
    return statement.startswith("UPDATE outbox SET status") and "sent_at" in statement


class Stall:
    """A database that stops answering: a silent proxy on PostgreSQL, a held write lock on SQLite."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.on_postgres = database_url.startswith("postgres")
        self.proxy = TcpProxy.for_url(database_url) if self.on_postgres else None
        self._holder: sqlite3.Connection | None = None

    @property
    def url(self) -> str:
        """Where the app under test must connect for the stall to reach it."""
        return self.proxy.url(self.database_url) if self.proxy else self.database_url

    def start(self) -> None:
        """From now on, the database does not answer."""
        if self.proxy is not None:
            self.proxy.silence()
            return
        path = make_url(self.database_url).database
        assert path
        self._holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._holder.execute("BEGIN IMMEDIATE")

    def stop(self) -> None:
        """The database answers again."""
        if self.proxy is not None:
            self.proxy.restore()
        if self._holder is not None:
            self._holder.rollback()
            self._holder.close()
            self._holder = None

    def close(self) -> None:
        """Stop stalling and release the proxy."""
        self.stop()
        if self.proxy is not None:
            self.proxy.stop()


@contextmanager
def escalation_moved_on_once(session: Any, escalation_id: int) -> Iterator[list[bool]]:
    """Inside the block, the escalation's version is bumped just before the session's first UPDATE
    of the escalation (an ORM flush or a Core statement), as if someone changed the row meanwhile:
    the version check fails once. Yields a list that holds True once it happened."""
    import sqlalchemy as sa

    from bot.models import Escalation

    table = Escalation.__table__  # type: ignore[attr-defined]
    bumped: list[bool] = []
    engine = session.get_bind()

    def bump_version_once(conn: Any, statement: Any, *_args: Any) -> None:
        updating = isinstance(statement, sa.Update) and statement.table is table
        if updating and not bumped and conn is session.connection():
            bumped.append(True)
            conn.execute(
                sa.update(table)
                .where(table.c.id == escalation_id)
                .values(version=table.c.version + 1)
            )

    event.listen(engine, "before_execute", bump_version_once)
    try:
        yield bumped
    finally:
        event.remove(engine, "before_execute", bump_version_once)


@contextmanager
def committed_elsewhere_first(
    db: Database, session: Any, change: Callable[[Any], object]
) -> Iterator[list[bool]]:
    """Inside the block, just before `session` first saves the escalation (its UPDATE), `change`
    is made and committed in another session, as by someone acting at the same moment (PostgreSQL
    only: SQLite's writers wait for each other). Yields a list that holds True once it happened."""
    import sqlalchemy as sa

    from bot.models import Escalation

    table = Escalation.__table__  # type: ignore[attr-defined]
    interfered: list[bool] = []

    def elsewhere(conn: Any, statement: Any, *_args: Any) -> None:
        saving = isinstance(statement, sa.Update) and statement.table is table
        if interfered or not saving or conn is not session.connection():
            return
        interfered.append(True)
        with db.session() as other:
            change(other)

    event.listen(db.engine, "before_execute", elsewhere)
    try:
        yield interfered
    finally:
        event.remove(db.engine, "before_execute", elsewhere)
