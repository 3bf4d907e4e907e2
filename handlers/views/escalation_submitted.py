"""The escalation modal was submitted: validate, file once (then ack), post."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt import Ack

from bot import escalations
from bot.blocks.errors import field_errors
from bot.blocks.escalation import read_input_values, read_source
from bot.db import database_did_not_answer
from bot.errors import InvalidInput
from bot.i18n import t
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
    view_id = view.get("id")
    if not isinstance(view_id, str) or not view_id:
        ack()
        raise PayloadError
    source = read_source(view)
    if source is not None:
        draft = dataclasses.replace(
            draft,
            source_channel_id=source[0],
            source_message_ts=source[1],
            source_permalink=source[2],
        )
    # Filed before the ack: a modal that closes was filed, one that stays open says why it was not
    # (submitting it again files it once, keyed by the view).
    try:
        with request_context(context, body) as request:
            filed = escalations.file_escalation(
                session=request.session,
                policy=request.policy,
                draft=draft,
                filed_by=request.actor_id,
                intake_key=f"view:{view_id}",
                now=request.now,
            )
    except Exception as error:
        if not database_did_not_answer(error):
            ack()
            raise
        ack(
            response_action="errors",
            errors={"summary": t("error.database_submit_again", runtime.lang)},
        )
        return
    ack()
    runtime.deliver(escalation_id=filed.escalation.id)
