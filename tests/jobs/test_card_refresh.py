"""card-refresh: the time left on an escalation's message stays true while the SLO clock runs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot import escalations, slo
from bot.blocks import slo as slo_words
from bot.clock import ManualClock
from bot.models import Escalation
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.workspace.webapi import SlackStandIn
from tests.conftest import TOKYO
from tests.support.factories import file_one, make_escalation
from tests.support.flows import card_field

DAY = datetime(2026, 11, 25, tzinfo=TOKYO)  # Wednesday; working hours 09:00-18:00


@pytest.mark.parametrize(
    ("remaining", "shown"),
    [
        (timedelta(hours=4), timedelta(hours=4)),
        (timedelta(hours=3, minutes=59, seconds=59), timedelta(hours=4)),
        (timedelta(hours=3, seconds=1), timedelta(hours=4)),
        (timedelta(minutes=1), timedelta(hours=1)),
        (timedelta(0), timedelta(0)),
        (timedelta(hours=-2), timedelta(0)),
    ],
)
def test_the_message_rounds_the_time_left_up_to_the_hour(
    remaining: timedelta, shown: timedelta
) -> None:
    assert slo.card_left(remaining) == shown


def _filed(runtime: Runtime, priority: str) -> Escalation:
    with runtime.db.session() as session:
        escalation = file_one(
            session, runtime.policy, runtime.now(), priority=priority, product="album"
        )
    runtime.deliver()
    with runtime.db.session() as session:
        fresh = session.get(Escalation, escalation.id)
        assert fresh is not None
        return fresh


def _card_slo(standin: SlackStandIn, escalation: Escalation) -> str:
    [card] = [m for m in standin.channel_messages("C0ESCALATE") if m.ts == escalation.message_ts]
    return card_field(card, "SLO")


def _refresh_at(runtime: Runtime, clock: ManualClock, when: datetime) -> str:
    clock.set(when)
    outcome = run_job(runtime=runtime, name="card-refresh", at=when)
    return outcome


def test_a_p1_card_counts_down_hour_by_hour(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    p1 = _filed(runtime, "P1")  # filed 10:00, due 14:00
    assert p1.card_refresh_at == DAY.replace(hour=11)
    assert _card_slo(standin, p1).endswith("due Wed 11/25 14:00 · 4h left")

    assert _refresh_at(runtime, clock, DAY.replace(hour=10, minute=50)) == "0 cards refreshed"
    assert _refresh_at(runtime, clock, DAY.replace(hour=11)) == "1 cards refreshed"
    assert _card_slo(standin, p1).endswith("· 3h left")
    _refresh_at(runtime, clock, DAY.replace(hour=12, minute=10))
    assert _card_slo(standin, p1).endswith("· 2h left")
    _refresh_at(runtime, clock, DAY.replace(hour=13))
    assert _card_slo(standin, p1).endswith("· 1h left")
    with runtime.db.session() as session:
        last_hour = session.get(Escalation, p1.id)
        assert last_hour is not None
        assert last_hour.card_refresh_at is None  # "1h left" holds until the breach


def test_each_change_is_posted_once_however_often_the_job_runs(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    p1 = _filed(runtime, "P1")
    before = len(standin.calls_to("chat.update"))
    for minute in (0, 1, 2):
        clock.set(DAY.replace(hour=11, minute=minute))
        run_job(runtime=runtime, name="card-refresh", at=clock.now(), manual=True)
    assert len(standin.calls_to("chat.update")) == before + 1
    assert _card_slo(standin, p1).endswith("· 3h left")


def test_the_count_stands_still_outside_working_hours(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    clock.set(DAY.replace(hour=17, minute=30))
    p1 = _filed(runtime, "P1")  # 4h: 30 minutes today, 3h30m tomorrow
    thursday = DAY + timedelta(days=1)
    assert p1.card_refresh_at == thursday.replace(hour=9, minute=30)
    assert _refresh_at(runtime, clock, DAY.replace(hour=18)) == "0 cards refreshed"
    assert _refresh_at(runtime, clock, thursday.replace(hour=9)) == "0 cards refreshed"
    assert _refresh_at(runtime, clock, thursday.replace(hour=9, minute=30)) == "1 cards refreshed"
    assert _card_slo(standin, p1).endswith("due Thu 11/26 12:30 · 3h left")


def test_waiting_stops_the_refreshes_and_resuming_restarts_them(
    runtime: Runtime, clock: ManualClock
) -> None:
    p1 = _filed(runtime, "P1")
    with runtime.db.session() as session:
        escalations.acknowledge(
            session=session,
            policy=runtime.policy,
            escalation_id=p1.id,
            actor_id="U0HANAKO",
            now=clock.now(),
        )
        waiting = escalations.wait_on_cs(
            session=session,
            policy=runtime.policy,
            escalation_id=p1.id,
            actor_id="U0HANAKO",
            now=clock.now(),
        )
        assert waiting.card_refresh_at is None
    clock.set(DAY + timedelta(days=1))  # Thursday 00:00: no business time passed while waiting
    with runtime.db.session() as session:
        resumed = escalations.resume(
            session=session,
            policy=runtime.policy,
            escalation_id=p1.id,
            actor_id="U0HANAKO",
            now=clock.now(),
        )
        assert resumed.card_refresh_at == (DAY + timedelta(days=1)).replace(hour=10)


def test_a_breached_card_names_its_due_time_and_lists_say_how_long_ago(
    runtime: Runtime, clock: ManualClock
) -> None:
    escalation = make_escalation(
        priority="P1",
        slo_target_s=4 * 3600,
        slo_consumed_s=0,
        slo_running_since=DAY.replace(hour=10),
        slo_due_at=DAY.replace(hour=14),
    )
    now = DAY.replace(hour=16)
    current = slo.state(policy=runtime.policy, escalation=escalation, now=now)
    assert slo_words.card_line(policy=runtime.policy, current=current, now=now) == (
        "breached (it was due Wed 11/25 14:00)"
    )
    assert slo_words.describe(policy=runtime.policy, current=current, now=now) == "breached 2h ago"
    assert slo.next_card_change(policy=runtime.policy, escalation=escalation, now=now) is None
