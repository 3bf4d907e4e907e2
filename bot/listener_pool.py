"""Where Bolt runs listeners: two lanes of threads, so Slack's time-bound work never queues.

Bolt acks a request once its listener has called `ack()`, and runs listeners on an executor. With
one small pool (Bolt's default is five threads) a few slow listeners (a rate-limited post, a slow
admin API) hold every thread, and new requests wait for a thread before they can even ack. Here:

- requests whose ack is always empty are acked before their listener is queued (`bot.app`), so
  their ack never waits for a thread;
- work Slack times out on (a modal submission waiting for its ack, a command or button that opens
  a modal with a trigger id valid for 3 s) runs in its own *urgent* lane;
- everything else runs in the *normal* lane, which holds at most `max_pending` queued or running
  listeners: past that, new requests wait for room (back-pressure) instead of growing the queue
  without bound.

The lane is chosen by the thread that dispatches the request (`lane(urgent=...)` around Bolt's
`dispatch`), read here when Bolt submits the listener from that same thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_URGENT: ContextVar[bool] = ContextVar("crebot_urgent_lane", default=False)

WORKERS = 12
URGENT_WORKERS = 4
MAX_PENDING = 1000


@contextmanager
def lane(*, urgent: bool) -> Iterator[None]:
    """Listeners submitted by this thread inside the block go to the urgent lane (or not)."""
    token = _URGENT.set(urgent)
    try:
        yield
    finally:
        _URGENT.reset(token)


class ListenerPool(Executor):
    """Bolt's listener executor: an urgent lane, a bounded normal lane, and a way to wait for both."""

    def __init__(
        self,
        *,
        workers: int = WORKERS,
        urgent_workers: int = URGENT_WORKERS,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self._normal = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="listener")
        self._urgent = ThreadPoolExecutor(
            max_workers=urgent_workers, thread_name_prefix="listener-urgent"
        )
        self._room = threading.BoundedSemaphore(max_pending)
        self._futures: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run `fn` in the lane the submitting thread chose (normal unless told otherwise)."""
        if _URGENT.get():
            future = self._urgent.submit(fn, *args, **kwargs)
        else:
            self._room.acquire()
            try:
                future = self._normal.submit(fn, *args, **kwargs)
            except BaseException:
                self._room.release()
                raise
            future.add_done_callback(lambda _done: self._room.release())
        with self._lock:
            self._futures.add(future)
            if len(self._futures) > 64:
                self._futures = {f for f in self._futures if not f.done()}
        return future

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until every submitted listener (and what they submitted) has finished."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self._futures = {f for f in self._futures if not f.done()}
                pending = set(self._futures)
            if not pending:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("listeners still running")
            wait_futures(pending, timeout=remaining)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop both lanes (after their work, when `wait`)."""
        self._urgent.shutdown(wait=wait, cancel_futures=cancel_futures)
        self._normal.shutdown(wait=wait, cancel_futures=cancel_futures)
