"""A reminder's Snooze menu (1 or 3 working days) and its "Snooze until" date picker."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot import escalations, reminders
from handlers.actions.reminder_refresh import refresh_reminder
from handlers.payload import PayloadError, first_action
from handlers.request import request_context


def snooze_chosen(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Snooze the escalation's reminders until the chosen time."""
    ack()
    escalation_id, choice = _read_choice(first_action(body))
    with request_context(context, body) as request:
        today = request.now.astimezone(request.policy.business_calendar.tz).date()
        until = reminders.snooze_until(policy=request.policy, choice=choice, today=today)
        escalations.snooze(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
            until=until,
            now=request.now,
        )
    refresh_reminder(request=request, body=body, respond=respond)


def _read_choice(action: dict[str, Any]) -> tuple[int, str]:
    """(escalation id, "1" | "3" | "YYYY-MM-DD") from the select's value or the picker's block and date."""
    selected = action.get("selected_option")
    if isinstance(selected, dict):
        escalation, _, days = str(selected.get("value", "")).partition(":")
        if escalation.isdigit() and days:
            return int(escalation), days
    block = str(action.get("block_id", "")).removeprefix("remind:")
    picked = action.get("selected_date")
    if block.isdigit() and isinstance(picked, str) and picked:
        return int(block), picked
    raise PayloadError
