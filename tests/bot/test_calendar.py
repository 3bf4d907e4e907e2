"""Business calendar: hand-checked examples, and properties against a slow reference."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from bot.calendar import BusinessCalendar, CalendarSpec
from bot.policy import CalendarPolicy

JST = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
TIMEZONES = ("Asia/Tokyo", "America/New_York", "Europe/London", "UTC")
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
EVERY_DAY = frozenset(range(7))


@functools.lru_cache(maxsize=256)
def calendar_for(spec: CalendarSpec) -> BusinessCalendar:
    return BusinessCalendar(spec)


JP = calendar_for(CalendarSpec())


def jst(
    year: int, month: int, day: int, hour: int, minute: int, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=JST)


def ny(year: int, month: int, day: int, hour: int, minute: int, *, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK, fold=fold)


# -- slow, obviously-correct reference ----------------------------------------------------------


@functools.cache
def holiday_dates(country: str | None, subdivision: str | None, year: int) -> frozenset[date]:
    if country is None:
        return frozenset()
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def reference_is_working_day(spec: CalendarSpec, day: date) -> bool:
    if day in spec.extra_working_dates:
        return True
    if day.weekday() not in spec.working_weekdays or day in spec.closed_dates:
        return False
    month_day = (day.month, day.day)
    for first, last in spec.closed_yearly_ranges:
        if first <= last:
            if first <= month_day <= last:
                return False
        elif month_day >= first or month_day <= last:
            return False
    return day not in holiday_dates(spec.holiday_country, spec.holiday_subdivision, day.year)


def reference_is_business_instant(spec: CalendarSpec, instant: datetime) -> bool:
    """The definition: the local wall clock reads [work_start, work_end) on a working day.

    A work_end of 00:00 is 24:00: nothing on the clock is past it.
    """
    local = instant.astimezone(ZoneInfo(spec.timezone))
    before_end = spec.work_end == time(0) or local.time() < spec.work_end
    return (
        spec.work_start <= local.time()
        and before_end
        and reference_is_working_day(spec, local.date())
    )


def reference_elapsed(
    spec: CalendarSpec, start: datetime, end: datetime, step: timedelta = MINUTE
) -> timedelta:
    """Count `step`-long chunks whose first instant is business time.

    Exact when start, end, the working hours and the zone's transitions are all multiples of step
    (true for the zones and the minute-aligned instants used here).
    """
    counted = timedelta(0)
    instant = start.astimezone(UTC)  # step in absolute time, not wall-clock time
    while instant < end:
        if reference_is_business_instant(spec, instant):
            counted += step
        instant += step
    return counted


def reference_add(
    spec: CalendarSpec, start: datetime, duration: timedelta, step: timedelta = MINUTE
) -> datetime:
    """Walk forward chunk by chunk until `duration` has been counted."""
    counted = timedelta(0)
    instant = start.astimezone(UTC)
    while counted < duration:
        if reference_is_business_instant(spec, instant):
            counted += step
        instant += step
    return instant


# -- hand-checked examples: Japan -------------------------------------------------------------


def test_friday_evening_plus_two_hours_is_monday_ten() -> None:
    assert JP.add(jst(2026, 11, 13, 17, 0), 2 * HOUR) == jst(2026, 11, 16, 10, 0)


def test_add_returns_utc() -> None:
    result = JP.add(jst(2026, 11, 13, 17, 0), 2 * HOUR)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 11, 16, 1, 0, tzinfo=UTC)


def test_public_holiday_counts_nothing() -> None:
    labour_thanksgiving = date(2026, 11, 23)  # a Monday
    assert not JP.is_working_day(labour_thanksgiving)
    assert JP.holiday_name(labour_thanksgiving, lang="ja") == "勤労感謝の日"
    assert JP.elapsed(jst(2026, 11, 23, 0, 0), jst(2026, 11, 24, 0, 0)) == timedelta(0)
    assert JP.add(jst(2026, 11, 23, 10, 0), HOUR) == jst(2026, 11, 24, 10, 0)
    assert JP.working_hours(labour_thanksgiving) is None


def test_golden_week_2026() -> None:
    # Apr 29 (Wed) Showa Day; May 3-5 (Sun-Tue); May 6 (Wed) substitute holiday for May 3.
    assert JP.holiday_name(date(2026, 5, 6), lang="ja") == "振替休日"
    working = [d for d in range(1, 8) if JP.is_working_day(date(2026, 5, d))]
    assert working == [1, 7]
    assert JP.elapsed(jst(2026, 4, 28, 9, 0), jst(2026, 5, 8, 9, 0)) == 4 * 9 * HOUR
    assert JP.add(jst(2026, 5, 1, 17, 0), 2 * HOUR) == jst(2026, 5, 7, 10, 0)


def test_yearly_closure_across_the_year_end() -> None:
    with_closure = calendar_for(CalendarSpec(closed_yearly_ranges=(((12, 29), (1, 3)),)))
    assert JP.is_working_day(date(2026, 12, 30))
    assert not with_closure.is_working_day(date(2026, 12, 30))
    assert with_closure.elapsed(jst(2026, 12, 29, 0, 0), jst(2027, 1, 4, 9, 0)) == timedelta(0)
    assert with_closure.add(jst(2026, 12, 28, 17, 0), 2 * HOUR) == jst(2027, 1, 4, 10, 0)
    assert JP.add(jst(2026, 12, 28, 17, 0), 2 * HOUR) == jst(2026, 12, 29, 10, 0)
    assert with_closure.first_working_day_of_month(2027, 1) == date(2027, 1, 4)


def test_extra_working_saturday_and_holiday() -> None:
    cal = calendar_for(
        CalendarSpec(extra_working_dates=frozenset({date(2026, 11, 14), date(2026, 11, 23)}))
    )
    assert cal.add(jst(2026, 11, 13, 17, 0), 2 * HOUR) == jst(2026, 11, 14, 10, 0)
    assert cal.elapsed(jst(2026, 11, 23, 0, 0), jst(2026, 11, 24, 0, 0)) == 9 * HOUR


def test_starts_outside_working_hours() -> None:
    assert JP.add(jst(2026, 11, 17, 7, 0), HOUR) == jst(2026, 11, 17, 10, 0)
    assert JP.add(jst(2026, 11, 17, 19, 0), HOUR) == jst(2026, 11, 18, 10, 0)
    assert JP.elapsed(jst(2026, 11, 17, 7, 0), jst(2026, 11, 17, 20, 0)) == 9 * HOUR
    assert JP.elapsed(jst(2026, 11, 17, 19, 0), jst(2026, 11, 18, 8, 59)) == timedelta(0)


def test_duration_ending_at_close_returns_the_close() -> None:
    assert JP.add(jst(2026, 11, 17, 9, 0), 9 * HOUR) == jst(2026, 11, 17, 18, 0)
    assert JP.add(jst(2026, 11, 17, 12, 0), 15 * HOUR) == jst(2026, 11, 18, 18, 0)


def test_adding_zero_returns_the_start_even_outside_hours() -> None:
    assert JP.add(jst(2026, 11, 17, 20, 0), timedelta(0)) == jst(2026, 11, 17, 20, 0)
    assert JP.add(jst(2026, 11, 17, 18, 0), timedelta(0)) == jst(2026, 11, 17, 18, 0)


def test_microsecond_precision() -> None:
    start = jst(2026, 11, 17, 9, 0, 0, 1)
    assert JP.elapsed(start, jst(2026, 11, 17, 9, 0, 1)) == timedelta(microseconds=999_999)
    assert JP.add(start, timedelta(microseconds=5)) == jst(2026, 11, 17, 9, 0, 0, 6)


def test_end_before_start_is_zero() -> None:
    assert JP.elapsed(jst(2026, 11, 18, 12, 0), jst(2026, 11, 17, 12, 0)) == timedelta(0)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 11, 17, 12, 0)
    with pytest.raises(ValueError, match="aware"):
        JP.add(naive, HOUR)
    with pytest.raises(ValueError, match="aware"):
        JP.elapsed(jst(2026, 11, 17, 9, 0), naive)


def test_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        JP.add(jst(2026, 11, 17, 9, 0), -HOUR)


def test_day_helpers() -> None:
    assert JP.working_day_length() == 9 * HOUR
    assert JP.working_hours(date(2026, 11, 17)) == (
        datetime(2026, 11, 17, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 17, 9, 0, tzinfo=UTC),
    )
    assert JP.next_working_day(date(2026, 11, 20)) == date(2026, 11, 24)
    assert JP.next_working_day(date(2026, 11, 19)) == date(2026, 11, 20)
    assert JP.first_working_day_of_month(2026, 5) == date(2026, 5, 1)
    assert JP.first_working_day_of_month(2027, 1) == date(2027, 1, 4)  # Jan 1 holiday, weekend
    assert JP.add_working_days(date(2026, 11, 20), 0) == date(2026, 11, 20)
    assert JP.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 24)
    assert JP.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 4)
    assert JP.holiday_name(date(2026, 11, 17)) is None
    assert JP.holiday_name(date(2026, 11, 23)) == "Labor Thanksgiving Day"
    with pytest.raises(ValueError, match="n must be"):
        JP.add_working_days(date(2026, 11, 20), -1)


def test_add_working_days_matches_reference_over_two_years() -> None:
    spec = JP.spec
    day = date(2025, 12, 20)
    expected: list[date] = []
    candidate = day
    while len(expected) < 500:
        candidate += timedelta(days=1)
        if reference_is_working_day(spec, candidate):
            expected.append(candidate)
    assert [JP.add_working_days(day, n) for n in range(1, 501)] == expected


def test_two_hundred_business_days() -> None:
    spec = JP.spec
    day = date(2026, 1, 5)
    counted = 0
    while counted < 200:
        counted += reference_is_working_day(spec, day)
        day += timedelta(days=1)
    start, end = jst(2026, 1, 5, 0, 0), datetime.combine(day, time(0), tzinfo=JST)
    assert JP.elapsed(start, end) == 200 * 9 * HOUR
    assert reference_elapsed(spec, start, end, step=timedelta(minutes=15)) == 200 * 9 * HOUR
    last_working_day = JP.add_working_days(date(2026, 1, 4), 200)
    assert JP.add(start, 200 * 9 * HOUR) == datetime.combine(last_working_day, time(18), tzinfo=JST)


def test_far_years_work() -> None:
    for year in (1970, 2150, 2200):
        start = jst(year, 6, 1, 0, 0)
        end = start + timedelta(days=9)
        assert JP.elapsed(start, end) == reference_elapsed(JP.spec, start, end, step=15 * MINUTE)
        assert JP.add(start, 20 * HOUR) == reference_add(JP.spec, start, 20 * HOUR, 15 * MINUTE)


def test_concurrent_first_use_agrees_with_sequential() -> None:
    starts = [jst(year, month, 3, 11, 0) for year in (1975, 2001, 2026, 2120) for month in (1, 7)]
    sequential = BusinessCalendar(CalendarSpec())
    expected = [sequential.add(s, 300 * HOUR) for s in starts]
    shared = BusinessCalendar(CalendarSpec())
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda s: shared.add(s, 300 * HOUR), starts))
    assert results == expected


def test_invalid_specs_are_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        BusinessCalendar(CalendarSpec(work_start=time(18), work_end=time(9)))
    with pytest.raises(ValueError, match="holiday"):
        BusinessCalendar(CalendarSpec(holiday_country="XX"))
    with pytest.raises(ValueError, match="weekdays"):
        BusinessCalendar(CalendarSpec(working_weekdays=frozenset({7})))
    with pytest.raises(ValueError, match="day is out of range"):
        BusinessCalendar(CalendarSpec(closed_yearly_ranges=(((2, 30), (3, 1)),)))


def test_out_of_range_years_are_refused() -> None:
    with pytest.raises(ValueError, match="supported"):
        JP.elapsed(jst(1800, 1, 1, 0, 0), jst(2026, 1, 1, 0, 0))


def test_calendar_without_working_days_fails_fast() -> None:
    cal = BusinessCalendar(CalendarSpec(working_weekdays=frozenset()))
    with pytest.raises(OverflowError):
        cal.add(jst(2026, 1, 5, 9, 0), HOUR)
    with pytest.raises(OverflowError):
        cal.next_working_day(date(2026, 1, 5))


# -- hand-checked examples: daylight saving time ------------------------------------------------

NIGHT_SHIFT = CalendarSpec(
    timezone="America/New_York",
    work_start=time(0, 0),
    work_end=time(4, 0),
    working_weekdays=EVERY_DAY,
    holiday_country=None,
)


def test_spring_forward_day_is_an_hour_short() -> None:
    cal = calendar_for(NIGHT_SHIFT)
    assert cal.elapsed(ny(2026, 3, 8, 0, 0), ny(2026, 3, 9, 0, 0)) == 3 * HOUR
    assert cal.elapsed(ny(2026, 3, 9, 0, 0), ny(2026, 3, 10, 0, 0)) == 4 * HOUR
    # 02:30 does not exist that night: after 2.5 h of work the clock reads 03:30 EDT.
    assert cal.add(ny(2026, 3, 8, 0, 0), timedelta(hours=2, minutes=30)) == ny(2026, 3, 8, 3, 30)
    assert cal.working_hours(date(2026, 3, 8)) == (
        datetime(2026, 3, 8, 5, 0, tzinfo=UTC),
        datetime(2026, 3, 8, 8, 0, tzinfo=UTC),
    )


def test_fall_back_day_is_an_hour_long() -> None:
    cal = calendar_for(NIGHT_SHIFT)
    assert cal.elapsed(ny(2026, 11, 1, 0, 0), ny(2026, 11, 2, 0, 0)) == 5 * HOUR
    # Two hours after midnight EDT the clock reads 01:00 for the second time (EST).
    # (A fold=1 time never compares equal across zones, so compare in UTC.)
    second_one_oclock = ny(2026, 11, 1, 1, 0, fold=1).astimezone(UTC)
    assert second_one_oclock == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    assert cal.add(ny(2026, 11, 1, 0, 0), 2 * HOUR) == second_one_oclock


def test_working_hours_starting_in_the_skipped_hour() -> None:
    cal = calendar_for(replace(NIGHT_SHIFT, work_start=time(2, 30)))
    # The clock jumps 02:00 EST -> 03:00 EDT; work starts at the jump.
    assert cal.working_hours(date(2026, 3, 8)) == (
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 8, 8, 0, tzinfo=UTC),
    )


def test_working_hours_starting_in_the_repeated_hour() -> None:
    cal = calendar_for(replace(NIGHT_SHIFT, work_start=time(1, 30)))
    # Counted: 01:30-02:00 EDT, then 01:30-04:00 EST (01:00-01:30 EST reads before 01:30).
    assert cal.elapsed(ny(2026, 11, 1, 0, 0), ny(2026, 11, 2, 0, 0)) == 3 * HOUR
    assert cal.working_hours(date(2026, 11, 1)) == (
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    )


def test_office_hours_are_nine_hours_on_dst_days() -> None:
    cal = calendar_for(
        CalendarSpec(timezone="America/New_York", working_weekdays=EVERY_DAY, holiday_country=None)
    )
    for day in (date(2026, 3, 8), date(2026, 11, 1)):
        midnight = datetime.combine(day, time(0), tzinfo=NEW_YORK)
        assert cal.elapsed(midnight, midnight + timedelta(days=1)) == 9 * HOUR


def test_nonexistent_and_ambiguous_inputs_do_not_crash() -> None:
    cal = calendar_for(NIGHT_SHIFT)
    skipped = ny(2026, 3, 8, 2, 30)  # PEP 495: read with the offset before the jump
    assert cal.elapsed(ny(2026, 3, 8, 0, 0), skipped) == timedelta(hours=2, minutes=30)
    repeated_first = ny(2026, 11, 1, 1, 30)
    repeated_second = ny(2026, 11, 1, 1, 30, fold=1)
    assert cal.elapsed(repeated_first, repeated_second) == HOUR
    assert cal.add(skipped, HOUR).tzinfo is UTC


# -- properties ---------------------------------------------------------------------------------

FIRST_INSTANT = datetime(2024, 1, 1, tzinfo=UTC)
LAST_INSTANT = datetime(2029, 1, 1, tzinfo=UTC)
INTERESTING_HOURS = [
    (time(9, 0), time(18, 0)),
    (time(0, 0), time(4, 0)),
    (time(1, 30), time(2, 30)),
    (time(2, 30), time(3, 30)),
    (time(0, 30), time(1, 30)),
    (time(0, 0), time(23, 59)),
    (time(0, 0), time(0, 0)),  # 00:00-24:00
    (time(22, 30), time(0, 0)),  # until midnight
]


@st.composite
def working_hours(draw: st.DrawFn) -> tuple[time, time]:
    if draw(st.booleans()):
        return draw(st.sampled_from(INTERESTING_HOURS))
    start = draw(st.integers(0, 24 * 60 - 1))
    end = draw(st.integers(start + 1, 24 * 60))  # 24:00 is time(0)
    return time(start // 60, start % 60), time(end // 60 % 24, end % 60)


LEAP_DAY_RANGES = [((2, 29), (2, 29)), ((2, 28), (2, 29)), ((2, 29), (3, 1)), ((12, 31), (2, 29))]


@st.composite
def yearly_ranges(draw: st.DrawFn) -> tuple[tuple[int, int], tuple[int, int]]:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(LEAP_DAY_RANGES))
    # Drawn in a leap year, so 02-29 can begin or end a range; may wrap the year end.
    first = draw(st.dates(date(2004, 1, 1), date(2004, 12, 31)))
    last = first + timedelta(days=draw(st.integers(0, 10)))
    return (first.month, first.day), (last.month, last.day)


# Public holidays of whole countries and of subdivisions (states, nations, Länder).
HOLIDAY_CALENDARS = [
    ("JP", None),
    ("US", None),
    ("US", "CA"),
    ("GB", None),
    ("GB", "SCT"),
    ("DE", "BY"),
    (None, None),
]


DATES = st.dates(date(2024, 1, 1), date(2028, 12, 31))


@st.composite
def specs(draw: st.DrawFn) -> CalendarSpec:
    start, end = draw(working_hours())
    country, subdivision = draw(st.sampled_from(HOLIDAY_CALENDARS))
    return CalendarSpec(
        timezone=draw(st.sampled_from(TIMEZONES)),
        work_start=start,
        work_end=end,
        working_weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        holiday_country=country,
        holiday_subdivision=subdivision,
        closed_dates=draw(st.frozensets(DATES, max_size=5)),
        closed_yearly_ranges=tuple(draw(st.lists(yearly_ranges(), max_size=2))),
        extra_working_dates=draw(st.frozensets(DATES, max_size=5)),
    )


def dst_change_midnights() -> list[datetime]:
    """UTC midnight of every day in 2024-2028 on which one of the zones changes its offset."""
    found = []
    day = FIRST_INSTANT
    while day < LAST_INSTANT:
        following = day + timedelta(days=1)
        if any(
            day.astimezone(ZoneInfo(zone)).utcoffset()
            != following.astimezone(ZoneInfo(zone)).utcoffset()
            for zone in TIMEZONES
        ):
            found.append(day)
        day = following
    return found


DST_CHANGES = dst_change_midnights()


def instants(step: timedelta = timedelta(microseconds=1)) -> st.SearchStrategy[datetime]:
    """Instants in 2024-2028 on a `step` grid (often within days of a DST change), in any zone."""
    anywhere = st.builds(
        lambda n: FIRST_INSTANT + n * step, st.integers(0, (LAST_INSTANT - FIRST_INSTANT) // step)
    )
    window = timedelta(days=3)
    near_dst_change = st.builds(
        lambda change, n: change - window + n * step,
        st.sampled_from(DST_CHANGES),
        st.integers(0, 2 * window // step),
    )
    return st.builds(
        lambda instant, zone: instant.astimezone(ZoneInfo(zone)),
        st.one_of(anywhere, near_dst_change),
        st.sampled_from(TIMEZONES),
    )


def durations(maximum: timedelta) -> st.SearchStrategy[timedelta]:
    return st.builds(
        lambda us: timedelta(microseconds=us), st.integers(0, maximum // timedelta(microseconds=1))
    )


PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(specs(), instants(), instants(), instants())
def test_elapsed_is_monotone_at_each_end(
    spec: CalendarSpec, a: datetime, b: datetime, c: datetime
) -> None:
    # A later end never counts less; a later start never counts more.
    cal = calendar_for(spec)
    assert cal.elapsed(a, min(b, c)) <= cal.elapsed(a, max(b, c))
    assert cal.elapsed(min(a, b), c) >= cal.elapsed(max(a, b), c)


@PROPERTY_SETTINGS
@given(specs(), instants(), instants(), instants())
def test_elapsed_is_additive(spec: CalendarSpec, a: datetime, b: datetime, c: datetime) -> None:
    cal = calendar_for(spec)
    a, b, c = sorted((a, b, c))
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)


@PROPERTY_SETTINGS
@given(specs(), instants(), durations(timedelta(days=100)))
def test_elapsed_undoes_add(spec: CalendarSpec, start: datetime, duration: timedelta) -> None:
    cal = calendar_for(spec)
    # Stay within the supported years: a one-minute working day once a week covers ~100 years in 5,000 days.
    assume(duration <= cal.working_day_length() * 5000)
    due = cal.add(start, duration)
    assert due.tzinfo is UTC
    assert due >= start
    assert cal.elapsed(start, due) == duration
    if duration:
        # earliest: a microsecond earlier is not enough
        assert cal.elapsed(start, due - timedelta(microseconds=1)) < duration


@PROPERTY_SETTINGS
@given(specs(), instants(), instants())
def test_add_undoes_elapsed(spec: CalendarSpec, start: datetime, end: datetime) -> None:
    cal = calendar_for(spec)
    start, end = sorted((start, end))
    back = cal.add(start, cal.elapsed(start, end))
    assert back <= end
    just_before_end = end.astimezone(UTC) - timedelta(microseconds=1)
    if start < end and reference_is_business_instant(spec, just_before_end):
        assert back == end


def _assert_nothing_counted_on(spec: CalendarSpec, day: date) -> None:
    cal = calendar_for(spec)
    zone = ZoneInfo(spec.timezone)
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    assert not cal.is_working_day(day)
    assert cal.elapsed(midnight, next_midnight) == timedelta(0)
    assert cal.working_hours(day) is None
    # and the next business instant after the day's start is not on it
    assert cal.add(midnight, timedelta(microseconds=1)) > next_midnight.astimezone(UTC)


@PROPERTY_SETTINGS
@given(specs(), DATES)
def test_nothing_is_counted_on_a_closed_day(spec: CalendarSpec, day: date) -> None:
    spec = replace(
        spec,
        closed_dates=spec.closed_dates | {day},
        extra_working_dates=spec.extra_working_dates - {day},
    )
    _assert_nothing_counted_on(spec, day)


@PROPERTY_SETTINGS
@given(specs(), instants(MINUTE), st.integers(0, 8 * 24 * 60))
def test_elapsed_matches_reference(spec: CalendarSpec, start: datetime, minutes: int) -> None:
    end = (start.astimezone(UTC) + minutes * MINUTE).astimezone(start.tzinfo)
    assert calendar_for(spec).elapsed(start, end) == reference_elapsed(spec, start, end)


@PROPERTY_SETTINGS
@given(specs(), instants(MINUTE), st.integers(0, 3 * 24 * 60))
def test_add_matches_reference(spec: CalendarSpec, start: datetime, minutes: int) -> None:
    cal = calendar_for(spec)
    duration = min(minutes * MINUTE, 3 * cal.working_day_length())
    assert cal.add(start, duration) == reference_add(spec, start, duration)


@PROPERTY_SETTINGS
@given(specs(), DATES)
def test_working_day_matches_reference(spec: CalendarSpec, day: date) -> None:
    cal = calendar_for(spec)
    assert cal.is_working_day(day) == reference_is_working_day(spec, day)
    expected_next = day + timedelta(days=1)
    while not reference_is_working_day(spec, expected_next):
        expected_next += timedelta(days=1)
    assert cal.next_working_day(day) == expected_next


@st.composite
def specs_with_a_closed_day(draw: st.DrawFn) -> tuple[CalendarSpec, date]:
    """A spec and a day the reference says is closed: a public holiday (of a country or of one of
    its subdivisions), a day in a yearly closure that wraps the year end, a day off in the week, or
    any closed day near a drawn date."""
    spec = draw(specs())
    year = draw(st.integers(2024, 2028))
    reason = draw(st.sampled_from(["holiday", "year end", "weekday off", "any"]))
    if reason == "holiday":
        country, subdivision = draw(st.sampled_from([h for h in HOLIDAY_CALENDARS if h[0]]))
        spec = replace(spec, holiday_country=country, holiday_subdivision=subdivision)
        candidates = sorted(holiday_dates(country, subdivision, year))
    elif reason == "year end":
        first = (12, draw(st.integers(20, 31)))
        last = (1, draw(st.integers(1, 10)))
        spec = replace(spec, closed_yearly_ranges=(*spec.closed_yearly_ranges, (first, last)))
        candidates = [date(year, 12, d) for d in range(first[1], 32)]
        candidates += [date(year, 1, d) for d in range(1, last[1] + 1)]
    elif reason == "weekday off":
        off = draw(st.integers(0, 6))
        spec = replace(
            spec, working_weekdays=(spec.working_weekdays - {off}) or frozenset({(off + 1) % 7})
        )
        start = date(year, draw(st.integers(1, 12)), 1)
        candidates = [start + timedelta(days=n) for n in range(14)]
    else:
        start = draw(DATES)
        candidates = [start + timedelta(days=n) for n in range(40)]
    closed = [day for day in candidates if not reference_is_working_day(spec, day)]
    assume(closed)
    event(reason)
    return spec, draw(st.sampled_from(closed))


@PROPERTY_SETTINGS
@given(specs_with_a_closed_day())
def test_nothing_is_counted_on_any_day_the_reference_closes(
    spec_and_day: tuple[CalendarSpec, date],
) -> None:
    _assert_nothing_counted_on(*spec_and_day)


@PROPERTY_SETTINGS
@given(specs(), instants(), durations(timedelta(days=30)), durations(timedelta(days=30)))
def test_add_is_monotone_in_the_duration(
    spec: CalendarSpec, start: datetime, a: timedelta, b: timedelta
) -> None:
    cal = calendar_for(spec)
    shorter, longer = sorted((a, b))
    assert cal.add(start, shorter) <= cal.add(start, longer)


# -- hand-checked examples: 24:00, subdivisions, Feb 29 ---------------------------------------------


def test_hours_until_midnight_count_the_whole_day() -> None:
    always = calendar_for(
        CalendarSpec(
            work_start=time(0), work_end=time(0), working_weekdays=EVERY_DAY, holiday_country=None
        )
    )
    assert always.working_day_length() == timedelta(days=1)
    week = always.elapsed(jst(2026, 11, 16, 0, 0), jst(2026, 11, 23, 0, 0))
    assert week == timedelta(days=7)  # not a second lost a day
    assert always.add(jst(2026, 11, 16, 23, 59, 59), timedelta(seconds=2)) == jst(
        2026, 11, 17, 0, 0, 1
    )
    evenings = calendar_for(CalendarSpec(work_start=time(22), work_end=time(0)))
    assert evenings.elapsed(jst(2026, 11, 17, 0, 0), jst(2026, 11, 18, 0, 0)) == 2 * HOUR
    assert evenings.add(jst(2026, 11, 17, 23, 0), HOUR) == jst(2026, 11, 18, 0, 0)


def test_a_whole_day_on_dst_days_is_the_day_as_lived() -> None:
    cal = calendar_for(
        CalendarSpec(
            timezone="America/New_York",
            work_start=time(0),
            work_end=time(0),
            working_weekdays=EVERY_DAY,
            holiday_country=None,
        )
    )
    assert cal.elapsed(ny(2026, 3, 8, 0, 0), ny(2026, 3, 9, 0, 0)) == 23 * HOUR
    assert cal.elapsed(ny(2026, 11, 1, 0, 0), ny(2026, 11, 2, 0, 0)) == 25 * HOUR


def test_a_subdivision_adds_its_own_holidays() -> None:
    # 2026-03-31 is César Chávez Day in California only.
    california = calendar_for(
        CalendarSpec(timezone="America/Los_Angeles", holiday_country="US", holiday_subdivision="CA")
    )
    federal = calendar_for(CalendarSpec(timezone="America/Los_Angeles", holiday_country="US"))
    assert date(2026, 3, 31) in holiday_dates("US", "CA", 2026)
    assert federal.is_working_day(date(2026, 3, 31))
    _assert_nothing_counted_on(california.spec, date(2026, 3, 31))


def test_a_yearly_closure_starting_on_feb_29() -> None:
    spec = CalendarSpec(closed_yearly_ranges=(((2, 29), (3, 2)),), holiday_country=None)
    cal = calendar_for(spec)
    # 2028 is a leap year: Tue Feb 29 to Thu Mar 2 are closed; in 2027 only Mon Mar 1 and Tue Mar 2.
    open_2028 = [cal.is_working_day(date(2028, 2, 28) + timedelta(days=n)) for n in range(5)]
    assert open_2028 == [True, False, False, False, True]
    open_2027 = [cal.is_working_day(date(2027, 2, 26) + timedelta(days=n)) for n in range(6)]
    assert open_2027 == [True, False, False, False, False, True]  # Sat, Sun, Mar 1, Mar 2
    _assert_nothing_counted_on(spec, date(2028, 2, 29))


@pytest.mark.parametrize(
    ("hours", "day_length"),
    [("00:00-24:00", timedelta(days=1)), ("18:00-24:00", 6 * HOUR), ("09:00-18:00", 9 * HOUR)],
)
def test_policy_hours_ending_at_24_00_are_exact(hours: str, day_length: timedelta) -> None:
    every_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    spec = CalendarPolicy(hours=hours, weekdays=every_day, holidays="").spec()
    cal = BusinessCalendar(spec)
    assert cal.working_day_length() == day_length
    assert cal.elapsed(jst(2026, 11, 16, 0, 0), jst(2026, 11, 23, 0, 0)) == 7 * day_length


@pytest.mark.parametrize("hours", ["09:00-09:00", "18:00-09:00", "24:00-24:00", "00:00-24:30"])
def test_policy_hours_that_end_before_they_start_are_refused(hours: str) -> None:
    with pytest.raises(ValueError, match="hours"):
        CalendarPolicy(hours=hours)
