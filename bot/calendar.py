"""Business time: working hours on working days, in a team's time zone.

An instant counts as business time when its local wall-clock date is a working day and its local
wall-clock time lies in ``[work_start, work_end)``; a `work_end` of 00:00 is midnight at the end of
the day (24:00), so "00:00-24:00" counts whole days, to the microsecond. On a DST day that rule is applied literally:
a working day that spans a spring-forward is shorter in absolute time, one that spans a fall-back
is longer, and a boundary that falls in a skipped hour starts/ends at the transition.

The calendar keeps a lazily-extended table of every counted interval (epoch microseconds) with
prefix sums, so `elapsed` and `add` are two bisections whatever the span.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

__all__ = ["MAX_YEAR", "MIN_YEAR", "BusinessCalendar", "CalendarSpec"]

MIN_YEAR = 1900
MAX_YEAR = 3000

_ONE_US = timedelta(microseconds=1)
_ZERO = timedelta(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECOND_US = 1_000_000
_DAY_US = 86_400 * _SECOND_US
# The time zone's offset is sampled this often to find its transitions; tzdb never has two
# transitions that cancel out within three hours.
_OFFSET_SAMPLE_SECONDS = 3 * 3600
_WINDOW_MARGIN_SECONDS = 2 * 86_400

MonthDay = tuple[int, int]


@dataclass(frozen=True)
class CalendarSpec:
    """What a team counts as business time: zone, hours, working weekdays, holidays, closures."""

    timezone: str = "Asia/Tokyo"
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)  # time(0) means 24:00
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday=0
    holiday_country: str | None = "JP"  # a country code of the `holidays` package
    holiday_subdivision: str | None = None
    closed_dates: frozenset[date] = frozenset()  # extra company closures
    # ((12, 29), (1, 3)) closes Dec 29 .. Jan 3 every year (inclusive, may wrap the year end)
    closed_yearly_ranges: tuple[tuple[MonthDay, MonthDay], ...] = ()
    # working even if a weekend, public holiday or closure
    extra_working_dates: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class _YearBlock:
    """The counted intervals and working days of one calendar year (local dates)."""

    year: int
    intervals: list[tuple[int, int]]  # (open_us, close_us), sorted, disjoint
    working_ordinals: list[int]
    spans: dict[int, tuple[int, int]]  # ordinal -> (first open_us, last close_us)


@dataclass(frozen=True, slots=True)
class _Table:
    """An immutable snapshot over consecutive years; replaced wholesale when extended."""

    first_year: int
    last_year: int
    lo: int  # every instant in [lo, hi] is exactly covered
    hi: int
    opens: list[int]
    closes: list[int]
    cum_before: list[int]  # business microseconds before interval i
    cum_after: list[int]  # ... up to the close of interval i
    total: int
    working_ordinals: list[int]
    blocks: dict[int, _YearBlock] = field(repr=False)


_EMPTY_TABLE = _Table(
    first_year=0,
    last_year=-1,
    lo=1 << 62,
    hi=-(1 << 62),
    opens=[],
    closes=[],
    cum_before=[],
    cum_after=[],
    total=0,
    working_ordinals=[],
    blocks={},
)


class BusinessCalendar:
    """Measures and adds business time for one `CalendarSpec`; safe to share between threads."""

    def __init__(self, spec: CalendarSpec) -> None:
        _validate_spec(spec)
        self.spec = spec
        self.tz = ZoneInfo(spec.timezone)
        self._start_us = _time_of_day_us(spec.work_start)
        self._end_us = _end_of_day_us(spec.work_end)
        self._closed_ranges = tuple(
            (start, end, start <= end) for start, end in spec.closed_yearly_ranges
        )
        self._holiday_cache: dict[tuple[int, str | None], dict[date, str]] = {}
        self._lock = threading.Lock()
        self._table = _EMPTY_TABLE

    # -- measuring ---------------------------------------------------------------------------

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in [start, end); zero when end <= start."""
        s = _epoch_us(start)
        e = _epoch_us(end)
        if e <= s:
            return _ZERO
        tab = self._table
        if s < tab.lo or e > tab.hi:
            tab = self._table_covering(s, e)
        return timedelta(microseconds=_cumulative(tab, e) - _cumulative(tab, s))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant t with elapsed(start, t) == duration, as a UTC datetime."""
        s = _epoch_us(start)
        d = duration // _ONE_US
        if d <= 0:
            if d == 0:
                return start.astimezone(UTC)
            raise ValueError(f"cannot add a negative business duration ({duration})")
        tab = self._table
        if not tab.lo <= s <= tab.hi:
            tab = self._table_covering(s, s)
        while (t := _instant_after(tab, s, d)) is None:
            tab = self._extend_to_year(tab.last_year + _years_to_cover(tab, d))
        return _EPOCH + timedelta(microseconds=t)

    # -- days --------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether `day` (a local date) has working hours."""
        spec = self.spec
        if day in spec.extra_working_dates:
            return True
        if day.weekday() not in spec.working_weekdays or day in spec.closed_dates:
            return False
        if self._in_yearly_closure(day):
            return False
        return day not in self._holidays(day.year, None)

    def working_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """UTC open and close of the local `day`, or None if nothing is counted that day."""
        tab = self._table_covering_years(day.year, day.year)
        span = tab.blocks[day.year].spans.get(day.toordinal())
        if span is None:
            return None
        return _from_us(span[0]), _from_us(span[1])

    def working_day_length(self) -> timedelta:
        """The nominal length of one working day (work_end - work_start); "1d" in durations."""
        return timedelta(microseconds=self._end_us - self._start_us)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def first_working_day_of_month(self, year: int, month: int) -> date:
        """The first working day on or after the 1st of the month."""
        first = date(year, month, 1)
        return first if self.is_working_day(first) else self.next_working_day(first)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (`day` itself when n == 0)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        if n == 0:
            return day
        ordinal = day.toordinal()
        tab = self._table_covering_years(day.year, day.year)
        while True:
            j = bisect_right(tab.working_ordinals, ordinal) + n - 1
            if j < len(tab.working_ordinals):
                return date.fromordinal(tab.working_ordinals[j])
            tab = self._extend_to_year(tab.last_year + 1)

    def holiday_name(self, day: date, *, lang: str = "en") -> str | None:
        """The public holiday's name on `day` ("en" or "ja"), or None."""
        language = "ja" if lang.lower().startswith("ja") else "en_US"
        return self._holidays(day.year, language).get(day)

    # -- rules -------------------------------------------------------------------------------

    def _in_yearly_closure(self, day: date) -> bool:
        month_day = (day.month, day.day)
        for start, end, ordered in self._closed_ranges:
            if ordered:
                if start <= month_day <= end:
                    return True
            elif month_day >= start or month_day <= end:
                return True
        return False

    def _holidays(self, year: int, language: str | None) -> dict[date, str]:
        key = (year, language)
        cached = self._holiday_cache.get(key)
        if cached is None:
            cached = _public_holidays(self.spec, year, language)
            self._holiday_cache[key] = cached
        return cached

    # -- the table ---------------------------------------------------------------------------

    def _table_covering(self, lo_us: int, hi_us: int) -> _Table:
        return self._table_covering_years(_utc_year(lo_us) - 1, _utc_year(hi_us) + 1)

    def _table_covering_years(self, first: int, last: int) -> _Table:
        tab = self._table
        if tab.first_year <= first and last <= tab.last_year:
            return tab
        if first < MIN_YEAR or last > MAX_YEAR:
            raise ValueError(
                f"business time is supported for {MIN_YEAR + 1}..{MAX_YEAR - 1}, "
                f"not for years {first}..{last}"
            )
        with self._lock:
            tab = self._table
            if tab.blocks:
                first, last = min(first, tab.first_year), max(last, tab.last_year)
            if tab.first_year <= first and last <= tab.last_year:
                return tab
            blocks = {
                year: tab.blocks.get(year) or self._build_year(year)
                for year in range(first, last + 1)
            }
            tab = _assemble(blocks, first, last)
            self._table = tab
            return tab

    def _extend_to_year(self, last: int) -> _Table:
        tab = self._table
        if not self.spec.working_weekdays and all(
            day.year <= tab.last_year for day in self.spec.extra_working_dates
        ):
            raise OverflowError("the calendar has no working days after the ones already seen")
        if last > MAX_YEAR:
            raise OverflowError(
                f"no business time left before {MAX_YEAR}: does the calendar have any working hours?"
            )
        return self._table_covering_years(min(tab.first_year, last), last)

    def _build_year(self, year: int) -> _YearBlock:
        segments = _offset_segments(self.tz, year)
        intervals: list[tuple[int, int]] = []
        working: list[int] = []
        spans: dict[int, tuple[int, int]] = {}
        for ordinal in range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()):
            if not self.is_working_day(date.fromordinal(ordinal)):
                continue
            working.append(ordinal)
            day_intervals = self._day_intervals(ordinal, segments)
            if day_intervals:
                intervals.extend(day_intervals)
                spans[ordinal] = (day_intervals[0][0], day_intervals[-1][1])
        intervals.sort()
        return _YearBlock(year=year, intervals=intervals, working_ordinals=working, spans=spans)

    def _day_intervals(
        self, ordinal: int, segments: list[tuple[int, int, int]]
    ) -> list[tuple[int, int]]:
        """Instants whose wall clock reads [work_start, work_end) on this day, as intervals."""
        midnight = (ordinal - _EPOCH_ORDINAL) * _DAY_US  # local midnight, as if it were UTC
        wall_open = midnight + self._start_us
        wall_close = midnight + self._end_us
        pieces: list[tuple[int, int]] = []
        for seg_start, seg_end, offset in segments:
            lo = max(wall_open - offset, seg_start)
            hi = min(wall_close - offset, seg_end)
            if lo < hi:
                pieces.append((lo, hi))
        pieces.sort()
        merged: list[tuple[int, int]] = []
        for lo, hi in pieces:
            if merged and merged[-1][1] == lo:
                merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        return merged


def _assemble(blocks: dict[int, _YearBlock], first: int, last: int) -> _Table:
    intervals = sorted(iv for year in range(first, last + 1) for iv in blocks[year].intervals)
    opens = [lo for lo, _ in intervals]
    closes = [hi for _, hi in intervals]
    cum_before: list[int] = []
    cum_after: list[int] = []
    running = 0
    for lo, hi in intervals:
        cum_before.append(running)
        running += hi - lo
        cum_after.append(running)
    working = [o for year in range(first, last + 1) for o in blocks[year].working_ordinals]
    return _Table(
        first_year=first,
        last_year=last,
        # Offsets are under a day, so no interval of a day outside [first, last] reaches in here.
        lo=_naive_us(date(first, 1, 1)) + _DAY_US,
        hi=_naive_us(date(last + 1, 1, 1)) - _DAY_US,
        opens=opens,
        closes=closes,
        cum_before=cum_before,
        cum_after=cum_after,
        total=running,
        working_ordinals=working,
        blocks=blocks,
    )


def _cumulative(tab: _Table, t: int) -> int:
    """Business microseconds in the table before instant t."""
    i = bisect_right(tab.opens, t) - 1
    if i < 0:
        return 0
    return tab.cum_before[i] + min(t, tab.closes[i]) - tab.opens[i]


def _instant_after(tab: _Table, s: int, d: int) -> int | None:
    """The earliest t with d business microseconds in [s, t), or None if past the table."""
    opens = tab.opens
    i = bisect_right(opens, s) - 1
    target = d + (0 if i < 0 else tab.cum_before[i] + min(s, tab.closes[i]) - opens[i])
    if target > tab.total:
        return None
    j = bisect_left(tab.cum_after, target)
    t = opens[j] + target - tab.cum_before[j]
    return t if t <= tab.hi else None


def _years_to_cover(tab: _Table, missing_us: int) -> int:
    years = tab.last_year - tab.first_year + 1
    if tab.total == 0:
        return years  # nothing counted yet: double the range
    per_year = tab.total // years
    return max(1, -(-missing_us // max(per_year, 1)) + 1)


def _offset_segments(tz: ZoneInfo, year: int) -> list[tuple[int, int, int]]:
    """(start_us, end_us, utc_offset_us) pieces of constant offset around `year`."""
    window_start = _naive_us(date(year, 1, 1)) // _SECOND_US - _WINDOW_MARGIN_SECONDS
    window_end = _naive_us(date(year + 1, 1, 1)) // _SECOND_US + _WINDOW_MARGIN_SECONDS
    changes = [(window_start, _offset_us(tz, window_start))]
    previous = window_start
    samples = [*range(window_start + _OFFSET_SAMPLE_SECONDS, window_end, _OFFSET_SAMPLE_SECONDS)]
    for sample in [*samples, window_end]:
        if _offset_us(tz, sample) != changes[-1][1]:
            changes.extend(_offset_changes(tz, previous, sample, changes[-1][1]))
        previous = sample
    bounds = [second * _SECOND_US for second, _ in changes[1:]] + [window_end * _SECOND_US]
    return [
        (second * _SECOND_US, end, offset)
        for (second, offset), end in zip(changes, bounds, strict=True)
    ]


def _offset_changes(tz: ZoneInfo, lo: int, hi: int, lo_offset: int) -> list[tuple[int, int]]:
    """Each (second, new offset) where the offset changes in (lo, hi]."""
    changes: list[tuple[int, int]] = []
    current = lo_offset
    while _offset_us(tz, hi) != current:
        a, b = lo, hi  # offset(a) == current != offset(b)
        while b - a > 1:
            mid = (a + b) // 2
            if _offset_us(tz, mid) == current:
                a = mid
            else:
                b = mid
        current = _offset_us(tz, b)
        changes.append((b, current))
        lo = b
    return changes


def _offset_us(tz: ZoneInfo, epoch_second: int) -> int:
    offset = datetime.fromtimestamp(epoch_second, tz).utcoffset()
    assert offset is not None
    return offset // _ONE_US


def _public_holidays(spec: CalendarSpec, year: int, language: str | None) -> dict[date, str]:
    if spec.holiday_country is None:
        return {}
    entity = holidays.country_holidays(
        spec.holiday_country, subdiv=spec.holiday_subdivision, years=year
    )
    if language is not None and language in entity.supported_languages:
        entity = holidays.country_holidays(
            spec.holiday_country, subdiv=spec.holiday_subdivision, years=year, language=language
        )
    return {day: str(name) for day, name in entity.items()}


def _validate_spec(spec: CalendarSpec) -> None:
    if spec.work_start.tzinfo is not None or spec.work_end.tzinfo is not None:
        raise ValueError("work_start and work_end are local wall-clock times: no tzinfo")
    if not _time_of_day_us(spec.work_start) < _end_of_day_us(spec.work_end):
        raise ValueError(f"work_start {spec.work_start} must be before work_end {spec.work_end}")
    if not spec.working_weekdays <= frozenset(range(7)):
        raise ValueError(f"working_weekdays must be 0 (Monday) .. 6, not {spec.working_weekdays}")
    for closure in spec.closed_yearly_ranges:
        for month, day in closure:
            date(2000, month, day)  # a leap year, so Feb 29 is allowed; raises ValueError
    if spec.holiday_country is not None:
        try:
            holidays.country_holidays(spec.holiday_country, subdiv=spec.holiday_subdivision)
        except NotImplementedError as exc:
            raise ValueError(f"unknown holiday calendar: {exc}") from exc


def _epoch_us(value: datetime) -> int:
    try:
        return (value - _EPOCH) // _ONE_US
    except TypeError:
        raise ValueError(f"expected a time-zone-aware datetime, got {value!r}") from None


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _naive_us(day: date) -> int:
    return (day.toordinal() - _EPOCH_ORDINAL) * _DAY_US


def _time_of_day_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _SECOND_US + value.microsecond


def _end_of_day_us(value: time) -> int:
    """A closing time as microseconds after local midnight; 00:00 closes at the next midnight."""
    return _time_of_day_us(value) or _DAY_US


def _utc_year(us: int) -> int:
    try:
        return _from_us(us).year
    except OverflowError:
        return MAX_YEAR + 1 if us > 0 else MIN_YEAR - 1
