"""Claim, Acknowledge, Waiting on CS, Resume, Reopen: one click, one status change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond

from bot import escalations
from bot.blocks.escalation import escalation_id_from_action
from bot.blocks.ids import ActionId
from handlers.actions.reminder_refresh import refresh_reminder
from handlers.payload import PayloadError, first_action, runtime_of, user_id

STATUS_ACTIONS: dict[str, Callable[..., Any]] = {
    ActionId.CLAIM: escalations.claim,
    ActionId.ACKNOWLEDGE: escalations.acknowledge,
    ActionId.WAIT: escalations.wait_on_cs,
    ActionId.RESUME: escalations.resume,
    ActionId.REOPEN: escalations.reopen,
    ActionId.HAND_BACK: escalations.hand_back,
}


def status_button(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Apply the button's status change, then refresh the message and its thread."""
    ack()
    runtime = runtime_of(context)
    action = first_action(body)
    escalation_id = escalation_id_from_action(action)
    change = STATUS_ACTIONS.get(str(action.get("action_id")))
    if escalation_id is None or change is None:
        raise PayloadError
    with runtime.db.session() as session:
        change(
            session=session,
            policy=runtime.policy,
            escalation_id=escalation_id,
            actor_id=user_id(body),
            now=runtime.now(),
        )
    runtime.deliver(escalation_id=escalation_id)
    refresh_reminder(runtime=runtime, body=body, user_id=user_id(body), respond=respond)
