"""The scheduler: wires each job in `jobs/` to a trigger, runs it exactly once per period, catches up.

Exactly once: before acting, a run claims (job, period) in the database under a unique constraint,
and every notification a job makes carries its own unique key in the outbox. A second scheduler
process, a crash and restart, or a missed run caught up at start therefore never posts twice.

One scheduler per deployment: every process that could run jobs is a candidate (`Elector`), and
only the one holding the database lease (`bot.leadership`) runs them; a new leader first catches up
what was missed while nobody led.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot import jobruns, leadership, metrics, operations, scope
from bot.calendar import BusinessCalendar
from bot.policy import Policy, clock_time
from bot.runtime import Runtime
from bot.triggers import WorkingDaysTrigger
from jobs.card_refresh import refresh_cards
from jobs.housekeeping import clean_up
from jobs.monthly_digest import (
    digest_due,
    digest_period,
    digest_trigger,
    post_monthly_digest,
    repost_monthly_digest,
)
from jobs.outbox_flush import flush_outbox
from jobs.similarity_index import update_similarity_index
from jobs.slo_sweep import sweep_slo
from jobs.stale_reminders import send_stale_reminders
from jobs.zendesk import sync_zendesk

log = logging.getLogger(__name__)

JobFunction = Callable[..., str]
SKIPPED = "period"  # how a run that found its period claimed elsewhere begins its answer
SIMILARITY_EVERY_MINUTES = 5  # how soon a new escalation can be found by others


@dataclass(frozen=True)
class Schedule:
    """When a job runs, what period a run covers, and whether a run is due at all."""

    name: str
    run: JobFunction
    trigger: Callable[[Policy], BaseTrigger]
    period: Callable[[Policy, datetime], str]
    due: Callable[[Policy, datetime], bool] = lambda _policy, _at: True
    exclusive: bool = (
        True  # claim (job, period) first; False for idempotent jobs like the outbox flush
    )
    catch_up: timedelta = timedelta(hours=1)  # how far back a missed run is still made up at start
    manual: JobFunction | None = None  # what `crebot run-job` calls instead (e.g. re-post a digest)
    # Runs only on the calendar's working days, by hand too (see run_job).
    working_days: bool = False


def _local(policy: Policy, at: datetime) -> datetime:
    return at.astimezone(policy.business_calendar.tz)


def _every_minutes(minutes: int) -> Callable[[Policy], BaseTrigger]:
    return lambda policy: CronTrigger(minute=f"*/{minutes}", timezone=policy.business_calendar.tz)


def _slot(minutes: int) -> Callable[[Policy, datetime], str]:
    def period(_policy: Policy, at: datetime) -> str:
        utc = at.astimezone(UTC)
        floored = utc.replace(minute=utc.minute - utc.minute % minutes, second=0, microsecond=0)
        return floored.strftime("%Y-%m-%dT%H:%MZ")

    return period


def _daily_at(text: str) -> Callable[[Policy], BaseTrigger]:
    def trigger(policy: Policy) -> BaseTrigger:
        at = clock_time(text)
        return CronTrigger(hour=at.hour, minute=at.minute, timezone=policy.business_calendar.tz)

    return trigger


def _working_days_at(text: str) -> Callable[[Policy], BaseTrigger]:
    def trigger(policy: Policy) -> BaseTrigger:
        at = clock_time(text)
        return WorkingDaysTrigger(policy.business_calendar, hour=at.hour, minute=at.minute)

    return trigger


def _local_date(policy: Policy, at: datetime) -> str:
    return _local(policy, at).date().isoformat()


def _is_working_day(policy: Policy, at: datetime) -> bool:
    return policy.business_calendar.is_working_day(_local(policy, at).date())


def build_schedules(policy: Policy) -> dict[str, Schedule]:
    """Every scheduled job, keyed by its name."""
    sweep_minutes = policy.slo.sweep_every_minutes
    schedules = [
        Schedule(
            name="slo-sweep",
            run=sweep_slo,
            trigger=_every_minutes(sweep_minutes),
            period=_slot(sweep_minutes),
        ),
        Schedule(
            name="card-refresh",
            run=refresh_cards,
            trigger=_every_minutes(sweep_minutes),
            period=_slot(sweep_minutes),
        ),
        Schedule(
            name="outbox-flush",
            run=flush_outbox,
            trigger=_every_minutes(1),
            period=_slot(1),
            exclusive=False,
        ),
        Schedule(
            name="zendesk",
            run=sync_zendesk,
            trigger=_every_minutes(1),
            period=_slot(1),
            exclusive=False,  # each delivery and each write is claimed on its own
        ),
        Schedule(
            name="stale-reminders",
            run=send_stale_reminders,
            trigger=_working_days_at(policy.reminders.at),
            period=_local_date,
            due=_is_working_day,
            catch_up=timedelta(hours=20),
            working_days=True,
        ),
        Schedule(
            name="monthly-digest",
            run=post_monthly_digest,
            trigger=digest_trigger,
            period=digest_period,
            due=digest_due,
            catch_up=timedelta(days=15),  # a missed first working day is caught up later
            manual=repost_monthly_digest,
            working_days=True,
        ),
        Schedule(
            name="similarity-index",
            run=update_similarity_index,
            trigger=_every_minutes(SIMILARITY_EVERY_MINUTES),
            period=_slot(SIMILARITY_EVERY_MINUTES),
        ),
        Schedule(
            name="housekeeping",
            run=clean_up,
            trigger=_daily_at("03:30"),
            period=_local_date,
            catch_up=timedelta(days=1),
        ),
    ]
    return {s.name: s for s in schedules}


# -- running ------------------------------------------------------------------------------------


def run_job(
    *, runtime: Runtime, name: str, at: datetime, manual: bool = False, force: bool = False
) -> str:
    """Run one job as of `at`, claiming its period first; `manual` is an operator's explicit re-run.

    A working-days job (stale reminders, the digest) run by hand for a day the calendar closes
    does nothing and says why, unless `force`: reminders sent on a holiday would ask people about
    work on a day off, and their "working days" of snoozes and quiet time would not agree.
    """
    schedules = build_schedules(runtime.policy)
    if name not in schedules:
        raise KeyError(name)
    schedule = schedules[name]
    policy = runtime.policy
    if not manual and not schedule.due(policy, at):
        metrics.JOB_RUNS.labels(name, "not_due").inc()
        return "not due at this instant"
    if manual and schedule.working_days and not force:
        closed = closed_day_reason(policy.business_calendar, _local(policy, at).date())
        if closed is not None:
            return f"not run: {closed}, not a working day (--force runs it anyway)"
    started = time.perf_counter()
    result = "failed"
    try:
        with scope.scoped(scope.job(name)):
            detail = _run_claimed(runtime, schedule, at=at, manual=manual)
        result = "skipped" if detail.startswith(SKIPPED) else "done"
        return detail
    finally:
        metrics.JOB_RUNS.labels(name, result).inc()
        if result != "skipped":
            metrics.JOB_SECONDS.labels(name).observe(time.perf_counter() - started)


def _run_claimed(runtime: Runtime, schedule: Schedule, *, at: datetime, manual: bool) -> str:
    name, policy = schedule.name, runtime.policy
    period = schedule.period(policy, at)
    claimed = schedule.exclusive and not manual
    if claimed:
        with runtime.db.session() as session:
            if not jobruns.claim(
                session=session, job=name, period_key=period, owner=runtime.owner, now=runtime.now()
            ):
                return f"{SKIPPED} {period} already done or running elsewhere"
    function = schedule.manual if manual and schedule.manual else schedule.run
    try:
        detail = function(runtime=runtime, at=at)
    except Exception:
        if claimed:
            _finish(runtime, name, period, ok=False, detail="failed")
        raise
    if claimed:
        _finish(runtime, name, period, ok=True, detail=detail)
    if name != "outbox-flush":
        runtime.deliverer.deliver_due(now=max(at, runtime.now()))
    return detail


def closed_day_reason(calendar: BusinessCalendar, day: date) -> str | None:
    """Why the calendar has no working hours on `day` ("Mon 2026-11-23 is Labor Thanksgiving
    Day"), or None on a working day."""
    if calendar.is_working_day(day):
        return None
    named = f"{day:%a} {day.isoformat()}"
    if day.weekday() not in calendar.spec.working_weekdays:
        return f"{named} is a weekend day"
    holiday = calendar.holiday_name(day, lang="en")
    if holiday is not None:
        return f"{named} is {holiday}"
    return f"{named} is a company closure"


def _finish(runtime: Runtime, name: str, period: str, *, ok: bool, detail: str) -> None:
    with runtime.db.session() as session:
        jobruns.finish(
            session=session, job=name, period_key=period, ok=ok, detail=detail, now=runtime.now()
        )


def previous_fire_time(
    trigger: BaseTrigger, *, now: datetime, lookback: timedelta
) -> datetime | None:
    """The last instant at or before `now` (within `lookback`) when the trigger fired or should have."""
    last = None
    fire = trigger.get_next_fire_time(None, now - lookback)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return last


def catch_up(*, runtime: Runtime) -> list[str]:
    """Run, as of when they should have run, the jobs whose last period was missed while we were down."""
    policy = runtime.policy
    now = runtime.now()
    done = []
    for schedule in build_schedules(policy).values():
        if not schedule.exclusive:
            continue
        fired = previous_fire_time(schedule.trigger(policy), now=now, lookback=schedule.catch_up)
        if fired is None or not schedule.due(policy, fired):
            continue
        with runtime.db.session() as session:
            if jobruns.is_done(
                session=session, job=schedule.name, period_key=schedule.period(policy, fired)
            ):
                continue
        done.append(f"{schedule.name}: {_run_logged(runtime, schedule.name, fired)}")
    return done


def _run_logged(runtime: Runtime, name: str, at: datetime) -> str:
    try:
        detail = run_job(runtime=runtime, name=name, at=at)
    except Exception as exc:  # one failing job must not stop the scheduler
        log.error("job %s failed: %s", name, exc.__class__.__name__, exc_info=exc)
        return "failed"
    quiet = name in ("outbox-flush", "zendesk")  # every minute: only worth a debug line
    log.log(logging.DEBUG if quiet else logging.INFO, "job %s: %s", name, detail)
    return detail


def _scheduled(runtime: Runtime, name: str, elector: Elector | None = None) -> None:
    """What APScheduler calls: the job as of now, if this process leads the scheduler."""
    if elector is not None and not elector.is_leader():
        return
    _run_logged(runtime, name, runtime.now())


class Elector:
    """This process's candidacy for the scheduler: renews or takes the lease every few seconds."""

    def __init__(self, runtime: Runtime, *, on_elected: Callable[[], object] | None = None) -> None:
        self.runtime = runtime
        self.on_elected = on_elected
        self._until: datetime | None = None
        self._gauges_at = float("-inf")
        self._leading = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def is_leader(self) -> bool:
        """Whether this process may run jobs now (its lease holds for a while yet)."""
        until = self._until
        return until is not None and self.runtime.now() < until - leadership.MARGIN

    def campaign(self) -> bool:
        """One round: take or renew the lease. True while this process leads."""
        was_leader = self._leading
        try:
            with (
                scope.scoped(scope.Scope(job="leader-election", deadline=3.0)),
                self.runtime.db.session() as session,
            ):
                self._until = leadership.try_lead(
                    session=session, owner=self.runtime.owner, now=self.runtime.now()
                )
        except Exception as exc:  # the lease runs out on its own; the next round tries again
            log.warning("scheduler election failed: %s", exc.__class__.__name__)
        leading = self._leading = self.is_leader()
        metrics.LEADER.labels("scheduler").set(1 if leading else 0)
        if leading and not was_leader:
            log.warning("this process now leads the scheduler (%s)", self.runtime.owner)
            if self.on_elected is not None:
                self.on_elected()
        elif was_leader and not leading:
            log.warning("this process no longer leads the scheduler")
            metrics.withdraw_db_gauges()
        if leading:
            self._refresh_db_gauges()
        else:
            self._gauges_at = float("-inf")
        return leading

    def _refresh_db_gauges(self) -> None:
        """The leader, and only it, publishes the figures read from the database."""
        if time.monotonic() - self._gauges_at < metrics.DB_GAUGES_EVERY:
            return
        self._gauges_at = time.monotonic()
        try:
            with (
                scope.scoped(scope.Scope(job="metrics", deadline=5.0)),
                self.runtime.db.session() as session,
            ):
                gauges = operations.database_gauges(session=session, now=self.runtime.now())
        except Exception as exc:  # the next round tries again
            log.warning("database gauges failed: %s", exc.__class__.__name__)
            return
        metrics.publish_db_gauges(gauges)

    def start(self) -> Elector:
        """Campaign in the background until `stop()` (and resign at interpreter exit)."""
        self._thread = threading.Thread(target=self._run, name="scheduler-elector", daemon=True)
        self._thread.start()
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Stop campaigning and hand the lease back, so another process need not wait it out."""
        self._stop.set()
        if self._until is None:
            return
        self._until = None
        metrics.LEADER.labels("scheduler").set(0)
        metrics.withdraw_db_gauges()
        try:
            with self.runtime.db.session() as session:
                leadership.resign(session=session, owner=self.runtime.owner)
        except Exception as exc:  # it expires by itself
            log.warning("could not hand the scheduler lease back: %s", exc.__class__.__name__)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.campaign()
            self._stop.wait(leadership.RENEW_EVERY.total_seconds())


def _catch_up_in_background(runtime: Runtime) -> None:
    threading.Thread(
        target=catch_up, kwargs={"runtime": runtime}, name="catch-up", daemon=True
    ).start()


def build_scheduler(
    runtime: Runtime, scheduler: BaseScheduler, *, elector: Elector | None = None
) -> BaseScheduler:
    """Add every job to an APScheduler scheduler (which only decides when to call them)."""
    for schedule in build_schedules(runtime.policy).values():
        scheduler.add_job(
            _scheduled,
            trigger=schedule.trigger(runtime.policy),
            args=[runtime, schedule.name, elector],
            id=schedule.name,
            name=schedule.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=600,
            replace_existing=True,
        )
    return scheduler


def start_background_scheduler(runtime: Runtime) -> BackgroundScheduler:
    """Stand for the scheduler in this process's background; run the jobs while elected.

    When elected, the missed runs are caught up first, off the election's thread.
    """
    elector = Elector(runtime, on_elected=lambda: _catch_up_in_background(runtime))
    scheduler = BackgroundScheduler(timezone=runtime.policy.business_calendar.tz)
    build_scheduler(runtime, scheduler, elector=elector)
    scheduler.start()
    elector.start()
    return scheduler


def run_blocking_scheduler(runtime: Runtime) -> None:
    """Run only the jobs, in the foreground (the Procfile's worker), while elected."""
    elector = Elector(runtime)
    if elector.campaign():  # elected at start: catch up before scheduling anything
        for line in catch_up(runtime=runtime):
            log.info("caught up %s", line)
    elector.on_elected = lambda: _catch_up_in_background(runtime)
    scheduler = BlockingScheduler(timezone=runtime.policy.business_calendar.tz)
    build_scheduler(runtime, scheduler, elector=elector)
    elector.start()
    log.warning("cre-bot scheduler running: %s", ", ".join(build_schedules(runtime.policy)))
    try:
        scheduler.start()
    finally:
        elector.stop()
