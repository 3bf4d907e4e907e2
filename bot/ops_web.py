"""GET /healthz, /readyz and /metrics: a WSGI app of its own, mounted beside Slack's events.

- `/healthz` is liveness: the process serves HTTP. It never touches the database (a platform that
  restarts unhealthy processes must not restart every instance because the database is down).
- `/readyz` is readiness, answered within a second: the database answers, its schema is at the
  code's migration head, and a scheduler leader is known (someone runs the jobs and retries posts).
- `/metrics` is the Prometheus text exposition (`bot.metrics`).

`SlackWsgiApp` mounts it for HTTP mode; Socket Mode serves it alone on $PORT.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot import leadership, metrics, migrate
from bot.clock import SystemClock
from bot.db import Database
from bot.models import Lease

PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
READY_WITHIN = 1.0

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_STATUS = {200: "200 OK", 404: "404 Not Found", 405: "405 Method Not Allowed"}
_STATUS[503] = "503 Service Unavailable"


class OpsEndpoints:
    """Liveness, readiness and metrics for one process."""

    def __init__(
        self,
        *,
        db: Database,
        now: Callable[[], datetime] | None = None,
        checks: Mapping[str, Callable[[], bool]] | None = None,
    ) -> None:
        self.db = db
        self.now = now or SystemClock().now
        self.checks = dict(checks or {})  # the process's own (Socket Mode: the connection)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path not in PATHS:
            return _reply(start_response, 404, b"Not Found", "text/plain; charset=utf-8")
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _reply(start_response, 405, b"Method Not Allowed", "text/plain; charset=utf-8")
        if path == "/metrics":
            body, content_type = metrics.render()
            return _reply(start_response, 200, body, content_type)
        status, facts = self.liveness() if path == "/healthz" else self.readiness()
        return _reply(start_response, status, json.dumps(facts).encode(), "application/json")

    def liveness(self) -> tuple[int, dict[str, Any]]:
        """200 while the process serves and its own checks pass (never the database)."""
        states = {name: check() for name, check in self.checks.items()}
        alive = all(states.values())
        facts = {"ok": alive, **{name: "up" if up else "down" for name, up in states.items()}}
        return (200 if alive else 503), facts

    def readiness(self) -> tuple[int, dict[str, Any]]:
        """200 with the facts when ready, else 503 saying what is not."""
        found = self.db.answer_within(_schema_and_leader, timeout=READY_WITHIN)
        if found is None:
            return 503, {"ok": False, "database": "down"}
        revision, lease = found
        at_head = revision == migrate.head_revision()
        leader = lease[0] if lease is not None and lease[1] > self.now() else None
        states = {name: check() for name, check in self.checks.items()}
        ready = at_head and leader is not None and all(states.values())
        facts = {
            **{name: "up" if up else "down" for name, up in states.items()},
            "ok": ready,
            "database": "up",
            "migrations": "head" if at_head else f"at {revision or 'none'}",
            "scheduler_leader": leader,
        }
        return (200 if ready else 503), facts


def _schema_and_leader(connection: sa.Connection) -> tuple[str | None, tuple[str, datetime] | None]:
    revision = migrate.revision_on(connection)
    table = Lease.__table__  # type: ignore[attr-defined]
    try:
        row = connection.execute(
            sa.select(table.c.owner, table.c.expires_at).where(table.c.name == leadership.SCHEDULER)
        ).first()
    except sa.exc.DBAPIError:  # no lease table yet: the schema is behind anyway
        return revision, None
    return revision, (str(row[0]), row[1]) if row is not None else None


def _reply(
    start_response: StartResponse, status: int, body: bytes, content_type: str
) -> Iterable[bytes]:
    start_response(
        _STATUS[status], [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    )
    return [body]
