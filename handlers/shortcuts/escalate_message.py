"""The "Escalate to CRE" message shortcut."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.escalation import EscalationPrefill, build_escalation_modal
from bot.similarity.service import suggest_at_intake
from handlers.payload import PayloadError, runtime_of, trigger_id


def escalate_message(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the escalation modal prefilled with the message's text and link, remembering its source,
    with the product and category that similar resolved escalations suggest."""
    ack()
    runtime = runtime_of(context)
    message, channel, team = body.get("message"), body.get("channel"), body.get("team")
    if not isinstance(message, dict) or not isinstance(channel, dict):
        raise PayloadError
    channel_id = channel.get("id")
    if not isinstance(channel_id, str) or not isinstance(message.get("ts"), str):
        raise PayloadError
    # No Slack call before views.open (its trigger id lasts 3 s): the URL known, or the team's.
    domain = team.get("domain") if isinstance(team, dict) else None
    workspace_url = runtime.known_workspace_url() or (
        f"https://{domain}.slack.com/"
        if isinstance(domain, str) and re.fullmatch(r"[A-Za-z0-9-]{1,64}", domain)
        else None
    )
    prefill = EscalationPrefill.from_message(
        message, channel_id=channel_id, workspace_url=workspace_url
    )
    # A search of the index this process holds (never a wait for it): well inside the 3 s.
    suggestion = suggest_at_intake(
        index=runtime.similarity, policy=runtime.policy, text=prefill.text
    )
    prefill = prefill.suggested(suggestion)
    client.views_open(
        trigger_id=trigger_id(body),
        view=build_escalation_modal(policy=runtime.policy, prefill=prefill),
    )
