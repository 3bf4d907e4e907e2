"""Events API de-duplication: a retried delivery is processed once; old ids are forgotten."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.db import Database
from bot.inbox import KEEP_FOR, first_delivery, forget_old_events
from bot.models import ProcessedEvent
from tests.conftest import START


def test_only_the_first_delivery_of_an_event_is_new(db: Database) -> None:
    with db.session() as session:
        assert first_delivery(session=session, event_id="Ev01", now=START) is True
        assert first_delivery(session=session, event_id="Ev01", now=START) is False
        assert first_delivery(session=session, event_id="Ev02", now=START) is True
    with db.session() as session:  # remembered across sessions (committed)
        assert (
            first_delivery(session=session, event_id="Ev01", now=START + timedelta(minutes=1))
            is False
        )
        assert len(session.exec(select(ProcessedEvent)).all()) == 2


def test_a_retry_does_not_move_the_first_sighting(db: Database) -> None:
    with db.session() as session:
        first_delivery(session=session, event_id="Ev01", now=START)
        first_delivery(session=session, event_id="Ev01", now=START + timedelta(minutes=5))
        row = session.get(ProcessedEvent, "Ev01")
        assert row is not None
        assert row.received_at == START


def test_old_event_ids_are_forgotten(db: Database) -> None:
    with db.session() as session:
        first_delivery(session=session, event_id="old", now=START - KEEP_FOR - timedelta(seconds=1))
        first_delivery(session=session, event_id="edge", now=START - KEEP_FOR)
        first_delivery(session=session, event_id="recent", now=START - timedelta(hours=1))
        assert forget_old_events(session=session, now=START) == 1
        assert forget_old_events(session=session, now=START) == 0
    with db.session() as session:
        remaining = {row.event_id for row in session.exec(select(ProcessedEvent)).all()}
        assert remaining == {"edge", "recent"}
        assert first_delivery(session=session, event_id="old", now=START) is True
        assert first_delivery(session=session, event_id="recent", now=START) is False
