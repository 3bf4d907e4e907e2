"""The assignee's DM: one per assignment, then redrawn in place as the escalation moves.

When an escalation is assigned (claimed, reassigned, auto-assigned) its new assignee gets one DM
with its priority, due time and buttons. Later news about it (a status change, an SLO warning or
breach, a reassignment away) changes that DM in place rather than sending another: a redraw
notifies nobody, and the DM always shows where the escalation stands. The DMs are outbox rows
(`OutboxRow.assignment_dm`), drawn when sent, so a redraw shows the state at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from bot import outbox_keys
from bot.models import Escalation, Outbox, OutboxStatus
from bot.outbox_rows import OutboxKind, OutboxRow

# Timeline entries that give an escalation to someone: each promises that person's DM.
ASSIGNING = frozenset({"claimed", "reassigned", "auto_assigned"})


def dm_key(escalation: Escalation) -> str | None:
    """The key of the current assignee's DM (None when nobody has the escalation)."""
    if escalation.id is None or not escalation.assignee_id or escalation.assigned_at is None:
        return None
    return outbox_keys.assignment_dm(escalation.id, escalation.assignee_id, escalation.assigned_at)


class PostedDm(NamedTuple):
    """An assignment DM promised in the outbox: what redrawing it needs."""

    key: str
    escalation_id: int | None
    payload: dict[str, Any]
    # Where Slack put it ({"channel", "ts"}), once sent: a redraw then needs no read of its row.
    posted: dict[str, str] | None = None


_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
# The columns a redraw needs (a Core select: no ORM rows built on every change).
_POSTED_DMS = sa.select(
    _OUTBOX.c.key, _OUTBOX.c.escalation_id, _OUTBOX.c.payload, _OUTBOX.c.status, _OUTBOX.c.result
).where(
    _OUTBOX.c.escalation_id.in_(sa.bindparam("ids", expanding=True)),
    _OUTBOX.c.kind == str(OutboxKind.DM),
    # Not the redraws (one per change: reading them all made each click slower than the last);
    # the payload check below still decides.
    ~_OUTBOX.c.key.contains(outbox_keys.REDRAWN_IN_PLACE),
)


def posted_dms(*, session: Session, escalation_ids: Iterable[int]) -> dict[int, list[PostedDm]]:
    """The assignment DMs promised for these escalations (not their redraws), per escalation."""
    ids = list(escalation_ids)
    found: dict[int, list[PostedDm]] = {i: [] for i in ids}
    if not ids:
        return found
    for key, escalation_id, payload, status, result in session.execute(_POSTED_DMS, {"ids": ids}):
        # Not a redraw, nor an SLO stage's row merged into another stage's (it names no user).
        if "user" in payload and "update_of" not in payload and escalation_id:
            found[escalation_id].append(
                PostedDm(key, escalation_id, payload, posted=_where_posted(status, result))
            )
    return found


def _where_posted(status: str, result: dict[str, Any] | None) -> dict[str, str] | None:
    """The sent DM's channel and ts (a sent row's result never changes), or None."""
    if status != OutboxStatus.SENT or not result or not result.get("ts"):
        return None
    if not result.get("channel"):
        return None
    return {"channel": str(result["channel"]), "ts": str(result["ts"])}


def redraw_rows(dms: Iterable[PostedDm], *, cause: str) -> list[OutboxRow]:
    """Rows redrawing each DM in place after `cause` (a timeline entry id, "slo2", …): a DM
    already sent is named by where it is, so its redraw needs no read of the DM's row."""
    return [
        OutboxRow.assignment_dm(
            outbox_keys.dm_update(dm.key, cause),
            escalation_id=dm.escalation_id or 0,
            user=str(dm.payload["user"]),
            update_of=dm.key,
            posted=dm.posted,
        )
        for dm in dms
    ]


def rows_for_event(
    *, session: Session, escalation: Escalation, kind: str, event_id: int
) -> list[OutboxRow]:
    """What a timeline entry owes the DMs: the new assignee's DM, and every earlier DM about the
    escalation redrawn (promised by the caller, in this order, with the entry's other rows)."""
    assert escalation.id is not None
    fresh = dm_key(escalation) if kind in ASSIGNING else None
    rows = []
    if fresh is not None and escalation.assignee_id is not None:
        rows.append(
            OutboxRow.assignment_dm(fresh, escalation_id=escalation.id, user=escalation.assignee_id)
        )
    earlier = [
        dm
        for dm in posted_dms(session=session, escalation_ids=[escalation.id])[escalation.id]
        if dm.key != fresh
    ]
    return rows + redraw_rows(earlier, cause=str(event_id))
