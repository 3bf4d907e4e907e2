"""A client-side limit for Zendesk's Update Ticket endpoint (100 requests a minute per account).

A sliding window: at most `rate` requests start in any `period`. A 429's Retry-After pauses every
request of this process until it has passed, since Zendesk's limit is account-wide. Written here
rather than taken from a library because it is twenty lines and must take the pause and an
injected clock (tests and the benchmark run it on simulated time).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `rate` acquisitions in any `period` seconds, and none while paused."""

    def __init__(
        self,
        *,
        rate: int,
        period: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate < 1 or period <= 0:
            raise ValueError("rate and period must be positive")
        self.rate = rate
        self.period = period
        self._monotonic = monotonic
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a slot and take it; when it was taken (for `refund` and `sent`)."""
        while True:
            with self._lock:
                now = self._monotonic()
                delay = self._delay(now)
                if delay <= 0:
                    self._starts.append(now)
                    return now
            self._sleep(delay)

    def refund(self, taken_at: float) -> None:
        """Give back a slot taken at `taken_at` (`acquire`'s answer) for a request never sent."""
        with self._lock, contextlib.suppress(ValueError):  # it may have left the window already
            self._starts.remove(taken_at)

    def sent(self, taken_at: float) -> None:
        """The request of the slot taken at `taken_at` went out now: its place in the window moves
        to now, so the window counts requests as Zendesk sees them arrive, never earlier."""
        with self._lock:
            try:
                index = self._starts.index(taken_at)
            except ValueError:
                return
            self._starts[index] = max(self._monotonic(), taken_at)
            self._starts = deque(sorted(self._starts))

    def delay(self) -> float:
        """How long the next acquisition would wait now (0: a slot is free)."""
        with self._lock:
            return max(self._delay(self._monotonic()), 0.0)

    def paused_for(self) -> float:
        """Seconds left of the current pause (0: not paused)."""
        with self._lock:
            return max(self._paused_until - self._monotonic(), 0.0)

    def wait(self, seconds: float) -> None:
        """Sleep on this limiter's clock (tests and the benchmark run it on simulated time)."""
        if seconds > 0:
            self._sleep(seconds)

    def pause(self, seconds: float) -> None:
        """Start nothing for `seconds` (a 429's Retry-After)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._monotonic() + max(seconds, 0.0))

    def _delay(self, now: float) -> float:
        while self._starts and self._starts[0] <= now - self.period:
            self._starts.popleft()
        wait = self._paused_until - now
        if len(self._starts) >= self.rate:
            wait = max(wait, self._starts[0] + self.period - now)
        return wait
