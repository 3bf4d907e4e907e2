"""Messages in the escalation channel: an assignee's reply in an escalation's thread is activity."""

from __future__ import annotations

from typing import Any

from bot import escalations
from handlers.payload import runtime_of


def message_posted(event: dict[str, Any], context: dict[str, Any]) -> None:
    """Count the assignee's thread replies as activity (other messages are ignored)."""
    runtime = runtime_of(context)
    thread_ts, user, channel = event.get("thread_ts"), event.get("user"), event.get("channel")
    if event.get("subtype") or not thread_ts or thread_ts == event.get("ts"):
        return
    if channel != runtime.policy.escalation_channel or not isinstance(user, str):
        return
    with runtime.db.session() as session:
        escalations.record_thread_reply(
            session=session,
            policy=runtime.policy,
            channel_id=channel,
            thread_ts=str(thread_ts),
            user_id=user,
            now=runtime.now(),
        )
