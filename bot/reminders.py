"""Stale-escalation reminders: what counts as activity, snoozes, and who gets reminded when.

An escalation is stale when it is assigned or investigating and nothing happened for `stale_after`
business time. The instant it becomes stale is stored (`stale_at`) whenever activity happens, so
the daily run finds every stale escalation with one indexed query.

Reminders back off while nobody answers them: the second comes the working day after the first,
the third two working days later, then four, and never more than a week apart (`backoff`). After
`escalate_after` unanswered reminders the lead is told at the next run, and the assignee is not
reminded of it again: the next activity (an answer, a reassign, a snooze) starts over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.errors import DomainError
from bot.models import Escalation, Status
from bot.mrkdwn import escape
from bot.policy import Policy

REMINDED_STATUSES = (Status.ASSIGNED, Status.INVESTIGATING)
BACKOFF_MAX = 5  # working days: at most a week between two reminders nobody answered


# -- keeping the timers -----------------------------------------------------------------------------


# A reply also sent to the channel, and a reply with a file, are replies all the same. Edits,
# deletions, joins and bot messages are not activity.
REPLY_SUBTYPES = frozenset({"thread_broadcast", "file_share"})


def is_thread_reply(*, event: Mapping[str, Any], policy: Policy) -> bool:
    """Whether a message event is a person's reply in a thread of the escalation channel."""
    subtype, thread_ts = event.get("subtype"), event.get("thread_ts")
    return (
        (not subtype or subtype in REPLY_SUBTYPES)
        and bool(thread_ts)
        and thread_ts != event.get("ts")
        and event.get("channel") == policy.escalation_channel
        and isinstance(event.get("user"), str)
    )


def on_filed(*, policy: Policy, escalation: Escalation) -> None:
    """Set the instant an unclaimed escalation becomes overdue for the queue post, and the stale timer."""
    calendar = policy.business_calendar
    unassigned_after = policy.business_duration(policy.reminders.unassigned_after)
    escalation.unassigned_alert_at = calendar.add(escalation.filed_at, unassigned_after)
    reschedule(policy=policy, escalation=escalation)


def touch(*, policy: Policy, escalation: Escalation, now: datetime, snoozed: bool = False) -> None:
    """Record activity: the stale timer restarts and unanswered reminders are forgiven.

    `snoozed` is a snooze press: the escalation is due again exactly when the snooze ends (sooner
    or later than `stale_after`), not `stale_after` after the press.
    """
    escalation.last_activity_at = now
    escalation.reminders_unanswered = 0
    escalation.lead_told_at = None
    if escalation.status == Status.RESOLVED:
        escalation.snoozed_until = None
    reschedule(policy=policy, escalation=escalation)
    if snoozed and escalation.stale_at is not None and escalation.snoozed_until is not None:
        escalation.stale_at = escalation.snoozed_until


def reschedule(*, policy: Policy, escalation: Escalation) -> None:
    """When silence makes this escalation stale (None when it is not in a reminded status).

    Activity during a snooze restarts the timer but does not end the snooze: the escalation is
    due at the later of the two.
    """
    if escalation.status not in REMINDED_STATUSES:
        escalation.stale_at = None
        return
    stale_after = policy.business_duration(policy.reminders.stale_after)
    stale_at = policy.business_calendar.add(escalation.last_activity_at, stale_after)
    snooze_end = escalation.snoozed_until
    escalation.stale_at = max(stale_at, snooze_end) if snooze_end is not None else stale_at


def snooze_until(*, policy: Policy, choice: str, today: date) -> datetime:
    """The end of a snooze: the start (local midnight) of the 1st or 3rd next working day, or of a date.

    Either way the escalation is in the first reminder run of that day.
    """
    calendar = policy.business_calendar
    if choice.isdigit() and 1 <= int(choice) <= 30:
        return _start_of(policy, calendar.add_working_days(today, int(choice)))
    try:
        until = date.fromisoformat(choice)
    except ValueError:
        raise DomainError("error.bad_date", text=escape(choice[:40])) from None
    if until <= today:
        raise DomainError("error.snooze_in_past", date=until.isoformat())
    if until > today + timedelta(days=366):
        raise DomainError("error.snooze_too_far")
    return _start_of(policy, until)


def _start_of(policy: Policy, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=policy.business_calendar.tz).astimezone(UTC)


# -- what the daily run finds ---------------------------------------------------------------------------


def _due(at: datetime, today: date) -> list[Any]:
    """Stale, in a reminded status, not snoozed, not yet reminded today."""
    return [
        col(Escalation.stale_at) <= at,
        col(Escalation.status).in_(REMINDED_STATUSES),
        sa.or_(col(Escalation.snoozed_until).is_(None), col(Escalation.snoozed_until) <= at),
        sa.or_(
            col(Escalation.last_reminded_on).is_(None), col(Escalation.last_reminded_on) < today
        ),
    ]


def backoff(unanswered: int) -> int:
    """Working days from a reminder nobody answered to the next: 1, 2, 4, then `BACKOFF_MAX`."""
    return min(2 ** max(unanswered - 1, 0), BACKOFF_MAX)


def reminder_due(
    *, policy: Policy, unanswered: int, last_reminded_on: date | None, today: date
) -> bool:
    """Whether a stale escalation gets a reminder today (it is not snoozed).

    Never twice a day; after unanswered reminders, only once their `backoff` has passed; never
    after `escalate_after` of them (the lead is told instead, and it is theirs to take up).
    A reminder only counted in "…and N more" was not seen: it is due again the next day.
    """
    if unanswered >= policy.reminders.escalate_after:
        return False
    if last_reminded_on is None:
        return True
    if last_reminded_on >= today:
        return False
    if unanswered == 0:
        return True
    calendar = policy.business_calendar
    return today >= calendar.add_working_days(last_reminded_on, backoff(unanswered))


def due_reminders(
    *, session: Session, policy: Policy, at: datetime, today: date
) -> list[Escalation]:
    """The escalations due a reminder today, per assignee, longest stale first."""
    stale = session.exec(
        select(Escalation)
        .where(
            *_due(at, today),
            col(Escalation.reminders_unanswered) < policy.reminders.escalate_after,
        )
        .order_by(col(Escalation.assignee_id), col(Escalation.stale_at), col(Escalation.id))
    ).all()
    due: dict[tuple[int, date | None], bool] = {}  # few distinct pairs among many rows
    for e in stale:
        pair = (e.reminders_unanswered, e.last_reminded_on)
        if pair not in due:
            due[pair] = reminder_due(
                policy=policy, unanswered=pair[0], last_reminded_on=pair[1], today=today
            )
    return [e for e in stale if due[(e.reminders_unanswered, e.last_reminded_on)]]


def by_assignee(escalations: Sequence[Escalation]) -> dict[str, list[Escalation]]:
    """Group escalations per assignee (one DM each)."""
    grouped: dict[str, list[Escalation]] = defaultdict(list)
    for escalation in escalations:
        if escalation.assignee_id:
            grouped[escalation.assignee_id].append(escalation)
    return dict(grouped)


def mark_reminded(
    *, session: Session, escalations: Sequence[Escalation], shown: Collection[int], today: date
) -> None:
    """Today's DMs covered these (a repeated run the same day sends none of them again).

    Only those a DM showed with buttons (`shown`) count one more unanswered reminder: the rest
    were only counted in "…and N more", so the lead is never told about a reminder nobody saw.
    """
    table = Escalation.__table__  # type: ignore[attr-defined]
    for ids in _chunks([e.id for e in escalations]):
        seen = [i for i in ids if i in shown]
        counted = sa.case((table.c.id.in_(seen), 1), else_=0) if seen else 0
        session.execute(
            sa.update(table)
            .where(
                table.c.id.in_(ids),
                sa.or_(table.c.last_reminded_on.is_(None), table.c.last_reminded_on < today),
            )
            .values(
                last_reminded_on=today,
                reminders_unanswered=table.c.reminders_unanswered + counted,
                version=table.c.version + 1,
            )
        )


def _chunks(ids: list[int | None], size: int = 10_000) -> list[list[int | None]]:
    """Id lists small enough for one statement (PostgreSQL takes at most 65,535 parameters;
    mark_reminded sends a chunk's ids twice at most)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def ignored(*, session: Session, policy: Policy, at: datetime, today: date) -> Sequence[Escalation]:
    """Escalations still stale after `escalate_after` unanswered reminders, lead not yet told.

    Asked before today's reminders are counted: the engineer had a whole working day to answer
    the last one, so the lead hears at the run after it (no backoff), never in the same run.
    """
    return session.exec(
        select(Escalation)
        .where(
            *_due(at, today),
            col(Escalation.reminders_unanswered) >= policy.reminders.escalate_after,
            col(Escalation.lead_told_at).is_(None),
        )
        .order_by(col(Escalation.stale_at), col(Escalation.id))
    ).all()


def mark_lead_told(*, session: Session, escalations: Sequence[Escalation], now: datetime) -> None:
    """Remember that the lead heard about these (until the next activity)."""
    table = Escalation.__table__  # type: ignore[attr-defined]
    for ids in _chunks([e.id for e in escalations]):
        session.execute(
            sa.update(table)
            .where(table.c.id.in_(ids))
            .values(lead_told_at=now, version=table.c.version + 1)
        )


def unassigned_overdue(*, session: Session, at: datetime) -> Sequence[Escalation]:
    """Open escalations nobody claimed within `unassigned_after` of filing."""
    return session.exec(
        select(Escalation)
        .where(Escalation.status == Status.OPEN, col(Escalation.unassigned_alert_at) <= at)
        .order_by(col(Escalation.filed_at))
    ).all()


@dataclass(frozen=True)
class ReminderState:
    """How a reminded escalation stands now, for re-drawing a reminder after a button press."""

    escalation: Escalation
    outcome: (
        str | None
    )  # None: still needs an answer; else "resolved", "handed_back", "snoozed", "active"


def reminder_state(
    *, escalation: Escalation, engineer_id: str, reminded_at: datetime, now: datetime
) -> ReminderState:
    """What happened to an escalation since the reminder was sent."""
    if escalation.status == Status.RESOLVED:
        return ReminderState(escalation, "resolved")
    if escalation.assignee_id != engineer_id:
        return ReminderState(escalation, "handed_back")
    if escalation.snoozed_until is not None and escalation.snoozed_until > now:
        return ReminderState(escalation, "snoozed")
    if escalation.last_activity_at > reminded_at:
        return ReminderState(escalation, "active")
    return ReminderState(escalation, None)
