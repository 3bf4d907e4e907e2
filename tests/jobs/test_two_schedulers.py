"""Two scheduler processes on one database over a simulated month: every SLO alert posts exactly once."""

from __future__ import annotations

import multiprocessing
import random
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot import escalations, slo
from bot.db import Database
from bot.models import Escalation, Outbox, OutboxStatus
from bot.policy import Policy, parse_policy
from bot.workspace.webapi import RunningServer, SlackStandIn
from tests.conftest import TOKYO
from tests.support.factories import file_one
from tests.support.scheduler_worker import worker_main

pytestmark = pytest.mark.slow

STEP = timedelta(minutes=30)
MONTH_START = datetime(2026, 12, 1, 8, 0, tzinfo=TOKYO)
DAYS = 31


def _instants() -> list[datetime]:
    """Every 30 minutes from 08:00 to 19:00 each day of December (the sweep runs every 30 minutes)."""
    instants = []
    for day in range(DAYS):
        start = MONTH_START + timedelta(days=day)
        instants.extend(start + STEP * k for k in range(23))
    return instants


def _plan(
    policy: Policy, instants: list[datetime]
) -> tuple[dict[datetime, list[tuple[str, int]]], int]:
    """Filings and status changes at chosen instants: (action, escalation number)."""
    rng = random.Random(20261201)
    plan: dict[datetime, list[tuple[str, int]]] = {}
    count = 40
    for number in range(count):
        filed = rng.choice(instants[: len(instants) * 3 // 4])
        plan.setdefault(filed, []).append(("file", number))
        later = [t for t in instants if t > filed]
        if number % 4 == 1 and len(later) > 30:  # waits on CS a while, then resumes
            plan.setdefault(later[4], []).append(("wait", number))
            plan.setdefault(later[20], []).append(("resume", number))
        elif number % 4 == 2 and len(later) > 12:  # resolved, then reopened
            plan.setdefault(later[6], []).append(("resolve", number))
            plan.setdefault(later[12], []).append(("reopen", number))
    return plan, count


def _apply(
    db: Database, policy: Policy, action: str, number: int, at: datetime, ids: dict[int, int]
) -> None:
    priority = ("P1", "P2", "P3")[number % 3]
    with db.session() as session:
        if action == "file":
            escalation = file_one(
                session,
                policy,
                at,
                priority=priority,
                summary=f"case {number}",
                product="market",
                category="other",
            )
            assert escalation.id is not None
            ids[number] = escalation.id
            return
        escalation_id = ids[number]
        row = session.get(Escalation, escalation_id)
        assert row is not None
        actor = row.assignee_id or policy.roster.lead
        common: dict[str, Any] = {
            "session": session,
            "policy": policy,
            "escalation_id": escalation_id,
            "now": at,
        }
        if action == "wait":
            escalations.wait_on_cs(actor_id=actor, **common)
        elif action == "resume":
            escalations.resume(actor_id=actor, **common)
        elif action == "resolve":
            escalations.resolve(actor_id=actor, cause="bug", note="", answer="fixed", **common)
        elif action == "reopen":
            escalations.reopen(actor_id=actor, **common)


def _expected_alerts(
    policy: Policy, filed_at: datetime, priority: str, instants: list[datetime]
) -> list[int]:
    """Stages posted for an escalation nobody touched: each threshold at the first sweep after it, merged per sweep."""
    calendar = policy.business_calendar
    target = policy.priority_target(priority)
    posted: dict[datetime, int] = {}
    for stage, level in enumerate(slo.thresholds(policy, priority), start=1):
        crossing = calendar.add(
            filed_at, timedelta(seconds=slo.threshold_seconds(level, int(target.total_seconds())))
        )
        seen = next((t for t in instants if t >= crossing), None)
        if seen is not None:
            posted[seen] = stage
    return sorted(posted.values())


def test_every_alert_is_posted_exactly_once(
    database_url: str, policy_text: str, standin: SlackStandIn, slack_server: RunningServer
) -> None:
    text = policy_text + "\n[slo]\nsweep_every_minutes = 30\n"
    policy = parse_policy(text)
    db = Database(database_url)
    instants = _instants()
    plan, count = _plan(policy, instants)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    results = context.Queue()
    workers = [
        context.Process(
            target=worker_main,
            kwargs={
                "name": f"scheduler-{n}",
                "database_url": database_url,
                "slack_api_url": slack_server.base_url,
                "policy_text": text,
                "instants": [t.isoformat() for t in instants],
                "barrier": barrier,
                "results": results,
            },
        )
        for n in (1, 2)
    ]
    for worker in workers:
        worker.start()
    ids: dict[int, int] = {}
    try:
        for at in instants:
            barrier.wait(timeout=120)
            for action, number in plan.get(at, []):
                _apply(db, policy, action, number, at, ids)
            barrier.wait(timeout=120)
    finally:
        for worker in workers:
            worker.join(timeout=180)
    outcomes = [results.get(timeout=5) for _ in workers]
    assert [error for _, _, error in outcomes] == [None, None]
    # Every sweep period was run by exactly one of the two processes.
    assert sum(ran for _, ran, _ in outcomes) == len(instants)
    assert all(ran > 0 for _, ran, _ in outcomes), "both processes should have won some periods"

    with db.session() as session:
        rows = session.exec(select(Escalation)).all()
        alerts = session.exec(select(Outbox).where(Outbox.key.like("slo:%:thread"))).all()  # type: ignore[attr-defined]
    assert len(rows) == count
    assert {a.status for a in alerts} == {OutboxStatus.SENT}

    # What Slack received: one thread reply per alert row, never two.
    posted = [
        c
        for c in standin.calls_to("chat.postMessage")
        if c.args.get("thread_ts")
        and re.search(r":warning:|:rotating_light:", str(c.args.get("text")))
    ]
    assert len(posted) == len(alerts)
    assert max(Counter((c.args["thread_ts"], c.args["text"]) for c in posted).values()) == 1
    by_escalation = Counter(int(a.key.split(":")[1]) for a in alerts)

    # Escalations nobody touched got exactly the alerts their business-time thresholds call for.
    untouched = {ids[n] for n in range(count) if n % 4 in (0, 3)}
    for row in rows:
        if row.id in untouched:
            expected = _expected_alerts(policy, row.filed_at, row.priority, instants)
            assert by_escalation[row.id] == len(expected), row.key
            assert row.slo_stage == (expected[-1] if expected else 0), row.key
    # The others (paused, reopened) never had a stage alerted twice.
    assert max(Counter(a.key for a in alerts).values()) == 1
    db.dispose()
