"""stale-reminders: one DM per engineer with their stale escalations; the lead and the queue when ignored."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot import reminders, slo
from bot.blocks.reminders import (
    ITEMS_PER_DM,
    build_lead_post,
    build_reminder_dm,
    build_unassigned_post,
)
from bot.models import Escalation
from bot.outbox import OutboxKind, enqueue_many
from bot.policy import Policy
from bot.runtime import Runtime


def send_stale_reminders(*, runtime: Runtime, at: datetime) -> str:
    """Remind each engineer once about all their stale escalations, and tell the lead what is ignored."""
    policy = runtime.policy
    today = at.astimezone(policy.business_calendar.tz).date()
    workspace_url = runtime.workspace_url()
    with runtime.db.session() as session:
        # The lead hears about what was still unanswered after `escalate_after` reminders and is
        # due again today: asked before today's reminders are counted.
        ignored = list(reminders.ignored(session=session, policy=policy, at=at, today=today))
        due = list(reminders.due_reminders(session=session, at=at, today=today))
        grouped = reminders.by_assignee(due)
        rows = [
            _dm_row(policy, engineer, items, at, workspace_url, today)
            for engineer, items in grouped.items()
        ]
        # Only what a DM shows counts as a reminder; the rest ("…and N more") were not seen.
        shown = {e.id for items in grouped.values() for e in items[:ITEMS_PER_DM] if e.id}
        reminders.mark_reminded(session=session, escalations=due, shown=shown, today=today)
        if ignored:
            text, blocks = build_lead_post(
                policy=policy,
                items=[
                    reminders.reminder_item(policy=policy, escalation=e, now=at) for e in ignored
                ],
                workspace_url=workspace_url,
            )
            rows.append(
                _channel_row(
                    f"remind-lead:{today}:{_digest(ignored)}",
                    policy.escalation_channel,
                    text,
                    blocks,
                )
            )
            reminders.mark_lead_told(session=session, escalations=ignored, now=at)
        unassigned = list(reminders.unassigned_overdue(session=session, at=at))
        if unassigned:
            text, blocks = build_unassigned_post(
                policy=policy,
                escalations=unassigned,
                slo_lines=_slo_lines(policy, unassigned, at),
                workspace_url=workspace_url,
            )
            rows.append(
                _channel_row(f"unassigned:{today}", policy.escalation_channel, text, blocks)
            )
        enqueue_many(session, rows, now=at)
        session.commit()
    return f"{len(due)} stale escalations for {len(grouped)} engineers; lead told of {len(ignored)}; {len(unassigned)} unclaimed"


def _slo_lines(policy: Policy, escalations: Sequence[Escalation], at: datetime) -> dict[int, str]:
    return {
        e.id or 0: slo.describe(
            policy=policy, current=slo.state(policy=policy, escalation=e, now=at), now=at
        )
        for e in escalations
    }


def _digest(escalations: Sequence[Escalation]) -> str:
    ids = ",".join(str(e.id) for e in escalations)
    return hashlib.sha256(ids.encode()).hexdigest()[:12]


def _dm_row(
    policy: Policy,
    engineer: str,
    stale: list[Escalation],
    at: datetime,
    workspace_url: str | None,
    today: Any,
) -> dict[str, Any]:
    # Only the escalations one DM can show are worked out; the rest are counted in "…and N more".
    items = [
        reminders.reminder_item(policy=policy, escalation=e, now=at) for e in stale[:ITEMS_PER_DM]
    ]
    text, blocks = build_reminder_dm(
        policy=policy, items=items, workspace_url=workspace_url, today=today, total=len(stale)
    )
    key = f"remind:{today}:{engineer}:{_digest(stale)}"
    return {
        "key": key,
        "kind": OutboxKind.MESSAGE,
        "payload": {"channel": engineer, "text": text, "blocks": blocks},
    }


def _channel_row(key: str, channel: str, text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key": key,
        "kind": OutboxKind.MESSAGE,
        "payload": {"channel": channel, "text": text, "blocks": blocks},
    }
