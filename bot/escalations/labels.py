"""Changing an escalation's product or category after filing, or confirming a suggested one.

A Zendesk ticket that does not give them is filed with labels suggested by similar resolved
escalations (`bot.zendesk.mapping`), and the card says so. Anyone who may move the escalation to
another status (`bot.lifecycle.may_change_status`) may change them, or confirm them as they are:
either way a person has chosen them, so they stop being suggestions and become examples for
later suggestions (`bot.similarity.store.training_labels`). A change is a thread line and a card
redraw; a confirmation redraws the card only; a submission that changes nothing does nothing, so
a modal submitted twice (or retried by Slack) acts once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import lifecycle
from bot.errors import InvalidInput, NotAllowed
from bot.escalations.changes import retried_change, save_escalation
from bot.escalations.queries import get_escalation
from bot.escalations.timeline import record_event
from bot.models import Escalation
from bot.policy import Policy

# The labels a person may change, each with the policy's list of choices for it.
LABELS: dict[str, str] = {"product": "products", "category": "categories"}
EVENT = "relabeled"


def check_may_relabel(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str
) -> Escalation:
    """The escalation, if the actor may change its product and category; otherwise the refusal."""
    escalation = get_escalation(session=session, escalation_id=escalation_id)
    _refuse_unless_allowed(policy, escalation, actor_id)
    return escalation


def _refuse_unless_allowed(policy: Policy, escalation: Escalation, actor_id: str) -> None:
    if not lifecycle.may_change_status(policy, escalation, actor_id):
        raise NotAllowed("error.not_allowed.relabel", key=escalation.key)


def validate_labels(*, policy: Policy, product: str, category: str) -> None:
    """Both must be one of the policy's choices; problems are reported against each field."""
    chosen = {"product": product, "category": category}
    errors: dict[str, tuple[str, dict[str, Any]]] = {
        field: ("field.choose_one", {})
        for field, kind in LABELS.items()
        if chosen[field] not in {c.id for c in getattr(policy, kind)}
    }
    if errors:
        raise InvalidInput(errors)


def relabel(
    *,
    session: Session,
    policy: Policy,
    escalation_id: int,
    product: str,
    category: str,
    actor_id: str,
    now: datetime,
) -> Escalation:
    """Set the escalation's product and category as the actor chose them (confirming any that
    were suggested), recorded once, by the change path's read and version-checked save; retried
    when someone else changed the row first."""
    validate_labels(policy=policy, product=product, category=category)
    chosen = {"product": product, "category": category}

    def attempt(escalation: Escalation) -> bool:
        _refuse_unless_allowed(policy, escalation, actor_id)
        changed, confirmed = _compared(escalation, chosen)
        if not changed and not confirmed:
            return False  # as chosen already: a repeated submission changes nothing
        for field, value in chosen.items():
            setattr(escalation, field, value)
            setattr(escalation, f"{field}_suggested", False)
        save_escalation(session, escalation)
        record_event(
            session,
            policy,
            escalation,
            actor_id=actor_id,
            kind=EVENT,
            now=now,
            data={"changed": changed, "confirmed": confirmed},
            card=True,
            thread=bool(changed),
        )
        return True

    return retried_change(session, escalation_id, attempt)


def _compared(
    escalation: Escalation, chosen: dict[str, str]
) -> tuple[dict[str, list[str]], list[str]]:
    """The labels the choice changes (old and new), and the suggested ones it keeps (confirms)."""
    changed = {
        field: [getattr(escalation, field), value]
        for field, value in chosen.items()
        if getattr(escalation, field) != value
    }
    confirmed = [
        field
        for field in LABELS
        if getattr(escalation, f"{field}_suggested") and field not in changed
    ]
    return changed, confirmed
