"""Reassign: a user picked in the escalation message's select."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import escalations
from bot.blocks.escalation import escalation_id_from_action
from handlers.payload import PayloadError, first_action, runtime_of, user_id


def reassign_selected(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Give the escalation to the selected engineer."""
    ack()
    runtime = runtime_of(context)
    action = first_action(body)
    escalation_id = escalation_id_from_action(action)
    assignee = action.get("selected_user")
    if escalation_id is None or not isinstance(assignee, str) or not assignee:
        raise PayloadError
    with runtime.db.session() as session:
        escalations.reassign(
            session=session,
            policy=runtime.policy,
            escalation_id=escalation_id,
            actor_id=user_id(body),
            assignee_id=assignee,
            now=runtime.now(),
        )
    runtime.deliver(escalation_id=escalation_id)
