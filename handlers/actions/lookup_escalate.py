"""Escalate for this user (on a /lookup answer): the escalation modal, prefilled with the user."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.escalation import EscalationPrefill, build_escalation_modal
from bot.lookup.service import chart_subject
from handlers.payload import first_action, runtime_of, trigger_id


def lookup_escalate_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the escalation modal with the looked-up user's id filled in."""
    ack()
    runtime = runtime_of(context)
    end_user_id = chart_subject(str(first_action(body).get("value") or ""))
    modal = build_escalation_modal(
        policy=runtime.policy, prefill=EscalationPrefill(end_user_id=end_user_id)
    )
    client.views_open(trigger_id=trigger_id(body), view=modal)
