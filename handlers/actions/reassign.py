"""Reassign: a user picked in the escalation message's select, or in the lead's DM of ignored work."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import lead_dm
from bot.blocks.escalation import escalation_id_from_action
from bot.blocks.reminders import lead_dm_post
from handlers.payload import PayloadError, first_action
from handlers.request import request_context


def reassign_selected(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Give the escalation to the selected engineer (picked in the lead's DM: redraw it)."""
    ack()
    action = first_action(body)
    escalation_id = escalation_id_from_action(action)
    assignee = action.get("selected_user")
    if escalation_id is None or not isinstance(assignee, str) or not assignee:
        raise PayloadError
    message = body.get("message")
    with request_context(context, body) as request:
        lead_dm.reassign(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
            assignee_id=assignee,
            now=request.now,
            post=lead_dm_post(message if isinstance(message, dict) else None),
        )
    request.runtime.deliver(escalation_id=escalation_id)
