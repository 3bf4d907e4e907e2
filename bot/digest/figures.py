"""The monthly digest's figures: one calendar month of escalations, aggregated in SQL.

Every figure is a count, a sum or a few ranked rows computed by the database over one month's
index range (`filed_at` or `resolved_at`; what the figures read of a resolution is in the index
on (resolved_at, slo_target_s, resolution_business_s)), so the time and memory of a digest follow
the size of the month, not of the history. Only the month's slow closes (for the list), the
month's resolutions (for the chart) and the CSV rows (streamed) are ever read into Python. The
month before is summed the same way, for the changes month over month (`bot.digest.trend` has the
chart's twelve months).

Month boundaries are local midnights in the team's time zone, converted to UTC instants.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.models import Escalation, EscalationEvent
from bot.policy import Policy
from bot.similarity.service import RecurringGroup

SLO_BREACH = "slo_breach"
CSV_BATCH = 2_000
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, e.g. Month(2026, 10), written "2026-10"."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 2999:
            raise ValueError(f"{self.year}-{self.month} is not a month")

    @classmethod
    def parse(cls, text: str) -> Month:
        """A month written YYYY-MM (ValueError otherwise)."""
        match = _MONTH.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a month like 2026-10")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        """The month a date falls in."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        """The 1st of the month."""
        return date(self.year, self.month, 1)

    def previous(self) -> Month:
        """The month before."""
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> Month:
        """The month after."""
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def shifted(self, months: int) -> Month:
        """The month `months` later (earlier when negative)."""
        year, index = divmod(self.year * 12 + self.month - 1 + months, 12)
        return Month(year, index + 1)


def reported_month(policy: Policy, at: datetime) -> Month:
    """The month a digest posted at `at` reports on: the previous calendar month, team time."""
    return Month.of(at.astimezone(policy.business_calendar.tz).date()).previous()


def _local_midnight(policy: Policy, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=policy.business_calendar.tz).astimezone(UTC)


def month_bounds(policy: Policy, month: Month) -> tuple[datetime, datetime]:
    """The month as a half-open UTC interval [start, end) between local midnights."""
    return (
        _local_midnight(policy, month.first_day),
        _local_midnight(policy, month.next().first_day),
    )


@dataclass(frozen=True)
class Week:
    """A week of the month, Monday to Sunday where the month allows (UTC bounds, half-open)."""

    first_day: date
    last_day: date
    start: datetime
    end: datetime


SHORT_WEEK_DAYS = 3  # a week cut by the month to this many days or fewer joins its neighbour


def month_weeks(policy: Policy, month: Month) -> list[Week]:
    """The month's weeks, starting on Mondays; a stub of three days or fewer joins its neighbour.

    A month beginning on a Sunday would otherwise open with a one-day "week" (11/1 beside 11/2):
    its first days join the first full week when they are few (Fri-Sun), and are a week of their
    own when they are most of one (Tue-Thu). Likewise a month ending on a Monday to Wednesday.
    """
    stop = month.next().first_day
    spans: list[list[date]] = []  # [first day, day after the last]
    day = month.first_day
    while day < stop:
        following = min(day + timedelta(days=7 - day.weekday()), stop)
        spans.append([day, following])
        day = following
    if len(spans) > 1 and (spans[0][1] - spans[0][0]).days <= SHORT_WEEK_DAYS:
        stub = spans.pop(0)
        spans[0][0] = stub[0]
    if len(spans) > 1 and (spans[-1][1] - spans[-1][0]).days <= SHORT_WEEK_DAYS:
        stub = spans.pop()
        spans[-1][1] = stub[1]
    return [
        Week(
            first,
            following - timedelta(days=1),
            _local_midnight(policy, first),
            _local_midnight(policy, following),
        )
        for first, following in spans
    ]


def nearest_rank(count: int, percent: int) -> int:
    """The 1-based rank of the `percent`-th percentile of `count` values, nearest-rank method.

    The nearest-rank percentile is the value at rank ceil(p · n) in ascending order (p = percent
    / 100): always one of the values, never an interpolation. With no values there is no rank (0).
    """
    if count <= 0:
        return 0
    return max(1, math.ceil(Fraction(percent, 100) * count))


@dataclass(frozen=True)
class WeekCount:
    """Escalations filed and resolved in one week of the month."""

    first_day: date
    last_day: date
    filed: int
    resolved: int


@dataclass(frozen=True)
class SlowClose:
    """A resolution of the month that took longer than its SLO target or than `slow_after`."""

    escalation_id: int
    summary: str
    assignee_id: str | None
    category: str
    priority: str
    channel_id: str
    message_ts: str | None
    business_s: int
    target_s: int
    cause: str | None
    note: str | None

    @property
    def key(self) -> str:
        """The human key, e.g. ESC-42."""
        return f"ESC-{self.escalation_id}"

    @property
    def missed_target(self) -> bool:
        """Whether it took longer than its SLO target."""
        return self.target_s > 0 and self.business_s > self.target_s


def share(part: int, whole: int) -> Fraction | None:
    """part / whole, or None when there is nothing to divide."""
    return Fraction(part, whole) if whole else None


@dataclass(frozen=True)
class MonthVolume:
    """How much was filed and resolved in a month, and how much of it on target (the trend)."""

    month: Month
    filed: int
    resolved: int
    measured: int  # resolutions with a business time to resolve (all of them, past the SLO clock)
    within_target: int

    @property
    def attainment(self) -> Fraction | None:
        """The share of the month's resolutions that met their SLO target (None if none)."""
        return share(self.within_target, self.measured)


@dataclass(frozen=True)
class MonthTotals(MonthVolume):
    """The month's headline figures: the ones the digest compares with the month before."""

    open_at_end: int
    median_s: int | None
    p90_s: int | None
    breaches: int


@dataclass(frozen=True)
class Breakdown:
    """One product's or category's month: filed (and in the month before), resolved, on target."""

    key: str
    filed: int
    filed_before: int
    resolved: int
    measured: int
    within_target: int


@dataclass(frozen=True)
class MonthFigures(MonthTotals):
    """What the digest says about one month."""

    previous: MonthTotals | None  # None: nothing filed, resolved or open then (nothing to compare)
    by_product: tuple[Breakdown, ...]
    by_category: tuple[Breakdown, ...]
    by_cause: tuple[tuple[str | None, int], ...]
    weeks: tuple[WeekCount, ...]
    slow: tuple[SlowClose, ...]
    slow_after_s: int
    in_progress: bool = False  # the month has not ended: "open at the end" means open now
    # Groups of similar escalations resolved in the month (bot.digest.recurring; the job's post).
    recurring: tuple[RecurringGroup, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing was filed or resolved in the month."""
        return not self.filed and not self.resolved


@dataclass(frozen=True, slots=True)
class Resolution:
    """One resolution of the month, as the chart draws it."""

    escalation_id: int
    priority: str
    business_s: int
    target_s: int


# -- the queries --------------------------------------------------------------------------------


def _columns() -> Any:
    return Escalation.__table__.c  # type: ignore[attr-defined]


def _in(column: Any, start: datetime, end: datetime) -> Any:
    return sa.and_(column >= start, column < end)


def _within(c: Any) -> Any:
    """1 for a resolution within its SLO target, else 0 (exactly on target is within)."""
    return sa.case((c.resolution_business_s <= c.slo_target_s, 1), else_=0)


def _weekly_sums(column: Any, weeks: Sequence[Week]) -> list[Any]:
    return [
        sa.func.coalesce(
            sa.func.sum(sa.case((_in(column, week.start, week.end), 1), else_=0)), 0
        ).label(f"w{index}")
        for index, week in enumerate(weeks)
    ]


def _filed_counts(
    session: Session, start: datetime, end: datetime, weeks: Sequence[Week]
) -> tuple[int, list[int]]:
    c = _columns()
    row = session.execute(
        sa.select(sa.func.count(), *_weekly_sums(c.filed_at, weeks)).where(
            _in(c.filed_at, start, end)
        )
    ).one()
    return int(row[0]), [int(n) for n in row[1:]]


def _resolved_counts(
    session: Session, start: datetime, end: datetime, weeks: Sequence[Week]
) -> tuple[int, int, int, list[int]]:
    c = _columns()
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(c.resolution_business_s),
            sa.func.coalesce(sa.func.sum(_within(c)), 0),
            *_weekly_sums(c.resolved_at, weeks),
        ).where(_in(c.resolved_at, start, end))
    ).one()
    return int(row[0]), int(row[1]), int(row[2]), [int(n) for n in row[3:]]


def _open_at(session: Session, end: datetime) -> int:
    """Filed before `end` and not resolved by then (still open, or resolved only after `end`).

    Counted as (unresolved now) + (resolved at or after `end`) - (filed at or after `end`): every
    row filed after `end` is in exactly one of the first two counts, since nothing is resolved
    before it is filed. Each count reads one index over the rows since `end` (and the few open
    ones), where "filed_at < end AND …" would make the database walk every row filed before.
    """
    c = _columns()

    def count(condition: Any) -> Any:
        return sa.select(sa.func.count()).where(condition).scalar_subquery()

    statement = sa.select(
        count(c.resolved_at.is_(None)) + count(c.resolved_at >= end) - count(c.filed_at >= end)
    )
    return int(session.execute(statement).scalar_one())


def _median_and_p90(
    session: Session, start: datetime, end: datetime, measured: int
) -> tuple[int | None, int | None]:
    """The business times at the median's and the 90th percentile's ranks, in one sort.

    Rows numbered in ascending order (row_number over the month's resolutions), and the two
    ranks read back: one sort of the month, where LIMIT 1 OFFSET k twice sorted it twice.
    """
    median_rank, p90_rank = nearest_rank(measured, 50), nearest_rank(measured, 90)
    if not measured:
        return None, None
    c = _columns()
    took = c.resolution_business_s
    numbered = (
        sa.select(took.label("took"), sa.func.row_number().over(order_by=took).label("rank"))
        .where(_in(c.resolved_at, start, end), took.is_not(None))
        .subquery()
    )
    statement = sa.select(numbered.c.rank, numbered.c.took).where(
        numbered.c.rank.in_({median_rank, p90_rank})
    )
    values = {int(rank): int(value) for rank, value in session.execute(statement)}
    return values.get(median_rank), values.get(p90_rank)


def _breaches(session: Session, start: datetime, end: datetime) -> int:
    """Escalations that breached their SLO in the month, each counted once, in one month only.

    A breach is an SLO breach the sweep recorded in the month, or a resolution in the month that
    took more business time than its target (`bot.slo.within_target`) with no breach recorded
    before the month: one resolved over target between two sweeps has no breach event, yet it
    missed its target (and counts against attainment). One that breached in October and was
    resolved in November is October's breach, not November's again (November counts it against
    its attainment and lists it among its slow closes).

    The recorded ones are read through the index on escalation_event (kind, at): a month's breach
    events, a few thousand at most. (Probing the escalations unresolved during the month through
    the index on escalation_id, as this did before, cost two to four times as much for a recent
    month at 1,000,000 escalations, and the same for a month long past; bench/README.md.)
    """
    c = _columns()
    ev = EscalationEvent.__table__.c  # type: ignore[attr-defined]
    conditions = [ev.kind == SLO_BREACH, _in(ev.at, start, end)]
    recorded = sa.select(ev.escalation_id.label("id")).where(*conditions)
    counted_before = sa.exists().where(
        ev.escalation_id == c.id, ev.kind == SLO_BREACH, ev.at < start
    )
    resolved_late = sa.select(c.id.label("id")).where(
        _in(c.resolved_at, start, end),
        c.slo_target_s > 0,
        c.resolution_business_s > c.slo_target_s,
        ~counted_before,
    )
    breached = sa.union(recorded, resolved_late).subquery()  # UNION: each escalation once
    statement = sa.select(sa.func.count()).select_from(breached)
    return int(session.execute(statement).scalar_one())


def _counts_by(
    session: Session, column: Any, period_column: Any, start: datetime, end: datetime
) -> list[tuple[Any, int]]:
    count = sa.func.count().label("n")
    statement = (
        sa.select(column, count)
        .where(_in(period_column, start, end))
        .group_by(column)
        .order_by(count.desc(), column)
    )
    return [(row[0], int(row[1])) for row in session.execute(statement)]


def _slow_closes(
    session: Session, start: datetime, end: datetime, slow_after_s: int
) -> list[SlowClose]:
    c = _columns()
    took = c.resolution_business_s
    slow = sa.or_(sa.and_(c.slo_target_s > 0, took > c.slo_target_s), took > slow_after_s)
    statement = (
        sa.select(
            c.id,
            c.summary,
            c.assignee_id,
            c.category,
            c.priority,
            c.channel_id,
            c.message_ts,
            took,
            c.slo_target_s,
            c.resolution_cause,
            c.resolution_note,
        )
        .where(_in(c.resolved_at, start, end), took.is_not(None), slow)
        .order_by(took.desc(), c.id)
    )
    return [SlowClose(*row) for row in session.execute(statement)]


def _filed_by_kind(session: Session, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    c = _columns()
    statement = (
        sa.select(c.product, c.category, sa.func.count())
        .where(_in(c.filed_at, start, end))
        .group_by(c.product, c.category)
    )
    return {(product, category): int(n) for product, category, n in session.execute(statement)}


def _resolved_by_kind(
    session: Session, start: datetime, end: datetime
) -> dict[tuple[str, str], tuple[int, int, int]]:
    c = _columns()
    statement = (
        sa.select(
            c.product,
            c.category,
            sa.func.count(),
            sa.func.count(c.resolution_business_s),
            sa.func.coalesce(sa.func.sum(_within(c)), 0),
        )
        .where(_in(c.resolved_at, start, end))
        .group_by(c.product, c.category)
    )
    return {
        (product, category): (int(resolved), int(measured), int(within))
        for product, category, resolved, measured, within in session.execute(statement)
    }


def _breakdowns(
    index: int,
    filed: dict[tuple[str, str], int],
    filed_before: dict[tuple[str, str], int],
    resolved: dict[tuple[str, str], tuple[int, int, int]],
) -> tuple[Breakdown, ...]:
    """Per product (index 0) or per category (index 1), busiest first."""
    totals: dict[str, list[int]] = {}
    for pair, n in filed.items():
        totals.setdefault(pair[index], [0, 0, 0, 0, 0])[0] += n
    for pair, n in filed_before.items():
        totals.setdefault(pair[index], [0, 0, 0, 0, 0])[1] += n
    for pair, counts in resolved.items():
        row = totals.setdefault(pair[index], [0, 0, 0, 0, 0])
        for offset, n in enumerate(counts, start=2):
            row[offset] += n
    rows = [Breakdown(key, *counts) for key, counts in totals.items()]
    return tuple(sorted(rows, key=lambda r: (-r.filed, -r.resolved, -r.filed_before, r.key)))


def month_totals(*, session: Session, policy: Policy, month: Month) -> MonthTotals:
    """The month's headline figures (no lists): what the next month's digest compares against."""
    start, end = month_bounds(policy, month)
    filed, _ = _filed_counts(session, start, end, ())
    resolved, measured, within, _ = _resolved_counts(session, start, end, ())
    return _totals(session, month, start, end, filed, (resolved, measured, within))


def _totals(
    session: Session,
    month: Month,
    start: datetime,
    end: datetime,
    filed: int,
    resolutions: tuple[int, int, int],
) -> MonthTotals:
    resolved, measured, within = resolutions
    median_s, p90_s = _median_and_p90(session, start, end, measured)
    return MonthTotals(
        month=month,
        filed=filed,
        resolved=resolved,
        measured=measured,
        within_target=within,
        open_at_end=_open_at(session, end),
        median_s=median_s,
        p90_s=p90_s,
        breaches=_breaches(session, start, end),
    )


def _comparable(totals: MonthTotals) -> MonthTotals | None:
    """A month to compare with, unless nothing happened in it (say, before the bot was used)."""
    return totals if totals.filed or totals.resolved or totals.open_at_end else None


def month_figures(
    *, session: Session, policy: Policy, month: Month, now: datetime | None = None
) -> MonthFigures:
    """Every figure of the digest for `month`, each computed by the database.

    `now` is when it is asked for: a month not over yet is marked in progress.
    """
    start, end = month_bounds(policy, month)
    before_start, _ = month_bounds(policy, month.previous())
    weeks = month_weeks(policy, month)
    slow_after_s = int(policy.business_duration(policy.digest.slow_after).total_seconds())
    filed, filed_weekly = _filed_counts(session, start, end, weeks)
    resolved, measured, within, resolved_weekly = _resolved_counts(session, start, end, weeks)
    totals = _totals(session, month, start, end, filed, (resolved, measured, within))
    filed_by = _filed_by_kind(session, start, end)
    filed_before_by = _filed_by_kind(session, before_start, start)
    resolved_by = _resolved_by_kind(session, start, end)
    c = _columns()
    return MonthFigures(
        **{f.name: getattr(totals, f.name) for f in dataclasses.fields(totals)},
        previous=_comparable(month_totals(session=session, policy=policy, month=month.previous())),
        by_product=_breakdowns(0, filed_by, filed_before_by, resolved_by),
        by_category=_breakdowns(1, filed_by, filed_before_by, resolved_by),
        by_cause=tuple(_counts_by(session, c.resolution_cause, c.resolved_at, start, end)),
        weeks=tuple(
            WeekCount(week.first_day, week.last_day, f, r)
            for week, f, r in zip(weeks, filed_weekly, resolved_weekly, strict=True)
        ),
        slow=tuple(_slow_closes(session, start, end, slow_after_s)),
        slow_after_s=slow_after_s,
        in_progress=now is not None and now < end,
    )


def month_weekly_counts(*, session: Session, policy: Policy, month: Month) -> list[WeekCount]:
    """Escalations filed and resolved in each week of the month (for the chart)."""
    start, end = month_bounds(policy, month)
    weeks = month_weeks(policy, month)
    _, filed_weekly = _filed_counts(session, start, end, weeks)
    *_, resolved_weekly = _resolved_counts(session, start, end, weeks)
    return [
        WeekCount(week.first_day, week.last_day, f, r)
        for week, f, r in zip(weeks, filed_weekly, resolved_weekly, strict=True)
    ]


def month_resolutions(*, session: Session, policy: Policy, month: Month) -> list[Resolution]:
    """Each of the month's resolutions with its business time and target (for the chart)."""
    start, end = month_bounds(policy, month)
    c = _columns()
    statement = (
        sa.select(c.id, c.priority, c.resolution_business_s, c.slo_target_s)
        .where(_in(c.resolved_at, start, end), c.resolution_business_s.is_not(None))
        .order_by(c.id)
    )
    return [Resolution(int(i), p, int(s), int(t)) for i, p, s, t in session.execute(statement)]
