"""Events are processed once per event id, after Slack has its ack (a retried event is skipped)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from bot import inbox
from handlers.payload import runtime_of


def once_per_event(listener: Callable[..., None]) -> Callable[..., None]:
    """Wrap an event listener so a delivery Slack repeats (same event id) does nothing."""

    @functools.wraps(listener)  # Bolt injects the wrapped listener's arguments by name
    def run_once(**kwargs: Any) -> None:
        context = kwargs["context"]
        event_id = context.get("event_id")
        if isinstance(event_id, str) and event_id:
            runtime = runtime_of(context)
            with runtime.db.session() as session:
                if not inbox.first_delivery(session=session, event_id=event_id, now=runtime.now()):
                    return
        listener(**kwargs)

    return run_once
