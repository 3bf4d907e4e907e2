"""The resolution modal was submitted: validate, resolve, post."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import escalations
from bot.blocks.errors import field_errors
from bot.blocks.escalation import read_resolution
from bot.errors import InvalidInput
from handlers.payload import modal_escalation_id, runtime_of
from handlers.request import request_context


def resolution_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]
) -> None:
    """Resolve with the cause, note and answer; the filer is told in the thread."""
    runtime = runtime_of(context)
    values, answer_id = read_resolution(view)
    cause, note, answer = (
        values.get("cause") or "",
        values.get("note") or "",
        values.get("answer") or "",
    )
    try:
        escalations.validate_resolution(
            policy=runtime.policy, cause=cause, note=note, answer=answer
        )
    except InvalidInput as invalid:
        errors = field_errors(invalid, runtime.lang)
        if "answer" in errors:  # the input's id once filled from a similar escalation's answer
            errors[answer_id] = errors.pop("answer")
        ack(response_action="errors", errors=errors)
        return
    ack()
    escalation_id = modal_escalation_id(view)
    with request_context(context, body) as request:
        escalations.resolve(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            actor_id=request.actor_id,
            cause=cause,
            note=note,
            answer=answer,
            now=request.now,
        )
    runtime.deliver(escalation_id=escalation_id)
