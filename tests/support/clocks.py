"""A clock for tests about things that take real time (a slow Slack): it starts at a chosen instant
and then runs at the wall clock's pace, so rows written a moment apart carry different instants."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from bot.clock import ManualClock


class RunningClock(ManualClock):
    """Starts at `start` and runs at real speed; `set` and `advance` still jump it."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=time.monotonic() - self._origin)
