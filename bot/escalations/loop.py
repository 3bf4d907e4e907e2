"""Closing the loop with CS: what the escalation's filer is told as it moves, promised with each change.

The filer hears it was filed (a DM with the key, the card's link, the assignee and the due time).
Filed from a message, the message's thread gets one reply, updated in place after every change
that is posted (assigned, waiting on CS with the question, resolved with the answer, reopened).
When the engineer waits on CS, the filer gets a DM with the question and a button to answer
(`answer_question`: the answer goes to the escalation's thread and the clock runs again).
Each row is worded when it is sent (`bot.presenter.render_notice`), after the card is posted, so
it links to the card and says what holds then.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import outbox_keys
from bot.models import Escalation, EscalationEvent
from bot.outbox_rows import OutboxRow, enqueue


def on_filed(*, session: Session, escalation: Escalation, now: datetime) -> None:
    """Promise the filer's confirmation (Zendesk's intake tells its own filer, by the same key)."""
    assert escalation.id is not None
    if escalation.filed_by and escalation.source == "slack":
        key = outbox_keys.filer_told(escalation.id)
        row = OutboxRow.notice(
            key, escalation_id=escalation.id, to=escalation.filed_by, what="filed"
        )
        enqueue(session, row, now=now)
    if escalation.source_channel_id and escalation.source_message_ts:
        key = outbox_keys.source_reply(escalation.id)
        enqueue(session, OutboxRow.source_post(key, escalation_id=escalation.id), now=now)


def on_event(
    *, session: Session, escalation: Escalation, event: EscalationEvent, now: datetime
) -> None:
    """A posted change: the source thread's reply is redrawn; waiting on CS, the filer is asked."""
    assert escalation.id is not None
    assert event.id is not None
    if escalation.source_channel_id and escalation.source_message_ts:
        row = OutboxRow.source_update(
            outbox_keys.source_update(escalation.id, event.id),
            escalation_id=escalation.id,
            post=outbox_keys.source_reply(escalation.id),
        )
        enqueue(session, row, now=now)
    if event.kind == "wait" and escalation.filed_by and escalation.filed_by != event.actor_id:
        key = outbox_keys.filer_asked(escalation.id, event.id)
        asked = OutboxRow.notice(
            key,
            escalation_id=escalation.id,
            to=escalation.filed_by,
            what="waiting",
            event_id=event.id,
        )
        enqueue(session, asked, now=now)
