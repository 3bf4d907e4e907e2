"""Jobs that run "on working days" run on exactly the calendar's working days, by schedule or by hand.

The calendar's working days are its weekdays, minus public holidays and closures, plus the
`working` dates; the SLO clock counts exactly those, so the reminders (and the digest) follow them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot import escalations
from bot.clock import ManualClock
from bot.policy import Policy, parse_policy
from bot.runtime import Runtime
from bot.scheduler import build_schedules, run_job
from bot.workspace.webapi import SlackStandIn
from tests.conftest import TOKYO
from tests.support.factories import file_one

# Sat 2026-11-21 is made a working day; Fri 2026-11-27 is closed; Mon 2026-11-23 is a public
# holiday (Labor Thanksgiving Day); the fixture closes 12-29..01-03 every year.
SATURDAY = date(2026, 11, 21)
HOLIDAY = date(2026, 11, 23)
CLOSED = date(2026, 11, 27)
WORKING_DAYS_JOBS = ("stale-reminders", "monthly-digest")


@pytest.fixture
def policy(policy_text: str) -> Policy:
    edited = policy_text.replace(
        'closed = ["12-29..01-03"]',
        f'closed = ["12-29..01-03", "{CLOSED}"]\nworking = ["{SATURDAY}"]',
    )
    assert edited != policy_text
    return parse_policy(edited.replace('strategy = "least-loaded"', 'strategy = "manual"'))


def _fire_times(policy: Policy, job: str, start: datetime, end: datetime) -> list[datetime]:
    """Every instant the job's trigger fires in [start, end), as the scheduler would see them."""
    trigger = build_schedules(policy)[job].trigger(policy)
    fires = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        fires.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return fires


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days)]


def test_the_reminders_trigger_fires_on_exactly_the_calendars_working_days(policy: Policy) -> None:
    calendar = policy.business_calendar
    start, end = date(2026, 11, 1), date(2027, 2, 1)
    fires = _fire_times(
        policy,
        "stale-reminders",
        datetime(2026, 11, 1, tzinfo=TOKYO),
        datetime(2027, 2, 1, tzinfo=TOKYO),
    )
    local = [fire.astimezone(TOKYO) for fire in fires]
    assert {(t.hour, t.minute) for t in local} == {(10, 0)}
    assert [t.date() for t in local] == [d for d in _days(start, end) if calendar.is_working_day(d)]
    dates = {t.date() for t in local}
    assert SATURDAY in dates
    assert {HOLIDAY, CLOSED, date(2026, 11, 22), date(2026, 12, 29), date(2027, 1, 2)}.isdisjoint(
        dates
    )


def test_the_digest_trigger_fires_on_the_working_days_up_to_the_15th(policy: Policy) -> None:
    calendar = policy.business_calendar
    fires = _fire_times(
        policy,
        "monthly-digest",
        datetime(2026, 12, 1, tzinfo=TOKYO),
        datetime(2027, 2, 1, tzinfo=TOKYO),
    )
    dates = [fire.astimezone(TOKYO).date() for fire in fires]
    expected = [
        d
        for d in _days(date(2026, 12, 1), date(2027, 2, 1))
        if d.day <= 15 and calendar.is_working_day(d)
    ]
    assert dates == expected
    assert dates[len([d for d in expected if d.month == 12])] == date(2027, 1, 4)  # after closures


def _claimed_by_hanako(runtime: Runtime, at: datetime) -> None:
    with runtime.db.session() as session:
        escalation = file_one(session, runtime.policy, at)
        assert escalation.id is not None
        escalations.claim(
            session=session,
            policy=runtime.policy,
            escalation_id=escalation.id,
            actor_id="U0HANAKO",
            now=at,
        )
    runtime.deliver()


def _dm_days(standin: SlackStandIn, user: str) -> list[date]:
    return [
        datetime.fromtimestamp(float(m.ts), TOKYO).date()
        for m in standin.dms(user)
        if m.ephemeral_for is None
        and ((m.metadata or {}).get("event_payload") or {}).get("key", "").startswith("remind:")
    ]


def test_a_working_saturday_gets_its_reminders_and_a_holiday_none(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    filed = datetime(2026, 11, 18, 10, 0, tzinfo=TOKYO)  # Wed; 2 working days quiet by Fri 10:00
    clock.set(filed)
    _claimed_by_hanako(runtime, filed)
    # Run the job at every instant its trigger fires, as the scheduler does, for a week.
    for fire in _fire_times(
        runtime.policy, "stale-reminders", filed, datetime(2026, 11, 26, tzinfo=TOKYO)
    ):
        clock.set(fire)
        run_job(runtime=runtime, name="stale-reminders", at=fire)
    # Fri, the working Saturday (the next working day), then two working days later, backing
    # off: not Mon 23rd (a holiday) nor Tue 24th (one working day), but Wed 25th.
    assert _dm_days(standin, "U0HANAKO") == [date(2026, 11, 20), SATURDAY, date(2026, 11, 25)]


@pytest.mark.parametrize("job", WORKING_DAYS_JOBS)
@pytest.mark.parametrize(
    ("day", "why"),
    [
        (HOLIDAY, "Mon 2026-11-23 is Labor Thanksgiving Day"),
        (CLOSED, "Fri 2026-11-27 is a company closure"),
        (date(2026, 11, 22), "Sun 2026-11-22 is a weekend day"),
        (date(2026, 12, 30), "Wed 2026-12-30 is a company closure"),
    ],
)
def test_a_run_by_hand_for_a_closed_day_does_nothing_and_says_why(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, job: str, day: date, why: str
) -> None:
    at = datetime(day.year, day.month, day.day, 10, 0, tzinfo=TOKYO)
    clock.set(at - timedelta(days=20))
    _claimed_by_hanako(runtime, clock.now())
    clock.set(at)
    posts_before = len(standin.calls)
    assert run_job(runtime=runtime, name=job, at=at, manual=True) == (
        f"not run: {why}, not a working day (--force runs it anyway)"
    )
    assert len(standin.calls) == posts_before


def test_force_runs_a_working_days_job_on_a_closed_day(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    at = datetime(2026, 12, 30, 10, 0, tzinfo=TOKYO)  # closed (12-29..01-03)
    clock.set(at - timedelta(days=20))
    _claimed_by_hanako(runtime, clock.now())
    clock.set(at)
    detail = run_job(runtime=runtime, name="stale-reminders", at=at, manual=True, force=True)
    assert detail.startswith("1 stale escalations for 1 engineers"), detail
    assert _dm_days(standin, "U0HANAKO")[-1] == at.date()
    detail = run_job(runtime=runtime, name="monthly-digest", at=at, manual=True, force=True)
    assert not detail.startswith("not run"), detail
    [digest] = [m for m in standin.channel_messages("C0ESCALATE") if "digest" in m.text]
    assert "November 2026" in digest.text


def test_the_other_jobs_run_whatever_the_day(runtime: Runtime, clock: ManualClock) -> None:
    at = datetime(2026, 11, 23, 10, 0, tzinfo=TOKYO)
    clock.set(at)
    for job in ("slo-sweep", "card-refresh", "outbox-flush", "housekeeping"):
        assert not run_job(runtime=runtime, name=job, at=at, manual=True).startswith("not run")
