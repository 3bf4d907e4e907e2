"""The "Escalate to CRE" message shortcut."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.escalation import EscalationPrefill, build_escalation_modal
from handlers.payload import PayloadError, runtime_of, trigger_id


def escalate_message(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the escalation modal prefilled with the message's text, remembering where it came from."""
    ack()
    runtime = runtime_of(context)
    message: dict[str, Any] = body.get("message") or {}
    channel: dict[str, Any] = body.get("channel") or {}
    if not isinstance(message, dict) or not isinstance(channel, dict):
        raise PayloadError
    text = str(message.get("text") or "")
    prefill = EscalationPrefill(
        summary=text.strip().split("\n", 1)[0],
        details=text,
        source_channel_id=channel.get("id") or None,
        source_message_ts=message.get("ts") or None,
    )
    client.views_open(
        trigger_id=trigger_id(body),
        view=build_escalation_modal(policy=runtime.policy, prefill=prefill),
    )
