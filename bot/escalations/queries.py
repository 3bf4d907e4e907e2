"""Reading escalations: one by id or by its message, the lists people ask for, the counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.errors import (
    NotFound,
)
from bot.models import (
    ACTIVE_STATUSES,
    UNRESOLVED_STATUSES,
    Escalation,
    EscalationEvent,
    Status,
    loaded,
)


def get_escalation(*, session: Session, escalation_id: int) -> Escalation:
    """One escalation by id, or NotFound."""
    escalation = session.get(Escalation, escalation_id, populate_existing=True)
    if escalation is None:
        raise NotFound("error.not_found", key=f"ESC-{escalation_id}")
    return escalation


_ESCALATIONS = Escalation.__table__  # type: ignore[attr-defined]
_READ_ESCALATION = sa.select(_ESCALATIONS).where(_ESCALATIONS.c.id == sa.bindparam("escalation_id"))
_EVENTS = EscalationEvent.__table__  # type: ignore[attr-defined]
_READ_EVENT = sa.select(_EVENTS).where(_EVENTS.c.id == sa.bindparam("event_id"))


def read_escalation(*, session: Session, escalation_id: int) -> Escalation | None:
    """One escalation as it is now, by one prebuilt select, in no session: for the paths every
    click takes (its change, drawing its posts), where an ORM load costs several times as much."""
    row = session.execute(_READ_ESCALATION, {"escalation_id": escalation_id}).mappings().first()
    return None if row is None else loaded(Escalation, row)


def read_event(*, session: Session, event_id: int) -> EscalationEvent | None:
    """One timeline entry, read as `read_escalation` reads an escalation."""
    row = session.execute(_READ_EVENT, {"event_id": event_id}).mappings().first()
    return None if row is None else loaded(EscalationEvent, row)


def find_by_message(*, session: Session, channel_id: str, message_ts: str) -> Escalation | None:
    """The escalation whose Slack message is (channel, ts), if any."""
    return session.exec(
        select(Escalation).where(
            Escalation.channel_id == channel_id, Escalation.message_ts == message_ts
        )
    ).first()


# Most urgent first: running clocks by due time, then paused ones, then by age.
_MOST_URGENT = (
    col(Escalation.slo_due_at).is_(None),
    col(Escalation.slo_due_at),
    col(Escalation.filed_at),
)


def _most_urgent(session: Session, *conditions: Any, limit: int) -> Sequence[Escalation]:
    """Escalations matching `conditions`, most urgent first."""
    return session.exec(
        select(Escalation).where(*conditions).order_by(*_MOST_URGENT).limit(limit)
    ).all()


@dataclass(frozen=True, slots=True)
class Listed:
    """What a list row (`/cre queue`, the App Home) shows of an escalation, read as plain columns.

    Loading whole `Escalation` rows for a list (details, intake data, every timestamp converted)
    was most of `/cre queue`'s cost.
    """

    id: int
    status: str
    assignee_id: str | None
    priority: str
    summary: str
    channel_id: str
    message_ts: str | None
    slo_target_s: int
    slo_consumed_s: int
    slo_running_since: datetime | None
    slo_due_at: datetime | None

    @property
    def key(self) -> str:
        """The human key, e.g. ESC-42."""
        return f"ESC-{self.id}"


def _build_listed() -> dict[str, Any]:
    """The lists' statements, built once (building one per call cost more than running it)."""
    columns = [col(getattr(Escalation, name)) for name in Listed.__dataclass_fields__]
    listed = (
        sa.select(*columns).order_by(*_MOST_URGENT).limit(sa.bindparam("limit", type_=sa.Integer))
    )
    in_progress = listed.where(col(Escalation.status).in_(ACTIVE_STATUSES))
    return {
        "unassigned": listed.where(col(Escalation.status) == Status.OPEN),
        "in_progress": in_progress,
        "in_progress_excluding": in_progress.where(
            col(Escalation.assignee_id) != sa.bindparam("excluding")
        ),
        "count_unresolved": sa.select(col(Escalation.status), sa.func.count())
        .where(col(Escalation.status).in_(UNRESOLVED_STATUSES))
        .group_by(col(Escalation.status)),
    }


_LISTED = _build_listed()


def list_unassigned(*, session: Session, limit: int = 100) -> list[Listed]:
    """The open queue (nobody assigned), most urgent first."""
    rows = session.execute(_LISTED["unassigned"], {"limit": limit})
    return [Listed(*row) for row in rows]


def list_in_progress(
    *, session: Session, limit: int = 100, excluding: str | None = None
) -> list[Listed]:
    """Assigned, unresolved escalations (not those of `excluding`), most urgent first."""
    if excluding:
        statement = _LISTED["in_progress_excluding"]
        rows = session.execute(statement, {"limit": limit, "excluding": excluding})
    else:
        rows = session.execute(_LISTED["in_progress"], {"limit": limit})
    return [Listed(*row) for row in rows]


def list_assigned_to(*, session: Session, user_id: str, limit: int = 100) -> Sequence[Escalation]:
    """A person's unresolved escalations, most urgent first."""
    return _most_urgent(
        session,
        Escalation.assignee_id == user_id,
        col(Escalation.status).in_(UNRESOLVED_STATUSES),
        limit=limit,
    )


def list_filed_by(*, session: Session, user_id: str, limit: int = 100) -> Sequence[Escalation]:
    """What a person filed that is unresolved and not assigned to them, most urgent first."""
    return _most_urgent(
        session,
        Escalation.filed_by == user_id,
        col(Escalation.assignee_id).is_distinct_from(user_id),
        col(Escalation.status).in_(UNRESOLVED_STATUSES),
        limit=limit,
    )


def count_assigned_to(*, session: Session, user_id: str) -> int:
    """How many unresolved escalations a person has."""
    return int(
        session.exec(
            select(sa.func.count()).where(
                Escalation.assignee_id == user_id,
                col(Escalation.status).in_(ACTIVE_STATUSES),
            )
        ).one()
    )


def count_unresolved(*, session: Session) -> dict[str, int]:
    """Unresolved escalations by status."""
    rows = session.execute(_LISTED["count_unresolved"]).all()
    return {status: int(n) for status, n in rows}


def by_intake_key(session: Session, intake_key: str) -> Escalation | None:
    return session.exec(select(Escalation).where(Escalation.intake_key == intake_key)).first()


def latest_question(*, session: Session, escalation_id: int) -> str:
    """The question of the escalation's latest Waiting on CS ("" when none was asked)."""
    events = session.exec(
        select(EscalationEvent)
        .where(EscalationEvent.escalation_id == escalation_id, EscalationEvent.kind == "wait")
        .order_by(col(EscalationEvent.id).desc())
        .limit(1)
    ).all()
    return str((events[0].data or {}).get("question") or "") if events else ""
