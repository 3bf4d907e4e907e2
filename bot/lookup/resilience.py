"""A circuit breaker and a bounded TTL cache, both driven by an injected `now`."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Generic, Literal, TypeVar

BreakerState = Literal["closed", "open", "half_open"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class CircuitBreaker:
    """Fails fast after `failure_threshold` consecutive failures, then lets one trial call through.

    closed → (threshold failures) → open → (reset_after elapsed) → half_open: exactly one caller is
    allowed; its success closes the breaker, its failure re-opens it for another `reset_after`.
    A trial that never reports back is given up on after `reset_after`, and another is allowed.
    """

    def __init__(self, failure_threshold: int, reset_after: timedelta) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_after <= timedelta(0):
            raise ValueError("reset_after must be positive")
        self._threshold = failure_threshold
        self._reset_after = reset_after
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at: datetime | None = None
        self._trial_started_at: datetime | None = None

    @property
    def state(self) -> BreakerState:
        """The current state, as of the last call that changed it."""
        with self._lock:
            return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failures recorded since the last success."""
        with self._lock:
            return self._failures

    def allow(self, now: datetime) -> bool:
        """Whether a call may go ahead at `now` (claims the single trial slot when half-open)."""
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open":
                assert self._opened_at is not None
                if now - self._opened_at < self._reset_after:
                    return False
                self._state = "half_open"
                self._trial_started_at = now
                return True
            assert self._trial_started_at is not None
            if now - self._trial_started_at >= self._reset_after:
                self._trial_started_at = now
                return True
            return False

    def record_success(self) -> None:
        """A call succeeded: close the breaker and forget past failures."""
        with self._lock:
            self._state = "closed"
            self._failures = 0
            self._opened_at = None
            self._trial_started_at = None

    def record_failure(self, now: datetime) -> None:
        """A call failed at `now`: open if it was the trial call or one failure too many."""
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or self._failures >= self._threshold:
                self._state = "open"
                self._opened_at = now
                self._trial_started_at = None


class TTLCache(Generic[K, V]):
    """A thread-safe map whose entries expire `ttl` after being put; the oldest go when full."""

    def __init__(self, ttl: timedelta, max_entries: int = 10_000) -> None:
        if ttl < timedelta(0):
            raise ValueError("ttl must not be negative")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._ttl = ttl
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[K, tuple[datetime, V]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        """False when the TTL is zero: nothing is ever stored."""
        return self._ttl > timedelta(0)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: K, now: datetime) -> tuple[bool, V | None]:
        """`(True, value)` if `key` holds an unexpired value at `now`, else `(False, None)`."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None
            expires_at, value = entry
            if now >= expires_at:
                del self._entries[key]
                return False, None
            return True, value

    def put(self, key: K, value: V, now: datetime) -> None:
        """Store `value` under `key` until `now + ttl`, evicting the oldest entries if full."""
        if not self.enabled:
            return
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (now + self._ttl, value)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
