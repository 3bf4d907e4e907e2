"""The "Escalate to CRE" message shortcut."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.escalation import EscalationPrefill, build_escalation_modal
from bot.mrkdwn import message_permalink, to_plain
from handlers.payload import PayloadError, runtime_of, trigger_id


def escalate_message(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the escalation modal prefilled with the message's text and link, remembering its source."""
    ack()
    runtime = runtime_of(context)
    message: dict[str, Any] = body.get("message") or {}
    channel: dict[str, Any] = body.get("channel") or {}
    team: dict[str, Any] = body.get("team") or {}
    if not isinstance(message, dict) or not isinstance(channel, dict) or not isinstance(team, dict):
        raise PayloadError
    channel_id, message_ts = channel.get("id"), message.get("ts")
    if not isinstance(channel_id, str) or not isinstance(message_ts, str):
        raise PayloadError
    workspace_url = runtime.workspace_url() or (
        f"https://{team['domain']}.slack.com/" if isinstance(team.get("domain"), str) else None
    )
    text = to_plain(str(message.get("text") or ""))
    prefill = EscalationPrefill(
        summary=text.strip().split("\n", 1)[0],
        details=text,
        source_channel_id=channel_id,
        source_message_ts=message_ts,
        source_permalink=message_permalink(
            workspace_url,
            channel_id=channel_id,
            message_ts=message_ts,
            thread_ts=message.get("thread_ts")
            if isinstance(message.get("thread_ts"), str)
            else None,
        )
        if workspace_url
        else None,
    )
    client.views_open(
        trigger_id=trigger_id(body),
        view=build_escalation_modal(policy=runtime.policy, prefill=prefill),
    )
