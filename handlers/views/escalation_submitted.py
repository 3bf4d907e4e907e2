"""The escalation modal was submitted: validate, file once, post."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt import Ack

from bot import escalations
from bot.blocks.errors import field_errors
from bot.blocks.escalation import read_input_values, read_source
from bot.errors import InvalidInput
from handlers.payload import PayloadError, runtime_of
from handlers.request import request_context


def escalation_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]
) -> None:
    """File the escalation (once per modal, however often it is submitted) and post it."""
    runtime = runtime_of(context)
    try:
        draft = escalations.validate_draft(policy=runtime.policy, values=read_input_values(view))
    except InvalidInput as invalid:
        ack(response_action="errors", errors=field_errors(invalid, runtime.lang))
        return
    ack()
    view_id = view.get("id")
    if not isinstance(view_id, str) or not view_id:
        raise PayloadError
    source = read_source(view)
    if source is not None:
        draft = dataclasses.replace(
            draft,
            source_channel_id=source[0],
            source_message_ts=source[1],
            source_permalink=source[2],
        )
    with request_context(context, body) as request:
        filed = escalations.file_escalation(
            session=request.session,
            policy=request.policy,
            draft=draft,
            filed_by=request.actor_id,
            intake_key=f"view:{view_id}",
            now=request.now,
        )
    runtime.deliver(escalation_id=filed.escalation.id)
