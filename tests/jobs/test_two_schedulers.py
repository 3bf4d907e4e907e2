"""Two scheduler processes on one database over a simulated month, one killed mid-post and restarted.

The two sweep the same escalations at the same time: at each step the first runs, late, the sweep
of one period and the second the sweep of the next (ten minutes on), so both claim a period of
their own and both do the work, racing on the escalation rows (FOR UPDATE SKIP LOCKED) and on the
outbox (leases, unique keys). In the middle
of the month the second is killed while Slack is answering one of its SLO posts (the post landed,
its outbox row still says pending), stays down for three hours, and is restarted: it catches up the
run it missed and carries on. A single-process run over the same month is the reference: every
card, thread, direct and channel post it makes for every escalation is made exactly once, no
more, no less.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import random
import signal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot import escalations, migrate
from bot.clock import ManualClock
from bot.db import Database
from bot.models import Escalation, Outbox, OutboxStatus
from bot.policy import Policy, parse_policy
from bot.runtime import Runtime, make_web_client
from bot.scheduler import run_job
from bot.settings import Settings
from bot.workspace.webapi import RunningServer, SlackStandIn
from tests.conftest import TEAM, TOKYO
from tests.support.factories import file_one
from tests.support.flows import wait_for
from tests.support.scheduler_worker import worker_main

pytestmark = pytest.mark.slow

STEP = timedelta(minutes=30)
STAGGER = timedelta(minutes=10)  # the second scheduler's runs: the next sweep period (10 minutes)
MONTH_START = datetime(2026, 12, 1, 8, 0, tzinfo=TOKYO)
DAYS = 31
KILL_FROM_DAY = 10  # the second scheduler dies at the first SLO post after this day begins
DOWN_FOR = 6  # instants (three hours) before it is restarted
CASES = 48

Plan = dict[datetime, list[tuple[str, int]]]
StagePost = tuple[int, int, str]  # (case number, stage, post)


def _instants() -> list[datetime]:
    """Every 30 minutes from 08:00 to 19:00 each day of December."""
    instants = []
    for day in range(DAYS):
        start = MONTH_START + timedelta(days=day)
        instants.extend(start + STEP * k for k in range(23))
    return instants


def _plan(instants: list[datetime]) -> Plan:
    """Filings and status changes at chosen instants: (action, case number)."""
    rng = random.Random(20261201)
    plan: Plan = {}
    for number in range(CASES):
        filed = rng.choice(instants[: len(instants) * 3 // 4])
        plan.setdefault(filed, []).append(("file", number))
        later = [t for t in instants if t > filed]
        if number % 4 == 1 and len(later) > 30:  # waits on CS a while, then resumes
            plan.setdefault(later[4], []).append(("wait", number))
            plan.setdefault(later[20], []).append(("resume", number))
        elif number % 4 == 2 and len(later) > 12:  # resolved, then reopened
            plan.setdefault(later[6], []).append(("resolve", number))
            plan.setdefault(later[12], []).append(("reopen", number))
    return plan


def _apply(db: Database, policy: Policy, action: str, number: int, at: datetime) -> None:
    with db.session() as session:
        if action == "file":
            file_one(
                session,
                policy,
                at,
                priority=("P1", "P2", "P3")[number % 3],
                summary=f"case {number}",
                product="market",
                category="other",
            )
            return
        row = session.exec(select(Escalation).where(Escalation.summary == f"case {number}")).one()
        common: dict[str, Any] = {
            "session": session,
            "policy": policy,
            "escalation_id": row.id,
            "actor_id": row.assignee_id or policy.roster.lead,
            "now": at,
        }
        if action == "wait":
            escalations.wait_on_cs(**common)
        elif action == "resume":
            escalations.resume(**common)
        elif action == "resolve":
            escalations.resolve(cause="bug", note="", answer="fixed", **common)
        elif action == "reopen":
            escalations.reopen(**common)


def _fake_slack(clock: ManualClock) -> tuple[SlackStandIn, RunningServer]:
    fake = SlackStandIn(clock=lambda: clock.now().timestamp())
    for user_id, name in TEAM.items():
        fake.add_user(user_id, name)
    fake.add_channel("C0ESCALATE", "cre-escalations")
    return fake, fake.serve()


def _stored(fake: SlackStandIn) -> int:
    """How many messages the fake Slack holds (a post counts once Slack has it, answered or not)."""
    return sum(len(messages) for messages in fake.messages.values())


# -- what a run left behind ----------------------------------------------------------------------


@dataclass
class Outcome:
    """The SLO posts of one run: the outbox's keys and what Slack received."""

    rows: dict[StagePost, Outbox]
    received: Counter[str] = field(default_factory=Counter)  # outbox key -> messages in Slack
    keys: dict[StagePost, str] = field(default_factory=dict)
    redraws: dict[str, str] = field(default_factory=dict)  # row key -> the DM it redraws

    def made(self, stage_post: StagePost) -> int:
        """How many times Slack got the post that speaks for this stage (its own or a merged one;
        for a warning folded into the assignee's DM, that DM)."""
        row = self.rows[stage_post]
        carrier = str(row.payload.get("merged_into") or self.keys[stage_post])
        return self.received[self.redraws.get(carrier, carrier)]


def _outcome(db: Database, fake: SlackStandIn) -> Outcome:
    with db.session() as session:
        numbers = {
            e.id: int(e.summary.removeprefix("case "))
            for e in session.exec(select(Escalation)).all()
        }
        rows = session.exec(select(Outbox).where(Outbox.key.startswith("slo:"))).all()  # type: ignore[attr-defined]
    outcome = Outcome(rows={})
    for row in rows:
        if row.key.count(":") != 3:
            continue  # a later redraw of a DM first posted by an SLO stage (slo:…:direct:update:…)
        _, escalation_id, stage, post = row.key.split(":")
        stage_post = (numbers[int(escalation_id)], int(stage), post)
        outcome.rows[stage_post] = row
        outcome.keys[stage_post] = row.key
        if row.payload.get("update_of"):
            outcome.redraws[row.key] = str(row.payload["update_of"])
    for messages in list(fake.messages.values()):
        for message in messages:
            key = ((message.metadata or {}).get("event_payload") or {}).get("key")
            if key:
                outcome.received[str(key)] += 1
    return outcome


# -- the single-process reference ----------------------------------------------------------------


@dataclass
class Reference:
    """The month run by one process, instant by instant, beside the run under test."""

    runtime: Runtime
    fake: SlackStandIn
    server: RunningServer
    clock: ManualClock

    def sweep(self, at: datetime) -> str:
        detail = run_job(runtime=self.runtime, name="slo-sweep", at=at)
        run_job(runtime=self.runtime, name="outbox-flush", at=at)
        return detail


def _reference(tmp_path: Path, policy: Policy) -> Reference:
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    migrate.upgrade(url)
    clock = ManualClock(MONTH_START)
    fake, server = _fake_slack(clock)
    settings = Settings(
        slack_bot_token="xoxb-test",  # type: ignore[arg-type]
        slack_signing_secret="s",  # type: ignore[arg-type]
        slack_api_url=server.base_url,
        database_url=url,
        _env_file=None,  # type: ignore[call-arg]
    )
    runtime = Runtime(
        settings=settings,
        policy=policy,
        db=Database(url),
        client=make_web_client("xoxb-test", base_url=server.base_url),
        clock=clock,
        owner="reference",
    )
    return Reference(runtime=runtime, fake=fake, server=server, clock=clock)


# -- the two schedulers ------------------------------------------------------------------------------


@dataclass
class Schedulers:
    """The two worker processes and how to talk to them."""

    database_url: str
    slack_api_url: str
    policy_text: str
    context: Any = field(default_factory=lambda: multiprocessing.get_context("spawn"))
    processes: dict[str, Any] = field(default_factory=dict)
    commands: dict[str, Any] = field(default_factory=dict)
    replies: Any = None
    crossed: Counter[str] = field(default_factory=Counter)  # escalations each one found crossing

    def __post_init__(self) -> None:
        self.replies = self.context.Queue()

    def start(self, slot: str, name: str, at: datetime) -> None:
        commands = self.context.Queue()
        process = self.context.Process(
            target=worker_main,
            kwargs={
                "name": name,
                "database_url": self.database_url,
                "slack_api_url": self.slack_api_url,
                "policy_text": self.policy_text,
                "start": at.isoformat(),
                "commands": commands,
                "replies": self.replies,
            },
        )
        process.start()
        self.processes[slot], self.commands[slot] = process, commands

    def send(self, slot: str, verb: str, at: datetime, now: datetime) -> None:
        self.commands[slot].put((verb, at.isoformat(), now.isoformat()))

    def answers(self, count: int) -> list[str]:
        details = []
        for _ in range(count):
            name, _at, detail, error = self.replies.get(timeout=120)
            assert error is None, f"{name}: {error}"
            details.append(detail)
            if detail.endswith(" crossed a threshold"):  # "N due, M crossed a threshold"
                self.crossed[name.removesuffix("-restarted")] += int(detail.split()[2])
        return details

    def kill(self, slot: str) -> None:
        process = self.processes.pop(slot)
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=30)
        self.commands.pop(slot)

    def stop(self) -> None:
        for slot, process in self.processes.items():
            self.commands[slot].put(None)
            process.join(timeout=60)
        self.processes.clear()


def _run_month(
    *,
    database_url: str,
    policy_text: str,
    tmp_path: Path,
    record: Callable[[str], None],
) -> tuple[Outcome, Outcome]:
    policy = parse_policy(policy_text)
    instants = _instants()
    plan = _plan(instants)
    reference = _reference(tmp_path, policy)
    clock = ManualClock(MONTH_START)
    fake, server = _fake_slack(clock)
    db = Database(database_url)
    schedulers = Schedulers(
        database_url=database_url, slack_api_url=server.base_url, policy_text=policy_text
    )
    kill_from = MONTH_START + timedelta(days=KILL_FROM_DAY)
    killed_at: int | None = None
    try:
        schedulers.start("first", "scheduler-1", MONTH_START)
        schedulers.start("second", "scheduler-2", MONTH_START + STAGGER)
        for index, at in enumerate(instants):
            late = at + STAGGER  # the wall clock of this step: the first scheduler runs late
            clock.set(late)
            reference.clock.set(late)
            actions = plan.get(at, [])
            for action, number in actions:
                _apply(db, policy, action, number, at)
                _apply(reference.runtime.db, policy, action, number, at)
            down = killed_at is not None and index < killed_at + DOWN_FOR
            crossed = [reference.sweep(at)]
            if not down:
                crossed.append(reference.sweep(late))
            if killed_at is not None and index == killed_at + DOWN_FOR:
                # Restarted: it makes up the run it missed before anything else.
                schedulers.start("second", "scheduler-2-restarted", late)
                schedulers.send("second", "catch-up", late, late)
                record(f"restarted at {late.isoformat()}: {schedulers.answers(1)[0]}")
            kill_now = (
                killed_at is None
                and at >= kill_from
                and not actions
                and any(not detail.endswith(" 0 crossed a threshold") for detail in crossed)
            )
            if kill_now:
                # Slack stores the second scheduler's next post and answers a minute late; it dies
                # waiting. Its outbox row is left pending with a lease: a post that may have landed.
                fake.fail("chat.postMessage", delay=60)
                landed = functools.partial(lambda before: _stored(fake) > before, _stored(fake))
                schedulers.send("second", "tick", late, late)
                assert wait_for(landed, timeout=30), "no post to die in"
                schedulers.kill("second")
                killed_at = index
                record(f"killed at {late.isoformat()} mid-post")
                schedulers.send("first", "tick", at, late)
                schedulers.answers(1)
                continue
            schedulers.send("first", "tick", at, late)
            if not down:
                schedulers.send("second", "tick", late, late)
            schedulers.answers(1 if down else 2)
        assert killed_at is not None, "the second scheduler was never killed"
        assert min(schedulers.crossed["scheduler-1"], schedulers.crossed["scheduler-2"]) > 0, (
            f"both schedulers should have swept crossings: {schedulers.crossed}"
        )
        # A last run, hours later, delivers what is still owed (every lease long expired).
        end = instants[-1] + timedelta(hours=3)
        clock.set(end)
        reference.clock.set(end)
        reference.sweep(end)
        schedulers.send("first", "tick", end, end)
        schedulers.answers(1)
        schedulers.stop()
        return _outcome(db, fake), _outcome(reference.runtime.db, reference.fake)
    finally:
        for process in schedulers.processes.values():
            process.kill()
        server.stop()
        reference.server.stop()
        reference.runtime.db.dispose()
        db.dispose()


def _assert_every_post_made_exactly_once(outcome: Outcome, expected: Outcome) -> None:
    # The same stages were reached and each has its keys: card, direct (the assignee's DM),
    # thread (a breach below P1) and channel (a P1 breach).
    assert set(outcome.rows) == set(expected.rows)
    posts = Counter(post for _, _, post in expected.rows)
    assert {"card", "direct", "channel"} <= set(posts), posts
    assert posts["channel"] > 0  # some escalations breached
    # Nothing is left owed or given up on.
    statuses = Counter(str(row.status) for row in outcome.rows.values())
    assert set(statuses) <= {OutboxStatus.SENT, OutboxStatus.SUPERSEDED}, statuses
    # Every thread reply, DM and channel post reached Slack exactly once (merged posts included).
    for stage_post in expected.rows:
        if stage_post[2] != "card":
            assert expected.made(stage_post) == 1, stage_post
            assert outcome.made(stage_post) == 1, (stage_post, outcome.rows[stage_post])
    # And Slack never got any post twice: cards, assignment notes and reminders included.
    assert max(outcome.received.values()) == 1, outcome.received.most_common(3)


@pytest.mark.postgres
def test_two_schedulers_on_postgresql_post_every_alert_exactly_once(
    database_url: str, policy_text: str, tmp_path: Path
) -> None:
    outcome, expected = _run_month(
        database_url=database_url, policy_text=policy_text, tmp_path=tmp_path, record=print
    )
    _assert_every_post_made_exactly_once(outcome, expected)


def test_two_schedulers_on_sqlite_post_every_alert_exactly_once(
    policy_text: str, tmp_path: Path
) -> None:
    # SQLite is the default: a `serve` and a `scheduler` process on one file must agree too.
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    migrate.upgrade(url)
    outcome, expected = _run_month(
        database_url=url, policy_text=policy_text, tmp_path=tmp_path, record=print
    )
    _assert_every_post_made_exactly_once(outcome, expected)
