"""Who gets an escalation: skills, availability, load and rotation; and `/cre away` / `/cre back`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.errors import NotAllowed
from bot.models import ACTIVE_STATUSES, EngineerState, Escalation
from bot.policy import Policy


@dataclass(frozen=True)
class Availability:
    """Whether an engineer is away now, and until when (None: until they say they are back)."""

    user_id: str
    away: bool
    away_until: datetime | None


def open_load(*, session: Session) -> dict[str, int]:
    """Unresolved escalations per assignee."""
    rows = session.exec(
        select(Escalation.assignee_id, sa.func.count())
        .where(col(Escalation.status).in_(ACTIVE_STATUSES))
        .group_by(col(Escalation.assignee_id))
    ).all()
    return {assignee: int(count) for assignee, count in rows if assignee}


def is_away(state: EngineerState | None, *, now: datetime) -> bool:
    """Away now: marked away, and either indefinitely or until a later instant."""
    if state is None or not state.away:
        return False
    return state.away_until is None or now < state.away_until


def availability(*, session: Session, user_id: str, now: datetime) -> Availability:
    """The current availability of one engineer."""
    state = session.get(EngineerState, user_id)
    away = is_away(state, now=now)
    return Availability(
        user_id=user_id, away=away, away_until=state.away_until if away and state else None
    )


def pick_assignee(
    *, session: Session, policy: Policy, product: str, category: str, now: datetime
) -> str | None:
    """The engineer to assign: skills cover it, not away, fewest open, then longest since last assigned."""
    if policy.assignment.strategy == "manual":
        return None
    candidates = [
        e.user for e in policy.roster.engineers if e.covers(product=product, category=category)
    ]
    if not candidates:
        return None
    states = {
        s.user_id: s
        for s in session.exec(
            select(EngineerState).where(col(EngineerState.user_id).in_(candidates))
        ).all()
    }
    available = [user for user in candidates if not is_away(states.get(user), now=now)]
    if not available:
        return None
    load = open_load(session=session)
    roster_order = {user: index for index, user in enumerate(candidates)}
    never = datetime.min.replace(tzinfo=UTC)

    def rank(user: str) -> tuple[int, datetime, int]:
        state = states.get(user)
        last = state.last_assigned_at if state and state.last_assigned_at else never
        return (load.get(user, 0), last, roster_order[user])

    return min(available, key=rank)


def note_assigned(*, session: Session, user_id: str, now: datetime) -> None:
    """Remember when an engineer was last given an escalation (the rotation tie-breaker)."""
    _upsert_state(session, user_id, last_assigned_at=now)


# (dialect, the columns set) → INSERT … ON CONFLICT (user_id) DO UPDATE SET them, built once:
# every claim and auto-assignment notes its assignee (building it per call cost more than running it).
_UPSERTS: dict[tuple[str, tuple[str, ...]], Any] = {}


def _upsert_state(session: Session, user_id: str, **values: Any) -> None:
    """Create or update an engineer's state in one statement: two filings at once never collide."""
    table = EngineerState.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    names = tuple(sorted(values))
    statement = _UPSERTS.get((dialect, names))
    if statement is None:
        insert_factory = postgresql.insert if dialect == "postgresql" else sqlite.insert
        insert = insert_factory(table)
        statement = _UPSERTS[(dialect, names)] = insert.on_conflict_do_update(
            index_elements=[table.c.user_id], set_={name: insert.excluded[name] for name in names}
        )
    with session.no_autoflush:  # called mid-change: the escalation is flushed by the change itself
        session.execute(statement, {"away": False, **values, "user_id": user_id})


AWAY_AT_MOST = timedelta(days=730)  # `/cre away until` a date at most two years ahead


def set_away(
    *, session: Session, policy: Policy, user_id: str, until: date | None, now: datetime
) -> Availability:
    """Mark a roster engineer away, through the end of `until` (team time zone) or until `/cre back`."""
    if not policy.is_engineer(user_id):
        raise NotAllowed("error.not_on_roster")
    away_until = None
    if until is not None:
        tz = policy.business_calendar.tz
        today = now.astimezone(tz).date()
        if until < today:
            raise NotAllowed("error.away_in_past", date=until.isoformat())
        if until > today + AWAY_AT_MOST:
            latest = today + AWAY_AT_MOST
            raise NotAllowed(
                "error.away_too_far", date=until.isoformat(), latest=latest.isoformat()
            )
        away_until = datetime.combine(until + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    _upsert_state(session, user_id, away=True, away_until=away_until)
    session.commit()
    return Availability(user_id=user_id, away=True, away_until=away_until)


def set_back(*, session: Session, policy: Policy, user_id: str, now: datetime) -> Availability:
    """Mark a roster engineer available again."""
    if not policy.is_engineer(user_id):
        raise NotAllowed("error.not_on_roster")
    _upsert_state(session, user_id, away=False, away_until=None)
    session.commit()
    return Availability(user_id=user_id, away=False, away_until=None)
