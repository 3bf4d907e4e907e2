"""Reveal personal data (the lead, on a /lookup answer): the same look-up again, unmasked."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot.blocks.lookup import build_lookup_answer
from bot.lookup import service
from handlers.payload import first_action, runtime_of, user_id


def lookup_reveal_clicked(
    ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]
) -> None:
    """Re-run the look-up revealed (audited as such) and replace the ephemeral answer with it."""
    ack()
    runtime = runtime_of(context)
    with runtime.db.session() as session:
        result = service.look_up(
            session=session,
            policy=runtime.policy,
            source=runtime.lookup_source,
            query=str(first_action(body).get("value") or ""),
            actor_id=user_id(body),
            channel_id=_channel_id(body),
            now=runtime.now(),
            reveal=True,
            groups=runtime.user_groups,
        )
        text, blocks = build_lookup_answer(
            policy=runtime.policy, result=result, workspace_url=runtime.workspace_url()
        )
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)


def _channel_id(body: dict[str, Any]) -> str | None:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return channel if isinstance(channel, str) and channel else None
