"""APScheduler triggers built from the business calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from bot.calendar import BusinessCalendar

# A calendar closed for longer than this (years of closures) has no next working day to fire on.
MAX_CLOSED_DAYS = 3 * 366


class WorkingDaysTrigger(CronTrigger):
    """A cron trigger (in the calendar's time zone) that fires only on the calendar's working days.

    Built from the calendar, not the weekday list: a `working` Saturday gets its run, a holiday or
    a closure gets none, exactly the days the SLO clock counts.
    """

    def __init__(self, calendar: BusinessCalendar, **fields: Any) -> None:
        super().__init__(timezone=calendar.tz, **fields)
        self.calendar = calendar

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        for _ in range(MAX_CLOSED_DAYS):
            if fire is None or self.calendar.is_working_day(fire.astimezone(self.timezone).date()):
                return fire
            fire = super().get_next_fire_time(fire, fire + timedelta(microseconds=1))
        return None
