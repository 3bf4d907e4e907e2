"""Resolve: open the resolution modal for someone allowed to resolve."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import escalations
from bot.blocks.escalation import build_resolve_modal, escalation_id_from_action
from bot.lifecycle import Verb
from handlers.payload import PayloadError, first_action, runtime_of, trigger_id, user_id


def resolve_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    """Open the modal asking for the cause, a note and the answer for CS."""
    ack()
    runtime = runtime_of(context)
    escalation_id = escalation_id_from_action(first_action(body))
    if escalation_id is None:
        raise PayloadError
    with runtime.db.session() as session:
        escalation = escalations.check_may(
            session=session,
            policy=runtime.policy,
            escalation_id=escalation_id,
            actor_id=user_id(body),
            action=Verb.RESOLVE,
        )
    modal = build_resolve_modal(policy=runtime.policy, escalation=escalation)
    client.views_open(trigger_id=trigger_id(body), view=modal)
