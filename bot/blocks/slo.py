"""The SLO clock in words: the line cards, lists and reminders show, and its traffic light."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import slo
from bot.blocks.common import format_local
from bot.durations import format_business_duration
from bot.i18n import t
from bot.policy import Policy

_ONE_US = timedelta(microseconds=1)
_MINUTE = timedelta(minutes=1)


def describe(*, policy: Policy, current: slo.SloState, now: datetime) -> str:
    """One line for cards and lists: "due Tue 11/24 14:00 · 3h 10m left", "breached 1d 2h ago"."""
    lang = policy.language
    calendar = policy.business_calendar
    day = calendar.working_day_length()

    def fmt(value: timedelta) -> str:
        return format_business_duration(value, day_length=day, lang=lang)

    if current.resolved:
        key = "slo.resolved_missed" if current.breached else "slo.resolved_within"
        return t(
            key,
            lang,
            took=fmt(current.elapsed),
            target=fmt(current.target),
            over=fmt(-current.remaining),
        )
    if not current.running:
        if current.breached:
            return t("slo.paused_breached", lang, over=fmt(-current.remaining))
        return t("slo.paused", lang, left=fmt(current.remaining))
    when = format_local(current.due_at, calendar.tz, lang) if current.due_at else "?"
    if current.breached:
        if -current.remaining >= _MINUTE:
            return t("slo.breached", lang, ago=fmt(-current.remaining))
        # Under a minute of business time over, however long ago (over at Friday's close, it
        # said "just breached" all weekend): the instant instead.
        breached = calendar.add(current.due_at, _ONE_US) if current.due_at else now
        return t("slo.breached_at", lang, when=format_local(breached, calendar.tz, lang))
    if current.remaining < _MINUTE:
        return _no_time_left(policy, current, now, when)
    return t("slo.due", lang, when=when, left=fmt(current.remaining))


def _no_time_left(policy: Policy, current: slo.SloState, now: datetime, when: str) -> str:
    """Under a minute left, perhaps all weekend (due at Friday's close): say when it breaches."""
    calendar = policy.business_calendar
    breaches = calendar.add(now, current.remaining + _ONE_US)
    at = format_local(breaches, calendar.tz, policy.language)
    return t("slo.no_time_left", policy.language, when=when, at=at)


def card_line(*, policy: Policy, current: slo.SloState, now: datetime) -> str:
    """The SLO line of the escalation's message: true until its next refresh.

    Lists are drawn when asked and say "3h 10m left" or "breached 2h ago". A message stays as
    posted, so it says "2h left" (rounded up, refreshed hourly) and "breached (due Tue 14:00)".
    """
    if current.resolved or not current.running:
        return describe(policy=policy, current=current, now=now)
    lang = policy.language
    calendar = policy.business_calendar
    when = format_local(current.due_at, calendar.tz, lang) if current.due_at else "?"
    if current.breached:
        return t("slo.card_breached", lang, when=when)
    if current.remaining <= timedelta(0):
        return _no_time_left(policy, current, now, when)
    left = format_business_duration(
        slo.card_left(current.remaining), day_length=calendar.working_day_length(), lang=lang
    )
    return t("slo.due", lang, when=when, left=left)


def slo_emoji(current: slo.SloState, policy: Policy, priority: str) -> str:
    """A traffic light for lists: green, yellow past the first warning, red when breached."""
    if current.resolved:
        return ":white_check_mark:"
    if current.breached:
        return ":red_circle:"
    if current.fraction >= slo.thresholds(policy, priority)[0]:
        return ":large_yellow_circle:"
    return ":large_green_circle:"
