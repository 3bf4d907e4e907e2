"""/escalate [summary]: open the escalation modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.escalation import EscalationPrefill, build_escalation_modal
from handlers.payload import runtime_of, trigger_id


def escalate_command(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the escalation modal, with the command's text as the summary."""
    ack()
    runtime = runtime_of(context)
    prefill = EscalationPrefill(summary=str(body.get("text") or ""))
    modal = build_escalation_modal(policy=runtime.policy, prefill=prefill)
    client.views_open(trigger_id=trigger_id(body), view=modal)
