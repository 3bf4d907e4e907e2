"""Waiting on CS on an escalation with a Zendesk ticket: open the modal that asks the question."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import escalations
from bot.blocks.escalation import build_wait_modal
from bot.lifecycle import Verb
from handlers.payload import clicked_escalation_id, trigger_id
from handlers.request import request_context


def wait_with_question_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the modal asking what the engineer needs from CS (it goes to the ticket)."""
    ack()
    escalation_id = clicked_escalation_id(body)
    with request_context(context, body) as request:
        escalation = escalations.check_may(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
            action=Verb.WAIT,
        )
    modal = build_wait_modal(policy=request.policy, escalation=escalation)
    client.views_open(trigger_id=trigger_id(body), view=modal)
