"""*Try again* on the lead's message about a note Zendesk would not take: put it back in line."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot.blocks.zendesk import retried_text
from bot.zendesk import writeback
from handlers.payload import PayloadError, first_action
from handlers.request import request_context


def zendesk_retry_clicked(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Queue the write again and say so in place of the message."""
    ack()
    value = str(first_action(body).get("value") or "")
    if not (value.isascii() and value.isdigit() and len(value) <= 12):
        raise PayloadError
    with request_context(context, body) as request:
        write = writeback.retry(
            session=request.session,
            policy=request.policy,
            write_id=int(value),
            actor_id=request.actor_id,
            now=request.now,
        )
    respond(text=retried_text(policy=request.policy, write=write), replace_original=True)
    request.runtime.deliver()  # wakes the Zendesk writer
