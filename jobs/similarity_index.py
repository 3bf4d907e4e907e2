"""similarity-index: encode new and changed escalations so similar ones can be found."""

from __future__ import annotations

from datetime import datetime

from bot.runtime import Runtime
from bot.similarity import store

BATCH = 1000
MAX_BATCHES = 2000


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
    if index.current() is not None:  # this process searches: bring its copy up to date now
        index.refresh()
    return f"{encoded} encoded, {looked - encoded} unchanged, generation {generation}"
