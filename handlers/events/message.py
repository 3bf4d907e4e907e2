"""Messages in the escalation channel: an assignee's reply in an escalation's thread is activity."""

from __future__ import annotations

from typing import Any

from bot import escalations
from handlers.payload import runtime_of

# A reply also sent to the channel, and a reply with a file, are replies all the same. Edits,
# deletions, joins and bot messages are not activity.
REPLY_SUBTYPES = frozenset({"thread_broadcast", "file_share"})


def message_posted(event: dict[str, Any], context: dict[str, Any]) -> None:
    """Count the assignee's thread replies as activity (other messages are ignored)."""
    runtime = runtime_of(context)
    thread_ts, user, channel = event.get("thread_ts"), event.get("user"), event.get("channel")
    subtype = event.get("subtype")
    if (subtype and subtype not in REPLY_SUBTYPES) or not thread_ts or thread_ts == event.get("ts"):
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
