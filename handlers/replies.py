"""Private replies to whoever sent a request."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

log = logging.getLogger(__name__)


def tell_user(
    *, body: dict[str, Any], respond: Respond | None, client: WebClient, text: str
) -> None:
    """Reply privately to whoever sent `body`: via response_url when there is one, else by DM."""
    try:
        if respond is not None and respond.response_url:
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        user_id = (body.get("user") or {}).get("id") or body.get("user_id")
        if user_id:
            client.chat_postMessage(channel=user_id, text=text)
    except Exception as exc:  # the reply is best effort; the error is already logged
        log.warning("could not tell the user about an error: %s", exc.__class__.__name__)
