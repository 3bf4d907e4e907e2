"""slo-sweep end to end: thresholds crossed in business time, posted once each, paused while waiting."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot import escalations
from bot.clock import ManualClock
from bot.models import Escalation
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.workspace.webapi import SlackStandIn
from tests.conftest import TOKYO
from tests.support.factories import file_one


def _sweep_at(runtime: Runtime, clock: ManualClock, when: datetime) -> str:
    clock.set(when)
    return run_job(runtime=runtime, name="slo-sweep", at=when)


def _thread_texts(standin: SlackStandIn, escalation: Escalation) -> list[str]:
    assert escalation.message_ts
    return [m.text for m in standin.thread("C0ESCALATE", escalation.message_ts)[1:]]


@pytest.fixture
def p1(runtime: Runtime) -> Escalation:
    """A P1 (4h target) filed Wed 2026-11-25 10:00 JST, assigned to hanako, card posted."""
    with runtime.db.session() as session:
        escalation = file_one(
            session, runtime.policy, runtime.now(), priority="P1", product="album", category="login"
        )
    runtime.deliver()
    with runtime.db.session() as session:
        fresh = session.get(Escalation, escalation.id)
        assert fresh is not None
        return fresh


def test_each_threshold_posts_once_at_its_business_instant(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    day = datetime(2026, 11, 25, tzinfo=TOKYO)
    assert _sweep_at(runtime, clock, day.replace(hour=11, minute=59)).startswith("0 due")
    _sweep_at(runtime, clock, day.replace(hour=12, minute=0))
    assert any("50%" in t for t in _thread_texts(standin, p1))
    [dm] = standin.dms("U0HANAKO")
    assert "50%" in dm.text
    # the same period again, and a later sweep before 80%: nothing new
    _sweep_at(runtime, clock, day.replace(hour=12, minute=5))
    _sweep_at(runtime, clock, day.replace(hour=13, minute=10))  # 80% is at 13:12
    assert len(standin.dms("U0HANAKO")) == 1
    assert _sweep_at(runtime, clock, day.replace(hour=13, minute=12)).startswith(
        "period"
    )  # same slot
    _sweep_at(runtime, clock, day.replace(hour=13, minute=20))
    assert len(standin.dms("U0HANAKO")) == 2
    assert "80%" in standin.dms("U0HANAKO")[-1].text
    _sweep_at(runtime, clock, day.replace(hour=14, minute=0))
    texts = _thread_texts(standin, p1)
    breach = [t for t in texts if ":rotating_light:" in t]
    assert len(breach) == 1
    assert "<@U0LEAD>" in breach[0]
    _sweep_at(runtime, clock, day.replace(hour=17, minute=0))
    assert len([t for t in _thread_texts(standin, p1) if ":rotating_light:" in t]) == 1


def test_waiting_pauses_the_clock_and_resume_continues_it(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, p1: Escalation
) -> None:
    day = datetime(2026, 11, 25, tzinfo=TOKYO)
    clock.set(day.replace(hour=11))
    with runtime.db.session() as session:
        escalations.wait_on_cs(
            session=session,
            policy=runtime.policy,
            escalation_id=p1.id,
            actor_id="U0HANAKO",
            now=clock.now(),
        )
    _sweep_at(runtime, clock, day.replace(hour=17))
    assert standin.dms("U0HANAKO") == []  # 1h used before the pause; paused all afternoon
    resumed = datetime(2026, 11, 26, 9, 0, tzinfo=TOKYO)
    clock.set(resumed)
    with runtime.db.session() as session:
        escalations.resume(
            session=session,
            policy=runtime.policy,
            escalation_id=p1.id,
            actor_id="U0HANAKO",
            now=clock.now(),
        )
        row = session.get(Escalation, p1.id)
        assert row is not None
        assert row.slo_consumed_s == 3600
        assert row.slo_due_at == resumed + timedelta(hours=3)
    _sweep_at(runtime, clock, resumed + timedelta(minutes=59))
    assert standin.dms("U0HANAKO") == []
    _sweep_at(runtime, clock, resumed + timedelta(hours=1))
    assert len(standin.dms("U0HANAKO")) == 1
