"""The similar escalations each card shows: found by the similarity-index job, never while filing.

A card's matches are found once its escalation is in the index (the job's next run after filing)
and again whenever its summary or details change; they are stored (`SimilarMatch`) so drawing a
card is a read. Only cards still worth a look get matches: unresolved escalations, and those
filed within `CARD_WINDOW` (a first run over years of history does not search for all of them).
A card shows its first match's facts, "open" until it is resolved and then when and why, so only
resolving or reopening that one makes the card redrawn (`redraw_naming`), not every status click.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from bot import outbox_keys
from bot.models import Escalation, SimilarMatch, Status
from bot.outbox_rows import OutboxRow, enqueue_many
from bot.similarity.index import SimilarityIndex, Snapshot
from bot.similarity.store import text_columns, upsert_by_escalation
from bot.similarity.text import document_text, fingerprint

CARD_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class MatchReport:
    """What one batch did: cards looked at, and those whose matches changed (and their version)."""

    looked: int
    changed: list[tuple[int, int]]  # (escalation id, version)
    last_id: int


def card_text(*, summary: str, details: str, end_user_id: str) -> str:
    """What a card's matches are found for: the inquiry itself (not how it was resolved)."""
    return document_text(summary=summary, details=details, end_user_ids=(end_user_id,))


def _due(*, now: datetime, limit: int, after_id: int) -> Any:
    e, m = Escalation, SimilarMatch
    return (
        sa.select(*text_columns(), col(m.fingerprint), col(m.matches))
        .outerjoin(m, col(m.escalation_id) == col(e.id))
        .where(
            col(e.id) > after_id,
            sa.or_(col(m.escalation_id).is_(None), col(m.escalation_version) != col(e.version)),
            sa.or_(col(e.status) != Status.RESOLVED, col(e.filed_at) >= now - CARD_WINDOW),
        )
        .order_by(col(e.id))
        .limit(limit)
    )


def find_batch(
    *,
    session: Session,
    index: SimilarityIndex,
    snapshot: Snapshot,
    now: datetime,
    limit: int,
    min_score: float,
    per_card: int,
    after_id: int = 0,
) -> MatchReport:
    """Find the matches of up to `limit` cards changed since they were last looked at (ids above
    `after_id`); the caller commits and asks again from `last_id`."""
    rows = session.execute(_due(now=now, limit=limit, after_id=after_id)).all()
    if not rows:
        return MatchReport(looked=0, changed=[], last_id=after_id)
    stale = []
    for row in rows:
        text = card_text(summary=row.summary, details=row.details, end_user_id=row.end_user_id)
        stale.append((row, text, fingerprint(text)))
    searched = [(row, text, print_) for row, text, print_ in stale if print_ != row.fingerprint]
    encodings = index.scorer.encode([text for _, text, _ in searched]) if searched else []
    found: dict[int, list[list[float]]] = {}
    for (row, text, _), encoding in zip(searched, encodings, strict=True):
        candidates = (
            snapshot.search(encoding, limit=per_card, min_score=min_score, exclude=(row.id,))
            if text
            else []
        )
        found[row.id] = [[c.escalation_id, round(c.score, 3)] for c in candidates]
    changed = []
    saved = []
    for row, _, print_ in stale:
        matches = found.get(row.id, row.matches)
        saved.append(
            {
                "escalation_id": row.id,
                "escalation_version": row.version,
                "fingerprint": print_,
                "matches": matches,
                "first_match_id": int(matches[0][0]) if matches else None,
                "found_at": now,
            }
        )
        if row.id in found and _ids(found[row.id]) != _ids(row.matches or []):
            changed.append((int(row.id), int(row.version)))
    upsert_by_escalation(session, SimilarMatch.__table__, saved)  # type: ignore[attr-defined]
    return MatchReport(looked=len(rows), changed=changed, last_id=int(rows[-1].id))


def _ids(matches: list[list[float]]) -> list[int]:
    return [int(m[0]) for m in matches]


_MATCHES = SimilarMatch.__table__  # type: ignore[attr-defined]
# Every card drawn reads this: the one column, by a prebuilt select (not an ORM load).
_STORED_MATCHES = sa.select(_MATCHES.c.matches).where(
    _MATCHES.c.escalation_id == sa.bindparam("escalation_id")
)


def stored_ids(*, session: Session, escalation_id: int) -> list[tuple[int, float]]:
    """The matches stored for a card, best first (none before the job has looked)."""
    matches = session.execute(_STORED_MATCHES, {"escalation_id": escalation_id}).scalar()
    return [(int(m[0]), float(m[1])) for m in matches or []]


# The cards whose first match is one escalation, by the index on `first_match_id`.
_NAMING = sa.select(_MATCHES.c.escalation_id).where(
    _MATCHES.c.first_match_id == sa.bindparam("match_id")
)


def redraw_naming(*, session: Session, escalation_id: int, version: int, now: datetime) -> int:
    """Promise a redraw of each card whose first match is this escalation, resolved or reopened
    from `version` (once per change, however often it is retried); how many were promised."""
    cards = session.execute(_NAMING, {"match_id": escalation_id}).scalars().all()
    rows = [
        OutboxRow.card_update(
            outbox_keys.similar_status(card, escalation_id, version), escalation_id=card
        )
        for card in cards
    ]
    enqueue_many(session, rows, now=now)
    return len(rows)
