"""Slack's events are written down as they arrive (at most once a minute), against the start."""

from __future__ import annotations

from datetime import timedelta

from bot import arrivals
from bot.clock import ManualClock
from bot.db import Database
from bot.runtime import Runtime
from tests.conftest import START
from tests.support.slack import SlackDriver


def status(db: Database) -> arrivals.EventsStatus:
    with db.session() as session:
        return arrivals.events_status(session=session)


def test_a_record_only_moves_forward(db: Database) -> None:
    with db.session() as session:
        arrivals.note(session=session, name=arrivals.SLACK_EVENT, at=START)
        arrivals.note(session=session, name=arrivals.SLACK_EVENT, at=START - timedelta(hours=1))

    assert status(db) == arrivals.EventsStatus(started=None, last_event=START)


def test_silent_since_start_when_no_event_came_after_the_last_start(db: Database) -> None:
    assert not status(db).silent_since_start  # never started: nothing to say
    with db.session() as session:
        arrivals.note(session=session, name=arrivals.SERVER_STARTED, at=START)
    assert status(db).silent_since_start
    with db.session() as session:
        arrivals.note(session=session, name=arrivals.SLACK_EVENT, at=START + timedelta(seconds=5))
    assert not status(db).silent_since_start
    with db.session() as session:
        arrivals.note(session=session, name=arrivals.SERVER_STARTED, at=START + timedelta(hours=1))
    assert status(db).silent_since_start


def test_every_kind_of_event_through_the_app_is_noted_at_most_once_a_minute(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    ignored = {"type": "message", "channel": "C0RANDOM", "user": "U0CS", "text": "hi", "ts": "1.0"}
    slack.command("/cre", "help", user="U0CS")
    assert status(runtime.db).last_event is None  # a command is not an event

    assert slack.event(ignored).status == 200  # no listener cares: it still shows events arrive
    first = clock.now()
    clock.advance(timedelta(seconds=30))
    slack.event({"type": "app_home_opened", "user": "U0CS", "channel": "D0CS", "tab": "home"})
    assert status(runtime.db).last_event == first  # within the minute: not written again

    clock.advance(timedelta(seconds=31))
    slack.event({**ignored, "ts": "2.0"})
    assert status(runtime.db).last_event == clock.now()
