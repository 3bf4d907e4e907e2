"""The escalation modal was submitted: validate, file once, post."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import escalations
from bot.blocks.escalation import read_input_values, read_private_metadata
from bot.errors import InvalidInput
from handlers.payload import PayloadError, runtime_of, user_id


def escalation_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """File the escalation (once per modal, however often it is submitted) and post it."""
    runtime = runtime_of(context)
    try:
        draft = escalations.validate_draft(policy=runtime.policy, values=read_input_values(view))
    except InvalidInput as invalid:
        ack(response_action="errors", errors=invalid.render_fields(runtime.lang))
        return
    ack()
    view_id = view.get("id")
    if not isinstance(view_id, str) or not view_id:
        raise PayloadError
    source = read_private_metadata(view).get("src")
    if isinstance(source, list) and len(source) == 2 and all(isinstance(x, str) for x in source):
        draft = dataclasses.replace(
            draft,
            source_channel_id=source[0],
            source_message_ts=source[1],
            source_permalink=_permalink(client, channel_id=source[0], message_ts=source[1]),
        )
    with runtime.db.session() as session:
        filed = escalations.file_escalation(
            session=session,
            policy=runtime.policy,
            draft=draft,
            filed_by=user_id(body),
            intake_key=f"view:{view_id}",
            now=runtime.now(),
        )
    runtime.deliver(escalation_id=filed.escalation.id)


def _permalink(client: WebClient, *, channel_id: str, message_ts: str) -> str | None:
    """The permalink of the message an escalation was made from, if Slack gives it."""
    with contextlib.suppress(SlackApiError):  # the link is a convenience, not a requirement
        link = client.chat_getPermalink(channel=channel_id, message_ts=message_ts).get("permalink")
        return str(link) if link else None
    return None
