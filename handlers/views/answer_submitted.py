"""The filer's answer was submitted: into the escalation's thread, and the clock runs again."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import escalations
from bot.blocks.errors import error_text, field_errors
from bot.blocks.escalation import read_input_values, read_private_metadata
from bot.errors import DomainError, InvalidInput
from handlers.payload import PayloadError, runtime_of
from handlers.request import request_context


def answer_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]
) -> None:
    """Record the answer (once per modal) before closing it; a refusal stays in the modal."""
    runtime = runtime_of(context)
    answer = read_input_values(view).get("answer") or ""
    escalation_id = read_private_metadata(view).get("escalation_id")
    view_id = view.get("id")
    if not isinstance(escalation_id, int) or not isinstance(view_id, str) or not view_id:
        ack()
        raise PayloadError
    try:
        with request_context(context, body) as request:
            escalations.answer_question(
                session=request.session,
                policy=request.policy,
                escalation_id=escalation_id,
                actor_id=request.actor_id,
                answer=answer,
                answer_key=f"view:{view_id}",
                now=request.now,
            )
    except InvalidInput as invalid:
        ack(response_action="errors", errors=field_errors(invalid, runtime.lang))
        return
    except DomainError as refused:  # no longer waiting, or not theirs to answer: the text stays
        ack(response_action="errors", errors={"answer": error_text(refused, runtime.lang)})
        return
    ack()
    runtime.deliver(escalation_id=escalation_id)
