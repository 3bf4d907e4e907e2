"""Build valid records quickly for domain tests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import escalations
from bot.models import Escalation
from bot.policy import Policy


def draft(**overrides: Any) -> escalations.EscalationDraft:
    """A valid escalation draft, with any field overridden."""
    values: dict[str, Any] = {
        "end_user_id": "u-1001",
        "product": "album",
        "category": "login",
        "priority": "P2",
        "summary": "Login fails after password reset",
        "details": "",
        "zendesk": None,
    }
    values.update(overrides)
    return escalations.EscalationDraft(**values)


def file_one(
    session: Session, policy: Policy, now: datetime, *, filed_by: str = "U0CS", **overrides: Any
) -> Escalation:
    """File one escalation through the domain (auto-assignment included)."""
    filed = escalations.file_escalation(
        session=session,
        policy=policy,
        draft=draft(**overrides),
        filed_by=filed_by,
        intake_key=f"test:{uuid.uuid4()}",
        now=now,
    )
    return filed.escalation
