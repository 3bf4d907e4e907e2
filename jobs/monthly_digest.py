"""monthly-digest: last month's figures and slow closes, posted once to the digest channel.

The post, the prompt that opens its thread, the overflow replies, the chart and the CSV are all
promised to the outbox in one transaction, under keys derived from the month (`digest:2026-10:…`),
so however often the job runs for a month, each is posted once. An operator's re-run
(`crebot run-job monthly-digest --at …`) uses the same keys with a fresh re-run id appended, and
so posts the month again.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot import outbox_keys
from bot.blocks.digest import build_digest_post, month_label, thread_prompt
from bot.digest import Month, MonthFigures, csv_filename, month_figures, reported_month
from bot.digest_chart import chart_filename
from bot.i18n import t
from bot.outbox import OutboxRow, enqueue_many
from bot.policy import Policy, clock_time
from bot.runtime import Runtime

JOB = "monthly-digest"
LAST_TRIGGER_DAY = 15  # the daily trigger runs on days 1..15: the first working day, or a catch-up
CHART_FILE = "digest-chart"
CSV_FILE = "digest-csv"


# -- the schedule (callbacks with the positional signature `bot.scheduler.Schedule` calls) -------


def digest_trigger(policy: Policy) -> BaseTrigger:
    """Daily at `digest.at` (team time) on days 1-15 of each month."""
    at = clock_time(policy.digest.at)
    return CronTrigger(
        day=f"1-{LAST_TRIGGER_DAY}",
        hour=at.hour,
        minute=at.minute,
        timezone=policy.business_calendar.tz,
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


# -- the outbox rows ------------------------------------------------------------------------------


def digest_rows(
    *, policy: Policy, figures: MonthFigures, workspace_url: str | None, run_id: str | None = None
) -> list[OutboxRow]:
    """The post, then in its thread: the prompt, the overflow replies, the chart and the CSV.

    The prompt to look back together is posted only when there are slow closes to look back on;
    a month with nothing filed or resolved is the post alone (no chart of nothing, no empty CSV).
    """
    lang = policy.language
    month = str(figures.month)
    channel = policy.digest_channel
    label = month_label(figures.month, lang)
    post = build_digest_post(policy=policy, figures=figures, workspace_url=workspace_url)
    post_key = outbox_keys.digest_part(month, "post", run_id)
    rows = [OutboxRow.message(post_key, channel=channel, text=post.text, blocks=post.blocks)]
    if figures.slow:
        rows.append(
            OutboxRow.message(
                outbox_keys.digest_part(month, "prompt", run_id),
                channel=channel,
                text=thread_prompt(policy=policy, month=figures.month),
                thread_of=post_key,
            )
        )
    for number, (text, blocks) in enumerate(post.replies, start=1):
        rows.append(
            OutboxRow.message(
                outbox_keys.digest_part(month, f"more:{number}", run_id),
                channel=channel,
                text=text,
                blocks=blocks,
                thread_of=post_key,
            )
        )
    if figures.empty:
        return rows
    for part, file, title, comment in (
        (
            "chart",
            CHART_FILE,
            chart_filename(figures.month),
            t("digest.chart.comment", lang, month=label),
        ),
        (
            "csv",
            CSV_FILE,
            csv_filename(figures.month),
            t("digest.csv.comment", lang, month=label),
        ),
    ):
        # Each CSV row links to its escalation.
        extra = {"workspace_url": workspace_url} if file == CSV_FILE else {}
        rows.append(
            OutboxRow.upload(
                outbox_keys.digest_part(month, part, run_id),
                channel=channel,
                thread_of=post_key,
                file=file,
                title=title,
                comment=comment,
                month=month,
                **extra,
            )
        )
    return rows


# -- the job ----------------------------------------------------------------------------------------


def _post_digest(*, runtime: Runtime, month: Month, run_id: str | None) -> str:
    policy = runtime.policy
    workspace_url = runtime.workspace_url()
    with runtime.db.session() as session:
        figures = month_figures(session=session, policy=policy, month=month)
        rows = digest_rows(
            policy=policy, figures=figures, workspace_url=workspace_url, run_id=run_id
        )
        enqueue_many(session, rows, now=runtime.now())
        session.commit()
    return (
        f"digest for {month}: {figures.filed} filed, {figures.resolved} resolved, "
        f"{len(figures.slow)} slow; {len(rows)} posts promised"
    )


def post_monthly_digest(*, runtime: Runtime, at: datetime) -> str:
    """Post the digest of the month before `at` (team time), once per month."""
    return _post_digest(runtime=runtime, month=reported_month(runtime.policy, at), run_id=None)


def repost_monthly_digest(*, runtime: Runtime, at: datetime) -> str:
    """`crebot run-job monthly-digest --at …`: post the month before `at` again, as a new thread."""
    run_id = uuid.uuid4().hex[:12]
    month = reported_month(runtime.policy, at)
    return _post_digest(runtime=runtime, month=month, run_id=run_id)
