"""Messages in the escalation channel: an assignee's reply in an escalation's thread is activity."""

from __future__ import annotations

from typing import Any

from bot import escalations, reminders
from handlers.payload import runtime_of
from handlers.request import request_context


def message_posted(event: dict[str, Any], context: dict[str, Any]) -> None:
    """Count the assignee's thread replies as activity (other messages are ignored)."""
    runtime = runtime_of(context)
    if not reminders.is_thread_reply(event=event, policy=runtime.policy):
        return
    with request_context(context, {}, actor_id=str(event["user"])) as request:
        escalations.record_thread_reply(
            session=request.session,
            policy=request.policy,
            channel_id=str(event["channel"]),
            thread_ts=str(event["thread_ts"]),
            user_id=request.actor_id,
            now=request.now,
        )
