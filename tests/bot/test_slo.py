"""The SLO clock: business-time targets, pausing, thresholds crossed exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from bot import escalations, slo
from bot.blocks import slo as slo_words
from bot.db import Database
from bot.models import Escalation, Status
from bot.policy import Policy, parse_policy
from tests.conftest import TOKYO
from tests.support.factories import file_one

WED_10 = datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO)


def _file(db: Database, policy: Policy, at: datetime, priority: str = "P1") -> int:
    with db.session() as session:
        escalation = file_one(session, policy, at, priority=priority)
        assert escalation.id is not None
        return escalation.id


def _get(session: Session, escalation_id: int) -> Escalation:
    row = session.get(Escalation, escalation_id, populate_existing=True)
    assert row is not None
    return row


def _wait(db: Database, policy: Policy, escalation_id: int, now: datetime) -> None:
    with db.session() as session:
        escalations.wait_on_cs(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id="U0HANAKO",
            now=now,
        )


def _resume(db: Database, policy: Policy, escalation_id: int, now: datetime) -> None:
    with db.session() as session:
        escalations.resume(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id="U0HANAKO",
            now=now,
        )


def test_clock_starts_at_filing_with_the_priority_target(db: Database, policy: Policy) -> None:
    escalation_id = _file(db, policy, WED_10, "P2")
    with db.session() as session:
        row = _get(session, escalation_id)
        assert row.slo_target_s == 18 * 3600  # 2d of 9-hour working days
        assert row.slo_due_at == datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO)
        assert row.slo_next_alert_at == datetime(2026, 11, 26, 10, 0, tzinfo=TOKYO)  # 50%


def test_due_time_skips_the_weekend_and_a_public_holiday(db: Database, policy: Policy) -> None:
    # Friday 17:00 + 4h: 1h on Friday; Monday 2026-11-23 is Labour Thanksgiving Day; 3h on Tuesday.
    escalation_id = _file(db, policy, datetime(2026, 11, 20, 17, 0, tzinfo=TOKYO), "P1")
    with db.session() as session:
        assert _get(session, escalation_id).slo_due_at == datetime(
            2026, 11, 24, 12, 0, tzinfo=TOKYO
        )


def test_advance_crosses_each_threshold_at_its_exact_instant(db: Database, policy: Policy) -> None:
    escalation_id = _file(db, policy, WED_10, "P1")  # 50% at 12:00, 80% at 13:12, breach at 14:00
    with db.session() as session:
        row = _get(session, escalation_id)
        assert (
            slo.advance(
                policy=policy, escalation=row, now=WED_10.replace(hour=11, minute=59, second=59)
            )
            is None
        )
        crossing = slo.advance(policy=policy, escalation=row, now=WED_10.replace(hour=12))
        assert crossing is not None
        assert (crossing.from_stage, crossing.to_stage, crossing.is_breach) == (0, 1, False)
        assert row.slo_next_alert_at == WED_10.replace(hour=13, minute=12)
        assert (
            slo.advance(policy=policy, escalation=row, now=WED_10.replace(hour=12, minute=30))
            is None
        )


def test_several_thresholds_crossed_at_once_are_each_a_stage(db: Database, policy: Policy) -> None:
    escalation_id = _file(db, policy, WED_10, "P1")
    with db.session() as session:
        row = _get(session, escalation_id)
        crossing = slo.advance(policy=policy, escalation=row, now=WED_10.replace(hour=16))
        assert crossing is not None
        assert (crossing.from_stage, crossing.to_stage, crossing.is_breach) == (0, 3, True)
        assert crossing.stages == (1, 2, 3)
        assert crossing.warning_stages == (1, 2)
        assert row.slo_next_alert_at is None


def test_two_warnings_crossed_at_once_leave_the_breach_to_come(
    db: Database, policy: Policy
) -> None:
    escalation_id = _file(db, policy, WED_10, "P1")  # 80% at 13:12, breach just after 14:00
    with db.session() as session:
        row = _get(session, escalation_id)
        crossing = slo.advance(
            policy=policy, escalation=row, now=WED_10.replace(hour=13, minute=30)
        )
        assert crossing is not None
        assert (crossing.stages, crossing.warning_stages, crossing.is_breach) == (
            (1, 2),
            (1, 2),
            False,
        )
        # the breach is the first instant more than 4h has been used: a microsecond after 14:00
        assert row.slo_next_alert_at == WED_10.replace(hour=14) + timedelta(microseconds=1)
        assert row.slo_due_at == WED_10.replace(hour=14)


def test_waiting_pauses_and_resume_restarts_the_clock(db: Database, policy: Policy) -> None:
    escalation_id = _file(db, policy, WED_10, "P1")
    _wait(db, policy, escalation_id, WED_10 + timedelta(hours=1))
    with db.session() as session:
        row = _get(session, escalation_id)
        assert row.slo_consumed_s == 3600
        assert row.slo_running_since is None
        assert row.slo_due_at is None
        assert row.slo_next_alert_at is None
        paused = slo.state(policy=policy, escalation=row, now=WED_10 + timedelta(days=3))
        assert paused.elapsed == timedelta(hours=1)
        assert not paused.running
    resumed_at = datetime(2026, 11, 26, 15, 0, tzinfo=TOKYO)
    _resume(db, policy, escalation_id, resumed_at)
    with db.session() as session:
        row = _get(session, escalation_id)
        assert row.slo_due_at == resumed_at + timedelta(hours=3)
        assert row.slo_next_alert_at == resumed_at + timedelta(hours=1)  # 50% = 2h, 1h already used


def test_resolution_records_the_business_time_and_reopen_resumes(
    db: Database, policy: Policy
) -> None:
    escalation_id = _file(db, policy, WED_10, "P2")
    resolved_at = datetime(2026, 11, 26, 12, 0, tzinfo=TOKYO)
    with db.session() as session:
        escalations.resolve(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id="U0HANAKO",
            cause="bug",
            note="",
            answer="fixed",
            now=resolved_at,
        )
    with db.session() as session:
        row = _get(session, escalation_id)
        assert row.resolution_business_s == 11 * 3600  # Wed 10-18 (8h) + Thu 9-12 (3h)
        assert row.slo_next_alert_at is None
        described = slo_words.describe(
            policy=policy,
            current=slo.state(policy=policy, escalation=row, now=resolved_at),
            now=resolved_at,
        )
        assert described == "resolved in 11h (target 2 business days)"
    with db.session() as session:
        escalations.reopen(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id="U0HANAKO",
            now=resolved_at + timedelta(hours=1),
        )
    with db.session() as session:
        row = _get(session, escalation_id)
        assert row.status == Status.INVESTIGATING
        assert row.resolution_business_s is None
        assert row.slo_consumed_s == 11 * 3600
        assert row.slo_running_since == resolved_at + timedelta(hours=1)


def test_a_threshold_fired_before_reopening_does_not_fire_again(
    db: Database, policy: Policy
) -> None:
    escalation_id = _file(db, policy, WED_10, "P1")
    with db.session() as session:
        row = _get(session, escalation_id)
        assert (
            slo.advance(policy=policy, escalation=row, now=WED_10.replace(hour=12, minute=30))
            is not None
        )
        session.add(row)
        session.commit()
    with db.session() as session:
        escalations.resolve(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id="U0HANAKO",
            cause="bug",
            note="",
            answer="a",
            now=WED_10.replace(hour=12, minute=40),
        )
        escalations.reopen(
            session=session,
            policy=policy,
            escalation_id=escalation_id,
            actor_id="U0HANAKO",
            now=WED_10.replace(hour=13),
        )
    with db.session() as session:
        row = _get(session, escalation_id)
        assert row.slo_stage == 1
        # the next alert is the 80% one, 3h12m of clock: 2h40m used, so 32 minutes after 13:00
        assert row.slo_next_alert_at == WED_10.replace(hour=13, minute=32)


@pytest.mark.parametrize(
    ("hours_later", "english", "japanese"),
    [
        (1, "due Wed 11/25 14:00 · 3h left", "期限 11/25(水) 14:00 · 残り3時間"),
        (6, "breached 2h ago", "2時間前にSLO超過"),
    ],
)
def test_describe_in_both_languages(
    db: Database, policy: Policy, hours_later: int, english: str, japanese: str
) -> None:
    escalation_id = _file(db, policy, WED_10, "P1")
    now = WED_10 + timedelta(hours=hours_later)
    with db.session() as session:
        current = slo.state(policy=policy, escalation=_get(session, escalation_id), now=now)
    assert slo_words.describe(policy=policy, current=current, now=now) == english
    japanese_policy = policy.model_copy(update={"language": "ja"})
    assert slo_words.describe(policy=japanese_policy, current=current, now=now) == japanese


def test_due_crossings_finds_only_running_escalations_past_their_alert(
    db: Database, policy: Policy
) -> None:
    crossing_id = _file(db, policy, WED_10, "P1")
    _file(db, policy, WED_10, "P3")
    paused_id = _file(db, policy, WED_10, "P1")
    with db.session() as session:
        escalations.wait_on_cs(
            session=session,
            policy=policy,
            escalation_id=paused_id,
            actor_id=policy.roster.lead,
            now=WED_10,
        )
    with db.session() as session:
        due = slo.due_crossings(session=session, now=WED_10.replace(hour=12))
        assert [e.id for e in due] == [crossing_id]


def test_repeated_pauses_do_not_drift(db: Database, policy: Policy) -> None:
    # 40 running segments of 5 minutes and a fraction of a second each, all inside working hours.
    # Truncating every segment to whole seconds lost ~20 s here; rounding keeps the total true.
    escalation_id = _file(db, policy, WED_10, "P3")
    now, truth = WED_10, timedelta(0)
    for k in range(40):
        running = timedelta(minutes=5, microseconds=(k * 618_034) % 1_000_000)
        truth += running
        now += running
        _wait(db, policy, escalation_id, now)
        now += timedelta(minutes=1)
        _resume(db, policy, escalation_id, now)
    with db.session() as session:
        row = _get(session, escalation_id)
        consumed = timedelta(seconds=row.slo_consumed_s)
        assert abs(consumed - truth) < timedelta(seconds=1)
        # and the clock carries on from there: the due time is the target after the true total
        current = slo.state(policy=policy, escalation=row, now=now)
        assert abs(current.elapsed - truth) < timedelta(seconds=1)


def test_a_pause_rounds_to_the_nearest_second(db: Database, policy: Policy) -> None:
    escalation_id = _file(db, policy, WED_10, "P1")
    _wait(db, policy, escalation_id, WED_10 + timedelta(seconds=59, microseconds=600_000))
    with db.session() as session:
        assert _get(session, escalation_id).slo_consumed_s == 60  # not 59


def test_a_priority_listed_without_a_target_keeps_the_default_for_its_id(
    db: Database, policy_text: str
) -> None:
    listed = parse_policy(
        policy_text
        + '\n[[priorities]]\nid = "P1"\nlabel = "Urgent"\n'
        + '\n[[priorities]]\nid = "P2"\ntarget = "1d"\nwarn_at = [0.75]\n'
        + '\n[[priorities]]\nid = "P4"\n'
    )
    assert listed.priority("P1").target == "4h"  # not the generic 2d
    assert listed.priority("P1").warn_at == (0.5, 0.8)
    assert (listed.priority("P2").target, listed.priority("P2").warn_at) == ("1d", (0.75,))
    assert listed.priority("P4").target == "2d"  # no default for this id: the generic one
    targets = {}
    for priority in ("P1", "P2", "P4"):
        escalation_id = _file(db, listed, WED_10, priority)
        with db.session() as session:
            targets[priority] = _get(session, escalation_id).slo_target_s
    assert targets == {"P1": 4 * 3600, "P2": 9 * 3600, "P4": 18 * 3600}
