"""The App Home's "File an escalation" button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.escalation import EscalationPrefill, build_escalation_modal
from handlers.payload import runtime_of, trigger_id


def open_escalation_modal(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open an empty escalation modal."""
    ack()
    runtime = runtime_of(context)
    modal = build_escalation_modal(policy=runtime.policy, prefill=EscalationPrefill())
    client.views_open(trigger_id=trigger_id(body), view=modal)
