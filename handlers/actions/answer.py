"""Answer on the filer's DM: open the modal that answers the engineer's question."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import escalations
from bot.blocks.loop import build_answer_modal
from handlers.payload import clicked_escalation_id, trigger_id
from handlers.request import request_context


def answer_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the answer modal with the question, if the clicker may answer it now."""
    ack()
    escalation_id = clicked_escalation_id(body)
    with request_context(context, body) as request:
        escalation, question = escalations.question_to_answer(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
        )
    modal = build_answer_modal(policy=request.policy, escalation=escalation, question=question)
    client.views_open(trigger_id=trigger_id(body), view=modal)
