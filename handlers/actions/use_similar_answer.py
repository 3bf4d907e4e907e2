"""Use a similar escalation's answer: the Resolve modal again, its answer filled from that one."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.escalation import build_resolve_modal, read_private_metadata
from bot.similarity.service import answer_to_use
from handlers.payload import PayloadError, first_action
from handlers.request import request_context


def use_similar_answer_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Fill the answer for CS with the chosen resolved escalation's (what was typed elsewhere stays)."""
    ack()
    view = body.get("view")
    if not isinstance(view, dict) or not isinstance(view.get("id"), str):
        raise PayloadError
    escalation_id = read_private_metadata(view).get("escalation_id")
    source = str(first_action(body).get("value") or "")
    if not isinstance(escalation_id, int) or not source.isdigit():
        raise PayloadError
    with request_context(context, body) as request:
        form = answer_to_use(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            source_id=int(source),
            actor_id=request.actor_id,
            audience=request.audience,
        )
    modal = build_resolve_modal(
        policy=request.policy, escalation=form.escalation, offer=form.offer, use_offer=True
    )
    client.views_update(view_id=view["id"], hash=view.get("hash"), view=modal)
