"""Prometheus metrics: what the bot does, in base units, with no user, ticket or escalation in a label.

Every process counts its own requests, listeners, Slack calls, jobs and database errors. Under
gunicorn the workers share them through files (`enable_multiprocess`, prometheus-client's
multiprocess mode), so one scrape of any worker shows the whole instance. The figures read from the
database (open escalations, the outbox) are computed by the scheduler's leader only, every
`DB_GAUGES_EVERY`, and exported only by the instance that hosts it: summed over instances, each
counts once.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
DB_GAUGES_EVERY = 15.0  # seconds between the leader's database gauges
DB_GAUGES_STALE = 60.0  # older than this, they are not exported (the leader stopped leading)

REQUESTS = Counter(
    "crebot_requests", "Slack requests handled, by kind and outcome.", ["kind", "outcome"]
)
ACK_SECONDS = Histogram(
    "crebot_ack_seconds",
    "Time from a Slack request to the app's answer to it (the ack), by kind.",
    ["kind"],
    buckets=LATENCY_BUCKETS,
)
WORK_SECONDS = Histogram(
    "crebot_listener_seconds",
    "Time the work behind an ack took once started (a listener), by kind.",
    ["kind"],
    buckets=LATENCY_BUCKETS,
)
QUEUE_DEPTH = Gauge(
    "crebot_listener_queue_depth",
    "Listeners queued or running, by lane.",
    ["lane"],
    multiprocess_mode="livesum",
)
QUEUE_WAIT = Histogram(
    "crebot_listener_queue_seconds",
    "How long a listener waited in its lane before it started (the queue's age), by lane.",
    ["lane"],
    buckets=LATENCY_BUCKETS,
)
SLACK_CALLS = Counter(
    "crebot_slack_api_calls",
    "Slack Web API calls by method and status (ok, an HTTP status such as 429, or Slack's error).",
    ["method", "status"],
)
SLACK_SECONDS = Histogram(
    "crebot_slack_api_seconds",
    "Slack Web API call latency, retries included, by method.",
    ["method"],
    buckets=LATENCY_BUCKETS,
)
SLACK_RETRIES = Counter(
    "crebot_slack_api_retries",
    "Slack Web API calls retried, by method and reason (rate_limited, server_error, connection).",
    ["method", "reason"],
)
JOB_RUNS = Counter("crebot_job_runs", "Scheduled job runs, by job and result.", ["job", "result"])
JOB_SECONDS = Histogram(
    "crebot_job_duration_seconds",
    "How long a job run took (runs that did the work), by job.",
    ["job"],
    buckets=JOB_BUCKETS,
)
SLO_BREACHES = Counter("crebot_slo_breaches", "SLO breaches announced, by priority.", ["priority"])
SLO_WARNINGS = Counter("crebot_slo_warnings", "SLO warnings announced, by priority.", ["priority"])
LOOKUPS = Counter("crebot_lookups", "/lookup answers and refusals, by outcome.", ["outcome"])
DB_ERRORS = Counter(
    "crebot_database_errors",
    "Database errors, by kind (disconnect, timeout, locked, other).",
    ["kind"],
)
LEADER = Gauge(
    "crebot_scheduler_leader",
    "1 in the process that leads the scheduler (summed: how many lead, which should be 1).",
    ["role"],
    multiprocess_mode="livesum",
)

# What `crebot_escalations_open` and the outbox gauges say: (name, help, labels, samples).
DbGauge = tuple[str, str, list[str], list[tuple[list[str], float]]]
DB_GAUGE_NAMES = (
    "crebot_escalations_open",
    "crebot_outbox_pending",
    "crebot_outbox_failed",
    "crebot_outbox_oldest_pending_age_seconds",
)
_db_gauges: dict[str, Any] = {}
_db_gauges_lock = threading.Lock()


# -- multiprocess ------------------------------------------------------------------------------


def enable_multiprocess(directory: Path) -> None:
    """Share metrics through files in `directory` (call in gunicorn's master, before the fork)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)
    values.ValueClass = values.get_value_class()


def multiprocess_dir() -> Path | None:
    """Where the workers share their metrics, if they do."""
    directory = os.environ.get(MULTIPROC_ENV)
    return Path(directory) if directory else None


def worker_exited(pid: int) -> None:
    """Forget a dead worker's live gauges (gunicorn's child_exit hook)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)


# -- the database gauges (leader only) -----------------------------------------------------------


def publish_db_gauges(gauges: list[DbGauge], *, now: float | None = None) -> None:
    """The leader's latest figures from the database, for every worker of this instance to export."""
    snapshot = {"at": now if now is not None else time.time(), "gauges": gauges}
    directory = multiprocess_dir()
    if directory is None:
        with _db_gauges_lock:
            _db_gauges.clear()
            _db_gauges.update(snapshot)
        return
    target = directory / "leader_gauges.json"
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(snapshot))
    temporary.replace(target)


def withdraw_db_gauges() -> None:
    """This process stopped leading: its figures are no longer exported."""
    directory = multiprocess_dir()
    if directory is None:
        with _db_gauges_lock:
            _db_gauges.clear()
        return
    (directory / "leader_gauges.json").unlink(missing_ok=True)


def _read_db_gauges() -> dict[str, Any]:
    directory = multiprocess_dir()
    if directory is None:
        with _db_gauges_lock:
            return dict(_db_gauges)
    try:
        return dict(json.loads((directory / "leader_gauges.json").read_text()))
    except (OSError, ValueError):
        return {}


class _DbGaugeCollector(Collector):
    """Exports the leader's database figures while they are fresh."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snapshot = _read_db_gauges()
        if not snapshot or time.time() - float(snapshot.get("at", 0)) > DB_GAUGES_STALE:
            return
        for name, help_text, labels, samples in snapshot["gauges"]:
            family = GaugeMetricFamily(name, help_text, labels=labels)
            for label_values, value in samples:
                family.add_metric(label_values, value)
            yield family


# -- exposition -----------------------------------------------------------------------------------


def render() -> tuple[bytes, str]:
    """The Prometheus text exposition of this instance, and its content type."""
    registry = CollectorRegistry()
    if multiprocess_dir() is not None:
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in _process_collectors():
            registry.register(collector)
    registry.register(_DbGaugeCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


def _process_collectors() -> Iterable[Collector]:
    """This process's own metrics (the default registry's, without re-registering them)."""

    class _Default(Collector):
        def collect(self) -> Iterable[Any]:
            return REGISTRY.collect()

    return [_Default()]
