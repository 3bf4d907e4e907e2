"""A reminder's "Still on it" button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot import escalations
from bot.blocks.escalation import escalation_id_from_action
from handlers.actions.reminder_refresh import refresh_reminder
from handlers.payload import PayloadError, first_action, runtime_of, user_id


def still_on_it_clicked(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Record the assignee's answer as activity and mark it answered in the reminder."""
    ack()
    runtime = runtime_of(context)
    escalation_id = escalation_id_from_action(first_action(body))
    if escalation_id is None:
        raise PayloadError
    actor = user_id(body)
    with runtime.db.session() as session:
        escalations.still_on_it(
            session=session,
            policy=runtime.policy,
            escalation_id=escalation_id,
            actor_id=actor,
            now=runtime.now(),
        )
    refresh_reminder(runtime=runtime, body=body, user_id=actor, respond=respond)
