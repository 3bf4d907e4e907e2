"""monthly-digest: last month's figures and slow closes, posted once to the digest channel.

The post, the prompt that opens its thread, the overflow replies, the chart and the CSV are all
promised to the outbox in one transaction (`bot.digest.post`), under keys derived from the month,
so however often the job runs for a month, each is posted once. An operator's re-run
(`crebot run-job monthly-digest --at …`) uses the same keys with a fresh re-run id appended, and
so posts the month again.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from apscheduler.triggers.base import BaseTrigger

from bot.digest import Month, month_figures, reported_month
from bot.digest.post import digest_rows
from bot.digest.recurring import month_recurring
from bot.outbox_rows import enqueue_many
from bot.policy import Policy, clock_time
from bot.runtime import Runtime
from bot.triggers import WorkingDaysTrigger

JOB = "monthly-digest"
LAST_TRIGGER_DAY = 15  # the daily trigger runs on days 1..15: the first working day, or a catch-up


# -- the schedule (callbacks with the positional signature `bot.scheduler.Schedule` calls) -------


def digest_trigger(policy: Policy) -> BaseTrigger:
    """At `digest.at` (team time) on the working days among days 1-15 of each month."""
    at = clock_time(policy.digest.at)
    return WorkingDaysTrigger(
        policy.business_calendar, day=f"1-{LAST_TRIGGER_DAY}", hour=at.hour, minute=at.minute
    )


def digest_period(policy: Policy, at: datetime) -> str:
    """The period a run covers: the reported month, e.g. "2026-10" for a run in November."""
    return str(reported_month(policy, at))


def digest_due(policy: Policy, at: datetime) -> bool:
    """Due on the month's first working day, and on the working days after it up to the 15th.

    The first working day posts the digest; on a later day the (job, month) claim is already
    taken and the run does nothing, unless the first working day's run was missed (the process
    was down, or the run failed), in which case that later run is the catch-up. A strict "first
    working day only" would leave a missed digest unposted for good, because the scheduler's
    start-up catch-up looks only at the trigger's latest firing.
    """
    calendar = policy.business_calendar
    day = at.astimezone(calendar.tz).date()
    first = calendar.first_working_day_of_month(day.year, day.month)
    return first <= day and day.day <= LAST_TRIGGER_DAY and calendar.is_working_day(day)


# -- the job ----------------------------------------------------------------------------------------


def _post_digest(*, runtime: Runtime, month: Month, run_id: str | None) -> str:
    policy = runtime.policy
    workspace_url = runtime.workspace_url()
    # The similarity index brought up to date before the digest's transaction (its own reads
    # would wait behind it on SQLite).
    runtime.similarity.wait()
    with runtime.db.session() as session:
        figures = month_figures(session=session, policy=policy, month=month)
        recurring = month_recurring(
            session=session, policy=policy, index=runtime.similarity, month=month
        )
        figures = dataclasses.replace(figures, recurring=recurring)
        rows = digest_rows(
            policy=policy, figures=figures, workspace_url=workspace_url, run_id=run_id
        )
        enqueue_many(session, rows, now=runtime.now())
        session.commit()
    recurring_note = f", {len(recurring)} recurring" if recurring else ""
    return (
        f"digest for {month}: {figures.filed} filed, {figures.resolved} resolved, "
        f"{len(figures.slow)} slow{recurring_note}; {len(rows)} posts promised"
    )


def post_monthly_digest(*, runtime: Runtime, at: datetime) -> str:
    """Post the digest of the month before `at` (team time), once per month."""
    return _post_digest(runtime=runtime, month=reported_month(runtime.policy, at), run_id=None)


def repost_monthly_digest(*, runtime: Runtime, at: datetime) -> str:
    """`crebot run-job monthly-digest --at …`: post the month before `at` again, as a new thread."""
    run_id = uuid.uuid4().hex[:12]
    month = reported_month(runtime.policy, at)
    return _post_digest(runtime=runtime, month=month, run_id=run_id)
