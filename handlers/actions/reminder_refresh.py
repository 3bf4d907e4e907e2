"""Re-draw a reminder DM after one of its buttons was used."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond

from bot import presenter
from bot.blocks.reminders import reminded_at_of, reminded_ids
from bot.runtime import Runtime


def refresh_reminder(
    *, runtime: Runtime, body: dict[str, Any], user_id: str, respond: Respond | None
) -> None:
    """If the click came from a reminder, replace it with its current state (answered items lose buttons)."""
    message = body.get("message") if isinstance(body.get("message"), dict) else None
    if message is None or respond is None or not respond.response_url:
        return
    ids = reminded_ids(message.get("blocks") or [])
    reminded_at = reminded_at_of(message.get("ts"))
    if not ids or reminded_at is None:
        return
    with runtime.db.session() as session:
        text, blocks = presenter.reminder_blocks(
            session=session,
            policy=runtime.policy,
            engineer_id=user_id,
            escalation_ids=ids,
            reminded_at=reminded_at,
            now=runtime.now(),
            workspace_url=runtime.workspace_url(),
        )
    respond(text=text, blocks=blocks, replace_original=True)
