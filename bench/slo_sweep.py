"""One SLO sweep over 100,000 open and 1,000,000 resolved escalations, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/slo_sweep.py [--database sqlite|postgresql|both] [--open 100000]
     [--resolved 1000000] [--crossing 200] [--open-small 10000] [--repeat 3] [--keep]

Fills a fresh, migrated database in bulk (the SLO columns computed by `bot.slo` itself), with
`--crossing` of the open escalations just past a threshold at the sweep instant. It then times the
sweep alone (`jobs.slo_sweep.sweep_slo`) at two numbers of open escalations, and one whole
`slo-sweep` run (`bot.scheduler.run_job`, which also delivers the posts to a fake Slack over HTTP),
counting SQL statements on the runtime's engine and Slack calls on the fake.

Targets: one sweep under 2 s (`sweep_slo` alone, and `run_job`'s claiming and sweeping; the
delivery of its posts is paced by Slack and reported beside it, not counted); a number of SQL
statements that does not grow with the number of open escalations; Slack calls only for the
escalations that crossed a threshold. bench/README.md has figures and what they showed.
PostgreSQL: postgresql://postgres@127.0.0.1:5432/bench_slo (created and dropped here).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.engine.interfaces import ExecuteStyle  # noqa: E402

from bot import migrate, slo  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.db import Database, UTCDateTime  # noqa: E402
from bot.models import Escalation, Status  # noqa: E402
from bot.outbox import DeliveryReport  # noqa: E402
from bot.policy import Policy, parse_policy  # noqa: E402
from bot.runtime import Runtime, make_web_client  # noqa: E402
from bot.scheduler import run_job  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.workspace.webapi import RecordedCall, RunningServer, SlackStandIn  # noqa: E402
from jobs.outbox_flush import flush_outbox  # noqa: E402
from jobs.slo_sweep import sweep_slo  # noqa: E402

TARGET_SECONDS = 2.0
TOKYO = ZoneInfo("Asia/Tokyo")
SWEEP_AT = datetime(2026, 12, 9, 15, 0, tzinfo=TOKYO).astimezone(UTC)  # a Wednesday, working hours
SWEEP_PERIOD = timedelta(minutes=10)  # crossings are placed inside the period that ends at SWEEP_AT
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "bench_slo"
POLICY_FILE = ROOT / "crebot.example.toml"
CS_AGENT = "U0CSAGENT"
CHUNK = 20_000
PROBE_INDEX = "ix_bench_probe_status_next_alert"  # tried on the bench database, then dropped
PROBE_COLUMNS = "(status, slo_next_alert_at)"
OPEN_PROTOTYPES = 10_000
RESOLVED_PROTOTYPES = 5_000
RESOLVED_WEEKS = 104  # resolved escalations span two years before the sweep

PRIORITIES = (("P1", 10), ("P2", 55), ("P3", 35))
OPEN_STATUSES = (
    (Status.OPEN, 15),
    (Status.ASSIGNED, 25),
    (Status.INVESTIGATING, 35),
    (Status.WAITING, 25),
)
PRODUCTS = ("album", "game", "market")
CATEGORIES = ("login", "billing", "data", "other")
CAUSES = ("bug", "spec", "user-operation", "data-fix", "infra", "third-party", "unknown")
SUMMARIES = (
    "Login fails after password reset",
    "Purchase not reflected after payment",
    "Photos missing after device change",
    "App crashes on start (Android 14)",
    "パスワード再設定後にログインできない",
    "購入したアイテムが反映されない",
    "機種変更後に写真が表示されない",
)

COLUMNS = (
    "id",
    "intake_key",
    "end_user_id",
    "product",
    "category",
    "priority",
    "summary",
    "details",
    "zendesk_ticket_id",
    "zendesk_url",
    "filed_by",
    "filed_at",
    "status",
    "assignee_id",
    "assigned_at",
    "channel_id",
    "message_ts",
    "version",
    "last_activity_at",
    "resolved_at",
    "resolved_by",
    "resolution_cause",
    "resolution_note",
    "slo_target_s",
    "slo_consumed_s",
    "slo_running_since",
    "slo_due_at",
    "slo_stage",
    "slo_next_alert_at",
    "resolution_business_s",
    "reminders_unanswered",
)
DATETIME_COLUMNS = tuple(
    i
    for i, name in enumerate(COLUMNS)
    if name.endswith("_at") or name in ("slo_running_since", "filed_at")
)

Row = dict[str, Any]


# -- the team and its SLO ----------------------------------------------------------------------


def load_policy() -> Policy:
    """The example policy: P1 4h, P2 2d, P3 5d, warnings at 50% and 80%, JP calendar."""
    return parse_policy(POLICY_FILE.read_text(), source=str(POLICY_FILE))


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _target_s(policy: Policy, priority: str) -> int:
    return int(policy.priority_target(priority).total_seconds())


def _marks(policy: Policy, priority: str) -> list[int]:
    """The business second of each threshold (warnings, then the breach)."""
    target = _target_s(policy, priority)
    return [slo.threshold_seconds(level, target) for level in slo.thresholds(policy, priority)]


def _stage_reached(policy: Policy, priority: str, consumed_s: int) -> int:
    """Warnings count from their mark; the breach only past the target (`slo.within_target`)."""
    *warnings, target = _marks(policy, priority)
    breached = not slo.within_target(timedelta(seconds=consumed_s), timedelta(seconds=target))
    return sum(1 for mark in warnings if consumed_s >= mark) + breached


def _scratch_escalation() -> Escalation:
    return Escalation(
        intake_key="bench:scratch",
        end_user_id="u-0",
        product=PRODUCTS[0],
        category=CATEGORIES[0],
        priority="P2",
        summary=SUMMARIES[0],
        filed_by=CS_AGENT,
        channel_id="C0",
    )


@dataclass
class Clockwork:
    """One reusable `Escalation` to run `bot.slo` on (building one per row costs ~0.1 ms)."""

    policy: Policy
    scratch: Escalation = field(default_factory=_scratch_escalation)

    def settle(
        self,
        *,
        priority: str,
        status: Status,
        consumed_s: int,
        stage: int,
        running_since: datetime | None,
        now: datetime,
    ) -> Row:
        """The SLO columns as `bot.slo` leaves them after a sweep at `now`."""
        e = self.scratch
        e.priority = priority
        e.status = status
        e.slo_target_s = _target_s(self.policy, priority)
        e.slo_consumed_s = consumed_s
        e.slo_stage = stage
        e.slo_running_since = running_since
        e.slo_due_at = e.slo_next_alert_at = None
        if running_since is None:
            e.slo_stage = _stage_reached(self.policy, priority, consumed_s)
        else:
            slo.advance(policy=self.policy, escalation=e, now=now)
        return {
            "slo_target_s": e.slo_target_s,
            "slo_consumed_s": e.slo_consumed_s,
            "slo_running_since": e.slo_running_since,
            "slo_due_at": e.slo_due_at,
            "slo_stage": e.slo_stage,
            "slo_next_alert_at": e.slo_next_alert_at,
        }


# -- generating rows ---------------------------------------------------------------------------


def _common(policy: Policy, row_id: int, rng: random.Random) -> Row:
    ticket = rng.randrange(100_000, 999_999) if rng.random() < 0.8 else None
    return {
        "id": row_id,
        "intake_key": f"bench:{row_id}",
        "end_user_id": f"u-{rng.randrange(1, 5_000_000)}",
        "product": rng.choice(PRODUCTS),
        "category": rng.choice(CATEGORIES),
        "summary": rng.choice(SUMMARIES),
        "details": "",
        "zendesk_ticket_id": ticket,
        "zendesk_url": f"{policy.zendesk_url}/agent/tickets/{ticket}" if ticket else None,
        "filed_by": CS_AGENT,
        "channel_id": policy.escalation_channel,
        "version": 1,
        "resolved_at": None,
        "resolved_by": None,
        "resolution_cause": None,
        "resolution_note": None,
        "resolution_business_s": None,
        "reminders_unanswered": 0,
    }


def _fake_ts(at: datetime, row_id: int) -> str:
    return f"{int(at.timestamp())}.{row_id % 1_000_000:06d}"


def resolved_prototypes(policy: Policy, *, at: datetime, rng: random.Random) -> list[Row]:
    """Escalations filed in the fortnight before `at` minus 8 days, resolved in business time."""
    calendar = policy.business_calendar
    window_start = at - timedelta(days=22)
    prototypes = []
    for _ in range(RESOLVED_PROTOTYPES):
        priority = _pick(rng, PRIORITIES)
        target = _target_s(policy, priority)
        filed = window_start + timedelta(seconds=rng.randrange(14 * 86_400))
        consumed = int(target * rng.lognormvariate(-0.9, 0.7))  # most well within, some over
        assigned = filed + timedelta(seconds=rng.randrange(60, 3_600))
        resolved = calendar.add(filed, timedelta(seconds=max(consumed, 60)))
        prototypes.append(
            {
                "priority": priority,
                "filed_at": filed,
                "assigned_at": assigned,
                "resolved_at": max(resolved, assigned + timedelta(minutes=1)),
                "slo_target_s": target,
                "slo_consumed_s": consumed,
                "slo_stage": _stage_reached(policy, priority, consumed),
            }
        )
    return prototypes


def resolved_rows(policy: Policy, *, ids: range, at: datetime, rng: random.Random) -> Iterator[Row]:
    """Resolved escalations over two years: prototypes shifted back by whole weeks."""
    prototypes = resolved_prototypes(policy, at=at, rng=rng)
    engineers = policy.engineer_ids
    for row_id in ids:
        proto = rng.choice(prototypes)
        shift = timedelta(weeks=rng.randrange(1, RESOLVED_WEEKS + 1))  # keeps weekday and hour
        engineer = rng.choice(engineers)
        resolved_at = proto["resolved_at"] - shift
        row = _common(policy, row_id, rng)
        row.update(
            priority=proto["priority"],
            filed_at=proto["filed_at"] - shift,
            status=str(Status.RESOLVED),
            assignee_id=engineer,
            assigned_at=proto["assigned_at"] - shift,
            message_ts=_fake_ts(proto["filed_at"] - shift, row_id),
            last_activity_at=resolved_at,
            resolved_at=resolved_at,
            resolved_by=engineer,
            resolution_cause=rng.choice(CAUSES),
            resolution_note="Fixed and confirmed with the customer.",
            slo_target_s=proto["slo_target_s"],
            slo_consumed_s=proto["slo_consumed_s"],
            slo_running_since=None,
            slo_due_at=None,
            slo_stage=proto["slo_stage"],
            slo_next_alert_at=None,
            resolution_business_s=proto["slo_consumed_s"],
        )
        yield row


def open_prototypes(policy: Policy, *, at: datetime, rng: random.Random) -> list[Row]:
    """Open escalations as the sweeps up to `at` have left them: none is due at `at`."""
    calendar = policy.business_calendar
    clockwork = Clockwork(policy)
    prototypes = []
    for _ in range(OPEN_PROTOTYPES):
        priority = _pick(rng, PRIORITIES)
        status = _pick(rng, OPEN_STATUSES)
        target = _target_s(policy, priority)
        filed = at - timedelta(seconds=600 + int(120 * 86_400 * rng.random() ** 2))
        running_since = None
        if status == Status.WAITING:  # paused: consumed only
            consumed = min(
                int(target * 1.3 * rng.random()), int(calendar.elapsed(filed, at).total_seconds())
            )
        elif rng.random() < 0.4:  # running since filing
            running_since, consumed = filed, 0
        else:  # resumed (after waiting on CS) in the last four days
            running_since = max(filed, at - timedelta(seconds=rng.randrange(4 * 86_400)))
            consumed = min(
                int(target * 0.9 * rng.random()),
                int(calendar.elapsed(filed, running_since).total_seconds()),
            )
        columns = clockwork.settle(
            priority=priority,
            status=status,
            consumed_s=consumed,
            stage=0,
            running_since=running_since,
            now=at,
        )
        assert columns["slo_next_alert_at"] is None or columns["slo_next_alert_at"] > at
        prototypes.append(
            {
                "priority": priority,
                "status": str(status),
                "filed_at": filed,
                "last_activity_at": running_since or filed,
                **columns,
            }
        )
    return prototypes


def crossing_row(
    policy: Policy, *, row_id: int, message_ts: str, at: datetime, rng: random.Random
) -> Row:
    """An escalation resumed today whose next threshold falls inside the sweep period ending at `at`."""
    calendar = policy.business_calendar
    priority = _pick(rng, PRIORITIES)
    marks = _marks(policy, priority)
    stage = rng.randrange(len(marks))
    gap = marks[stage] - (marks[stage - 1] if stage else 0)
    # strictly before `at`: a breach alert falls a microsecond after its mark
    alert_at = at - timedelta(seconds=rng.randrange(1, int(SWEEP_PERIOD.total_seconds()) - 60))
    hours = calendar.working_hours(alert_at.astimezone(calendar.tz).date())
    assert hours is not None, "the sweep instant must fall on a working day"
    assert hours[0] < alert_at < hours[1], "the sweep instant must fall in working hours"
    spent_today = rng.randrange(60, min(gap, int((alert_at - hours[0]).total_seconds())) + 1)
    resumed = alert_at - timedelta(seconds=spent_today)
    consumed = marks[stage] - spent_today
    status = _pick(rng, OPEN_STATUSES[:3])
    columns = Clockwork(policy).settle(
        priority=priority,
        status=status,
        consumed_s=consumed,
        stage=stage,
        running_since=resumed,
        now=resumed,
    )
    breach_offset = timedelta(microseconds=1) if stage == len(marks) - 1 else timedelta(0)
    assert columns["slo_next_alert_at"] == alert_at + breach_offset, (columns, alert_at)
    filed = resumed - timedelta(days=rng.randrange(1, 20)) if consumed else resumed
    row = _common(policy, row_id, rng)
    assignee = None if status == Status.OPEN else rng.choice(policy.engineer_ids)
    row.update(
        priority=priority,
        status=str(status),
        filed_at=filed,
        assignee_id=assignee,
        assigned_at=filed + timedelta(minutes=5) if assignee else None,
        message_ts=message_ts,
        last_activity_at=resumed,
        **columns,
    )
    return row


def open_rows(
    policy: Policy,
    *,
    ids: range,
    prototypes: Sequence[Row],
    crossing_ts: dict[int, str],
    at: datetime,
    rng: random.Random,
) -> Iterator[Row]:
    """Open escalations (replicated prototypes), the ones in `crossing_ts` placed to cross at `at`."""
    engineers = policy.engineer_ids
    for row_id in ids:
        if row_id in crossing_ts:
            yield crossing_row(
                policy, row_id=row_id, message_ts=crossing_ts[row_id], at=at, rng=rng
            )
            continue
        proto = rng.choice(prototypes)
        row = _common(policy, row_id, rng)
        row.update(proto)
        assignee = None if proto["status"] == Status.OPEN else rng.choice(engineers)
        row.update(
            assignee_id=assignee,
            assigned_at=proto["filed_at"] + timedelta(minutes=5) if assignee else None,
            message_ts=_fake_ts(proto["filed_at"], row_id),
        )
        yield row


# -- loading rows in bulk ----------------------------------------------------------------------


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sqlite_datetime(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME text: naive UTC, always with microseconds (checked below).
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def check_sqlite_datetime_format(engine: Engine) -> None:
    """Fail early if the hand-formatted timestamps differ from what the bot's column type writes."""
    process = UTCDateTime().dialect_impl(engine.dialect).bind_processor(engine.dialect)
    assert process is not None
    for sample in (SWEEP_AT, SWEEP_AT + timedelta(microseconds=1)):
        assert process(sample) == _sqlite_datetime(sample), (process(sample), sample)


def load_sqlite(engine: Engine, rows: Iterable[Row]) -> int:
    """INSERT executemany in chunks, in one transaction."""
    placeholders = ", ".join("?" for _ in COLUMNS)
    statement = f"INSERT INTO escalation ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    count = 0
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA cache_size = -1000000")  # 1 GB for index building
        for chunk in _chunks(rows, CHUNK):
            values = []
            for row in chunk:
                value = [row[name] for name in COLUMNS]
                for i in DATETIME_COLUMNS:
                    if value[i] is not None:
                        value[i] = _sqlite_datetime(value[i])
                values.append(tuple(value))
            connection.exec_driver_sql(statement, values)
            count += len(values)
    raw = engine.raw_connection()  # outside a transaction: the bot's engine opens every one
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    return count


def load_postgres(url: str, rows: Iterable[Row]) -> int:
    """COPY … FROM STDIN through psycopg, then ANALYZE (autovacuum would, a minute later)."""
    count = 0
    with psycopg.connect(url) as connection:
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY escalation ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[name] for name in COLUMNS])
                    count += 1
            cursor.execute("SELECT setval('escalation_id_seq', (SELECT max(id) FROM escalation))")
        connection.commit()
        connection.autocommit = True
        connection.execute("ANALYZE escalation")
    return count


# -- databases ---------------------------------------------------------------------------------


@contextmanager
def fresh_database(kind: str, *, keep: bool) -> Iterator[str]:
    """A new, migrated database URL (SQLite file in a temp dir, or PostgreSQL `bench_slo`)."""
    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="bench-slo-"))
        url = f"sqlite:///{directory}/crebot.db"
        try:
            migrate.upgrade(url)
            yield url
        finally:
            if keep:
                print(f"kept {url}")
            else:
                shutil.rmtree(directory, ignore_errors=True)
        return
    admin = f"{POSTGRES_SERVER}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {POSTGRES_DATABASE}")
    url = f"{POSTGRES_SERVER}/{POSTGRES_DATABASE}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        if not keep:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")


# -- counting ----------------------------------------------------------------------------------


@dataclass
class StatementCount:
    """SQL statements sent to the database (an executemany or a multi-row batch counts once)."""

    statements: int = 0
    parameter_sets: int = 0
    by_verb: Counter[str] = field(default_factory=Counter)
    executed: list[tuple[str, Any]] = field(default_factory=list)

    def verbs(self) -> str:
        """E.g. "SELECT escalation 1, UPDATE escalation 1, INSERT outbox 1"."""
        return ", ".join(f"{verb} {n}" for verb, n in self.by_verb.most_common())


_TABLE = re.compile(r"\b(?:INTO|UPDATE|FROM)\s+(\w+)", re.IGNORECASE)


def _verb_and_table(statement: str) -> str:
    """The statement's verb and first table, e.g. INSERT escalation_event (or just BEGIN)."""
    verb = statement.split(None, 1)[0].upper()
    table = _TABLE.search(statement)
    return f"{verb} {table.group(1)}" if table else verb


@contextmanager
def counting_statements(engine: Engine) -> Iterator[StatementCount]:
    """Count every statement the engine sends while the block runs."""
    count = StatementCount()
    batched: set[int] = set()

    def on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        count.statements += 1
        count.by_verb[_verb_and_table(statement)] += 1
        count.executed.append((statement, parameters))
        if context is not None and context.execute_style is ExecuteStyle.INSERTMANYVALUES:
            # one multi-row INSERT … VALUES batch; count the rows of the whole execution once
            if id(context) not in batched:
                batched.add(id(context))
                count.parameter_sets += len(context.compiled_parameters)
        else:
            count.parameter_sets += len(parameters) if many else 1

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


@dataclass
class Measurement:
    """One timed run: wall time, what the job said, SQL statements, Slack calls by method."""

    label: str
    seconds: float
    detail: str
    sql: StatementCount
    slack_calls: list[RecordedCall]

    def slack_by_method(self) -> str:
        """E.g. "chat.postMessage 340, chat.update 200" (or "none")."""
        methods = Counter(call.method for call in self.slack_calls)
        return ", ".join(f"{m} {n}" for m, n in methods.most_common()) or "none"


def measure(
    label: str, run: Callable[[], str], *, engine: Engine, standin: SlackStandIn
) -> Measurement:
    """Run once, timing it and counting its SQL statements and Slack calls."""
    first_call = len(standin.calls)
    with counting_statements(engine) as sql:
        began = time.perf_counter()
        detail = run()
        seconds = time.perf_counter() - began
    return Measurement(label, seconds, detail, sql, list(standin.calls[first_call:]))


# -- the bench ---------------------------------------------------------------------------------


@dataclass
class Bench:
    """One database filled for the bench, with its runtime and fake Slack."""

    kind: str
    url: str
    policy: Policy
    standin: SlackStandIn
    server: RunningServer
    runtime: Runtime
    crossing_ids: list[int]
    crossing_ts: dict[int, str]
    saved: list[Row] = field(default_factory=list)
    deliveries: list[tuple[float, DeliveryReport]] = field(default_factory=list)

    def __post_init__(self) -> None:
        deliver = self.runtime.deliverer.deliver_due

        def timed(**kwargs: Any) -> DeliveryReport:
            began = time.perf_counter()
            report = deliver(**kwargs)
            self.deliveries.append((time.perf_counter() - began, report))
            return report

        self.runtime.deliverer.deliver_due = timed  # type: ignore[method-assign]

    @property
    def engine(self) -> Engine:
        """The runtime's engine (the one the sweep uses)."""
        return self.runtime.db.engine

    def save_crossing_state(self) -> None:
        """Remember the crossing rows' SLO columns, to put them back after each measured sweep."""
        table = Escalation.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as connection:
            result = connection.execute(
                sa.select(
                    table.c.id.label("row_id"),
                    table.c.slo_stage,
                    table.c.slo_next_alert_at,
                    table.c.slo_due_at,
                    table.c.version,
                ).where(table.c.id.in_(self.crossing_ids))
            )
            self.saved = [dict(r._mapping) for r in result]
            connection.rollback()

    def undo_sweep(self) -> None:
        """Put the crossing rows back and forget the posts, timeline entries and job claims."""
        table = Escalation.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as connection:
            if self.saved:
                connection.execute(
                    sa.update(table)
                    .where(table.c.id == sa.bindparam("row_id"))
                    .values(
                        slo_stage=sa.bindparam("slo_stage"),
                        slo_next_alert_at=sa.bindparam("slo_next_alert_at"),
                        slo_due_at=sa.bindparam("slo_due_at"),
                        version=sa.bindparam("version"),
                    ),
                    self.saved,
                )
            for name in ("outbox", "escalation_event", "job_run"):
                connection.execute(sa.text(f"DELETE FROM {name}"))

    def sweep_only(self, label: str) -> Measurement:
        """`sweep_slo` alone: find, advance, save, enqueue (no Slack delivery)."""
        measured = measure(
            label,
            lambda: sweep_slo(runtime=self.runtime, at=SWEEP_AT),
            engine=self.engine,
            standin=self.standin,
        )
        self.undo_sweep()
        return measured

    def whole_job(self) -> Measurement:
        """`run_job("slo-sweep")`: claim the period, sweep, deliver the posts over HTTP."""
        self.deliveries.clear()
        return measure(
            "run_job slo-sweep (with delivery)",
            lambda: run_job(runtime=self.runtime, name="slo-sweep", at=SWEEP_AT),
            engine=self.engine,
            standin=self.standin,
        )

    def flush_rest(self) -> Measurement:
        """The next outbox-flush: whatever `run_job` left undelivered."""
        return measure(
            "outbox-flush (the rest)",
            lambda: flush_outbox(runtime=self.runtime, at=SWEEP_AT + timedelta(minutes=1)),
            engine=self.engine,
            standin=self.standin,
        )

    def explain_due_query(self, sql: StatementCount, *, label: str) -> list[str]:
        """The plan (and, on PostgreSQL, the run) of the due-crossings query the sweep sent."""
        statement, parameters = next(
            (s, p) for s, p in sql.executed if "slo_next_alert_at <=" in s and "SELECT" in s
        )
        prefix = "EXPLAIN QUERY PLAN " if self.kind == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
        timings = []
        with self.engine.connect() as connection:
            for _ in range(3):
                began = time.perf_counter()
                rows = connection.exec_driver_sql(statement, parameters).all()
                timings.append(time.perf_counter() - began)
                connection.rollback()
            plan = connection.exec_driver_sql(prefix + statement, parameters).all()
            connection.rollback()
        lines = [
            f"due-crossings query, {label}: {len(rows)} rows, "
            f"best of 3 {min(timings) * 1000:.1f} ms"
        ]
        lines += ["  " + " ".join(str(v) for v in row) for row in plan]
        return lines

    def explain_with_due_index(self, sql: StatementCount) -> list[str]:
        """The same query with the index recommended for it, (status, slo_next_alert_at)."""
        with self.engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE INDEX {PROBE_INDEX} ON escalation {PROBE_COLUMNS}")
            if self.kind == "postgresql":
                connection.exec_driver_sql("ANALYZE escalation")
        try:
            return self.explain_due_query(sql, label=f"with an index on {PROBE_COLUMNS}")
        finally:
            with self.engine.begin() as connection:
                connection.exec_driver_sql(f"DROP INDEX {PROBE_INDEX}")


def start_slack(policy: Policy) -> tuple[SlackStandIn, RunningServer]:
    """The fake Slack with the team, the escalation channel, served over HTTP."""
    standin = SlackStandIn()
    for user_id in (policy.roster.lead, *policy.engineer_ids, CS_AGENT):
        standin.add_user(user_id, user_id.lower())
    standin.add_channel(policy.escalation_channel, "cre-escalations")
    return standin, standin.serve()


def build_runtime(url: str, policy: Policy, server: RunningServer) -> Runtime:
    """The bot's runtime on the bench database and the fake Slack, its clock at the sweep instant."""
    settings = Settings(
        slack_bot_token=SecretStr("xoxb-bench"),
        slack_api_url=server.base_url,
        database_url=url,
        _env_file=None,  # type: ignore[call-arg]
    )
    client = make_web_client(settings.bot_token(), base_url=settings.slack_api_url)
    return Runtime(
        settings=settings,
        policy=policy,
        db=Database(url),
        client=client,
        clock=ManualClock(SWEEP_AT),
    )


def post_cards(runtime: Runtime, ids: Sequence[int]) -> dict[int, str]:
    """Post the crossing escalations' cards first, so their updates and thread replies can land."""
    channel = runtime.policy.escalation_channel
    return {
        row_id: str(runtime.client.chat_postMessage(channel=channel, text=f"ESC-{row_id}")["ts"])
        for row_id in ids
    }


@dataclass
class Result:
    """What one database run measured."""

    kind: str
    fill_lines: list[str]
    small: list[Measurement]
    full: list[Measurement]
    job: Measurement
    job_delivery: tuple[float, DeliveryReport]
    rest: Measurement
    explain: list[str]
    slack_check: tuple[bool, str]
    open_small: int
    open_full: int
    problems: list[str]


def load(kind: str, engine: Engine, url: str, rows: Iterable[Row]) -> int:
    """Bulk-load rows into the escalation table."""
    return load_sqlite(engine, rows) if kind == "sqlite" else load_postgres(url, rows)


def run_database(kind: str, args: argparse.Namespace) -> Result:
    """Fill one database, measure the sweep at two sizes and the whole job, check Slack calls."""
    policy = load_policy()
    rng = random.Random(20261209)
    fill_lines: list[str] = []
    with fresh_database(kind, keep=args.keep) as url:
        standin, server = start_slack(policy)
        runtime = build_runtime(url, policy, server)
        engine = runtime.db.engine
        if kind == "sqlite":
            check_sqlite_datetime_format(engine)
        runtime.workspace_url()  # auth.test: asked once per process, then cached
        first_open = args.resolved + 1
        small = min(args.open_small, args.open)
        crossing_ids = list(range(first_open, first_open + min(args.crossing, small)))
        crossing_ts = post_cards(runtime, crossing_ids)
        bench = Bench(kind, url, policy, standin, server, runtime, crossing_ids, crossing_ts)

        began = time.perf_counter()
        loaded = load(
            kind, engine, url, resolved_rows(policy, ids=range(1, first_open), at=SWEEP_AT, rng=rng)
        )
        fill_lines.append(f"{loaded:,} resolved in {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        prototypes = open_prototypes(policy, at=SWEEP_AT, rng=rng)
        fill_lines.append(
            f"{len(prototypes):,} open prototypes through bot.slo in "
            f"{time.perf_counter() - began:.1f} s"
        )

        def fill_open(ids: range) -> None:
            began = time.perf_counter()
            rows = open_rows(
                policy,
                ids=ids,
                prototypes=prototypes,
                crossing_ts=crossing_ts,
                at=SWEEP_AT,
                rng=rng,
            )
            loaded = load(kind, engine, url, rows)
            fill_lines.append(f"{loaded:,} open in {time.perf_counter() - began:.1f} s")

        fill_open(range(first_open, first_open + small))
        bench.save_crossing_state()
        small_runs = [bench.sweep_only(f"sweep_slo, {small:,} open") for _ in range(args.repeat)]
        fill_open(range(first_open + small, first_open + args.open))
        full_runs = [bench.sweep_only(f"sweep_slo, {args.open:,} open") for _ in range(args.repeat)]
        explain = bench.explain_due_query(full_runs[0].sql, label="as migrated")
        explain += bench.explain_with_due_index(full_runs[0].sql)
        job = bench.whole_job()
        [job_delivery] = bench.deliveries
        rest = bench.flush_rest()
        slack_check = check_slack_calls(bench, [*job.slack_calls, *rest.slack_calls])
        problems = list(standin.problems)
        fill_lines.append(distribution(engine))
        server.stop()
        runtime.db.dispose()
    return Result(
        kind,
        fill_lines,
        small_runs,
        full_runs,
        job,
        job_delivery,
        rest,
        explain,
        slack_check,
        small,
        args.open,
        problems,
    )


def distribution(engine: Engine) -> str:
    """How the open escalations stand: running with a future alert, breached, paused."""
    table = Escalation.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                table.c.status,
                (table.c.slo_next_alert_at.is_not(None)).label("alert"),
                sa.func.count(),
            )
            .where(table.c.status != Status.RESOLVED)
            .group_by(table.c.status, sa.text("2"))
        ).all()
        connection.rollback()
    scheduled = sum(n for _, alert, n in rows if alert)
    paused = sum(n for status, _, n in rows if status == Status.WAITING)
    total = sum(n for *_, n in rows)
    return (
        f"open: {total:,} ({scheduled:,} with a next alert ahead, {total - scheduled - paused:,} "
        f"running past every threshold, {paused:,} waiting on CS)"
    )


def check_slack_calls(bench: Bench, calls: Sequence[RecordedCall]) -> tuple[bool, str]:
    """Every call is a card update, thread reply or warning for a crossing escalation, each once."""
    crossing_ts = set(bench.crossing_ts.values())
    table = Escalation.__table__  # type: ignore[attr-defined]
    with bench.engine.connect() as connection:
        stages = connection.execute(
            sa.select(table.c.priority, table.c.slo_stage).where(table.c.id.in_(bench.crossing_ids))
        ).all()
        connection.rollback()
    breaches = sum(
        1 for priority, stage in stages if stage == len(slo.thresholds(bench.policy, priority))
    )
    warnings = len(crossing_ts) - breaches
    updates = Counter(c.args.get("ts") for c in calls if c.method == "chat.update")
    posts = [c for c in calls if c.method == "chat.postMessage"]
    replies = Counter(c.args.get("thread_ts") for c in posts if c.args.get("thread_ts"))
    direct = [c for c in posts if not c.args.get("thread_ts")]
    others = [c.method for c in calls if c.method not in ("chat.update", "chat.postMessage")]
    ok = (
        set(updates) == crossing_ts
        and set(updates.values()) <= {1}
        and set(replies) == crossing_ts
        and set(replies.values()) <= {1}
        and len(direct) == warnings
        and not others
        and all(
            c.status == 200 and isinstance(c.response, dict) and c.response.get("ok") for c in calls
        )
    )
    detail = (
        f"{len(calls)} calls for {len(crossing_ts)} crossings ({warnings} warnings, {breaches} "
        f"breaches): {sum(updates.values())} card updates, {sum(replies.values())} thread "
        f"replies, {len(direct)} warnings to assignee/channel, other methods: {others or 'none'}"
    )
    return ok, detail


# -- report ------------------------------------------------------------------------------------


def _best(runs: Sequence[Measurement]) -> float:
    return min(r.seconds for r in runs)


def report(result: Result) -> list[bool]:
    """Print one database's figures and verdicts; returns the three verdicts."""
    print(f"\n=== {result.kind} ===")
    print("fill: " + "; ".join(result.fill_lines))
    header = f"{'run':<38} {'first s':>8} {'best s':>7} {'stmts':>6} {'params':>7}  slack calls"
    print(header)
    print("-" * len(header))
    for runs in (result.small, result.full, [result.job], [result.rest]):
        first = runs[0]
        print(
            f"{first.label:<38} {first.seconds:>8.3f} {_best(runs):>7.3f} "
            f"{first.sql.statements:>6} {first.sql.parameter_sets:>7}  {first.slack_by_method()}"
        )
    print(f"  sweep says: {result.job.detail!r}; outbox-flush says: {result.rest.detail!r}")
    seconds, delivered = result.job_delivery
    print(
        f"  run_job = {result.job.seconds - seconds:.3f} s claiming and sweeping + {seconds:.3f} s "
        f"delivering {delivered.sent} posts ({seconds / max(delivered.sent, 1) * 1000:.1f} ms a post; "
        f"deliver_due takes at most 500 rows a pass, the rest go with the next outbox-flush)"
    )
    print(f"  statements of one sweep_slo: {result.full[0].sql.verbs()}")
    print(f"  statements of run_job:       {result.job.sql.verbs()}")
    for line in result.explain:
        print("  " + line)
    small_counts = sorted({r.sql.statements for r in result.small})
    full_counts = sorted({r.sql.statements for r in result.full})
    print(
        f"statements by open count: {result.open_small:,} open -> {small_counts}, "
        f"{result.open_full:,} open -> {full_counts}"
    )
    # The target is for one sweep: finding what crossed, recording it and promising its posts.
    # Delivering the posts is paced by Slack (about one message a second per channel) and is
    # reported beside it; the outbox sends them right after, and retries what fails.
    sweep_seconds = result.job.seconds - result.job_delivery[0]
    fast = max(result.full[0].seconds, sweep_seconds) < TARGET_SECONDS
    constant = small_counts == full_counts and len(full_counts) == 1
    slack_ok, slack_detail = result.slack_check
    slack_ok = slack_ok and not result.problems
    print(
        f"target: one sweep < {TARGET_SECONDS:g} s: {'PASS' if fast else 'FAIL'} (sweep alone "
        f"{result.full[0].seconds:.3f} s first, {_best(result.full):.3f} s best; in run_job "
        f"{sweep_seconds:.3f} s, then {result.job_delivery[0]:.3f} s delivering its posts)"
    )
    print(f"statements constant in open count: {'PASS' if constant else 'FAIL'}")
    print(f"Slack calls only for crossings: {'PASS' if slack_ok else 'FAIL'} ({slack_detail})")
    for problem in result.problems[:5]:
        print(f"  fake Slack would reject: {problem}")
    return [fast, constant, slack_ok]


def main() -> None:
    """Run the bench on the chosen databases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--open", type=int, default=100_000, help="open escalations")
    parser.add_argument("--resolved", type=int, default=1_000_000, help="resolved escalations")
    parser.add_argument("--crossing", type=int, default=200, help="open ones crossing a threshold")
    parser.add_argument(
        "--open-small", type=int, default=10_000, help="the smaller open count to compare with"
    )
    parser.add_argument("--repeat", type=int, default=3, help="sweep-only runs per size")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    print(
        f"sweep at {SWEEP_AT.astimezone(TOKYO):%Y-%m-%d %H:%M %Z}; {args.open:,} open, "
        f"{args.resolved:,} resolved, {args.crossing:,} crossing; Python {sys.version.split()[0]}"
    )
    verdicts = [report(run_database(kind, args)) for kind in kinds]
    sys.exit(0 if all(all(v) for v in verdicts) else 1)


if __name__ == "__main__":
    main()
