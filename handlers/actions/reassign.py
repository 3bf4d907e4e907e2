"""Reassign: a user picked in the escalation message's select."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import escalations
from bot.blocks.escalation import escalation_id_from_action
from handlers.payload import PayloadError, first_action
from handlers.request import request_context


def reassign_selected(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Give the escalation to the selected engineer."""
    ack()
    action = first_action(body)
    escalation_id = escalation_id_from_action(action)
    assignee = action.get("selected_user")
    if escalation_id is None or not isinstance(assignee, str) or not assignee:
        raise PayloadError
    with request_context(context, body) as request:
        escalations.reassign(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
            assignee_id=assignee,
            now=request.now,
        )
    request.runtime.deliver(escalation_id=escalation_id)
