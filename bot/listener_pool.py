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
  it can be done;
- what an urgent listener has left to do once Slack has its answer (a submission's delivery,
  after its ack) runs in a third lane, *after-ack* (`off_the_urgent_lane`): the urgent thread is
  free for the next modal as soon as Slack stops waiting, and the card still follows its
  submission at once, not behind the normal lane's backlog or its slow work;
- the lane knows how far behind it is (`backlog_seconds`: how long its oldest queued listener
  has waited), so a request can be told so at its ack (`bot.app`) rather than answered a minute
  later: the bound on a burst is time, not count.

The lane is chosen by the thread that dispatches the request (`lane(urgent=...)` around Bolt's
`dispatch`), read here when Bolt submits the listener from that same thread.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from bot import metrics, scope

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

_URGENT: ContextVar[bool] = ContextVar("crebot_urgent_lane", default=False)
_AFTER_ACK: ContextVar[bool] = ContextVar("crebot_after_ack_lane", default=False)
# The pool running the current listener (set in the context each listener runs in).
_POOL: ContextVar[ListenerPool | None] = ContextVar("crebot_listener_pool", default=None)
# Who tells the user about a failure in the work handed over after the ack (`bot.app`).
_TELL_FAILURE: ContextVar[Callable[[Exception], object] | None] = ContextVar(
    "crebot_tell_failure", default=None
)

# Four threads are plenty for the normal lane's Slack calls (Slack's rate limits allow far fewer a
# second than four threads make), and few enough that under a flood they cannot starve the urgent
# lane: with twelve, the benchmark's 20 saturating clients made 64 of 400 modals miss their 3 s.
WORKERS = 4
URGENT_WORKERS = 4
# The after-ack lane's work is a submission's delivery: a few Slack posts, as many as submissions.
AFTER_ACK_WORKERS = 4
# A queued listener holds its request (a few KB, a message's blocks included): 5,000 of them are a
# burst far beyond a team's Slack traffic, in tens of MB at most.
MAX_PENDING = 5000
SMOOTHING = 0.1  # weight of the latest listener's run time in the lane's average


@contextmanager
def lane(*, urgent: bool) -> Iterator[None]:
    """Listeners submitted by this thread inside the block go to the urgent lane (or not)."""
    token = _URGENT.set(urgent)
    try:
        yield
    finally:
        _URGENT.reset(token)


def is_urgent_lane() -> bool:
    """Whether listeners this thread submits now go to the urgent lane."""
    return _URGENT.get()


@contextmanager
def failures_told_by(tell: Callable[[Exception], object]) -> Iterator[None]:
    """Inside the block, a failure of work handed off the urgent lane is told by `tell`.

    It is called in the request's scope, as the listener's own error handler would be.
    """
    token = _TELL_FAILURE.set(tell)
    try:
        yield
    finally:
        _TELL_FAILURE.reset(token)


def off_the_urgent_lane(fn: Callable[[], object]) -> None:
    """Run `fn` here, or, from an urgent-lane listener, in its pool's after-ack lane.

    An urgent thread is for what Slack waits on; what a listener does after Slack has its answer
    (a submission's delivery, after its ack) held it from the next modal, whose trigger id lives
    3 s. Handed over, `fn` runs in a scope of its own (not counted or logged as a second run of
    the request; its database calls have a request's deadline, not a budget), and a failure is
    told as the listener's own would be (`failures_told_by`), or else logged.
    """
    pool = _POOL.get()
    if pool is None or not _URGENT.get():
        fn()
        return
    request = scope.current()
    follow_on = scope.Scope(
        escalation=request.escalation if request is not None else None,
        deadline=scope.REQUEST_DEADLINE,
    )
    run = functools.partial(_after_the_ack, fn, request=request, tell=_TELL_FAILURE.get())
    after_ack = _AFTER_ACK.set(True)
    try:
        with lane(urgent=False), scope.scoped(follow_on):
            pool.submit(run)
        return
    except RuntimeError:  # the pool is shutting down: run it here, as before
        pass
    finally:
        _AFTER_ACK.reset(after_ack)
    fn()


def _after_the_ack(
    fn: Callable[[], object],
    *,
    request: scope.Scope | None,
    tell: Callable[[Exception], object] | None,
) -> None:
    _AFTER_ACK.set(False)  # what `fn` submits goes to the lane it chooses (this context is its own)
    try:
        fn()
    except Exception as exc:
        if tell is None:
            log.error("work after the ack failed: %s", exc.__class__.__name__, exc_info=exc)
            return
        with scope.scoped(request or scope.Scope()):
            tell(exc)


class ListenerPool(Executor):
    """Bolt's listener executor: an urgent lane, a bounded normal lane, and the after-ack lane."""

    def __init__(
        self,
        *,
        workers: int = WORKERS,
        urgent_workers: int = URGENT_WORKERS,
        after_ack_workers: int = AFTER_ACK_WORKERS,
        max_pending: int = MAX_PENDING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        # Normal-lane listeners queued and not yet started, oldest first, by submission number.
        self._waiting: OrderedDict[int, float] = OrderedDict()
        self._waiting_lock = threading.Lock()
        self._numbers = itertools.count()
        self._workers = workers
        # How long a normal-lane listener runs, on average (recent ones weigh most): with the
        # number waiting, how long a listener queued now will wait.
        self._service_seconds = 0.0
        self._normal = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="listener")
        self._urgent = ThreadPoolExecutor(
            max_workers=urgent_workers, thread_name_prefix="listener-urgent"
        )
        self._after_ack = ThreadPoolExecutor(
            max_workers=after_ack_workers, thread_name_prefix="listener-after-ack"
        )
        self._room = threading.BoundedSemaphore(max_pending)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run `fn` in the lane the submitting thread chose (normal unless told otherwise).

        `fn` runs in a copy of the submitting thread's context: the request's scope (`bot.scope`)
        goes with it, and nothing it sets stays behind in the pool's thread for the next request.
        """
        urgent, after_ack = _URGENT.get(), _AFTER_ACK.get()
        lane_name = "urgent" if urgent else "after_ack" if after_ack else "normal"
        measured = functools.partial(_measured, lane_name, time.perf_counter(), fn, *args, **kwargs)
        context = contextvars.copy_context()
        context.run(_POOL.set, self)
        run: Callable[[], T] = functools.partial(context.run, measured)
        metrics.QUEUE_DEPTH.labels(lane_name).inc()
        if urgent:
            return self._urgent.submit(run)
        if after_ack:  # unbounded, as the urgent lane is: at most one per urgent listener
            return self._after_ack.submit(run)
        self._room.acquire()
        number = next(self._numbers)
        with self._waiting_lock:
            self._waiting[number] = self._clock()
        started: Callable[[], T] = functools.partial(self._started, number, run)
        try:
            future = self._normal.submit(started)
        except BaseException:
            self._forget(number)
            self._room.release()
            raise
        future.add_done_callback(lambda _done: self._done(number))
        return future

    def backlog_seconds(self) -> float:
        """How far behind the normal lane is; 0 if nothing waits.

        The longer of how long its oldest queued (not yet started) listener has waited and how
        long the ones waiting will take to run (their number × the recent average run time ÷ the
        threads): a burst of quick arrivals is behind before any of them has waited long.
        """
        with self._waiting_lock:
            oldest = next(iter(self._waiting.values()), None)
            waiting = len(self._waiting)
            service = self._service_seconds
        if oldest is None:
            return 0.0
        return max(self._clock() - oldest, waiting * service / self._workers, 0.0)

    def _started(self, number: int, run: Callable[[], T]) -> T:
        self._forget(number)
        began = self._clock()
        try:
            return run()
        finally:
            took = max(0.0, self._clock() - began)
            with self._waiting_lock:
                self._service_seconds += SMOOTHING * (took - self._service_seconds)

    def _forget(self, number: int) -> None:
        with self._waiting_lock:
            self._waiting.pop(number, None)

    def _done(self, number: int) -> None:
        self._forget(number)  # a cancelled listener never started
        self._room.release()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the lanes (after their work, when `wait`): the urgent one first, as it hands work
        to the after-ack lane."""
        self._urgent.shutdown(wait=wait, cancel_futures=cancel_futures)
        self._after_ack.shutdown(wait=wait, cancel_futures=cancel_futures)
        self._normal.shutdown(wait=wait, cancel_futures=cancel_futures)


def _measured(lane_name: str, queued: float, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one listener, measuring its wait and its work, and log how the request ended."""
    started = time.perf_counter()
    metrics.QUEUE_WAIT.labels(lane_name).observe(started - queued)
    try:
        return fn(*args, **kwargs)
    finally:
        took = time.perf_counter() - started
        metrics.QUEUE_DEPTH.labels(lane_name).dec()
        current = scope.current()
        if current is not None and current.kind is not None:
            metrics.WORK_SECONDS.labels(current.label).observe(took)
            metrics.REQUESTS.labels(current.label, current.outcome).inc()
            log.info(
                "handled %s: %s",
                current.kind,
                current.outcome,
                extra={"latency_ms": round((time.perf_counter() - queued) * 1000, 1)},
            )
