"""card-refresh: keep the time left on escalation messages true as the SLO clock runs."""

from __future__ import annotations

from datetime import datetime

from bot import outbox_keys, slo
from bot.outbox_rows import OutboxRow, enqueue_many
from bot.runtime import Runtime

BATCH = 500
MAX_BATCHES = 20


def refresh_cards(*, runtime: Runtime, at: datetime) -> str:
    """Re-draw each posted message whose rounded "… left" has changed by `at` (once per change)."""
    policy = runtime.policy
    refreshed = 0
    for _ in range(MAX_BATCHES):
        with runtime.db.session() as session:
            due = list(slo.due_card_refreshes(session=session, now=at, limit=BATCH))
            # One key per change: a re-run or a second scheduler promises it only once.
            rows = [
                OutboxRow.card_update(
                    outbox_keys.card_refresh(e.id, e.card_refresh_at), escalation_id=e.id
                )
                for e in due
                if e.id is not None and e.card_refresh_at is not None
            ]
            nexts = [
                (e.id, slo.next_card_change(policy=policy, escalation=e, now=at))
                for e in due
                if e.id is not None
            ]
            session.expunge_all()  # written back in one statement below
            slo.save_card_refreshes(session=session, refreshes=nexts)
            enqueue_many(session, rows, now=at)
            session.commit()
        refreshed += len(due)
        if len(due) < BATCH:
            break
    return f"{refreshed} cards refreshed"
