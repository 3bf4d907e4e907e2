"""A reminder's "Still on it" button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot import escalations
from handlers.actions.reminder_refresh import refresh_reminder
from handlers.payload import clicked_escalation_id
from handlers.request import request_context


def still_on_it_clicked(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Record the assignee's answer as activity and mark it answered in the reminder."""
    ack()
    escalation_id = clicked_escalation_id(body)
    with request_context(context, body) as request:
        escalations.still_on_it(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
            now=request.now,
        )
    refresh_reminder(request=request, body=body, respond=respond)
