"""/lookup <user id | email>: the end user's state and chart, answered ephemerally after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot.blocks.lookup import build_lookup_answer
from bot.lookup import service
from handlers.payload import channel_id
from handlers.request import Request, request_context


def lookup_command(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Ack at once; then look up (audited before the answer) and answer through the response_url."""
    ack()
    with request_context(context, body) as request:
        text, blocks = look_up_and_render(
            request, query=str(body.get("text") or ""), channel=channel_id(body)
        )
    respond(text=text, blocks=blocks, response_type="ephemeral")


def look_up_and_render(
    request: Request, *, query: str, channel: str | None, reveal: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """The look-up (audited first) rendered as the ephemeral answer."""
    runtime = request.runtime
    result = service.look_up(
        session=request.session,
        policy=request.policy,
        source=runtime.lookup_source,
        query=query,
        actor_id=request.actor_id,
        channel_id=channel,
        now=request.now,
        reveal=reveal,
        groups=runtime.user_groups,
    )
    return build_lookup_answer(
        policy=request.policy, result=result, workspace_url=runtime.workspace_url()
    )
