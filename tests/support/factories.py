"""Build valid records quickly for domain tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from bot import escalations
from bot.models import Escalation, Status
from bot.policy import Policy, parse_policy

LEAD = "U0LEAD"
FILER = "U0CS"


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
    session: Session,
    policy: Policy,
    now: datetime,
    *,
    filed_by: str = FILER,
    intake_key: str | None = None,
    **overrides: Any,
) -> Escalation:
    """File one escalation through the domain (auto-assignment included)."""
    filed = escalations.file_escalation(
        session=session,
        policy=policy,
        draft=draft(**overrides),
        filed_by=filed_by,
        intake_key=intake_key or f"test:{uuid.uuid4()}",
        now=now,
    )
    return filed.escalation


def bring_to(
    session: Session,
    policy: Policy,
    escalation_id: int,
    status: Status,
    *,
    now: datetime,
    actor_id: str = LEAD,
) -> Escalation:
    """Move a freshly filed (assigned) escalation into `status` through the domain, as the lead."""
    common: dict[str, Any] = {
        "session": session,
        "policy": policy,
        "escalation_id": escalation_id,
        "actor_id": actor_id,
        "now": now,
    }
    if status is Status.OPEN:
        return escalations.hand_back(**common)
    if status in (Status.INVESTIGATING, Status.WAITING):
        escalations.acknowledge(**common)
    if status is Status.WAITING:
        escalations.wait_on_cs(**common)
    if status is Status.RESOLVED:
        escalations.resolve(**common, cause="bug", note="fixed", answer="It works again.")
    return escalations.get_escalation(session=session, escalation_id=escalation_id)


def make_escalation(**overrides: Any) -> Escalation:
    """An escalation in memory only (never saved), for the pure Block Kit builders."""
    filed_at = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    values: dict[str, Any] = {
        "id": 42,
        "intake_key": "test:in-memory",
        "end_user_id": "u-1001",
        "product": "album",
        "category": "login",
        "priority": "P2",
        "summary": "Login fails after password reset",
        "details": "",
        "filed_by": FILER,
        "filed_at": filed_at,
        "status": Status.ASSIGNED,
        "assignee_id": "U0HANAKO",
        "assigned_at": filed_at,
        "channel_id": "C0ESCALATE",
        "message_ts": "1764032400.000100",
        "last_activity_at": filed_at,
    }
    values.update(overrides)
    return Escalation(**values)


def policy_variant(policy_text: str, *replacements: tuple[str, str]) -> Policy:
    """The test policy with some of its text replaced (each `old` must occur)."""
    text = policy_text
    for old, new in replacements:
        assert old in text, f"{old!r} is not in the policy text"
        text = text.replace(old, new)
    return parse_policy(text, source="tests/fixtures/policy.toml")


def manual_policy(policy_text: str) -> Policy:
    """The test policy with `strategy = "manual"`: new escalations wait in the queue for Claim."""
    return policy_variant(policy_text, ('strategy = "least-loaded"', 'strategy = "manual"'))
