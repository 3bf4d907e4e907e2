"""Re-draw a reminder DM after one of its buttons was used."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond

from bot import presenter
from bot.blocks.reminders import reminded_at_of, reminded_ids
from handlers.request import Request


def refresh_reminder(*, request: Request, body: dict[str, Any], respond: Respond | None) -> None:
    """If the click came from a reminder, replace it with its current state (answered items lose buttons)."""
    message = body.get("message") if isinstance(body.get("message"), dict) else None
    if message is None or respond is None or not respond.response_url:
        return
    ids = reminded_ids(message.get("blocks") or [])
    reminded_at = reminded_at_of(message.get("ts"))
    if not ids or reminded_at is None:
        return
    runtime = request.runtime
    with runtime.db.session() as session:  # after the change was committed: a session of its own
        text, blocks = presenter.reminder_blocks(
            session=session,
            policy=request.policy,
            engineer_id=request.actor_id,
            escalation_ids=ids,
            reminded_at=reminded_at,
            now=runtime.now(),
            workspace_url=runtime.workspace_url(),
        )
    respond(text=text, blocks=blocks, replace_original=True)
