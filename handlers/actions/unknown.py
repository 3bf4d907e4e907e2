"""Any action id no listener knows: a polite refusal instead of Slack's error icon."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.i18n import t
from handlers.payload import runtime_of
from handlers.replies import tell_user


def unknown_action(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: dict[str, Any]
) -> None:
    """Acknowledge and explain that the button is not supported (anymore)."""
    ack()
    runtime = runtime_of(context)
    tell_user(
        body=body, respond=respond, client=client, text=t("error.unknown_action", runtime.lang)
    )
