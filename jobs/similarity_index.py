"""similarity-index: encode new and changed escalations, then find the similar ones their cards show."""

from __future__ import annotations

from datetime import datetime

from bot import outbox_keys
from bot.outbox_rows import OutboxRow, enqueue_many
from bot.runtime import Runtime
from bot.similarity import cards, store
from bot.similarity.service import CARD_LIMIT, card_threshold

BATCH = 1000
MAX_BATCHES = 2000
CARD_BATCH = 200
MAX_CARD_BATCHES = 10  # at most 2,000 cards a run (about 20 ms each); the rest on the next runs


def update_similarity_index(*, runtime: Runtime, at: datetime) -> str:
    """Encode every escalation filed or changed since the last run, a batch per transaction."""
    index = runtime.similarity
    looked = encoded = after_id = 0
    for _ in range(MAX_BATCHES):
        with runtime.db.session() as session:
            report = store.sync_batch(
                session=session, scorer=index.scorer, now=at, limit=BATCH, after_id=after_id
            )
            session.commit()
        looked += report.looked
        encoded += report.encoded
        after_id = report.last_id
        if report.looked < BATCH:
            break
    with runtime.db.session() as session:
        generation = store.mark_built(session=session, now=at)
        session.commit()
    updated = _find_card_matches(runtime=runtime, at=at)
    summary = f"{encoded} encoded, {looked - encoded} unchanged, generation {generation}"
    return (
        f"{summary}; {updated} cards redrawn with new similar escalations" if updated else summary
    )


def _find_card_matches(*, runtime: Runtime, at: datetime) -> int:
    """Find the similar escalations of new and changed cards; redraw those whose list changed."""
    index = runtime.similarity
    snapshot = index.wait()  # this process's copy, brought up to the generation just built
    if snapshot is None:
        return 0
    updated = after_id = 0
    asked_slack = False
    min_score = card_threshold(snapshot.size)  # stricter while the history is short
    for _ in range(MAX_CARD_BATCHES):
        with runtime.db.session() as session:
            report = cards.find_batch(
                session=session,
                index=index,
                snapshot=snapshot,
                now=at,
                limit=CARD_BATCH,
                min_score=min_score,
                per_card=CARD_LIMIT,
                after_id=after_id,
            )
            # One redraw per version of the escalation whose matches changed: a re-run adds none.
            rows = [
                OutboxRow.card_update(
                    outbox_keys.similar_card(escalation_id, version), escalation_id=escalation_id
                )
                for escalation_id, version in report.changed
            ]
            enqueue_many(session, rows, now=at)
            session.commit()
        updated += len(report.changed)
        if report.changed and not asked_slack:
            # Asked of Slack once a run (cached once it answers), so the redrawn cards link their
            # matches. Not once a batch: a Slack that fails would cost each batch its retries.
            runtime.workspace_url()
            asked_slack = True
        after_id = report.last_id
        if report.looked < CARD_BATCH:
            break
    return updated
