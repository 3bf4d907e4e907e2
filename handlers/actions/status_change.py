"""Claim, Acknowledge, Waiting on CS, Resume, Reopen, Hand back: one click, one status change."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot import escalations, lifecycle
from bot.blocks.escalation import escalation_id_from_action
from handlers.actions.reminder_refresh import refresh_reminder
from handlers.payload import PayloadError, first_action
from handlers.request import request_context

# The action ids of the one-click verbs, as the lifecycle table names them.
STATUS_ACTIONS = frozenset(verb.action_id for verb in escalations.ONE_CLICK)


def status_button(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Apply the button's status change, then refresh the message and its thread."""
    ack()
    action = first_action(body)
    escalation_id = escalation_id_from_action(action)
    verb = lifecycle.verb_for_action_id(str(action.get("action_id")))
    change = escalations.ONE_CLICK.get(verb) if verb else None
    if escalation_id is None or change is None:
        raise PayloadError
    with request_context(context, body) as request:
        change(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
            now=request.now,
        )
    request.runtime.deliver(escalation_id=escalation_id)
    refresh_reminder(request=request, body=body, respond=respond)
