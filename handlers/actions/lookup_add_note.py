"""Add note (on a /lookup answer): the modal for a note on the user's chart."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.blocks.lookup import build_note_modal
from bot.lookup.service import chart_subject
from handlers.payload import first_action, runtime_of, slack_response_url, trigger_id


def lookup_add_note_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the note modal; the answer's response_url rides along to confirm the saved note."""
    ack()
    runtime = runtime_of(context)
    end_user_id = chart_subject(str(first_action(body).get("value") or ""))
    modal = build_note_modal(
        policy=runtime.policy,
        end_user_id=end_user_id,
        response_url=slack_response_url(
            body.get("response_url"), api_url=runtime.settings.slack_api_url
        ),
    )
    client.views_open(trigger_id=trigger_id(body), view=modal)
