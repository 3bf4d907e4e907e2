"""The note modal was submitted: save the note to the user's chart and confirm it privately."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk.webhook import WebhookClient

from bot.blocks.errors import field_errors
from bot.blocks.lookup import build_note_saved, read_note_submission
from bot.errors import InvalidInput
from bot.lookup import service
from handlers.payload import PayloadError, runtime_of, slack_response_url
from handlers.request import request_context

log = logging.getLogger(__name__)


def note_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]
) -> None:
    """Validate (errors shown in the modal), save, then show the saved note where the look-up was."""
    runtime = runtime_of(context)
    submission = read_note_submission(view)
    if submission is None:
        raise PayloadError
    try:
        service.validate_note(submission.text)
    except InvalidInput as invalid:
        ack(response_action="errors", errors=field_errors(invalid, runtime.lang))
        return
    ack()
    with request_context(context, body) as request:
        note = service.add_note(
            session=request.session,
            policy=request.policy,
            end_user_id=submission.end_user_id,
            author_id=request.actor_id,
            text=submission.text,
            now=request.now,
            groups=runtime.user_groups,
        )
    response_url = slack_response_url(
        submission.response_url, api_url=runtime.settings.slack_api_url
    )
    if submission.response_url and response_url is None:
        log.warning("note saved; its confirmation URL is not Slack's, so nothing was sent there")
    if response_url:
        text, blocks = build_note_saved(
            policy=runtime.policy, end_user_id=note.end_user_id, note=note
        )
        try:
            response = WebhookClient(response_url).send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
        except Exception as exc:  # the note is saved; only its confirmation is lost
            log.warning("note saved; its confirmation failed: %s", type(exc).__name__)
            return
        if response.status_code != 200:
            log.warning("note saved; its confirmation was refused (HTTP %d)", response.status_code)
