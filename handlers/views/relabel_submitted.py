"""The product-and-category modal was submitted: change (or confirm) them, post, redraw."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot import escalations
from bot.blocks.errors import field_errors
from bot.blocks.escalation import read_input_values
from bot.errors import InvalidInput
from handlers.payload import modal_escalation_id, runtime_of
from handlers.request import request_context


def relabel_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]
) -> None:
    """Set the chosen product and category; a change is told in the thread."""
    runtime = runtime_of(context)
    values = read_input_values(view)
    product, category = values.get("product") or "", values.get("category") or ""
    try:
        escalations.validate_labels(policy=runtime.policy, product=product, category=category)
    except InvalidInput as invalid:
        ack(response_action="errors", errors=field_errors(invalid, runtime.lang))
        return
    ack()
    escalation_id = modal_escalation_id(view)
    with request_context(context, body) as request:
        escalations.relabel(
            session=request.session,
            policy=request.policy,
            escalation_id=escalation_id,
            product=product,
            category=category,
            actor_id=request.actor_id,
            now=request.now,
        )
    runtime.deliver(escalation_id=escalation_id)
