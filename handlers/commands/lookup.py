"""/lookup <user id | email>: the end user's state and chart, answered ephemerally after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot.blocks.lookup import build_lookup_answer
from bot.lookup import service
from bot.runtime import Runtime
from handlers.payload import channel_id, runtime_of, user_id


def lookup_command(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Ack at once; then look up (audited before the answer) and answer through the response_url."""
    ack()
    runtime = runtime_of(context)
    text, blocks = look_up_and_render(
        runtime, query=str(body.get("text") or ""), actor_id=user_id(body), channel=channel_id(body)
    )
    respond(text=text, blocks=blocks, response_type="ephemeral")


def look_up_and_render(
    runtime: Runtime, *, query: str, actor_id: str, channel: str | None, reveal: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """The look-up (audited first) rendered as the ephemeral answer."""
    with runtime.db.session() as session:
        result = service.look_up(
            session=session,
            policy=runtime.policy,
            source=runtime.lookup_source,
            query=query,
            actor_id=actor_id,
            channel_id=channel,
            now=runtime.now(),
            reveal=reveal,
            groups=runtime.user_groups,
        )
        return build_lookup_answer(
            policy=runtime.policy, result=result, workspace_url=runtime.workspace_url()
        )
