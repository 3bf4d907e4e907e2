"""stale-reminders: one DM per engineer with their stale escalations; the lead (privately) when ignored; the unclaimed list."""

from __future__ import annotations

from datetime import date, datetime

from bot import lead_dm, outbox_keys, presenter, reminders, unclaimed
from bot.blocks.reminders import ITEMS_PER_DM, build_reminder_dm
from bot.models import Escalation
from bot.outbox_rows import OutboxRow, enqueue_many
from bot.policy import Policy
from bot.runtime import Runtime


def send_stale_reminders(*, runtime: Runtime, at: datetime) -> str:
    """Remind each engineer once about all their stale escalations, and tell the lead what is ignored."""
    policy = runtime.policy
    today = at.astimezone(policy.business_calendar.tz).date()
    workspace_url = runtime.workspace_url()
    with runtime.db.session() as session:
        # The lead hears about what was still unanswered after `escalate_after` reminders (its
        # assignee is reminded no more): asked before today's reminders are counted.
        ignored = list(reminders.ignored(session=session, policy=policy, at=at, today=today))
        due = reminders.due_reminders(session=session, policy=policy, at=at, today=today)
        grouped = reminders.by_assignee(due)
        rows = [
            _dm_row(policy, engineer, items, at, workspace_url, today)
            for engineer, items in grouped.items()
        ]
        # Only what a DM shows counts as a reminder; the rest ("…and N more") were not seen.
        shown = {e.id for items in grouped.values() for e in items[:ITEMS_PER_DM] if e.id}
        reminders.mark_reminded(session=session, escalations=due, shown=shown, today=today)
        if ignored:
            # Privately: who is quiet is for the lead to take up, not for the channel to read.
            # Drawn when sent, and redrawn in place after a reassign picked in it.
            rows.append(lead_dm.row(policy=policy, ignored=ignored, today=today))
            reminders.mark_lead_told(session=session, escalations=ignored, now=at)
        unassigned = list(reminders.unassigned_overdue(session=session, at=at))
        if unassigned:  # one post a day, drawn when sent and redrawn as they are claimed
            rows.append(unclaimed.list_row(policy=policy, escalations=unassigned, now=at))
        enqueue_many(session, rows, now=at)
        session.commit()
    return f"{len(due)} stale escalations for {len(grouped)} engineers; lead told of {len(ignored)}; {len(unassigned)} unclaimed"


def _dm_row(
    policy: Policy,
    engineer: str,
    stale: list[Escalation],
    at: datetime,
    workspace_url: str | None,
    today: date,
) -> OutboxRow:
    # Only the escalations one DM can show are worked out; the rest are counted in "…and N more".
    items = [
        presenter.reminder_item(policy=policy, escalation=e, now=at) for e in stale[:ITEMS_PER_DM]
    ]
    text, blocks = build_reminder_dm(
        policy=policy, items=items, workspace_url=workspace_url, total=len(stale)
    )
    key = outbox_keys.reminder_dm(today, engineer, (e.id for e in stale))
    return OutboxRow.message(key, channel=engineer, text=text, blocks=blocks)
