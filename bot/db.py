"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL by DATABASE_URL."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

from bot import metrics, scope
from bot.errors import ConfigError

log = logging.getLogger(__name__)
T = TypeVar("T")
# Pings run here, so a caller waiting on one is never stuck behind a silent database itself.
_PING_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="db-ping")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as a UTC-aware datetime (SQLite included)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def normalize_database_url(url: str) -> str:
    """Accept postgres://, postgresql:// and sqlite URLs; PostgreSQL always goes through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError(
            "DATABASE_URL: not a database URL (sqlite:///crebot.db or postgresql://…)"
        ) from None
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError("DATABASE_URL: only sqlite and postgresql are supported")
    return url


# PostgreSQL: how long to wait for a connection, and when to call a silent peer dead. Keepalives find
# a vanished host while idle; tcp_user_timeout a host that stops acknowledging what we sent. Neither
# notices a server that acknowledges but never answers: the watchdog below does.
CONNECT_TIMEOUT_SECONDS = 2  # libpq's minimum
STATEMENT_TIMEOUT_MS = 60_000  # server-side, for everything but migrations
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000  # a client that hangs holding locks is cut by the server
POSTGRES_CONNECT_ARGS: dict[str, Any] = {
    "application_name": "cre-bot",
    "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}
POOL_TIMEOUT_SECONDS = 3  # waiting for a pooled connection
SQLITE_JOB_BUSY_MS = 30_000  # a job (or a command) waits this long for SQLite's write lock
PING_SECONDS = 1.0
# A pooled connection is pinged before use only when it sat idle longer than this: one just used is
# alive (a ping per checkout was 6% of the CPU under load); if it died anyway, its first statement
# fails as a disconnect, which invalidates it and every older connection in the pool.
IDLE_PING_SECONDS = 5.0
PROBE = "crebot_probe"  # execution option of a ping's connection
READ_ONLY = "crebot_read_only"  # execution option of a session that only reads
BREAKER_SECONDS = 3.0  # after the database failed to answer, requests fail fast this long
WATCHDOG_TICK_SECONDS = 0.1  # how often the watchdog looks for calls past their deadline


def create_db_engine(url: str, *, pool_size: int = 10, migrations: bool = False) -> Engine:
    """An engine tuned for the bot's concurrency on either database, failing fast when it stalls.

    Every call into the database is bounded by the current scope's deadline (`bot.scope`): a Slack
    request's statement that gets no answer is cut after a few seconds, a job's after a minute.
    `migrations` lifts the server-side statement timeout (a migration may rewrite a large table).
    """
    url = normalize_database_url(url)
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url)
    else:
        options = f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
        if not migrations:
            options += f" -c statement_timeout={STATEMENT_TIMEOUT_MS}"
        engine = sa.create_engine(
            url,
            hide_parameters=True,  # error text would otherwise carry end-user ids and note text
            pool_size=pool_size,
            max_overflow=pool_size * 2,
            pool_timeout=POOL_TIMEOUT_SECONDS,
            connect_args={**POSTGRES_CONNECT_ARGS, "options": options},
        )
        _guard_calls(engine, WATCHDOG)
        _ping_after_idle(engine)
    _watch_statements(engine)
    return engine


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        hide_parameters=True,  # error text would otherwise carry end-user ids and note text
        connect_args={
            "check_same_thread": False,
            "timeout": SQLITE_JOB_BUSY_MS / 1000,
            "isolation_level": None,
        },
        pool_size=20,
        max_overflow=40,
        pool_timeout=POOL_TIMEOUT_SECONDS,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_JOB_BUSY_MS}")
        cursor.close()
        record.info["busy_ms"] = SQLITE_JOB_BUSY_MS

    # A request waits for the write lock only as long as its deadline; a job, much longer.
    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        seconds = scope.deadline()
        busy_ms = SQLITE_JOB_BUSY_MS if seconds is None else int(seconds * 1000)
        if record.info.get("busy_ms") != busy_ms:
            dbapi_connection.execute(f"PRAGMA busy_timeout={busy_ms}")
            record.info["busy_ms"] = busy_ms

    # Every transaction takes the write lock up front: a deferred transaction that reads and then
    # writes can fail at once with SQLITE_BUSY instead of waiting for the busy timeout.
    # A probe (`Database.ping`) only asks whether the database answers, so it never waits for the lock.
    # A read-only session (`Database.session(read_only=True)`) reads one snapshot without the lock:
    # in WAL mode readers never wait for the writer, nor it for them.
    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        options = connection.get_execution_options()
        if options.get(PROBE):
            return
        connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY) else "BEGIN IMMEDIATE")

    _note_failed_commits(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only if it sat idle in the pool over `IDLE_PING_SECONDS`.

    A failed ping discards the connection and every older one in the pool, and the pool connects
    anew (SQLAlchemy's `DisconnectionError` protocol), as `pool_pre_ping` did on every checkout.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since <= IDLE_PING_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            if not dialect.is_disconnect(exc, dbapi_connection, None):  # type: ignore[arg-type]
                raise
            alive = False
        if not alive:
            raise sa.exc.DisconnectionError("a pooled connection did not answer its ping")


_IDLE_SINCE = "crebot_idle_since"


def _watch_statements(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _before(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        scope.note_statement(statement)


def _note_failed_commits(engine: Engine) -> None:
    """A COMMIT that fails may have been applied all the same: the current scope is told so."""
    dialect = engine.dialect
    original = dialect.do_commit

    def do_commit(dbapi_connection: Any) -> None:
        try:
            original(dbapi_connection)
        except Exception:
            scope.note_commit_failed()
            raise

    dialect.do_commit = do_commit  # type: ignore[method-assign]


class _Watchdog:
    """Cuts a PostgreSQL connection whose call outlives the current scope's deadline.

    libpq waits for an answer for as long as the socket stays open, and a server that stopped
    answering (frozen, paused, behind a stalled proxy) keeps it open: only the client can give up.
    The watchdog shuts the socket down, so the waiting call fails at once with a connection error
    and SQLAlchemy discards the connection.

    One watchdog serves every engine of the process (`WATCHDOG`), and its thread runs only while
    calls are armed (it stops after `idle_ticks` ticks with none): a thread per engine, each
    ticking forever, made thousands of threads in a test run, which starved the others of the
    GIL (3,000 idle tickers made a CPU-bound loop 16 times slower).
    """

    def __init__(self, tick: float = WATCHDOG_TICK_SECONDS, idle_ticks: int = 50) -> None:
        self.tick = tick
        self.idle_ticks = idle_ticks
        self._armed: dict[int, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._running = False
        # A forked child has no thread and none of its parent's calls: cutting an inherited
        # descriptor would cut the parent's connection, and a lock held at the fork never opens.
        os.register_at_fork(after_in_child=self._forget_parent)

    def _forget_parent(self) -> None:
        self._lock = threading.Lock()
        self._armed = {}
        self._running = False

    def guard(self, dbapi_connection: Any, seconds: float | None) -> _Guarded:
        """A `with` block during which `dbapi_connection` is cut if it takes longer than `seconds`.

        Arming is a dict entry, nothing more: the watchdog looks every `tick` seconds instead of
        being woken for each statement (waking it per statement was a quarter of the CPU under
        load), so a call is cut at most one tick after its deadline.
        """
        return _Guarded(self, dbapi_connection, seconds)

    def arm(self, dbapi_connection: Any, seconds: float) -> int:
        key = id(dbapi_connection)
        with self._lock:
            self._armed[key] = (time.monotonic() + seconds, dbapi_connection.fileno())
            if not self._running:
                self._start()
        return key

    def disarm(self, key: int) -> None:
        with self._lock:
            self._armed.pop(key, None)

    def is_running(self) -> bool:
        """Whether the watchdog's thread runs (in this process)."""
        with self._lock:
            return self._running

    def _start(self) -> None:
        self._running = True
        threading.Thread(target=self._run, name="db-watchdog", daemon=True).start()

    def _run(self) -> None:
        idle = 0
        while True:
            time.sleep(self.tick)
            now = time.monotonic()
            with self._lock:  # the guarded call cannot return its connection meanwhile
                late = [key for key, (due, _fd) in self._armed.items() if due <= now]
                for key in late:
                    _shut_down(self._armed.pop(key)[1])
                idle = 0 if self._armed else idle + 1
                if idle >= self.idle_ticks:  # the next `arm` starts a thread again
                    self._running = False
                    return


WATCHDOG = _Watchdog()


class _Guarded:
    """`_Watchdog.guard`'s block (a class, not a generator: it runs around every statement)."""

    __slots__ = ("_connection", "_key", "_seconds", "_watchdog")

    def __init__(self, watchdog: _Watchdog, dbapi_connection: Any, seconds: float | None) -> None:
        self._watchdog = watchdog
        self._connection = dbapi_connection
        self._seconds = seconds
        self._key: int | None = None

    def __enter__(self) -> None:
        if self._seconds is not None:
            self._key = self._watchdog.arm(self._connection, self._seconds)

    def __exit__(self, *_exc: object) -> None:
        if self._key is not None:
            self._watchdog.disarm(self._key)


def _shut_down(fd: int) -> None:
    """Shut a connection's socket down (through a duplicate, so libpq's descriptor stays its own)."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    log.warning("database: a call got no answer within its deadline; the connection was cut")


def _guard_calls(engine: Engine, watchdog: _Watchdog) -> None:
    """Bound every round trip (statements, pings, commits, rollbacks) by the scope's deadline."""
    dialect = engine.dialect
    execute, execute_no_params, executemany = (
        dialect.do_execute,
        dialect.do_execute_no_params,
        dialect.do_executemany,
    )
    commit, rollback, ping = dialect.do_commit, dialect.do_rollback, dialect.do_ping

    def do_execute(cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        with watchdog.guard(cursor.connection, scope.deadline()):
            execute(cursor, statement, parameters, context)

    def do_execute_no_params(cursor: Any, statement: Any, context: Any = None) -> None:
        with watchdog.guard(cursor.connection, scope.deadline()):
            execute_no_params(cursor, statement, context)

    def do_executemany(cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        with watchdog.guard(cursor.connection, scope.deadline()):
            executemany(cursor, statement, parameters, context)

    def do_commit(dbapi_connection: Any) -> None:
        try:
            with watchdog.guard(dbapi_connection, scope.deadline()):
                commit(dbapi_connection)
        except Exception:
            scope.note_commit_failed()
            raise

    def do_rollback(dbapi_connection: Any) -> None:
        with watchdog.guard(dbapi_connection, scope.deadline()):
            rollback(dbapi_connection)

    def do_ping(dbapi_connection: Any) -> bool:
        seconds = scope.deadline()
        with watchdog.guard(dbapi_connection, min(seconds or PING_SECONDS, PING_SECONDS)):
            return bool(ping(dbapi_connection))

    dialect.do_execute = do_execute  # type: ignore[method-assign]
    dialect.do_execute_no_params = do_execute_no_params  # type: ignore[method-assign]
    dialect.do_executemany = do_executemany  # type: ignore[method-assign]
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    dialect.do_ping = do_ping  # type: ignore[method-assign]


class DatabaseUnavailable(Exception):
    """The database did not answer a moment ago: a request fails at once instead of waiting again."""


# SQLite's operational errors that mean "did not answer" (others, like a missing table, are bugs).
_SQLITE_UNAVAILABLE = ("locked", "busy", "disk i/o", "unable to open", "closed database")


def database_did_not_answer(error: BaseException) -> bool:
    """The database did not answer, or a COMMIT's outcome is unknown: the request may be retried."""
    current = scope.current()
    return is_unavailable(error) or (current is not None and current.commit_failed)


def _select_one(connection: sa.Connection) -> bool:
    connection.execute(sa.text("SELECT 1"))
    return True


def is_unavailable(error: BaseException) -> bool:
    """Whether an error means the database did not answer (down, cut, silent, locked, saturated)."""
    if isinstance(error, DatabaseUnavailable | sa.exc.TimeoutError):
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    if isinstance(error.orig, sqlite3.Error):
        return any(word in str(error.orig).lower() for word in _SQLITE_UNAVAILABLE)
    return True  # PostgreSQL: a connection failure, a timeout, a cancelled statement


class _Breaker:
    """After the database failed to answer, requests fail fast for a few seconds.

    Without it, every request in a burst waits out its own deadline on a silent database, holding a
    listener thread each, and the acks queued behind them miss Slack's 3 s. Jobs are not held back:
    they wait with their own, longer deadlines.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._until = 0.0

    def trip(self) -> None:
        self._until = time.monotonic() + self.seconds

    def is_open(self) -> bool:
        return time.monotonic() < self._until


def _error_kind(context: sa.engine.ExceptionContext) -> str:
    """disconnect, timeout, locked or other: the metric's label."""
    text = str(context.original_exception).lower()
    if "locked" in text or "busy" in text:
        return "locked"
    if "timeout" in text or "timed out" in text or "canceling statement" in text:
        return "timeout"
    if context.is_disconnect or context.connection is None:
        return "disconnect"
    return "other"


def _failed_to_answer(context: sa.engine.ExceptionContext) -> bool:
    """A lost or silent connection, a failed connect, or SQLite's lock not granted in time."""
    if context.is_disconnect or context.connection is None:
        return True
    original = context.original_exception
    return "database is locked" in str(original) or isinstance(original, sa.exc.TimeoutError)


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.url = normalize_database_url(url)
        self.engine = create_db_engine(self.url)
        self._read_engine = self.engine.execution_options(**{READ_ONLY: True})
        self.breaker = _Breaker(BREAKER_SECONDS)
        self._probe_lock = threading.Lock()
        self._probe: Future[Any] | None = None

        @event.listens_for(self.engine, "handle_error")
        def _on_error(context: sa.engine.ExceptionContext) -> None:
            metrics.DB_ERRORS.labels(_error_kind(context)).inc()
            if _failed_to_answer(context):
                self.breaker.trip()

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session that rolls back on error and is always closed; callers commit explicitly.

        In a request Slack is waiting on (a scope with a budget: a modal submission), while the
        database is known not to answer, this fails at once. Work after the ack waits its own
        deadline instead: on SQLite, a peer's write lock held too long under a burst opens the
        breaker, and failing every click behind it for seconds would turn contention into errors.
        `read_only`: the session only reads (on SQLite it then never waits for the write lock;
        a write in it may fail at once with "database is locked").
        """
        current = scope.current()
        if current is not None and current.until is not None and self.breaker.is_open():
            raise DatabaseUnavailable
        session = Session(self._read_engine if read_only else self.engine, expire_on_commit=False)
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self, timeout: float = PING_SECONDS) -> bool:
        """Whether the database answers a trivial query within `timeout` seconds."""
        return bool(self.answer_within(_select_one, timeout=timeout))

    def answer_within(self, ask: Callable[[sa.Connection], T], *, timeout: float) -> T | None:
        """What `ask` reads on a connection of its own, or None if the database does not answer in time.

        It runs in a thread of its own, so the caller has its answer in time even when connecting
        hangs; while one such question is still waiting, the next gets None at once (a health check
        polled every second never piles up threads on a silent database). The connection never
        waits for SQLite's write lock.
        """
        with self._probe_lock:
            if self._probe is not None and not self._probe.done():
                return None
            self._probe = pending = _PING_POOL.submit(self._ask_once, ask, timeout)
        try:
            return pending.result(timeout=timeout)
        except FutureTimeout:
            return None

    def _ask_once(self, ask: Callable[[sa.Connection], T], timeout: float) -> T | None:
        with scope.scoped(scope.Scope(kind="probe", deadline=timeout)):
            try:
                with self.engine.connect().execution_options(**{PROBE: True}) as connection:
                    return ask(connection)
            except sa.exc.SQLAlchemyError:
                return None

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
