"""What the current thread of work is: a Slack request or a scheduled job, and what it has done so far.

One `Scope` per request (made where Bolt dispatches it, carried to the listener thread with the
rest of the context) or per job run. It answers two questions nothing else can: whether this request
already committed a change (so an error after it must not say "nothing was changed"), and which
request, job or escalation a log line belongs to (read by the JSON log format and the metrics).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

# How long one database call may take, client-side: a request must fail while Slack and the user
# still wait for its answer; a job may take its time (the server's statement_timeout still applies).
REQUEST_DEADLINE = 2.5
JOB_DEADLINE = 60.0


@dataclass
class Scope:
    """One request or one job run."""

    kind: str | None = None  # the request: "command /cre", "block_actions esc.claim", …
    label: str = "other"  # its kind as a metric label, from a fixed set
    job: str | None = None  # the scheduled job: "slo-sweep", …
    escalation: str | None = None  # the escalation it is about, once known: "ESC-42"
    committed: bool = False  # a transaction of this scope that changed something was committed
    writing: bool = False  # the open transaction has changed something (not committed yet)
    outcome: str = "ok"  # how the request ended: ok, refused, error
    deadline: float | None = None  # seconds one database call may take (None: no client limit)
    until: float | None = None  # a monotonic instant no database call may outlast (a budget)
    commit_failed: bool = False  # a COMMIT failed: the database may or may not have applied it


_CURRENT: ContextVar[Scope | None] = ContextVar("crebot_scope", default=None)


def current() -> Scope | None:
    """The scope of the work this thread is doing, if any."""
    return _CURRENT.get()


@contextmanager
def scoped(scope: Scope) -> Iterator[Scope]:
    """Make `scope` current inside the block (restoring the previous one after)."""
    token = _CURRENT.set(scope)
    try:
        yield scope
    finally:
        _CURRENT.reset(token)


def request(kind: str, *, label: str = "other") -> Scope:
    """A new scope for one Slack request."""
    return Scope(kind=kind, label=label, deadline=REQUEST_DEADLINE)


def job(name: str) -> Scope:
    """A new scope for one run of a scheduled job."""
    return Scope(job=name, deadline=JOB_DEADLINE)


def deadline() -> float | None:
    """How long the current work's next database call may take (None: no client-side limit)."""
    scope = _CURRENT.get()
    if scope is None or scope.deadline is None:
        return None
    if scope.until is None:
        return scope.deadline
    return max(0.05, min(scope.deadline, scope.until - time.monotonic()))


def note_commit_failed() -> None:
    """A COMMIT failed: whether the database applied it is unknown."""
    scope = _CURRENT.get()
    if scope is not None:
        scope.commit_failed = True


def note_escalation(escalation_id: int | None) -> None:
    """Say which escalation the current work is about (for the logs)."""
    scope = _CURRENT.get()
    if scope is not None and escalation_id is not None:
        scope.escalation = f"ESC-{escalation_id}"


_WRITES = ("INSERT", "UPDATE", "DELETE")


def note_statement(statement: str) -> None:
    """Called for every statement sent to the database: remember that this transaction writes."""
    scope = _CURRENT.get()
    if scope is not None and not scope.writing and statement.lstrip()[:6].upper() in _WRITES:
        scope.writing = True


@event.listens_for(Session, "after_commit")
def _remember_commit(_session: Any) -> None:
    scope = _CURRENT.get()
    if scope is not None and scope.writing:
        scope.committed, scope.writing = True, False


@event.listens_for(Session, "after_rollback")
def _forget_writes(_session: Any) -> None:
    scope = _CURRENT.get()
    if scope is not None:
        scope.writing = False
