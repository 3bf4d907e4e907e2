"""The monthly digest's figures: one calendar month of escalations, aggregated in SQL.

Every figure is a count, a sum or a single ordered row computed by the database over one month's
index range (`filed_at` or `resolved_at`), so the time and memory of a digest follow the size of
the month, not of the history. Only the month's slow closes (for the list), the month's business
times (for the histogram) and the CSV rows (streamed) are ever read into Python.

Month boundaries are local midnights in the team's time zone, converted to UTC instants.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.models import Escalation, EscalationEvent
from bot.policy import Policy

SLO_BREACH = "slo_breach"
CSV_BATCH = 2_000
PROBE_COST = 20  # see _breaches
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
    """A Monday-to-Sunday week, cut to the month it belongs to (UTC bounds, half-open)."""

    first_day: date
    start: datetime
    end: datetime


def month_weeks(policy: Policy, month: Month) -> list[Week]:
    """The month's weeks, starting on Mondays; the first and last may be shorter than seven days."""
    weeks = []
    day, stop = month.first_day, month.next().first_day
    while day < stop:
        following = min(day + timedelta(days=7 - day.weekday()), stop)
        weeks.append(Week(day, _local_midnight(policy, day), _local_midnight(policy, following)))
        day = following
    return weeks


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


@dataclass(frozen=True)
class MonthFigures:
    """What the digest says about one month."""

    month: Month
    filed: int
    resolved: int
    open_at_end: int
    measured: int  # resolutions with a business time to resolve (all of them, past the SLO clock)
    within_target: int
    median_s: int | None
    p90_s: int | None
    breaches: int
    by_category: tuple[tuple[str, int], ...]
    by_cause: tuple[tuple[str | None, int], ...]
    weeks: tuple[WeekCount, ...]
    slow: tuple[SlowClose, ...]
    slow_after_s: int

    @property
    def attainment(self) -> Fraction | None:
        """The share of the month's resolutions that met their SLO target (None if none)."""
        if not self.measured:
            return None
        return Fraction(self.within_target, self.measured)


# -- the queries --------------------------------------------------------------------------------


def _columns() -> Any:
    return Escalation.__table__.c  # type: ignore[attr-defined]


def _in(column: Any, start: datetime, end: datetime) -> Any:
    return sa.and_(column >= start, column < end)


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
    within = sa.case((c.resolution_business_s <= c.slo_target_s, 1), else_=0)
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(c.resolution_business_s),
            sa.func.coalesce(sa.func.sum(within), 0),
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


def _business_s_at_rank(session: Session, start: datetime, end: datetime, rank: int) -> int | None:
    if rank <= 0:
        return None
    c = _columns()
    statement = (
        sa.select(c.resolution_business_s)
        .where(_in(c.resolved_at, start, end), c.resolution_business_s.is_not(None))
        .order_by(c.resolution_business_s)
        .limit(1)
        .offset(rank - 1)
    )
    value = session.execute(statement).scalar_one_or_none()
    return None if value is None else int(value)


def _breaches(session: Session, start: datetime, end: datetime) -> int:
    """Escalations that breached their SLO in the month, each counted once.

    A breach is an SLO breach the sweep recorded in the month, or a resolution in the month that
    took more business time than its target: one resolved over target between two sweeps has no
    breach event, yet it missed its target (and counts against attainment).

    The recorded ones: a breach in the month means the escalation was unresolved at that
    instant: still open, or (last) resolved after the month began. For a recent month those are
    few, and their events are found through the index on escalation_id; for a month long past
    they are a large part of the history, and reading the month's events through the index on
    (kind, at) is cheaper than an index probe for each (a probe costs about PROBE_COST events).
    """
    c = _columns()
    ev = EscalationEvent.__table__.c  # type: ignore[attr-defined]
    unresolved_then = sa.or_(c.resolved_at >= start, c.resolved_at.is_(None))
    candidates = session.execute(sa.select(sa.func.count()).where(unresolved_then)).scalar_one()
    events = session.execute(sa.select(sa.func.max(ev.id))).scalar_one() or 0
    conditions = [ev.kind == SLO_BREACH, _in(ev.at, start, end)]
    if candidates * PROBE_COST < events:
        conditions.append(ev.escalation_id.in_(sa.select(c.id).where(unresolved_then)))
    recorded = sa.select(ev.escalation_id.label("id")).where(*conditions)
    resolved_late = sa.select(c.id.label("id")).where(
        _in(c.resolved_at, start, end),
        c.slo_target_s > 0,
        c.resolution_business_s > c.slo_target_s,
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


def month_figures(*, session: Session, policy: Policy, month: Month) -> MonthFigures:
    """Every figure of the digest for `month`, each computed by the database."""
    start, end = month_bounds(policy, month)
    weeks = month_weeks(policy, month)
    slow_after_s = int(policy.business_duration(policy.digest.slow_after).total_seconds())
    filed, filed_weekly = _filed_counts(session, start, end, weeks)
    resolved, measured, within, resolved_weekly = _resolved_counts(session, start, end, weeks)
    c = _columns()
    return MonthFigures(
        month=month,
        filed=filed,
        resolved=resolved,
        open_at_end=_open_at(session, end),
        measured=measured,
        within_target=within,
        median_s=_business_s_at_rank(session, start, end, nearest_rank(measured, 50)),
        p90_s=_business_s_at_rank(session, start, end, nearest_rank(measured, 90)),
        breaches=_breaches(session, start, end),
        by_category=tuple(_counts_by(session, c.category, c.filed_at, start, end)),
        by_cause=tuple(_counts_by(session, c.resolution_cause, c.resolved_at, start, end)),
        weeks=tuple(
            WeekCount(week.first_day, f, r)
            for week, f, r in zip(weeks, filed_weekly, resolved_weekly, strict=True)
        ),
        slow=tuple(_slow_closes(session, start, end, slow_after_s)),
        slow_after_s=slow_after_s,
    )


def month_weekly_counts(*, session: Session, policy: Policy, month: Month) -> list[WeekCount]:
    """Escalations filed and resolved in each week of the month (for the chart)."""
    start, end = month_bounds(policy, month)
    weeks = month_weeks(policy, month)
    _, filed_weekly = _filed_counts(session, start, end, weeks)
    *_, resolved_weekly = _resolved_counts(session, start, end, weeks)
    return [
        WeekCount(week.first_day, f, r)
        for week, f, r in zip(weeks, filed_weekly, resolved_weekly, strict=True)
    ]


def month_business_times(*, session: Session, policy: Policy, month: Month) -> list[int]:
    """The business seconds to resolve of each of the month's resolutions (for the histogram)."""
    start, end = month_bounds(policy, month)
    c = _columns()
    statement = sa.select(c.resolution_business_s).where(
        _in(c.resolved_at, start, end), c.resolution_business_s.is_not(None)
    )
    return [int(value) for value in session.execute(statement).scalars()]


# -- the CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "key",
    "filed_at",
    "resolved_at",
    "status",
    "priority",
    "product",
    "category",
    "assignee",
    "business_hours_to_resolve",
    "target_hours",
    "within_target",
    "cause",
    "summary",
)


def _spreadsheet_safe(text: str) -> str:
    """User text that a spreadsheet will not run as a formula (OWASP: prefix with a quote)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _hours(seconds: int | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def _labels(choices: Sequence[Any]) -> dict[str, str]:
    return {choice.id: _spreadsheet_safe(choice.label or choice.id) for choice in choices}


def _csv_rows(session: Session, policy: Policy, month: Month) -> Iterator[list[str]]:
    start, end = month_bounds(policy, month)
    tz = policy.business_calendar.tz
    c = _columns()
    # Labels and names looked up once: this loop runs for every escalation of the month.
    products, categories = _labels(policy.products), _labels(policy.categories)
    causes = _labels(policy.causes)
    names = {e.user: e.name for e in policy.roster.engineers if e.name}

    def local(instant: datetime | None) -> str:
        return "" if instant is None else instant.astimezone(tz).isoformat(" ", "minutes")[:16]

    statement = (
        sa.select(
            c.id,
            c.filed_at,
            c.resolved_at,
            c.status,
            c.priority,
            c.product,
            c.category,
            c.assignee_id,
            c.resolution_business_s,
            c.slo_target_s,
            c.resolution_cause,
            c.summary,
        )
        .where(sa.or_(_in(c.filed_at, start, end), _in(c.resolved_at, start, end)))
        .order_by(c.id)
        .execution_options(yield_per=CSV_BATCH)
    )
    for row in session.execute(statement):
        key, filed, resolved, status, priority, product, category, assignee = row[:8]
        took, target, cause, summary = row[8:]
        yield [
            f"ESC-{key}",
            local(filed),
            local(resolved),
            status,
            priority,
            products.get(product) or _spreadsheet_safe(product),
            categories.get(category) or _spreadsheet_safe(category),
            names.get(assignee) or assignee or "",
            _hours(took),
            _hours(target or None),
            "" if took is None or not target else ("yes" if took <= target else "no"),
            (causes.get(cause) or _spreadsheet_safe(cause)) if cause else "",
            _spreadsheet_safe(summary),
        ]


def month_csv(*, session: Session, policy: Policy, month: Month) -> bytes:
    """Every escalation filed or resolved in the month, as UTF-8 CSV with a BOM (Excel reads it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_rows(session, policy, month))
    return buffer.getvalue().encode("utf-8-sig")


def csv_filename(month: Month) -> str:
    """The CSV's file name."""
    return f"escalations-{month}.csv"


def render_csv_file(session: Session, policy: Policy, payload: dict[str, Any]) -> tuple[str, bytes]:
    """The outbox file renderer "digest-csv": payload["month"] is the month (YYYY-MM)."""
    month = Month.parse(payload["month"])
    return csv_filename(month), month_csv(session=session, policy=policy, month=month)
