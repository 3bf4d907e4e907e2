"""The scheduler: triggers in the team's time zone, one run per period, catch-up of missed runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import select

from bot import jobruns
from bot.clock import ManualClock
from bot.models import JobRun
from bot.runtime import Runtime
from bot.scheduler import build_scheduler, build_schedules, catch_up, previous_fire_time, run_job
from tests.conftest import TOKYO

WED_10 = datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO)


def test_every_job_is_wired_to_a_trigger_in_the_team_time_zone(runtime: Runtime) -> None:
    scheduler = build_scheduler(runtime, BackgroundScheduler(timezone=TOKYO))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == set(build_schedules(runtime.policy))
    sweep = jobs["slo-sweep"].trigger
    first = sweep.get_next_fire_time(None, WED_10 + timedelta(minutes=1))
    assert first == WED_10 + timedelta(minutes=10)


def test_slo_sweep_periods_are_ten_minute_slots(runtime: Runtime) -> None:
    period = build_schedules(runtime.policy)["slo-sweep"].period
    assert period(runtime.policy, WED_10 + timedelta(minutes=3)) == period(
        runtime.policy, WED_10 + timedelta(minutes=9, seconds=59)
    )
    assert period(runtime.policy, WED_10 + timedelta(minutes=9)) != period(
        runtime.policy, WED_10 + timedelta(minutes=10)
    )


def test_previous_fire_time_finds_the_last_slot() -> None:
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger(minute="*/10", timezone=TOKYO)
    assert previous_fire_time(
        trigger, now=WED_10 + timedelta(minutes=17), lookback=timedelta(hours=1)
    ) == WED_10 + timedelta(minutes=10)
    daily = CronTrigger(hour=10, minute=0, timezone=TOKYO)
    assert (
        previous_fire_time(daily, now=WED_10 - timedelta(minutes=1), lookback=timedelta(hours=1))
        is None
    )


def test_a_period_runs_once_unless_an_operator_reruns_it(runtime: Runtime) -> None:
    assert run_job(runtime=runtime, name="slo-sweep", at=WED_10).startswith("0 due")
    assert run_job(runtime=runtime, name="slo-sweep", at=WED_10 + timedelta(minutes=5)).startswith(
        "period"
    )
    assert run_job(
        runtime=runtime, name="slo-sweep", at=WED_10 + timedelta(minutes=5), manual=True
    ).startswith("0 due")
    with runtime.db.session() as session:
        runs = session.exec(select(JobRun).where(JobRun.job == "slo-sweep")).all()
    assert [(r.status, r.owner) for r in runs] == [("done", runtime.owner)]


def test_unknown_job_names_are_refused(runtime: Runtime) -> None:
    with pytest.raises(KeyError):
        run_job(runtime=runtime, name="no-such-job", at=WED_10)


def test_a_failed_run_can_be_claimed_again_and_a_dead_owner_is_taken_over(runtime: Runtime) -> None:
    now = WED_10.astimezone(UTC)
    with runtime.db.session() as session:
        assert jobruns.claim(session=session, job="j", period_key="p", owner="a", now=now)
        assert not jobruns.claim(
            session=session, job="j", period_key="p", owner="b", now=now + timedelta(minutes=1)
        )
        # owner a died: once its lease expires, exactly one other process takes over
        later = now + jobruns.DEFAULT_LEASE + timedelta(seconds=1)
        assert jobruns.claim(session=session, job="j", period_key="p", owner="b", now=later)
        assert not jobruns.claim(session=session, job="j", period_key="p", owner="c", now=later)
        jobruns.finish(session=session, job="j", period_key="p", ok=False, detail="boom", now=later)
        assert jobruns.claim(session=session, job="j", period_key="p", owner="c", now=later)
        jobruns.finish(session=session, job="j", period_key="p", ok=True, detail="ok", now=later)
        assert not jobruns.claim(
            session=session, job="j", period_key="p", owner="d", now=later + timedelta(days=1)
        )


def test_catch_up_runs_missed_periods_once(runtime: Runtime, clock: ManualClock) -> None:
    clock.set(WED_10 + timedelta(minutes=14))
    done = catch_up(runtime=runtime)
    assert any(line.startswith("slo-sweep") for line in done)
    assert any(line.startswith("housekeeping") for line in done)  # 03:30 today was missed too
    with runtime.db.session() as session:
        period = build_schedules(runtime.policy)["slo-sweep"].period(
            runtime.policy, WED_10 + timedelta(minutes=10)
        )
        assert jobruns.is_done(session=session, job="slo-sweep", period_key=period)
    assert catch_up(runtime=runtime) == []
