"""The index as the database keeps it: one encoded document per escalation, and a generation.

The similarity-index job encodes the escalations that are new or changed since it last looked
(their optimistic-lock version differs from the one stored), a batch per transaction. Each batch
that changes a document takes the next generation, so a process holding the index in memory reads
only the documents newer than the generation it has. The same statements run on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import Escalation, SimilarityDoc, SimilarityState, Status
from bot.similarity.scorer import Scorer
from bot.similarity.text import document_text, fingerprint

READ_BATCH = 1000


@dataclass(frozen=True)
class SyncReport:
    """What one batch did: documents (re-)encoded, looked at but unchanged, and the generation."""

    looked: int
    encoded: int
    generation: int | None


@dataclass(frozen=True)
class StoredDoc:
    """A stored document with the labels the index filters and votes on (read with it)."""

    escalation_id: int
    generation: int
    encoded: bytes
    resolved: bool
    category: str
    product: str


def escalation_text(escalation: Escalation) -> str:
    """What the index compares for one escalation (its own end-user id left out)."""
    return document_text(
        summary=escalation.summary,
        details=escalation.details,
        resolution_note=escalation.resolution_note
        if escalation.status == Status.RESOLVED
        else None,
        end_user_ids=(escalation.end_user_id,),
    )


def _fingerprint(escalation: Escalation, text: str) -> str:
    resolved = "resolved" if escalation.status == Status.RESOLVED else "open"
    return fingerprint(text, resolved, escalation.category, escalation.product)


def current_generation(*, session: Session) -> int | None:
    """The latest generation, or None before the index was ever built."""
    state = session.exec(select(SimilarityState.generation)).first()
    return None if state is None else int(state)


def _next_generation(session: Session, now: datetime) -> int:
    """Take the next generation (the row is created by the first run)."""
    table: Any = SimilarityState.__table__  # type: ignore[attr-defined]
    if current_generation(session=session) is None:
        session.execute(
            _insert(session, table)
            .values(id=1, generation=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["id"])
        )
    generation = session.execute(
        sa.update(table)
        .where(table.c.id == 1)
        .values(generation=table.c.generation + 1, updated_at=now)
        .returning(table.c.generation)
    ).scalar_one()
    return int(generation)


def mark_built(*, session: Session, now: datetime) -> int:
    """Make sure the state row exists (an empty database is an index too: ready, with nothing)."""
    generation = current_generation(session=session)
    return _next_generation(session, now) if generation is None else generation


def _insert(session: Session, table: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def stale_escalation_ids(*, session: Session, scorer_name: str, limit: int) -> list[int]:
    """Escalations never encoded, changed since (another version), or encoded by another scorer."""
    doc = SimilarityDoc
    query = (
        select(Escalation.id)
        .outerjoin(doc, col(doc.escalation_id) == col(Escalation.id))
        .where(
            sa.or_(
                col(doc.escalation_id).is_(None),
                col(doc.escalation_version) != col(Escalation.version),
                col(doc.scorer) != scorer_name,
            )
        )
        .order_by(col(Escalation.id))
        .limit(limit)
    )
    return [int(i) for i in session.exec(query) if i is not None]


def sync_batch(*, session: Session, scorer: Scorer, now: datetime, limit: int) -> SyncReport:
    """Encode up to `limit` new or changed escalations (the caller commits)."""
    ids = stale_escalation_ids(session=session, scorer_name=scorer.name, limit=limit)
    if not ids:
        return SyncReport(looked=0, encoded=0, generation=None)
    escalations = session.exec(select(Escalation).where(col(Escalation.id).in_(ids))).all()
    stored = {
        int(escalation_id): (print_, scorer_name)
        for escalation_id, print_, scorer_name in session.exec(
            select(
                SimilarityDoc.escalation_id, SimilarityDoc.fingerprint, SimilarityDoc.scorer
            ).where(col(SimilarityDoc.escalation_id).in_(ids))
        )
    }
    changed: list[tuple[Escalation, str, str]] = []
    unchanged: list[dict[str, int]] = []
    for escalation in escalations:
        assert escalation.id is not None
        text = escalation_text(escalation)
        print_ = _fingerprint(escalation, text)
        if stored.get(escalation.id) == (print_, scorer.name):
            unchanged.append({"eid": escalation.id, "ver": escalation.version})
        else:
            changed.append((escalation, text, print_))
    table: Any = SimilarityDoc.__table__  # type: ignore[attr-defined]
    if unchanged:
        session.execute(
            sa.update(table)
            .where(table.c.escalation_id == sa.bindparam("eid"))
            .values(escalation_version=sa.bindparam("ver")),
            unchanged,
        )
    generation = None
    if changed:
        generation = _next_generation(session, now)
        encodings = scorer.encode([text for _, text, _ in changed])
        _upsert(
            session,
            [
                {
                    "escalation_id": escalation.id,
                    "escalation_version": escalation.version,
                    "scorer": scorer.name,
                    "fingerprint": print_,
                    "generation": generation,
                    "encoded": encoded,
                    "indexed_at": now,
                }
                for (escalation, _, print_), encoded in zip(changed, encodings, strict=True)
            ],
        )
    return SyncReport(looked=len(ids), encoded=len(changed), generation=generation)


def _upsert(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    table: Any = SimilarityDoc.__table__  # type: ignore[attr-defined]
    statement = _insert(session, table)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["escalation_id"],
            set_={
                name: statement.excluded[name]
                for name in (
                    "escalation_version",
                    "scorer",
                    "fingerprint",
                    "generation",
                    "encoded",
                    "indexed_at",
                )
            },
        ),
        list(rows),
    )


def _docs_page(scorer_name: str, *, after_id: int, after_generation: int | None) -> Any:
    doc, esc = SimilarityDoc, Escalation
    query = (
        sa.select(
            col(doc.escalation_id),
            col(doc.generation),
            col(doc.encoded),
            col(esc.status),
            col(esc.category),
            col(esc.product),
        )
        .join(esc, col(esc.id) == col(doc.escalation_id))
        .where(col(doc.scorer) == scorer_name, col(doc.escalation_id) > after_id)
    )
    if after_generation is not None:
        query = query.where(col(doc.generation) > after_generation)
    return query.order_by(col(doc.escalation_id)).limit(READ_BATCH)


def stream_docs(
    *, db: Database, scorer_name: str, after_generation: int | None = None
) -> Iterator[StoredDoc]:
    """Every stored document of this scorer (newer than `after_generation` if given), by
    escalation id, a page per short transaction (a long read would hold SQLite's write lock)."""
    after_id = 0
    while True:
        with db.session() as session:
            rows = session.execute(
                _docs_page(scorer_name, after_id=after_id, after_generation=after_generation)
            ).all()
        for escalation_id, generation, encoded, status, category, product in rows:
            yield StoredDoc(
                escalation_id=int(escalation_id),
                generation=int(generation),
                encoded=bytes(encoded),
                resolved=status == Status.RESOLVED,
                category=str(category),
                product=str(product),
            )
        if len(rows) < READ_BATCH:
            return
        after_id = int(rows[-1][0])


def encodings_for(
    *, session: Session, escalation_ids: Sequence[int], scorer_name: str
) -> dict[int, bytes]:
    """The stored encodings of these escalations (those present)."""
    rows = session.execute(
        sa.select(col(SimilarityDoc.escalation_id), col(SimilarityDoc.encoded)).where(
            col(SimilarityDoc.escalation_id).in_(list(escalation_ids)),
            col(SimilarityDoc.scorer) == scorer_name,
        )
    )
    return {int(i): bytes(e) for i, e in rows}
