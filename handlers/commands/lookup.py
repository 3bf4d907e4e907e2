"""/lookup <user id | email>: the end user's state and chart, answered ephemerally after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot.blocks.lookup import build_lookup_answer
from bot.lookup import service
from handlers.payload import runtime_of, user_id


def lookup_command(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Ack at once; then look up (audited before the answer) and answer through the response_url."""
    ack()
    runtime = runtime_of(context)
    with runtime.db.session() as session:
        result = service.look_up(
            session=session,
            policy=runtime.policy,
            source=runtime.lookup_source,
            query=str(body.get("text") or ""),
            actor_id=user_id(body),
            channel_id=_channel_id(body),
            now=runtime.now(),
            groups=runtime.user_groups,
        )
        text, blocks = build_lookup_answer(
            policy=runtime.policy, result=result, workspace_url=runtime.workspace_url()
        )
    respond(text=text, blocks=blocks, response_type="ephemeral")


def _channel_id(body: dict[str, Any]) -> str | None:
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel if isinstance(channel, str) and channel else None
