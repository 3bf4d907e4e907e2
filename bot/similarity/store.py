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

READ_BATCH = 2000


@dataclass(frozen=True)
class SyncReport:
    """What one batch did: escalations looked at, (re-)encoded, the last id, the generation."""

    looked: int
    encoded: int
    last_id: int
    generation: int | None


@dataclass(frozen=True)
class StoredDoc:
    """A stored document with the labels the index filters and votes on (read with it)."""

    escalation_id: int
    generation: int
    encoded: bytes
    resolved: bool
    category: str  # "" while it is an unconfirmed suggestion (`training_labels`)
    product: str


def escalation_text(escalation: Escalation) -> str:
    """What the index compares for one escalation (its own end-user id left out)."""
    return _text(
        summary=escalation.summary,
        details=escalation.details,
        note=escalation.resolution_note,
        status=escalation.status,
        end_user_id=escalation.end_user_id,
    )


def _text(*, summary: str, details: str, note: str | None, status: str, end_user_id: str) -> str:
    return document_text(
        summary=summary,
        details=details,
        resolution_note=note if status == Status.RESOLVED else None,
        end_user_ids=(end_user_id,),
    )


def text_columns() -> tuple[Any, ...]:
    """The escalation columns a document or a card's search text is made from, in this order:
    id, version, summary, details, end-user id (the similarity jobs select them with their own)."""
    e = Escalation
    return (col(e.id), col(e.version), col(e.summary), col(e.details), col(e.end_user_id))


def training_labels() -> tuple[Any, Any]:
    """The escalation's category and product as examples for suggestions: "" while a label is
    still the suggestion it was filed with (never confirmed or changed by a person), so
    suggestions never learn from their own guesses."""
    e = Escalation
    return (
        sa.case((col(e.category_suggested), ""), else_=col(e.category)),
        sa.case((col(e.product_suggested), ""), else_=col(e.product)),
    )


def _fingerprint(*, text: str, status: str, category: str, product: str) -> str:
    resolved = "resolved" if status == Status.RESOLVED else "open"
    return fingerprint(text, resolved, category, product)


def current_generation(*, session: Session) -> int | None:
    """The latest generation, or None before the index was ever built."""
    state = session.exec(select(SimilarityState.generation)).first()
    return None if state is None else int(state)


def _next_generation(session: Session, now: datetime) -> int:
    """Take the next generation (the row is created by the first run)."""
    table: Any = SimilarityState.__table__  # type: ignore[attr-defined]
    if current_generation(session=session) is None:
        session.execute(
            insert_into(session, table)
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


def insert_into(session: Session, table: Any) -> Any:
    """An INSERT of the session's dialect, so it can say ON CONFLICT (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _stale_rows(*, scorer_name: str, limit: int, after_id: int) -> Any:
    """Escalations never encoded, changed since (another version) or encoded by another scorer,
    by id from `after_id` on, with what encoding them needs and their stored fingerprint."""
    e, d = Escalation, SimilarityDoc
    return (
        sa.select(
            *text_columns(),
            col(e.resolution_note),
            col(e.status),
            *training_labels(),
            col(d.fingerprint),
            col(d.scorer),
        )
        .outerjoin(d, col(d.escalation_id) == col(e.id))
        .where(
            col(e.id) > after_id,
            sa.or_(
                col(d.escalation_id).is_(None),
                col(d.escalation_version) != col(e.version),
                col(d.scorer) != scorer_name,
            ),
        )
        .order_by(col(e.id))
        .limit(limit)
    )


def sync_batch(
    *, session: Session, scorer: Scorer, now: datetime, limit: int, after_id: int = 0
) -> SyncReport:
    """Encode up to `limit` new or changed escalations with ids above `after_id` (the caller
    commits, then asks again from `last_id` until fewer than `limit` were looked at)."""
    rows = session.execute(
        _stale_rows(scorer_name=scorer.name, limit=limit, after_id=after_id)
    ).all()
    if not rows:
        return SyncReport(looked=0, encoded=0, last_id=after_id, generation=None)
    changed: list[dict[str, Any]] = []
    texts: list[str] = []
    unchanged: list[dict[str, int]] = []
    for row in rows:
        escalation_id, version, summary, details, user, note, status, category, product = row[:9]
        text = _text(summary=summary, details=details, note=note, status=status, end_user_id=user)
        print_ = _fingerprint(text=text, status=status, category=category, product=product)
        if (row.fingerprint, row.scorer) == (print_, scorer.name):
            unchanged.append({"eid": escalation_id, "ver": version})
            continue
        texts.append(text)
        changed.append(
            {
                "escalation_id": escalation_id,
                "escalation_version": version,
                "scorer": scorer.name,
                "fingerprint": print_,
                "indexed_at": now,
            }
        )
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
        for entry, encoded in zip(changed, scorer.encode(texts), strict=True):
            entry["encoded"] = encoded
            entry["generation"] = generation
        _upsert(session, changed)
    return SyncReport(
        looked=len(rows), encoded=len(changed), last_id=int(rows[-1][0]), generation=generation
    )


def _upsert(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    upsert_by_escalation(session, SimilarityDoc.__table__, rows)  # type: ignore[attr-defined]


def upsert_by_escalation(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert these rows of a table keyed by escalation id, or update the ones already there
    (every column given but the key): one statement, on SQLite and PostgreSQL alike."""
    statement = insert_into(session, table)
    updated = [name for name in rows[0] if name != "escalation_id"]
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["escalation_id"],
            set_={name: statement.excluded[name] for name in updated},
        ),
        list(rows),
    )


def _docs_page(
    scorer_name: str, *, after_id: int, after_generation: int | None, labels: bool
) -> Any:
    doc, esc = SimilarityDoc, Escalation
    columns = [col(doc.escalation_id), col(doc.encoded)]
    query = sa.select(*columns)
    if labels:
        query = sa.select(*columns, col(doc.generation), col(esc.status), *training_labels()).join(
            esc, col(esc.id) == col(doc.escalation_id)
        )
    query = query.where(col(doc.scorer) == scorer_name, col(doc.escalation_id) > after_id)
    if after_generation is not None:
        query = query.where(col(doc.generation) > after_generation)
    return query.order_by(col(doc.escalation_id)).limit(READ_BATCH)


def stream_docs(
    *, db: Database, scorer_name: str, after_generation: int | None = None
) -> Iterator[StoredDoc]:
    """Every stored document of this scorer (newer than `after_generation` if given), with its
    labels, by escalation id."""
    for row in _pages(db, scorer_name, after_generation=after_generation, labels=True):
        escalation_id, encoded, generation, status, category, product = row
        yield StoredDoc(
            escalation_id=int(escalation_id),
            generation=int(generation),
            encoded=bytes(encoded),
            resolved=status == Status.RESOLVED,
            category=str(category),
            product=str(product),
        )


def stream_encodings(*, db: Database, scorer_name: str) -> Iterator[tuple[int, bytes]]:
    """(escalation id, encoding) of every stored document of this scorer, by escalation id."""
    for escalation_id, encoded in _pages(db, scorer_name, after_generation=None, labels=False):
        yield int(escalation_id), bytes(encoded)


def _pages(
    db: Database, scorer_name: str, *, after_generation: int | None, labels: bool
) -> Iterator[Any]:
    """Rows a page per short transaction (a long read would hold SQLite's write lock)."""
    after_id = 0
    while True:
        with db.engine.begin() as connection:
            rows = connection.execute(
                _docs_page(
                    scorer_name, after_id=after_id, after_generation=after_generation, labels=labels
                )
            ).all()
        yield from rows
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
