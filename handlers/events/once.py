"""Events are processed once per event id, after Slack has its ack (a retried event is skipped)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from bot import inbox
from bot.runtime import Runtime
from handlers.payload import runtime_of

Relevant = Callable[[dict[str, Any], Runtime], bool]


def once_per_event(
    listener: Callable[..., None], *, relevant: Relevant | None = None
) -> Callable[..., None]:
    """Wrap an event listener so a delivery Slack repeats (same event id) does nothing.

    `relevant` tells, without the database, whether the event matters at all: most messages in a
    channel do not, and are not written down just to be ignored.
    """

    @functools.wraps(listener)  # Bolt injects the wrapped listener's arguments by name
    def run_once(**kwargs: Any) -> None:
        context = kwargs["context"]
        runtime = runtime_of(context)
        event = kwargs.get("event") or {}
        runtime.event_notes.arrived(runtime.now())  # after the ack: events do reach us
        if relevant is not None and not relevant(event, runtime):
            return
        event_id = context.get("event_id")
        if isinstance(event_id, str) and event_id:
            with runtime.db.session() as session:
                if not inbox.first_delivery(session=session, event_id=event_id, now=runtime.now()):
                    return
        listener(**kwargs)

    return run_once
