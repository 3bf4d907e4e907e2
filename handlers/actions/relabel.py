"""The card's "Change product or category": open the modal for someone allowed to change them."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import escalations
from bot.blocks.escalation import build_relabel_modal
from handlers.payload import clicked_escalation_id, trigger_id
from handlers.request import request_context


def relabel_chosen(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the modal with the product and category as they are (a suggested one marked)."""
    ack()
    escalation_id = clicked_escalation_id(body)
    with request_context(context, body) as request:
        escalation = escalations.check_may_relabel(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
        )
    modal = build_relabel_modal(policy=request.policy, escalation=escalation)
    client.views_open(trigger_id=trigger_id(body), view=modal)
