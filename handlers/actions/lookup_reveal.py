"""Reveal personal data (the lead, on a /lookup answer): the same look-up again, unmasked."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from handlers.commands.lookup import look_up_and_render
from handlers.payload import channel_id, first_action
from handlers.request import request_context


def lookup_reveal_clicked(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Re-run the look-up revealed (audited as such) and replace the ephemeral answer with it."""
    ack()
    with request_context(context, body) as request:
        text, blocks = look_up_and_render(
            request,
            query=str(first_action(body).get("value") or ""),
            channel=channel_id(body),
            reveal=True,
        )
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)
