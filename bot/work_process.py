"""The normal lane's work in a process of its own, at a lower OS priority, so acks win the CPU.

A gunicorn worker acks commands and clicks at once (`bot.app`), then runs their listeners: 5-8 ms
of CPU each, on the same two cores and under the same GIL as the next request's ack. Under a burst
the acks queued behind that work (bench/README.md: ack p99 4.3x the bare app's). With
`WORK_PROCESSES=1` (off by default: bench/README.md has why) each web worker of `crebot serve` over
HTTP starts one *work process* (`multiprocessing`'s "spawn": a fresh interpreter, not a fork of a threaded one) running
`WORK_NICE` lower in the OS's priority, and hands it the body of every request that is acked at
once and not urgent; the work process builds the same app and runs the listener there. The
kernel then gives the web worker's acks the CPU first, and the work uses whatever is left.

- The web worker verified the request's signature; the work process dispatches the parsed body as
  Socket Mode does (Bolt verifies no signature there), flagged `FORWARDED` so it neither acks to
  anyone nor sheds it again (`bot.app`).
- How far behind the work is stays visible to the web worker (`backlog_seconds`): the longer of
  how long the oldest body the work process has not yet taken has waited, and its listener pool's
  backlog as it last reported it (every 50 ms, as the instant the backlog began, so a report from
  a process starved of CPU grows older by itself rather than understate). A command is then refused ("busy") or told it is queued
  ("working on it…") at its ack, as when the work ran in the web worker.
- A work process that dies is started again (and logged); the bodies it had not yet taken from
  the pipe are sent to the new one. Those it had taken and not finished are lost with it, as a
  killed web worker's queued listeners are.
- The web worker ends its work process by closing the pipe: the work process finishes what it
  has queued, then exits. It ignores SIGTERM and SIGINT (sent to the whole process group by a
  terminal or a supervisor) so that a graceful stop does not drop its queue.
- Urgent work (a modal's submission, a modal to open within its trigger id's 3 s) and events stay
  in the web worker, as does Socket Mode (`crebot serve` with an app token): its acks go back
  over the WebSocket its worker holds.
"""

from __future__ import annotations

import contextvars
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, ParamSpec, TypeVar

from bot import metrics
from bot.listener_pool import MAX_PENDING, ListenerPool, is_urgent_lane
from bot.settings import Settings

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

# The context key that marks a request the web worker has already acked and handed over.
FORWARDED = "crebot_forwarded"
REPORT_EVERY = 0.05  # seconds between the work process's reports of its backlog
WATCH_EVERY = 1.0  # seconds between the web worker's checks that its work process lives
# How long a web worker waits, as it exits, for its work process to finish what it queued:
# within gunicorn's graceful_timeout (20 s), after which gunicorn kills the web worker anyway.
CLOSE_TIMEOUT = 15.0

_FORWARDABLE: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "crebot_forwardable", default=None
)


@contextmanager
def forwardable(body: dict[str, Any] | None) -> Iterator[None]:
    """The normal-lane listener this thread submits inside the block may run elsewhere, from `body`."""
    token = _FORWARDABLE.set(body)
    try:
        yield
    finally:
        _FORWARDABLE.reset(token)


class WorkProcess:
    """A web worker's work process: it is sent bodies, reports its backlog, is restarted if it dies.

    `send` only queues the body: one thread of the web worker (the pump) writes to the pipe, so a
    request's thread never waits for a work process that is slow to read, and the pump alone
    starts, watches and restarts the process.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        nice: int,
        clock: Callable[[], float] = time.monotonic,
        target: Callable[..., None] | None = None,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self._settings = settings
        self._nice = nice
        self._clock = clock
        self._target = target or serve_forwarded
        self._max_pending = max_pending
        self._context = multiprocessing.get_context("spawn")
        self._ready = threading.Condition()
        # Bodies sent and not yet taken by the work process, oldest first, with when they were sent;
        # and those of them not yet written to its pipe.
        self._unreceived: deque[tuple[float, dict[str, Any]]] = deque()
        self._unwritten: deque[dict[str, Any]] = deque()
        self._closing = False
        with self._ready:
            self._start_locked()
        self._pump = threading.Thread(target=self._run_pump, name="work-process-pump", daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int | None:
        """The running work process's id."""
        return self._process.pid

    def send(self, body: dict[str, Any]) -> None:
        """Queue `body` for the work process (waits only while `max_pending` are not yet taken)."""
        with self._ready:
            self._prune_locked()
            while len(self._unreceived) >= self._max_pending:  # back-pressure, as the pool's
                self._ready.wait(REPORT_EVERY)
                self._prune_locked()
            self._unreceived.append((self._clock(), body))
            self._unwritten.append(body)
            self._ready.notify_all()

    def backlog_seconds(self) -> float:
        """How far behind the work process is, as far as this worker can tell."""
        with self._ready:
            self._prune_locked()
            oldest = self._unreceived[0][0] if self._unreceived else None
            behind_since = float(self._behind_since.value)
        reported = time.monotonic() - behind_since if behind_since > 0 else 0.0
        waited = self._clock() - oldest if oldest is not None else 0.0
        return max(reported, waited, 0.0)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Let the work process finish its queue and exit (waits up to `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        with self._ready:
            self._closing = True
            self._ready.notify_all()
        self._pump.join(timeout)
        self._process.join(max(0.0, deadline - time.monotonic()))
        if self._process.exitcode is not None:
            metrics.worker_exited(self._process.pid or 0)
        else:
            log.warning("work process %s still finishing its queue", self._process.pid)

    def _run_pump(self) -> None:
        while True:
            with self._ready:
                if not self._unwritten and not self._closing:
                    self._ready.wait(WATCH_EVERY)
                batch = list(self._unwritten)
                self._unwritten.clear()
                done = self._closing and not batch
            if not self._process.is_alive():
                self._restart("it died")
                continue
            if done:
                self._sender.close()  # its end of file: the work process finishes and exits
                return
            try:
                for body in batch:
                    self._sender.send(body)
            except OSError:
                self._restart("its pipe broke")

    def _start_locked(self) -> None:
        receiver, self._sender = self._context.Pipe(duplex=False)
        self._received = self._context.RawValue("Q", 0)
        self._taken = 0  # how many bodies the current process has taken off _unreceived
        # When the work process's backlog began, by its last report (time.monotonic); 0: none.
        self._behind_since = self._context.RawValue("d", 0.0)
        self._process = self._context.Process(
            target=self._target,
            args=(receiver, self._received, self._behind_since, self._settings, self._nice),
            name="crebot-work",
        )
        self._process.start()
        receiver.close()  # the work process holds it now: its end of file is this worker's end
        self._unwritten = deque(body for _sent_at, body in self._unreceived)

    def _prune_locked(self) -> None:
        taken = int(self._received.value)
        if self._taken >= taken:
            return
        while self._taken < taken and self._unreceived:
            self._unreceived.popleft()
            self._taken += 1
        self._ready.notify_all()  # a sender waiting for room

    def _restart(self, why: str) -> None:
        old = self._process
        old.join(1.0)
        if old.is_alive():
            old.kill()
            old.join()
        self._sender.close()
        with self._ready:
            self._prune_locked()
            log.warning(
                "work process %s ended (%s, exit code %s); starting another, %d requests resent",
                old.pid,
                why,
                old.exitcode,
                len(self._unreceived),
            )
            metrics.worker_exited(old.pid or 0)
            self._start_locked()


class ForwardingPool(Executor):
    """A web worker's listener executor: normal-lane work goes to the work process, the rest stays."""

    def __init__(self, local: ListenerPool, work: WorkProcess) -> None:
        self.local = local
        self.work = work

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Forward the request if it may go; otherwise run `fn` here, in its lane."""
        body = _FORWARDABLE.get()
        if body is None or is_urgent_lane():
            return self.local.submit(fn, *args, **kwargs)
        self.work.send(body)
        _FORWARDABLE.set(None)  # one request, one listener run: anything else it submits stays here
        handed: Future[T] = Future()
        handed.set_result(None)  # type: ignore[arg-type]  # Bolt never reads the listener's result
        return handed

    def backlog_seconds(self) -> float:
        """How far behind the work is, here or in the work process."""
        return max(self.local.backlog_seconds(), self.work.backlog_seconds())

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the local lanes and let the work process finish."""
        self.local.shutdown(wait=wait, cancel_futures=cancel_futures)
        self.work.close()


# -- the work process ---------------------------------------------------------------------------


def serve_forwarded(
    receiver: Connection, received: Any, behind_since: Any, settings: Settings, nice: int
) -> None:
    """The work process: run each forwarded request's listener until the web worker hangs up."""
    from slack_bolt import BoltRequest

    from bot.app import create_app
    from bot.cli import build_runtime
    from bot.logs import configure_logging

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)  # the web worker says when to stop: by hanging up
    os.nice(nice)
    configure_logging(settings.log_level, fmt=settings.log_format)
    sys.setswitchinterval(settings.gil_switch_interval_ms / 1000)
    runtime = build_runtime(settings)
    pool = ListenerPool()
    app = create_app(runtime, listener_executor=pool)
    done = threading.Event()
    threading.Thread(
        target=_report, args=(pool, behind_since, done), name="work-report", daemon=True
    ).start()
    while True:
        try:
            body = receiver.recv()
        except (EOFError, OSError):
            break
        # Taken before it runs: a body that kills this process is not sent to the next one.
        received.value += 1
        try:
            app.dispatch(BoltRequest(body=body, mode="socket_mode", context={FORWARDED: True}))
        except Exception as exc:  # one bad request must not end the process with its queue
            log.error("forwarded request failed: %s", exc.__class__.__name__, exc_info=exc)
    pool.shutdown(wait=True)
    done.set()
    behind_since.value = 0.0
    runtime.db.dispose()


def _report(pool: ListenerPool, behind_since: Any, done: threading.Event) -> None:
    # An instant rather than a length: if this process stops getting the CPU (its priority is low),
    # its last report ages on its own instead of understating how far behind it has fallen.
    while not done.wait(REPORT_EVERY):
        backlog = pool.backlog_seconds()
        behind_since.value = time.monotonic() - backlog if backlog > 0 else 0.0
