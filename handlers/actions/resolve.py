"""Resolve: open the resolution modal for someone allowed to resolve."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.escalation import build_resolve_modal
from bot.similarity.service import resolve_form
from handlers.payload import clicked_escalation_id, trigger_id
from handlers.request import request_context


def resolve_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the modal asking for the cause, a note and the answer for CS (offering a similar
    resolved escalation's answer to start from)."""
    ack()
    escalation_id = clicked_escalation_id(body)
    with request_context(context, body) as request:
        form = resolve_form(
            session=request.session,
            policy=request.policy,
            index=request.runtime.similarity,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
            audience=request.audience,
        )
    modal = build_resolve_modal(policy=request.policy, escalation=form.escalation, offer=form.offer)
    client.views_open(trigger_id=trigger_id(body), view=modal)
