"""The Waiting-on-CS modal was submitted: wait, with the question (the ticket gets it as a note)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import escalations
from bot.blocks.errors import field_errors
from bot.blocks.escalation import read_input_values
from bot.errors import InvalidInput
from handlers.payload import modal_escalation_id, runtime_of
from handlers.request import request_context


def wait_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]
) -> None:
    """Set the escalation to waiting on CS with the engineer's question."""
    runtime = runtime_of(context)
    question = read_input_values(view).get("question") or ""
    try:
        escalations.validate_question(question)
    except InvalidInput as invalid:
        ack(response_action="errors", errors=field_errors(invalid, runtime.lang))
        return
    ack()
    escalation_id = modal_escalation_id(view)
    with request_context(context, body) as request:
        escalations.wait_on_cs(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
            now=request.now,
            question=question,
        )
    runtime.deliver(escalation_id=escalation_id)
