"""The SLO clock: each escalation's age in business time against its priority's target.

The clock runs while an escalation is open, assigned or investigating, and pauses while it waits on
CS. Its state is kept as business time consumed in closed segments plus the start of the running
segment, and the instants of the due time and of the next threshold are stored, so finding what
crossed a threshold is one indexed query however many escalations are open.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.models import UNRESOLVED_STATUSES, Escalation, Status
from bot.policy import Policy

RUNNING_STATUSES = (Status.OPEN, Status.ASSIGNED, Status.INVESTIGATING)
_ONE_US = timedelta(microseconds=1)
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class SloState:
    """Where an escalation stands against its SLO at one instant."""

    target: timedelta
    elapsed: timedelta
    running: bool
    due_at: datetime | None
    resolved: bool

    @property
    def remaining(self) -> timedelta:
        """Business time left (negative once breached)."""
        return self.target - self.elapsed

    @property
    def breached(self) -> bool:
        """Whether more than the target has been used (see `within_target`)."""
        return not within_target(self.elapsed, self.target)

    @property
    def fraction(self) -> float:
        """The share of the target used (1.0 at the due time)."""
        return self.elapsed / self.target if self.target else 1.0


def within_target(elapsed: timedelta, target: timedelta) -> bool:
    """The one definition of the SLO: within target means elapsed <= target, a breach elapsed > target.

    Resolved exactly at the due instant is within target. The sweep, the card, `/cre show`, the
    lists, the digest and its CSV all use it (the digest in SQL, as `resolution_business_s <=
    slo_target_s` on whole seconds, which gives the same answer; see `_segment_seconds`).
    """
    return elapsed <= target


def thresholds(policy: Policy, priority: str) -> tuple[float, ...]:
    """The fractions that raise an alert for a priority: its warnings, then 1.0 for the breach."""
    try:
        warn_at = policy.priority(priority).warn_at
    except KeyError:
        warn_at = (0.5, 0.8)
    return (*warn_at, 1.0)


def threshold_seconds(level: float, target_s: int) -> int:
    """The business second at which a threshold is crossed (whole seconds: no float drift)."""
    return math.ceil(level * target_s - 1e-6)


def _seconds(value: timedelta) -> int:
    """Whole seconds, rounded to the nearest (half up): truncating lost up to a second per pause."""
    return (value // _ONE_US + 500_000) // 1_000_000


def _segment_seconds(*, consumed_s: int, spent: timedelta, target_s: int) -> int:
    """A stopped segment in whole seconds: the nearest, but never across the target.

    Stopped (paused or resolved) a microsecond after its due instant, the clock must stay over
    its target, and stopped at the due instant, within it, as the running clock said: rounding
    alone would turn a breach by half a second into "within target" once resolved.
    """
    seconds = _seconds(spent)
    over = timedelta(seconds=consumed_s) + spent > timedelta(seconds=target_s)
    if over and consumed_s + seconds <= target_s:
        return target_s - consumed_s + 1
    if not over and consumed_s + seconds > target_s:
        return target_s - consumed_s
    return seconds


def start(*, policy: Policy, escalation: Escalation, now: datetime) -> None:
    """Start the clock on a new escalation (its target is fixed at filing)."""
    escalation.slo_target_s = _seconds(_target(policy, escalation.priority))
    escalation.slo_consumed_s = 0
    escalation.slo_stage = 0
    escalation.slo_running_since = now
    _schedule(policy, escalation, now)


def on_status_change(
    *, policy: Policy, escalation: Escalation, previous: Status, now: datetime
) -> None:
    """Pause, resume or stop the clock as the status moves in or out of the running statuses."""
    was_running = previous in RUNNING_STATUSES and escalation.slo_running_since is not None
    runs_now = Status(escalation.status) in RUNNING_STATUSES
    if was_running and not runs_now:
        _stop_segment(policy, escalation, now)
    elif runs_now and not was_running:
        escalation.slo_running_since = now
    if escalation.status == Status.RESOLVED:
        escalation.resolution_business_s = escalation.slo_consumed_s
    elif previous == Status.RESOLVED:
        escalation.resolution_business_s = None
    _schedule(policy, escalation, now)


def _stop_segment(policy: Policy, escalation: Escalation, now: datetime) -> None:
    assert escalation.slo_running_since is not None
    spent = policy.business_calendar.elapsed(escalation.slo_running_since, now)
    escalation.slo_consumed_s += _segment_seconds(
        consumed_s=escalation.slo_consumed_s, spent=spent, target_s=escalation.slo_target_s
    )
    escalation.slo_running_since = None


def _schedule(policy: Policy, escalation: Escalation, now: datetime) -> None:
    """Recompute the due instant and the instant of the next alert from the clock's state."""
    if escalation.slo_running_since is None:
        escalation.slo_due_at = None
        escalation.slo_next_alert_at = None
        escalation.card_refresh_at = None
        return
    calendar = policy.business_calendar
    target = escalation.slo_target_s
    remaining_to_due = timedelta(seconds=max(target - escalation.slo_consumed_s, 0))
    escalation.slo_due_at = calendar.add(escalation.slo_running_since, remaining_to_due)
    escalation.card_refresh_at = next_card_change(policy=policy, escalation=escalation, now=now)
    levels = thresholds(policy, escalation.priority)
    if escalation.slo_stage >= len(levels):
        escalation.slo_next_alert_at = None
        return
    at_seconds = threshold_seconds(levels[escalation.slo_stage], target)
    to_go = timedelta(seconds=max(at_seconds - escalation.slo_consumed_s, 0))
    if escalation.slo_stage == len(levels) - 1:
        to_go += _ONE_US  # the breach: the first instant more than the target has been used
    escalation.slo_next_alert_at = calendar.add(escalation.slo_running_since, to_go)


def card_left(remaining: timedelta) -> timedelta:
    """The time left as the escalation's message shows it: rounded up to the whole hour."""
    hours = -(-remaining // _HOUR)
    return max(hours, 0) * _HOUR


def next_card_change(*, policy: Policy, escalation: Escalation, now: datetime) -> datetime | None:
    """When the message's "… left" next changes by itself (None: paused, or its last hour).

    The message is a snapshot, so it shows the time left rounded up to the hour and is refreshed
    when that changes. In the last hour it says "1h left" until the breach, which the sweep posts.
    """
    running_since = escalation.slo_running_since
    if running_since is None or escalation.status == Status.RESOLVED:
        return None
    remaining = state(policy=policy, escalation=escalation, now=now).remaining
    shown = card_left(remaining)
    if shown <= _HOUR:
        return None
    return policy.business_calendar.add(max(now, running_since), remaining - (shown - _HOUR))


def due_card_refreshes(
    *, session: Session, now: datetime, limit: int = 500
) -> Sequence[Escalation]:
    """Posted, running escalations whose message's time left has changed (rows locked)."""
    return session.exec(
        select(Escalation)
        .where(
            col(Escalation.card_refresh_at) <= now,
            col(Escalation.status).in_(RUNNING_STATUSES),
            col(Escalation.message_ts).is_not(None),
        )
        .order_by(col(Escalation.card_refresh_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def save_card_refreshes(
    *, session: Session, refreshes: Sequence[tuple[int, datetime | None]]
) -> None:
    """Write the next refresh instants of (escalation id, instant) pairs in one statement."""
    params = [{"row_id": i, "next_refresh": at} for i, at in refreshes]
    _update_by_id(session, params, card_refresh_at="next_refresh")


def _update_by_id(session: Session, params: list[dict[str, Any]], **columns: str) -> None:
    """One executemany UPDATE of escalations by id; the version is bumped, so a concurrent change
    retries instead of overwriting."""
    if not params:
        return
    table = Escalation.__table__  # type: ignore[attr-defined]
    statement = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(
            **{column: sa.bindparam(param) for column, param in columns.items()},
            version=table.c.version + 1,
        )
    )
    session.connection().execute(statement, params)


def _target(policy: Policy, priority: str) -> timedelta:
    try:
        return policy.priority_target(priority)
    except KeyError:
        return policy.business_duration("2d")


class SloClock(Protocol):
    """What the clock reads of an escalation: a loaded `Escalation`, or a list's `Listed` row."""

    @property
    def status(self) -> str: ...
    @property
    def slo_target_s(self) -> int: ...
    @property
    def slo_consumed_s(self) -> int: ...
    @property
    def slo_running_since(self) -> datetime | None: ...
    @property
    def slo_due_at(self) -> datetime | None: ...


def state(*, policy: Policy, escalation: SloClock, now: datetime) -> SloState:
    """The escalation's SLO state at `now`."""
    elapsed = timedelta(seconds=escalation.slo_consumed_s)
    if escalation.slo_running_since is not None and now > escalation.slo_running_since:
        elapsed += policy.business_calendar.elapsed(escalation.slo_running_since, now)
    return SloState(
        target=timedelta(seconds=escalation.slo_target_s),
        elapsed=elapsed,
        running=escalation.slo_running_since is not None,
        due_at=escalation.slo_due_at,
        resolved=escalation.status == Status.RESOLVED,
    )


@dataclass(frozen=True)
class TeamState:
    """How the team's unresolved escalations stand: past their SLO, past their first warning, and
    waiting for an assignee."""

    breached: int
    at_risk: int
    unclaimed: int


def team_state(*, session: Session, policy: Policy, now: datetime) -> TeamState:
    """Count the unresolved escalations that are breached, at risk (a warning threshold passed) or
    unclaimed at `now`."""
    breached = at_risk = unclaimed = 0
    rows = session.exec(
        select(Escalation).where(col(Escalation.status).in_(UNRESOLVED_STATUSES))
    ).all()
    for escalation in rows:
        unclaimed += escalation.status == Status.OPEN
        current = state(policy=policy, escalation=escalation, now=now)
        if current.breached:
            breached += 1
        elif current.fraction >= min(thresholds(policy, escalation.priority), default=1.0):
            at_risk += 1
    return TeamState(breached=breached, at_risk=at_risk, unclaimed=unclaimed)


# -- finding what crossed a threshold ----------------------------------------------------------------


@dataclass(frozen=True)
class Crossing:
    """An escalation that crossed one or more thresholds since it was last looked at.

    Stages are numbered from 1: the warnings in order, then the breach. Every stage in
    `stages` fires (a sweep after downtime passes several at once); none is skipped.
    """

    escalation: Escalation
    from_stage: int
    to_stage: int
    is_breach: bool

    @property
    def stages(self) -> tuple[int, ...]:
        """The stages crossed, lowest first."""
        return tuple(range(self.from_stage + 1, self.to_stage + 1))

    @property
    def warning_stages(self) -> tuple[int, ...]:
        """The warning stages crossed (the breach left out)."""
        return self.stages[:-1] if self.is_breach else self.stages


def due_crossings(*, session: Session, now: datetime, limit: int = 1000) -> Sequence[Escalation]:
    """Running escalations whose next alert instant has come (rows locked; others skip them)."""
    return session.exec(
        select(Escalation)
        .where(
            col(Escalation.slo_next_alert_at) <= now,
            col(Escalation.status).in_(RUNNING_STATUSES),
        )
        .order_by(col(Escalation.slo_next_alert_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def advance(*, policy: Policy, escalation: Escalation, now: datetime) -> Crossing | None:
    """Move the escalation's stage past every threshold crossed by `now`; None if none was."""
    current = state(policy=policy, escalation=escalation, now=now)
    levels = thresholds(policy, escalation.priority)
    warnings = levels[:-1]
    reached = sum(
        1
        for level in warnings
        if current.elapsed >= timedelta(seconds=threshold_seconds(level, escalation.slo_target_s))
    ) + (1 if current.breached else 0)
    if reached <= escalation.slo_stage:
        _schedule(policy, escalation, now)
        return None
    crossing = Crossing(escalation, escalation.slo_stage, reached, is_breach=reached == len(levels))
    escalation.slo_stage = reached
    _schedule(policy, escalation, now)
    return crossing


def stage_updates(escalations: Sequence[Escalation]) -> list[dict[str, Any]]:
    """Parameters for one executemany UPDATE of the swept rows."""
    return [
        {
            "row_id": e.id,
            "stage": e.slo_stage,
            "next_alert": e.slo_next_alert_at,
            "due": e.slo_due_at,
        }
        for e in escalations
    ]


def save_stages(*, session: Session, escalations: Sequence[Escalation]) -> None:
    """Write the swept rows' stages and next-alert instants in one statement."""
    _update_by_id(
        session,
        stage_updates(escalations),
        slo_stage="stage",
        slo_next_alert_at="next_alert",
        slo_due_at="due",
    )
