"""The day's unclaimed list: one channel post a day, redrawn in place as its escalations move.

The stale-reminders run posts the list of escalations nobody claimed in time, drawn when sent
(`OutboxRow.drawn`, renderer "unclaimed") with a Claim button on each. When one of them changes
status that day (claimed from the list or the card, reassigned, resolved) the post is redrawn in
place: its item says who took it and loses its button. The redraw goes out with the change's own
posts (the click that claimed it delivers it, not the next outbox flush). Nobody is notified by a
redraw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from bot import outbox_keys
from bot.models import Escalation, Outbox
from bot.outbox_rows import OutboxRow, enqueue
from bot.policy import Policy

RENDER = "unclaimed"  # the renderer that draws the list (bot.presenter)
# The day's list as promised (asked on every status change: one prebuilt column read).
_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
_POSTED_PAYLOAD = sa.select(_OUTBOX.c.payload).where(_OUTBOX.c.key == sa.bindparam("key"))


def list_row(*, policy: Policy, escalations: Sequence[Escalation], now: datetime) -> OutboxRow:
    """The day's post listing `escalations` (nobody claimed them in time)."""
    today = now.astimezone(policy.business_calendar.tz).date()
    return OutboxRow.drawn(
        outbox_keys.unassigned_reminder(today),
        channel=policy.escalation_channel,
        render=RENDER,
        ids=[e.id for e in escalations],
    )


def on_change(
    *, session: Session, policy: Policy, escalation: Escalation, event_id: int, now: datetime
) -> None:
    """Redraw today's list in place if it names this escalation (its status just changed)."""
    today = now.astimezone(policy.business_calendar.tz).date()
    key = outbox_keys.unassigned_reminder(today)
    posted = session.execute(_POSTED_PAYLOAD, {"key": key}).scalar()
    if posted is None or escalation.id not in (posted.get("ids") or []):
        return
    row = OutboxRow.drawn(
        outbox_keys.unassigned_update(today, event_id),
        channel=str(posted["channel"]),
        render=RENDER,
        update_of=key,
        about=escalation.id,
        ids=posted["ids"],
    )
    enqueue(session, row, now=now)
