"""The lead's DM of ignored work: what kept its reminders unanswered, with a picker to reassign.

The stale-reminders run sends it (drawn when sent, renderer "ignored"), one per run that finds
escalations past `escalate_after` unanswered reminders. A reassign picked in it redraws it in
place with the change's own posts: the item says who has it now and loses its picker. Nobody is
notified by a redraw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, select

from bot import escalations, outbox_keys
from bot.models import Escalation, Outbox, Status
from bot.outbox_rows import OutboxRow, enqueue
from bot.policy import Policy
from bot.reminders import REMINDED_STATUSES

RENDER = "ignored"  # the renderer that draws the DM (bot.presenter)


def row(*, policy: Policy, ignored: Sequence[Escalation], today: date) -> OutboxRow:
    """The day's DM to the lead listing `ignored` (their reminders went unanswered)."""
    key = outbox_keys.lead_reminder(today, (e.id for e in ignored))
    return OutboxRow.drawn(
        key, channel=policy.roster.lead, render=RENDER, ids=[e.id for e in ignored], post=key
    )


def outcome(escalation: Escalation) -> str | None:
    """What became of a listed escalation since the lead was told: None while still ignored."""
    if escalation.status == Status.RESOLVED:
        return "resolved"
    if escalation.status == Status.OPEN or not escalation.assignee_id:
        return "handed_back"
    if escalation.lead_told_at is None or escalation.status not in REMINDED_STATUSES:
        return "taken"  # activity since (a reassign, an answer) or moved on: someone has it
    return None


def reassign(
    *,
    session: Session,
    policy: Policy,
    escalation_id: int,
    actor_id: str,
    assignee_id: str,
    now: datetime,
    post: str | None = None,
) -> Escalation:
    """Give the escalation to another engineer; picked in the lead's DM (the row keyed `post`),
    that DM is redrawn in place, delivered with the change's posts."""
    escalation = escalations.reassign(
        session=session,
        policy=policy,
        escalation_id=escalation_id,
        actor_id=actor_id,
        assignee_id=assignee_id,
        now=now,
    )
    if post is None:
        return escalation
    posted = session.exec(select(Outbox).where(Outbox.key == post)).first()
    if (
        posted is None
        or posted.payload.get("render") != RENDER
        or escalation_id not in (posted.payload.get("ids") or [])
    ):
        return escalation  # not a lead's DM listing it (an old one, or a made-up block id)
    redraw = OutboxRow.drawn(
        outbox_keys.lead_reminder_update(post, escalation_id, escalation.version),
        channel=str(posted.payload["channel"]),
        render=RENDER,
        update_of=post,
        about=escalation_id,
        ids=posted.payload["ids"],
        post=post,
    )
    enqueue(session, redraw, now=now)
    session.commit()
    return escalation
