"""Whether Slack's events reach the bot: when the last one arrived, against the server's start.

Until the Events request URL is verified in the app's settings Slack sends no events at all, and
nothing fails loudly: App Home stays empty and thread replies never count as activity. So the
arrival of events is written down (in the database, so `crebot check-config` and every worker
read the same answer), at most once a minute per process to cost nothing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from bot.db import Database
from bot.models import LastSeen
from bot.outbox_rows import insert_ignoring_conflict

log = logging.getLogger(__name__)

SLACK_EVENT = "slack_event"
SERVER_STARTED = "server_started"
NOTE_EVERY = timedelta(minutes=1)


def note(*, session: Session, name: str, at: datetime) -> None:
    """Record that `name` happened at `at` (never moving the record back in time)."""
    if not insert_ignoring_conflict(session, LastSeen, {"name": name, "at": at}):
        table = LastSeen.__table__  # type: ignore[attr-defined]
        session.execute(sa.update(table).where(table.c.name == name, table.c.at < at).values(at=at))
    session.commit()


@dataclass(frozen=True)
class EventsStatus:
    """The server's last start and Slack's last event, as recorded."""

    started: datetime | None
    last_event: datetime | None

    @property
    def silent_since_start(self) -> bool:
        """True when the server has started and no event has arrived since."""
        return self.started is not None and (
            self.last_event is None or self.last_event < self.started
        )


def events_status(*, session: Session) -> EventsStatus:
    """What is recorded of the server's start and Slack's events."""
    rows = {row.name: row.at for row in session.exec(select(LastSeen)).all()}
    return EventsStatus(started=rows.get(SERVER_STARTED), last_event=rows.get(SLACK_EVENT))


@dataclass
class EventNotes:
    """Writes Slack's event arrivals down for one process, at most once every `NOTE_EVERY`."""

    db: Database
    _last: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arrived(self, now: datetime) -> None:
        """An event arrived at `now`."""
        with self._lock:
            if self._last is not None and now - self._last < NOTE_EVERY:
                return
            self._last = now
        try:
            with self.db.session() as session:
                note(session=session, name=SLACK_EVENT, at=now)
        except SQLAlchemyError as exc:  # a busy database must not cost the event itself
            log.info("could not note a Slack event's arrival: %s", exc.__class__.__name__)
            with self._lock:
                self._last = None
