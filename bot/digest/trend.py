"""The digest's twelve-month trend: filed and resolved per month, and the share within target."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.digest.figures import (
    Month,
    MonthVolume,
    _columns,
    _in,
    _within,
    month_bounds,
)
from bot.policy import Policy

TREND_MONTHS = 12


def _per_month(
    session: Session, column: Any, bounds: Sequence[datetime], *aggregates: Any
) -> dict[int, tuple[int, ...]]:
    """`aggregates` over each month between consecutive `bounds`, by month (0, 1, …).

    One SELECT per month over its own index range, joined by UNION ALL into one statement: three
    to five times cheaper than grouping the whole period by a CASE over the boundaries, which
    evaluates the CASE for every row (bench/README.md).
    """
    parts = [
        sa.select(sa.literal(index).label("m"), *aggregates).where(_in(column, start, end))
        for index, (start, end) in enumerate(itertools.pairwise(bounds))
    ]
    rows = session.execute(sa.union_all(*parts))
    return {int(row[0]): tuple(int(value or 0) for value in row[1:]) for row in rows}


def month_trend(
    *, session: Session, policy: Policy, month: Month, months: int = TREND_MONTHS
) -> list[MonthVolume]:
    """The volumes and attainment of the `months` months up to and including `month`, oldest first.

    Month boundaries are the team's local midnights. With the index on (resolved_at,
    slo_target_s, resolution_business_s) every figure is read from indexes alone.
    """
    periods = [month.shifted(-back) for back in range(months - 1, -1, -1)]
    bounds = [month_bounds(policy, m)[0] for m in periods] + [month_bounds(policy, month)[1]]
    c = _columns()
    filed = _per_month(session, c.filed_at, bounds, sa.func.count())
    resolved = _per_month(
        session,
        c.resolved_at,
        bounds,
        sa.func.count(),
        sa.func.count(c.resolution_business_s),
        sa.func.sum(_within(c)),
    )
    return [
        MonthVolume(m, filed[i][0], resolved[i][0], resolved[i][1], resolved[i][2])
        for i, m in enumerate(periods)
    ]
