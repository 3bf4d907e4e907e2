"""outbox-flush: deliver Slack posts that are due, including retries of ones that failed."""

from __future__ import annotations

from datetime import datetime

from bot.runtime import Runtime


def flush_outbox(*, runtime: Runtime, at: datetime) -> str:
    """Send every pending post whose next attempt is due by `at`."""
    report = runtime.deliverer.deliver_due(now=at)
    return f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, waiting {report.deferred}"
