"""One stale-reminders run over 10,000 stale escalations across 50 engineers, SQLite and PostgreSQL.

Run: .venv/bin/python bench/reminders.py [--database sqlite|postgresql|both] [--stale 10000]
     [--engineers 50] [--ignored 30] [--unassigned 40] [--stale-small 1000] [--repeat 3] [--keep]

Fills a fresh, migrated database in bulk with a team of `--engineers` (a policy generated from
`crebot.example.toml`'s shape), `--stale` stale escalations spread over all of them (some already
reminded on earlier days, most of those due again today and a share still backing off, which this
run must leave alone; `--ignored` of them reminded `escalate_after` times without an answer, so
this run, the one after their last reminder, tells the lead and reminds them no more; some get
their `escalate_after`-th reminder in this run, which must not tell the lead yet),
some that are not stale yet, some snoozed, some waiting on CS, `--unassigned` open ones nobody
claimed in time, and 100,000 resolved ones as history. It then times the job's own work alone
(`jobs.stale_reminders.send_stale_reminders`) at `--stale-small` and at `--stale` stale
escalations, and one whole `stale-reminders` run (`bot.scheduler.run_job`, which delivers the
posts to a fake Slack over HTTP), counting SQL statements on the runtime's engine and Slack calls
on the fake; then runs the job again the same day (as an operator would, `manual=True`).

Expected: one DM per engineer with escalations due a reminder, one DM telling the lead, one post
listing the unclaimed queue, nothing else but the process's one `auth.test`; a number of SQL statements
that does not grow with the number of stale escalations; nothing new on the second run.
bench/README.md has figures and what they showed.
PostgreSQL: postgresql://postgres@127.0.0.1:5432/bench_reminders (created and dropped here).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
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

from bot import migrate, slo  # noqa: E402
from bot.blocks.reminders import ITEM_BLOCK_PREFIX, reminded_ids  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.models import Escalation, Status  # noqa: E402
from bot.outbox import OUTBOX_EVENT, DeliveryReport, pending_count  # noqa: E402
from bot.policy import Policy, parse_policy  # noqa: E402
from bot.reminders import backoff  # noqa: E402
from bot.runtime import Runtime, make_web_client  # noqa: E402
from bot.scheduler import run_job  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.workspace.webapi import RecordedCall, RunningServer, SlackStandIn  # noqa: E402
from jobs.stale_reminders import send_stale_reminders  # noqa: E402

TOKYO = ZoneInfo("Asia/Tokyo")
RUN_AT = datetime(2026, 12, 10, 10, 0, tzinfo=TOKYO).astimezone(UTC)  # a Thursday, reminders.at
TODAY = RUN_AT.astimezone(TOKYO).date()
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "bench_reminders"
EXAMPLE_POLICY = ROOT / "crebot.example.toml"
LEAD = "U0LEADSATO"
CS_AGENT = "U0CSAGENT"
NOT_STALE = 2_000  # assigned or investigating, active within the last day
SNOOZED = 500  # stale, but snoozed past the run: must be skipped
WAITING = 1_000  # waiting on CS: never reminded
OPEN_FRESH = 100  # open, filed minutes ago: not yet overdue for the queue post
LEAD_TOLD_SHARE = 0.02  # stale ones whose lead was told on an earlier day (not told again)
RESTING_SHARE = 0.25  # stale ones with unanswered reminders whose last was the previous working day
EXPIRED_SNOOZE_SHARE = 0.03  # stale ones whose snooze ended before the run (reminded again)
CHUNK = 20_000
RESOLVED_PROTOTYPES = 2_000
BUSY_BENCHES = "bench/(ack_latency|slo_sweep|digest|lookup).py"
QUIET_POLL_SECONDS = 10
QUIET_WAIT_SECONDS = 15 * 60

PRIORITIES = (("P1", 10), ("P2", 55), ("P3", 35))
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
    "stale_at",
    "unassigned_alert_at",
    "snoozed_until",
    "reminders_unanswered",
    "last_reminded_on",
    "lead_told_at",
)
REMINDER_STATE = ("last_reminded_on", "reminders_unanswered", "lead_told_at", "version")

Row = dict[str, Any]


# -- the team ------------------------------------------------------------------------------------


def engineer_id(number: int) -> str:
    """U0ENG001, U0ENG002, …"""
    return f"U0ENG{number:03d}"


def policy_text(engineers: int, rng: random.Random) -> str:
    """The example policy in English with its roster replaced by `engineers` engineers."""
    example = EXAMPLE_POLICY.read_text()
    lines = ["[roster]", f'lead = "{LEAD}"', ""]
    for number in range(1, engineers + 1):
        lines += ["[[roster.engineers]]", f'user = "{engineer_id(number)}"']
        lines.append(f'name = "Engineer {number}"')
        if rng.random() < 0.7:  # the rest cover everything
            products = rng.sample(PRODUCTS, rng.randint(1, 2))
            categories = rng.sample(CATEGORIES, rng.randint(0, 2))
            lines.append(f"products = {json.dumps(products)}")
            lines.append(f"categories = {json.dumps(categories)}")
        lines.append("")
    roster = "\n".join(lines)
    text, replaced = re.subn(r"(?ms)^\[roster\]\n.*?(?=^\[assignment\])", roster + "\n", example)
    assert replaced == 1, "crebot.example.toml no longer has [roster] before [assignment]"
    return re.sub(r'(?m)^language = "\w+"', 'language = "en"', text)


def load_policy(engineers: int) -> Policy:
    """The generated policy, parsed and validated like `crebot check-config` would."""
    policy = parse_policy(policy_text(engineers, random.Random(engineers)), source="bench")
    assert len(policy.engineer_ids) == engineers
    assert policy.reminders.escalate_after >= 2, "the bench needs escalate_after of 2 or more"
    return policy


# -- generating rows -----------------------------------------------------------------------------


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _fake_ts(at: datetime, row_id: int) -> str:
    return f"{int(at.timestamp())}.{row_id % 1_000_000:06d}"


@dataclass
class Population:
    """What was loaded, as the generator intended it: the expected outcome of the run."""

    stale: dict[str, list[tuple[datetime, int]]] = field(default_factory=lambda: defaultdict(list))
    resting: set[int] = field(default_factory=set)  # stale, not due: backing off, or the lead's
    ignored: set[int] = field(default_factory=set)
    last_reminder: set[int] = field(default_factory=set)  # the escalate_after-th reminder today
    reminders_before: dict[int, int] = field(default_factory=dict)  # unanswered, as loaded
    lead_told: set[int] = field(default_factory=set)
    expired_snooze: set[int] = field(default_factory=set)
    snoozed: set[int] = field(default_factory=set)
    not_stale: set[int] = field(default_factory=set)
    unassigned: set[int] = field(default_factory=set)

    @property
    def stale_count(self) -> int:
        """Stale escalations due a reminder today."""
        return sum(len(items) for items in self.stale.values())

    def stale_ids(self) -> set[int]:
        """Every stale escalation's id."""
        return {row_id for items in self.stale.values() for _, row_id in items}

    def shown_ids(self) -> set[int]:
        """The stale escalations the DMs show (each engineer's DM_ROOM oldest): the ones reminded."""
        return {row_id for items in self.stale.values() for _, row_id in sorted(items)[:DM_ROOM]}

    def channel_posts(self) -> int:
        """The lead's DM (when some are ignored) and the queue post (when some are unclaimed)."""
        return int(bool(self.ignored)) + int(bool(self.unassigned))


@dataclass
class RowMaker:
    """Escalation rows consistent with `bot.reminders` and `bot.slo` at the run instant."""

    policy: Policy
    rng: random.Random
    at: datetime
    population: Population
    next_id: int = 1
    weights: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.weights = [0.5 + 2 * self.rng.random() for _ in self.policy.engineer_ids]

    def _take_id(self) -> int:
        row_id = self.next_id
        self.next_id += 1
        return row_id

    def _common(self, row_id: int) -> Row:
        rng = self.rng
        ticket = rng.randrange(100_000, 999_999) if rng.random() < 0.8 else None
        row: Row = dict.fromkeys(COLUMNS)
        row.update(
            id=row_id,
            intake_key=f"bench:{row_id}",
            end_user_id=f"u-{rng.randrange(1, 5_000_000)}",
            product=rng.choice(PRODUCTS),
            category=rng.choice(CATEGORIES),
            priority=_pick(rng, PRIORITIES),
            summary=rng.choice(SUMMARIES),
            details="",
            zendesk_ticket_id=ticket,
            zendesk_url=f"{self.policy.zendesk_url}/agent/tickets/{ticket}" if ticket else None,
            filed_by=CS_AGENT,
            channel_id=self.policy.escalation_channel,
            version=1,
            slo_consumed_s=0,
            slo_stage=0,
            reminders_unanswered=0,
        )
        return row

    def _stale_at(self, last_activity: datetime) -> datetime:
        stale_after = self.policy.business_duration(self.policy.reminders.stale_after)
        return self.policy.business_calendar.add(last_activity, stale_after)

    def _running_slo(self, row: Row, filed: datetime) -> None:
        """SLO columns of an escalation whose clock has run since filing (as sweeps left them)."""
        calendar = self.policy.business_calendar
        priority = row["priority"]
        target = int(self.policy.priority_target(priority).total_seconds())
        marks = [
            slo.threshold_seconds(level, target) for level in slo.thresholds(self.policy, priority)
        ]
        consumed_now = int(calendar.elapsed(filed, self.at).total_seconds())
        stage = sum(1 for mark in marks if consumed_now >= mark)
        row.update(
            slo_target_s=target,
            slo_running_since=filed,
            slo_due_at=calendar.add(filed, timedelta(seconds=target)),
            slo_stage=stage,
            slo_next_alert_at=(
                calendar.add(filed, timedelta(seconds=marks[stage])) if stage < len(marks) else None
            ),
        )

    def _assigned(
        self, row: Row, *, engineer: str, last_activity: datetime, status: Status
    ) -> None:
        filed = last_activity - timedelta(seconds=self.rng.randrange(0, 10 * 86_400))
        row.update(
            filed_at=filed,
            status=str(status),
            assignee_id=engineer,
            assigned_at=filed,
            message_ts=_fake_ts(filed, row["id"]),
            last_activity_at=last_activity,
        )
        row["unassigned_alert_at"] = self.policy.business_calendar.add(
            filed, self.policy.business_duration(self.policy.reminders.unassigned_after)
        )
        self._running_slo(row, filed)
        row["stale_at"] = self._stale_at(last_activity)

    def _quiet_since(self, earlier_reminders: int) -> datetime:
        """A last activity whose stale instant leaves room for `earlier_reminders` reminders,
        backing off (`bot.reminders.backoff` working days after each)."""
        calendar = self.policy.business_calendar
        latest_stale = self.at
        room = sum(backoff(n) for n in range(1, earlier_reminders + 1))
        for _ in range(room):  # each earlier reminder was on an earlier working day
            day = latest_stale.astimezone(calendar.tz).date() - timedelta(days=1)
            while not calendar.is_working_day(day):
                day -= timedelta(days=1)
            latest_stale = datetime.combine(day, self.at.astimezone(calendar.tz).timetz())
        days = 2.5 + 1.5 * earlier_reminders + 40 * self.rng.random() ** 2
        last_activity = self.at - timedelta(days=days)
        while self._stale_at(last_activity) > latest_stale:
            last_activity -= timedelta(hours=6)
        return last_activity

    def _working_days_before(self, n: int) -> date:
        calendar = self.policy.business_calendar
        day = TODAY
        for _ in range(n):
            day -= timedelta(days=1)
            while not calendar.is_working_day(day):
                day -= timedelta(days=1)
        return day

    def _previous_working_day(self) -> date:
        return self._working_days_before(1)

    def stale(self, count: int, *, ignored: int) -> Iterator[Row]:
        """Stale escalations over all engineers (each has one due today at least), `ignored` past
        the lead's threshold since their last reminder (told in this run, not reminded again).

        Those with unanswered reminders had the last one `backoff` working days ago (due today)
        or, for a share, on the previous working day (due only after one unanswered reminder:
        the others are resting, and this run leaves them alone)."""
        rng = self.rng
        engineers = self.policy.engineer_ids
        escalate_after = self.policy.reminders.escalate_after
        firsts = len(engineers) if count - len(engineers) >= ignored else 0
        ignored_at = set(rng.sample(range(firsts, count), min(ignored, count)))
        for position in range(count):
            row_id = self._take_id()
            engineer = (
                engineers[position]
                if position < len(engineers)
                else rng.choices(engineers, weights=self.weights)[0]
            )
            if position in ignored_at:
                reminders = escalate_after
                self.population.ignored.add(row_id)
            elif rng.random() < LEAD_TOLD_SHARE:
                reminders = escalate_after + rng.randrange(0, 4)
                self.population.lead_told.add(row_id)
            elif position < firsts:
                reminders = 0  # each engineer's first: due today
            else:
                reminders = rng.randrange(0, escalate_after)  # short of the lead before this run
            row = self._common(row_id)
            status = rng.choice((Status.ASSIGNED, Status.INVESTIGATING))
            self._assigned(
                row, engineer=engineer, last_activity=self._quiet_since(reminders), status=status
            )
            row["reminders_unanswered"] = reminders
            self.population.reminders_before[row_id] = reminders
            due = reminders < escalate_after
            if reminders >= escalate_after or (reminders and rng.random() < RESTING_SHARE):
                row["last_reminded_on"] = self._previous_working_day()
                due = due and backoff(reminders) == 1
            elif reminders:
                row["last_reminded_on"] = self._working_days_before(backoff(reminders))
            elif rng.random() < 0.3:  # reminded long ago, then active again, then quiet
                row["last_reminded_on"] = row["last_activity_at"].date() - timedelta(days=3)
            if due and reminders == escalate_after - 1:
                self.population.last_reminder.add(row_id)
            if row_id in self.population.lead_told:
                row["lead_told_at"] = self.at - timedelta(days=rng.randrange(1, 10))
            if rng.random() < EXPIRED_SNOOZE_SHARE:
                row["snoozed_until"] = self.at - timedelta(minutes=rng.randrange(1, 3 * 1440))
                self.population.expired_snooze.add(row_id)
            assert row["stale_at"] <= self.at
            if due:
                self.population.stale[engineer].append((row["stale_at"], row_id))
            else:
                self.population.resting.add(row_id)
            yield row

    def snoozed(self, count: int) -> Iterator[Row]:
        """Stale, but snoozed until after the run."""
        for _ in range(count):
            row_id = self._take_id()
            row = self._common(row_id)
            engineer = self.rng.choice(self.policy.engineer_ids)
            self._assigned(
                row, engineer=engineer, last_activity=self._quiet_since(1), status=Status.ASSIGNED
            )
            row["reminders_unanswered"] = 1
            row["last_reminded_on"] = self._previous_working_day()
            row["snoozed_until"] = self.at + timedelta(hours=self.rng.randrange(1, 5 * 24))
            self.population.snoozed.add(row_id)
            yield row

    def not_stale(self, count: int) -> Iterator[Row]:
        """Assigned or investigating, with activity within the last day."""
        for _ in range(count):
            row_id = self._take_id()
            row = self._common(row_id)
            last_activity = self.at - timedelta(minutes=self.rng.randrange(1, 24 * 60))
            status = self.rng.choice((Status.ASSIGNED, Status.INVESTIGATING))
            engineer = self.rng.choice(self.policy.engineer_ids)
            self._assigned(row, engineer=engineer, last_activity=last_activity, status=status)
            assert row["stale_at"] > self.at
            self.population.not_stale.add(row_id)
            yield row

    def waiting(self, count: int) -> Iterator[Row]:
        """Waiting on CS: the SLO clock paused, no stale timer."""
        for _ in range(count):
            row_id = self._take_id()
            row = self._common(row_id)
            last_activity = self.at - timedelta(days=30 * self.rng.random())
            engineer = self.rng.choice(self.policy.engineer_ids)
            self._assigned(
                row, engineer=engineer, last_activity=last_activity, status=Status.WAITING
            )
            consumed = min(
                int(row["slo_target_s"] * self.rng.random()),
                int(
                    self.policy.business_calendar.elapsed(row["filed_at"], self.at).total_seconds()
                ),
            )
            row.update(
                stale_at=None,
                slo_running_since=None,
                slo_due_at=None,
                slo_next_alert_at=None,
                slo_consumed_s=consumed,
            )
            yield row

    def open_rows(self, count: int, *, overdue: bool) -> Iterator[Row]:
        """Open and unclaimed: past `unassigned_after` (listed in the channel) or filed just now."""
        calendar = self.policy.business_calendar
        unassigned_after = self.policy.business_duration(self.policy.reminders.unassigned_after)
        for _ in range(count):
            row_id = self._take_id()
            row = self._common(row_id)
            if overdue:
                filed = self.at - timedelta(hours=24 + self.rng.randrange(0, 4 * 24))
            else:
                filed = self.at - timedelta(minutes=self.rng.randrange(1, 30))
            row.update(
                filed_at=filed,
                status=str(Status.OPEN),
                message_ts=_fake_ts(filed, row_id),
                last_activity_at=filed,
                unassigned_alert_at=calendar.add(filed, unassigned_after),
            )
            self._running_slo(row, filed)
            assert (row["unassigned_alert_at"] <= self.at) == overdue
            if overdue:
                self.population.unassigned.add(row_id)
            yield row

    def resolved(self, count: int) -> Iterator[Row]:
        """Two years of history: prototypes resolved in business time, shifted back whole weeks."""
        rng = self.rng
        calendar = self.policy.business_calendar
        prototypes = []
        for _ in range(RESOLVED_PROTOTYPES):
            priority = _pick(rng, PRIORITIES)
            target = int(self.policy.priority_target(priority).total_seconds())
            filed = self.at - timedelta(days=21, seconds=rng.randrange(14 * 86_400))
            took = max(60, int(target * rng.lognormvariate(-0.9, 0.7)))
            prototypes.append(
                (priority, target, filed, calendar.add(filed, timedelta(seconds=took)), took)
            )
        for _ in range(count):
            row_id = self._take_id()
            priority, target, filed, resolved, took = rng.choice(prototypes)
            shift = timedelta(weeks=rng.randrange(1, 105))
            engineer = rng.choice(self.policy.engineer_ids)
            row = self._common(row_id)
            row.update(
                priority=priority,
                filed_at=filed - shift,
                status=str(Status.RESOLVED),
                assignee_id=engineer,
                assigned_at=filed - shift,
                message_ts=_fake_ts(filed - shift, row_id),
                last_activity_at=resolved - shift,
                resolved_at=resolved - shift,
                resolved_by=engineer,
                resolution_cause=rng.choice(CAUSES),
                resolution_note="Fixed and confirmed with the customer.",
                slo_target_s=target,
                slo_consumed_s=took,
                slo_stage=sum(
                    1
                    for level in slo.thresholds(self.policy, priority)
                    if took >= slo.threshold_seconds(level, target)
                ),
                resolution_business_s=took,
            )
            yield row


# -- loading rows in bulk ------------------------------------------------------------------------


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load_sqlite(engine: Engine, rows: Iterable[Row]) -> int:
    """Core INSERT executemany (the bot's own column types) in chunks, one transaction."""
    table = Escalation.__table__  # type: ignore[attr-defined]
    count = 0
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA cache_size = -500000")  # 500 MB for index building
        for chunk in _chunks(rows, CHUNK):
            connection.execute(table.insert(), chunk)
            count += len(chunk)
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


@contextmanager
def fresh_database(kind: str, *, keep: bool) -> Iterator[str]:
    """A new, migrated database URL (SQLite file in a temp dir, or PostgreSQL `bench_reminders`)."""
    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
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
        if keep:
            print(f"kept {url}")
        else:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")


# -- counting ------------------------------------------------------------------------------------


@dataclass
class StatementCount:
    """SQL statements sent to the database (an executemany or a multi-row batch counts once)."""

    statements: int = 0
    parameter_sets: int = 0
    by_verb: Counter[str] = field(default_factory=Counter)
    executed: list[tuple[str, Any]] = field(default_factory=list)

    def verbs(self) -> str:
        """E.g. "SELECT escalation 3, UPDATE escalation 2, INSERT outbox 1"."""
        return ", ".join(f"{verb} {n}" for verb, n in self.by_verb.most_common())


_TABLE = re.compile(r"\b(?:INTO|UPDATE|FROM)\s+(\w+)", re.IGNORECASE)


def _verb_and_table(statement: str) -> str:
    verb = statement.split(None, 1)[0].upper()
    table = _TABLE.search(statement)
    return f"{verb} {table.group(1)}" if table else verb


@contextmanager
def counting_statements(engine: Engine) -> Iterator[StatementCount]:
    """Count every statement the engine sends while the block runs."""
    count = StatementCount()

    def on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        count.statements += 1
        count.by_verb[_verb_and_table(statement)] += 1
        count.executed.append((statement, parameters))
        count.parameter_sets += len(parameters) if many else 1

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


@dataclass
class Measurement:
    """One timed run: wall time, what the job said, SQL statements, Slack calls."""

    label: str
    seconds: float
    detail: str
    sql: StatementCount
    slack_calls: list[RecordedCall]
    delivery: tuple[float, DeliveryReport] | None = None

    def slack_by_method(self) -> str:
        """E.g. "chat.postMessage 52, auth.test 1" (or "none")."""
        methods = Counter(call.method for call in self.slack_calls)
        return ", ".join(f"{m} {n}" for m, n in methods.most_common()) or "none"

    def posts(self) -> list[RecordedCall]:
        """The chat.postMessage calls."""
        return [c for c in self.slack_calls if c.method == "chat.postMessage"]


def measure(
    label: str, run: Callable[[], str], *, runtime: Runtime, standin: SlackStandIn
) -> Measurement:
    """Run once, timing it, counting its SQL statements and Slack calls and timing its delivery."""
    first_call = len(standin.calls)
    deliveries: list[tuple[float, DeliveryReport]] = []
    deliver = runtime.deliverer.deliver_due

    def timed(**kwargs: Any) -> DeliveryReport:
        began = time.perf_counter()
        report = deliver(**kwargs)
        deliveries.append((time.perf_counter() - began, report))
        return report

    runtime.deliverer.deliver_due = timed  # type: ignore[method-assign]
    try:
        with counting_statements(runtime.db.engine) as sql:
            began = time.perf_counter()
            detail = run()
            seconds = time.perf_counter() - began
    finally:
        del runtime.deliverer.deliver_due  # back to the class's method
    assert len(deliveries) <= 1
    return Measurement(
        label, seconds, detail, sql, list(standin.calls[first_call:]), next(iter(deliveries), None)
    )


# -- waiting for a quiet machine -----------------------------------------------------------------


def busy_benches() -> list[str]:
    """The other benchmarks running now (pid and command line)."""
    found = subprocess.run(
        ["pgrep", "-af", BUSY_BENCHES], capture_output=True, text=True, check=False
    )
    return [line for line in found.stdout.splitlines() if line.strip()]


def wait_for_quiet(purpose: str) -> str:
    """Wait (polling every 10 s, at most 15 minutes) until no other benchmark runs."""
    began = time.monotonic()
    busy = busy_benches()
    if busy:
        print(
            f"waiting before {purpose}: {len(busy)} other benchmark process(es) running", flush=True
        )
    while busy and time.monotonic() - began < QUIET_WAIT_SECONDS:
        time.sleep(QUIET_POLL_SECONDS)
        busy = busy_benches()
    waited = time.monotonic() - began
    if busy:
        return f"still busy after {waited / 60:.0f} min (figures disturbed): {'; '.join(busy)}"
    return f"quiet (waited {waited:.0f} s)"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


# -- the bench -----------------------------------------------------------------------------------


def start_slack(policy: Policy) -> tuple[SlackStandIn, RunningServer]:
    """The fake Slack with the team and the escalation channel, served over HTTP."""
    standin = SlackStandIn()
    for user_id in (policy.roster.lead, *policy.engineer_ids, CS_AGENT):
        standin.add_user(user_id, user_id.lower())
    standin.add_channel(policy.escalation_channel, "cre-escalations")
    return standin, standin.serve()


def build_runtime(db: Database, policy: Policy, server: RunningServer) -> Runtime:
    """A bot runtime (its own Slack client, so its own `auth.test`) on the bench database."""
    settings = Settings(
        slack_bot_token=SecretStr("xoxb-bench"),
        slack_api_url=server.base_url,
        database_url=db.url,
        _env_file=None,  # type: ignore[call-arg]
    )
    client = make_web_client(settings.bot_token(), base_url=settings.slack_api_url)
    return Runtime(
        settings=settings, policy=policy, db=db, client=client, clock=ManualClock(RUN_AT)
    )


@dataclass
class Bench:
    """One filled database with the fake Slack, and the reminder state to put back after a run."""

    kind: str
    url: str
    policy: Policy
    db: Database
    standin: SlackStandIn
    server: RunningServer
    saved: list[Row] = field(default_factory=list)

    @property
    def engine(self) -> Engine:
        """The engine every runtime here shares."""
        return self.db.engine

    def save_state(self) -> None:
        """Remember the reminder columns of every reminded-status row, to undo a measured run."""
        table = Escalation.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as connection:
            result = connection.execute(
                sa.select(
                    table.c.id.label("row_id"), *(table.c[name] for name in REMINDER_STATE)
                ).where(table.c.status.in_((Status.ASSIGNED, Status.INVESTIGATING)))
            )
            self.saved = [dict(r._mapping) for r in result]
            connection.rollback()

    def undo_run(self) -> None:
        """Put the reminder columns back and forget the promised posts and job claims."""
        table = Escalation.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("row_id"))
                .values({name: sa.bindparam(name) for name in REMINDER_STATE}),
                self.saved,
            )
            for name in ("outbox", "job_run"):
                connection.execute(sa.text(f"DELETE FROM {name}"))
        if self.kind == "postgresql":  # the dead row versions the run and the undo left behind
            with self.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE escalation, outbox, job_run"
                )

    def job_alone(self, runtime: Runtime, label: str) -> Measurement:
        """`send_stale_reminders` alone: find, group, render, mark, promise the posts (no Slack)."""
        measured = measure(
            label,
            lambda: send_stale_reminders(runtime=runtime, at=RUN_AT),
            runtime=runtime,
            standin=self.standin,
        )
        self.undo_run()
        return measured

    def explain_due_query(self, sql: StatementCount) -> list[str]:
        """The plan of the stale-escalations query the job sent, and its time alone.

        The job asks for the ignored ones (the same predicate plus `reminders_unanswered`) first:
        that statement is skipped.
        """
        statement, parameters = next(
            (s, p)
            for s, p in sql.executed
            if "stale_at <=" in s
            and "reminders_unanswered >=" not in s
            and s.lstrip().startswith("SELECT")
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
        lines = [f"stale query: {len(rows):,} rows, best of 3 {min(timings) * 1000:.1f} ms"]
        return lines + ["  " + " ".join(str(v) for v in row) for row in plan]


def load(bench: Bench, rows: Iterable[Row]) -> int:
    """Bulk-load rows into the escalation table."""
    if bench.kind == "sqlite":
        return load_sqlite(bench.engine, rows)
    return load_postgres(bench.url, rows)


# -- checking what Slack got ---------------------------------------------------------------------


def _metadata_key(call: RecordedCall) -> str:
    metadata = call.args.get("metadata")
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    if not isinstance(metadata, dict) or metadata.get("event_type") != OUTBOX_EVENT:
        return ""
    return str((metadata.get("event_payload") or {}).get("key", ""))


def _blocks(call: RecordedCall) -> list[dict[str, Any]]:
    blocks = call.args.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


_MORE = re.compile(r"and ([\d,]+) more")
_KEY = re.compile(r"ESC-(\d+)")
DM_ROOM = 24  # (50 blocks - intro - "…and N more") // 2 blocks an item


@dataclass
class Check:
    """One verdict line."""

    name: str
    ok: bool
    detail: str


def check_dms(population: Population, posts: Sequence[RecordedCall]) -> Check:
    """Each DM lists its engineer's oldest-stale escalations, then "…and N more" for the rest."""
    wrong: list[str] = []
    overflowing = 0
    for call in posts:
        engineer = str(call.args.get("channel"))
        expected = [row_id for _, row_id in sorted(population.stale.get(engineer, []))]
        blocks = _blocks(call)
        listed = reminded_ids(blocks)
        more_texts = [
            element.get("text", "")
            for block in blocks
            if block.get("type") == "context"
            for element in block.get("elements", [])
        ]
        more = sum(int(m.group(1).replace(",", "")) for t in more_texts for m in _MORE.finditer(t))
        overflowing += more > 0
        linked = sum(
            1
            for block in blocks
            if str(block.get("block_id", "")).startswith(ITEM_BLOCK_PREFIX)
            and "/archives/" in json.dumps(block)
        )
        if listed != expected[:DM_ROOM] or len(listed) + more != len(expected) or len(blocks) > 50:
            wrong.append(f"{engineer}: listed {len(listed)} + {more} more of {len(expected)}")
        elif linked != len(listed):
            wrong.append(f"{engineer}: {len(listed) - linked} items without a link to their card")
    snoozed = population.snoozed & {i for c in posts for i in reminded_ids(_blocks(c))}
    ok = not wrong and not snoozed
    detail = (
        f"{len(posts)} DMs, each listing its engineer's oldest-stale escalations (at most "
        f'{DM_ROOM}, linked, with buttons); {overflowing} end with "…and N more"'
    )
    if wrong:
        detail += f"; wrong: {'; '.join(wrong[:5])}"
    if snoozed:
        detail += f"; snoozed escalations listed: {sorted(snoozed)[:5]}"
    return Check("each DM lists its engineer's stale escalations (24 + '…and N more')", ok, detail)


def check_channel_post(
    name: str,
    posts: Sequence[RecordedCall],
    key_prefix: str,
    expected: set[int],
    *,
    to: str | None = None,
) -> Check:
    """One post (to `to`, if given) whose escalation keys are exactly `expected`."""
    matching = [
        c
        for c in posts
        if _metadata_key(c).startswith(key_prefix) and to in (None, c.args.get("channel"))
    ]
    if len(matching) != (1 if expected else 0):
        return Check(name, False, f"{len(matching)} posts with key {key_prefix}…")
    if not expected:
        return Check(name, True, "none expected, none sent")
    listed = {int(m) for m in _KEY.findall(json.dumps(_blocks(matching[0])))}
    ok = listed == expected
    detail = f"one post listing {len(listed)} escalations"
    if not ok:
        detail += (
            f" (missing {sorted(expected - listed)[:5]}, extra {sorted(listed - expected)[:5]})"
        )
    return Check(name, ok, detail)


def check_database(bench: Bench, population: Population) -> Check:
    """After the run: every one due covered today, only those shown counted, those backing off
    (or the lead's) untouched; the lead as due."""
    table = Escalation.__table__  # type: ignore[attr-defined]
    escalate_after = bench.policy.reminders.escalate_after
    with bench.engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                table.c.id,
                table.c.last_reminded_on,
                table.c.reminders_unanswered,
                table.c.lead_told_at,
            ).where(table.c.status.in_((Status.ASSIGNED, Status.INVESTIGATING)))
        ).all()
        connection.rollback()
    by_id = {row.id: row for row in rows}
    stale, shown = population.stale_ids(), population.shown_ids()
    problems = []
    not_today = [i for i in stale if by_id[i].last_reminded_on != TODAY]
    if not_today:
        problems.append(f"{len(not_today)} stale not marked as covered by today's DM")
    before = population.reminders_before
    miscounted = [i for i in stale if by_id[i].reminders_unanswered != before[i] + (i in shown)]
    if miscounted:
        problems.append(
            f"{len(miscounted)} with a wrong count (one more for those shown, none for the rest)"
        )
    touched = [
        i for i in population.snoozed | population.not_stale if by_id[i].last_reminded_on == TODAY
    ]
    if touched:
        problems.append(f"{len(touched)} snoozed or fresh marked reminded")
    reminded_resting = [
        i
        for i in population.resting
        if by_id[i].last_reminded_on == TODAY or by_id[i].reminders_unanswered != before[i]
    ]
    if reminded_resting:
        problems.append(f"{len(reminded_resting)} backing off (or the lead's) reminded")
    not_escalated = [
        i
        for i in population.ignored
        if by_id[i].reminders_unanswered != escalate_after or by_id[i].lead_told_at != RUN_AT
    ]
    if not_escalated:
        problems.append(f"{len(not_escalated)} ignored ones not recorded as told to the lead")
    told_early = [i for i in population.last_reminder if by_id[i].lead_told_at is not None]
    if told_early:
        problems.append(f"{len(told_early)} told to the lead in the run of their last reminder")
    retold = [i for i in population.lead_told if by_id[i].lead_told_at == RUN_AT]
    if retold:
        problems.append(f"{len(retold)} told to the lead again")
    last_shown = len(population.last_reminder & shown)
    detail = "; ".join(problems) or (
        f"{len(stale):,} covered by today's DMs, of which the {len(shown):,} shown count one more "
        f"reminder and the {len(stale - shown):,} in '…and N more' none, "
        f"{len(population.resting):,} resting (backing off, or the lead's) untouched, "
        f"{len(population.ignored)} past {escalate_after} unanswered with the lead told, "
        f"{last_shown} reminded for the {escalate_after}. time in this run and not told yet, "
        f"{len(population.snoozed)} snoozed and {len(population.not_stale):,} fresh untouched"
    )
    return Check("database after the run", not problems, detail)


# -- one database --------------------------------------------------------------------------------


@dataclass
class Result:
    """What one database run measured and checked."""

    kind: str
    fill_lines: list[str]
    quiet: str
    load_before: str
    load_after: str
    small: list[Measurement]
    full: list[Measurement]
    job: Measurement
    again: Measurement
    again_claimed: str
    explain: list[str]
    checks: list[Check]
    stale_small: int
    stale_full: int
    engineers_with_stale: int
    stale_per_engineer: tuple[int, int]


def run_database(kind: str, args: argparse.Namespace) -> Result:
    """Fill one database, time the job at two sizes, run it for real twice, check Slack's side."""
    policy = load_policy(args.engineers)
    rng = random.Random(20261210)
    population = Population()
    maker = RowMaker(policy, rng, RUN_AT, population)
    fill_lines: list[str] = []
    print(f"[{kind}] {wait_for_quiet('filling')}", flush=True)
    with fresh_database(kind, keep=args.keep) as url:
        db = Database(url)
        standin, server = start_slack(policy)
        bench = Bench(kind, url, policy, db, standin, server)

        def fill(label: str, rows: Iterable[Row]) -> None:
            began = time.perf_counter()
            loaded = load(bench, rows)
            fill_lines.append(f"{loaded:,} {label} in {time.perf_counter() - began:.1f} s")

        small = min(args.stale_small, args.stale)
        fill("resolved", maker.resolved(args.resolved))
        fill(
            "other unresolved",
            (
                row
                for rows in (
                    maker.not_stale(NOT_STALE),
                    maker.snoozed(SNOOZED),
                    maker.waiting(WAITING),
                    maker.open_rows(OPEN_FRESH, overdue=False),
                    maker.open_rows(args.unassigned, overdue=True),
                )
                for row in rows
            ),
        )
        fill("stale", maker.stale(small, ignored=args.ignored))
        bench.save_state()

        quiet = wait_for_quiet("the timed runs")
        load_before = load_average()
        warm = build_runtime(db, policy, server)
        warm.workspace_url()  # auth.test: once per process, before the runs timed alone
        small_runs = [
            bench.job_alone(warm, f"send_stale_reminders, {small:,} stale")
            for _ in range(args.repeat)
        ]
        fill("more stale", maker.stale(args.stale - small, ignored=0))
        bench.save_state()
        full_runs = [
            bench.job_alone(warm, f"send_stale_reminders, {args.stale:,} stale")
            for _ in range(args.repeat)
        ]
        explain = bench.explain_due_query(full_runs[0].sql)

        runtime = build_runtime(db, policy, server)  # a fresh process: its auth.test is counted
        job = measure(
            "run_job stale-reminders (with delivery)",
            lambda: run_job(runtime=runtime, name="stale-reminders", at=RUN_AT),
            runtime=runtime,
            standin=standin,
        )
        again_claimed = run_job(runtime=runtime, name="stale-reminders", at=RUN_AT)
        again = measure(
            "run_job again the same day, manual=True",
            lambda: run_job(runtime=runtime, name="stale-reminders", at=RUN_AT, manual=True),
            runtime=runtime,
            standin=standin,
        )
        load_after = load_average()
        with db.session() as session:
            left_pending = pending_count(session)
        checks = verdicts(bench, population, job, again, small_runs, full_runs, left_pending)
        server.stop()
        db.dispose()
    sizes = [len(items) for items in population.stale.values()]
    return Result(
        kind,
        fill_lines,
        quiet,
        load_before,
        load_after,
        small_runs,
        full_runs,
        job,
        again,
        again_claimed,
        explain,
        checks,
        small,
        args.stale,
        len(population.stale),
        (min(sizes), max(sizes)),
    )


def verdicts(
    bench: Bench,
    population: Population,
    job: Measurement,
    again: Measurement,
    small: Sequence[Measurement],
    full: Sequence[Measurement],
    left_pending: int,
) -> list[Check]:
    """The bench's verdicts, the issue's first."""
    posts = job.posts()
    engineers = set(population.stale)
    dms = [c for c in posts if _is_reminder(c)]
    channel = [c for c in posts if not _is_reminder(c)]
    others = Counter(c.method for c in job.slack_calls if c.method != "chat.postMessage")
    expected_posts = len(engineers) + population.channel_posts()
    calls_ok = len(posts) == expected_posts and others == Counter({"auth.test": 1})
    all_calls = [*job.slack_calls, *again.slack_calls]
    dm_count = Counter(str(c.args["channel"]) for c in [*posts, *again.posts()] if _is_reminder(c))
    twice = sorted(user for user, n in dm_count.items() if n > 1)
    small_counts = sorted({m.sql.statements for m in small})
    full_counts = sorted({m.sql.statements for m in full})
    accepted = [
        c
        for c in all_calls
        if c.status != 200 or not isinstance(c.response, dict) or not c.response.get("ok")
    ]
    again_posts = again.posts()
    return [
        Check(
            "Slack calls == engineers due a reminder + the lead's DM + the queue post",
            calls_ok,
            f"{len(posts)} chat.postMessage = {len(dms)} reminder DMs + {len(channel)} others "
            f"(expected {len(engineers)} + {population.channel_posts()}); other calls: "
            f"{dict(others) or 'none'}",
        ),
        Check(
            "no engineer gets two DMs",
            not twice and set(dm_count) == engineers,
            f"{len(dm_count)} engineers got a DM, {len(twice)} got more than one"
            + (f": {twice[:5]}" if twice else ""),
        ),
        Check(
            "statements do not grow with the number of stale escalations",
            small_counts == full_counts and len(full_counts) == 1,
            f"{small_counts} at {population_label(small)}, "
            f"{full_counts} at {population_label(full)}",
        ),
        Check(
            "the fake Slack accepted every call (no problems)",
            not accepted and not bench.standin.problems and left_pending == 0,
            f"{len(all_calls)} calls, {len(accepted)} refused, {len(bench.standin.problems)} "
            f"problems, {left_pending} posts still pending"
            + (f"; first problem: {bench.standin.problems[0]}" if bench.standin.problems else ""),
        ),
        Check(
            "a second run the same day sends nothing new",
            not again_posts,
            f"{len(again_posts)} posts; the job said {again.detail!r}",
        ),
        check_dms(population, dms),
        check_channel_post(
            "the lead is told in one DM", posts, "remind-lead:", population.ignored, to=LEAD
        ),
        check_channel_post(
            "the unclaimed queue in one post", posts, "unassigned:", population.unassigned
        ),
        check_database(bench, population),
    ]


def _is_reminder(call: RecordedCall) -> bool:
    """An engineer's reminder DM (the lead's DM and the queue post are keyed otherwise)."""
    return _metadata_key(call).startswith("remind:")


def population_label(runs: Sequence[Measurement]) -> str:
    """The size a set of runs was measured at, from its label."""
    return runs[0].label.split(", ", 1)[-1]


# -- report --------------------------------------------------------------------------------------


def report(result: Result) -> bool:
    """Print one database's figures and verdicts; True when every verdict passes."""
    print(f"\n=== {result.kind} ===")
    print("fill: " + "; ".join(result.fill_lines))
    low, high = result.stale_per_engineer
    print(
        f"stale: {result.stale_full:,} over {result.engineers_with_stale} engineers "
        f"({low}-{high} each)"
    )
    print(
        f"machine: {result.quiet}; "
        f"load average {result.load_before} before, {result.load_after} after"
    )
    header = f"{'run':<42} {'first s':>8} {'best s':>7} {'stmts':>6} {'params':>7}  slack calls"
    print(header)
    print("-" * len(header))
    for runs in (result.small, result.full, [result.job], [result.again]):
        first = runs[0]
        best = min(r.seconds for r in runs)
        print(
            f"{first.label:<42} {first.seconds:>8.3f} {best:>7.3f} {first.sql.statements:>6} "
            f"{first.sql.parameter_sets:>7}  {first.slack_by_method()}"
        )
    print(f"  job says: {result.job.detail!r}")
    if result.job.delivery:
        seconds, delivered = result.job.delivery
        print(
            f"  run_job = {result.job.seconds - seconds:.3f} s claiming and the job + "
            f"{seconds:.3f} s delivering {delivered.sent} posts "
            f"({seconds / max(delivered.sent, 1) * 1000:.1f} ms a "
            f"post, {delivered.failed} failed, {delivered.retrying} to retry)"
        )
    print(f"  second run_job (not manual): {result.again_claimed!r}")
    print(f"  statements of one send_stale_reminders: {result.full[0].sql.verbs()}")
    print(f"  statements of run_job:                  {result.job.sql.verbs()}")
    for line in result.explain:
        print("  " + line)
    for check in result.checks:
        print(f"{check.name}: {'PASS' if check.ok else 'FAIL'} ({check.detail})")
    return all(check.ok for check in result.checks)


def summary(results: Sequence[Result]) -> None:
    """One line per database: the figures the README quotes."""
    print(
        "\n| database | job alone, small | job alone, full | run_job: job + delivery | "
        "statements small / full | Slack calls | verdicts |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        delivery = r.job.delivery[0] if r.job.delivery else 0.0
        small_best = min(m.seconds for m in r.small)
        full_best = min(m.seconds for m in r.full)
        passed = sum(c.ok for c in r.checks)
        print(
            f"| {r.kind} | {small_best:.2f} s ({r.stale_small:,}) | {full_best:.2f} s "
            f"({r.stale_full:,}) | {r.job.seconds - delivery:.2f} + {delivery:.2f} s | "
            f"{r.small[0].sql.statements} / {r.full[0].sql.statements} | "
            f"{r.job.slack_by_method()} | {passed}/{len(r.checks)} PASS |"
        )


def main() -> None:
    """Run the bench on the chosen databases and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--stale", type=int, default=10_000, help="stale escalations")
    parser.add_argument("--engineers", type=int, default=50, help="engineers on the roster")
    parser.add_argument("--ignored", type=int, default=30, help="stale ones that tell the lead")
    parser.add_argument(
        "--unassigned", type=int, default=40, help="open ones past unassigned_after"
    )
    parser.add_argument(
        "--stale-small", type=int, default=1_000, help="the smaller stale count to compare with"
    )
    parser.add_argument("--resolved", type=int, default=100_000, help="resolved, as history")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the job alone per size")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()
    if not 1 <= args.engineers <= 999 or args.stale < args.engineers:
        parser.error("need 1-999 engineers and at least one stale escalation each")
    if args.ignored > min(args.stale, args.stale_small):
        parser.error("--ignored cannot exceed the stale counts")
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    print(
        f"stale-reminders at {RUN_AT.astimezone(TOKYO):%a %Y-%m-%d %H:%M %Z}; {args.stale:,} stale "
        f"over {args.engineers} engineers, {args.ignored} ignored, {args.unassigned} unclaimed, "
        f"{args.resolved:,} resolved; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    results, passed = [], []
    for kind in kinds:
        results.append(run_database(kind, args))
        passed.append(report(results[-1]))
    summary(results)
    sys.exit(0 if all(passed) else 1)


if __name__ == "__main__":
    main()
