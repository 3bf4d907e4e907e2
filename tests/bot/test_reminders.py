"""The reminder timers: when a snooze ends, when an escalation is stale, how a reminder reads it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot import presenter, reminders
from bot.errors import DomainError
from bot.models import Status
from bot.policy import Policy, parse_policy
from tests.conftest import TOKYO
from tests.support.factories import make_escalation


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("today", "choice", "ends"),
    [
        (date(2026, 12, 2), "1", date(2026, 12, 3)),  # Wed -> Thu
        (date(2026, 12, 2), "3", date(2026, 12, 7)),  # Wed -> Thu, Fri, Mon
        (date(2026, 12, 4), "1", date(2026, 12, 7)),  # Fri -> Mon
        (date(2026, 12, 5), "1", date(2026, 12, 7)),  # pressed on Saturday -> Mon
        (date(2026, 11, 20), "1", date(2026, 11, 24)),  # Fri -> Tue (Mon 23rd: Labour Thanksgiving)
        (date(2026, 12, 28), "1", date(2027, 1, 4)),  # across the year-end closure
        (date(2026, 12, 2), "2026-12-03", date(2026, 12, 3)),  # a date: that day
        (date(2026, 12, 2), "2026-12-05", date(2026, 12, 5)),  # a Saturday: Monday's run
    ],
)
def test_a_snooze_ends_at_the_start_of_its_day(
    policy: Policy, today: date, choice: str, ends: date
) -> None:
    assert reminders.snooze_until(policy=policy, choice=choice, today=today) == _midnight(ends)


@pytest.mark.parametrize(
    ("choice", "key"),
    [
        ("2026-12-02", "error.snooze_in_past"),
        ("2028-01-01", "error.snooze_too_far"),
        ("soon", "error.bad_date"),
    ],
)
def test_snooze_refusals(policy: Policy, choice: str, key: str) -> None:
    with pytest.raises(DomainError) as refused:
        reminders.snooze_until(policy=policy, choice=choice, today=date(2026, 12, 2))
    assert refused.value.key == key


def test_activity_restarts_the_stale_timer_and_forgives_reminders(policy: Policy) -> None:
    escalation = make_escalation(
        reminders_unanswered=3, lead_told_at=datetime(2026, 12, 1, tzinfo=UTC)
    )
    pressed = datetime(2026, 12, 2, 10, 5, tzinfo=TOKYO)  # Wed
    reminders.touch(policy=policy, escalation=escalation, now=pressed)
    assert (escalation.reminders_unanswered, escalation.lead_told_at) == (0, None)
    assert escalation.stale_at == datetime(2026, 12, 4, 10, 5, tzinfo=TOKYO)  # 2 x 9h


def test_a_snooze_press_makes_the_escalation_due_when_the_snooze_ends(policy: Policy) -> None:
    pressed = datetime(2026, 12, 2, 10, 5, tzinfo=TOKYO)
    for ends in (_midnight(date(2026, 12, 3)), _midnight(date(2026, 12, 10))):  # sooner, later
        escalation = make_escalation(snoozed_until=ends, reminders_unanswered=2)
        reminders.touch(policy=policy, escalation=escalation, now=pressed, snoozed=True)
        assert escalation.stale_at == ends
        assert escalation.reminders_unanswered == 0


def test_later_activity_keeps_the_snooze(policy: Policy) -> None:
    ends = _midnight(date(2026, 12, 10))
    escalation = make_escalation(snoozed_until=ends)
    reminders.touch(
        policy=policy, escalation=escalation, now=datetime(2026, 12, 3, 11, tzinfo=TOKYO)
    )
    assert escalation.stale_at == ends  # stale on Mon the 7th, but snoozed until Thu the 10th
    reminders.touch(
        policy=policy, escalation=escalation, now=datetime(2026, 12, 9, 11, tzinfo=TOKYO)
    )
    assert escalation.stale_at == datetime(2026, 12, 11, 11, tzinfo=TOKYO)  # now the later one


def test_no_stale_timer_outside_the_reminded_statuses(policy: Policy) -> None:
    escalation = make_escalation(status=Status.WAITING, snoozed_until=_midnight(date(2026, 12, 3)))
    reminders.touch(
        policy=policy, escalation=escalation, now=datetime(2026, 12, 2, tzinfo=TOKYO), snoozed=True
    )
    assert escalation.stale_at is None


def test_a_reminder_item_has_the_age_and_the_quiet_time_in_business_time(policy: Policy) -> None:
    escalation = make_escalation(
        filed_at=datetime(2026, 11, 30, 10, tzinfo=TOKYO),  # Mon
        last_activity_at=datetime(2026, 12, 1, 17, tzinfo=TOKYO),  # Tue
    )
    item = presenter.reminder_item(
        policy=policy, escalation=escalation, now=datetime(2026, 12, 4, 10, tzinfo=TOKYO)
    )
    assert item.age == timedelta(hours=8 + 9 + 9 + 9 + 1)  # Mon 10-18, Tue, Wed, Thu, Fri 9-10
    assert item.idle == timedelta(hours=1 + 9 + 9 + 1)
    assert item.slo_line
    assert item.outcome is None


WED, THU, FRI, MON = date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 7)


@pytest.mark.parametrize(
    ("escalate_after", "unanswered", "last_reminded_on", "today", "due"),
    [
        (3, 0, None, WED, True),  # the first reminder of a quiet spell
        (3, 0, WED, WED, False),  # never twice a day (a re-run)
        (
            3,
            0,
            date(2026, 12, 1),
            WED,
            True,
        ),  # only in "…and N more", or activity since: due each day
        (3, 1, WED, THU, True),  # one unanswered: the next working day
        (3, 1, FRI, MON, True),  # the weekend does not count
        (3, 2, THU, FRI, False),  # two unanswered: two working days
        (3, 2, THU, MON, True),
        (3, 2, date(2026, 11, 20), date(2026, 11, 24), False),  # Mon 23rd is a holiday
        (3, 2, date(2026, 11, 20), date(2026, 11, 25), True),
        (3, 2, date(2026, 12, 25), date(2026, 12, 28), False),  # then the year-end closure
        (3, 2, date(2026, 12, 25), date(2027, 1, 4), True),
        (3, 3, MON, date(2026, 12, 14), False),  # escalate_after reached: the lead's, not theirs
        (3, 4, MON, date(2026, 12, 14), False),
        (6, 3, WED, FRI, False),  # three unanswered: four working days
        (6, 3, WED, date(2026, 12, 8), True),
        (6, 5, MON, date(2026, 12, 11), False),  # then a week at most
        (6, 5, MON, date(2026, 12, 14), True),
        (6, 6, MON, date(2026, 12, 21), False),
    ],
)
def test_reminders_back_off_while_unanswered_and_stop_at_the_lead(
    policy_text: str,
    escalate_after: int,
    unanswered: int,
    last_reminded_on: date | None,
    today: date,
    due: bool,
) -> None:
    policy = parse_policy(policy_text + f"\n[reminders]\nescalate_after = {escalate_after}\n")
    assert (
        reminders.reminder_due(
            policy=policy, unanswered=unanswered, last_reminded_on=last_reminded_on, today=today
        )
        is due
    )


@pytest.mark.parametrize(("unanswered", "days"), [(0, 1), (1, 1), (2, 2), (3, 4), (4, 5), (19, 5)])
def test_the_backoff_doubles_up_to_a_week(unanswered: int, days: int) -> None:
    assert reminders.backoff(unanswered) == days
