"""A shortcut no listener knows."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.i18n import t
from handlers.payload import runtime_of
from handlers.replies import tell_user


def unknown_shortcut(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: dict[str, Any]
) -> None:
    """Acknowledge and explain."""
    ack()
    tell_user(
        body=body,
        respond=respond,
        client=client,
        text=t("error.unknown_action", runtime_of(context).lang),
    )
