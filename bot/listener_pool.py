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
  without bound. A burst is absorbed: the acks go out at once and the work follows as fast as
  it can be done.

The lane is chosen by the thread that dispatches the request (`lane(urgent=...)` around Bolt's
`dispatch`), read here when Bolt submits the listener from that same thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_URGENT: ContextVar[bool] = ContextVar("crebot_urgent_lane", default=False)

# Four threads are plenty for the normal lane's Slack calls (Slack's rate limits allow far fewer a
# second than four threads make), and few enough that under a flood they cannot starve the urgent
# lane: with twelve, the benchmark's 20 saturating clients made 64 of 400 modals miss their 3 s.
WORKERS = 4
URGENT_WORKERS = 4
# A queued listener holds its request (a few KB, a message's blocks included): 5,000 of them are a
# burst far beyond a team's Slack traffic, in tens of MB at most.
MAX_PENDING = 5000


@contextmanager
def lane(*, urgent: bool) -> Iterator[None]:
    """Listeners submitted by this thread inside the block go to the urgent lane (or not)."""
    token = _URGENT.set(urgent)
    try:
        yield
    finally:
        _URGENT.reset(token)


class ListenerPool(Executor):
    """Bolt's listener executor: an urgent lane and a bounded normal lane."""

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

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run `fn` in the lane the submitting thread chose (normal unless told otherwise)."""
        if _URGENT.get():
            return self._urgent.submit(fn, *args, **kwargs)
        self._room.acquire()
        try:
            future = self._normal.submit(fn, *args, **kwargs)
        except BaseException:
            self._room.release()
            raise
        future.add_done_callback(lambda _done: self._room.release())
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop both lanes (after their work, when `wait`)."""
        self._urgent.shutdown(wait=wait, cancel_futures=cancel_futures)
        self._normal.shutdown(wait=wait, cancel_futures=cancel_futures)
