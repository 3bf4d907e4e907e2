"""slo-sweep: show an SLO warning or breach in the assignee's DM and the card; a P1 breach to the channel."""

from __future__ import annotations

from datetime import datetime

from bot import slo, slo_alerts
from bot.runtime import Runtime

BATCH = 1000
MAX_BATCHES = 100


def sweep_slo(*, runtime: Runtime, at: datetime) -> str:
    """Announce the warnings and breaches of every escalation that crossed a threshold by `at`."""
    policy = runtime.policy
    looked = crossed = 0
    for _ in range(MAX_BATCHES):
        with runtime.db.session() as session:
            due = list(slo.due_crossings(session=session, now=at, limit=BATCH))
            session.expunge_all()  # written back below in one statement, not one UPDATE per row
            crossings = [c for e in due if (c := slo.advance(policy=policy, escalation=e, now=at))]
            slo.save_stages(session=session, escalations=due)
            slo_alerts.record_timeline(session=session, policy=policy, crossings=crossings, now=at)
            slo_alerts.enqueue_alerts(
                session=session,
                policy=policy,
                crossings=crossings,
                now=at,
            )
            session.commit()
        looked += len(due)
        crossed += len(crossings)
        if len(due) < BATCH:
            break
    return f"{looked} due, {crossed} crossed a threshold"
