"""The digest's twelve-month trend: filed and resolved per month, and the share within target."""

from __future__ import annotations

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


def _month_index(column: Any, bounds: Sequence[datetime]) -> Any:
    """Which of the months between consecutive `bounds` an instant falls in (0, 1, …)."""
    return sa.case(*((column < end, index) for index, end in enumerate(bounds[1:]))).label("m")


def month_trend(
    *, session: Session, policy: Policy, month: Month, months: int = TREND_MONTHS
) -> list[MonthVolume]:
    """The volumes and attainment of the `months` months up to and including `month`, oldest first.

    Two grouped statements over the period's index ranges, each row put in its month by a CASE
    on the local month boundaries (portable, and time-zone exact).
    """
    periods = [month.shifted(-back) for back in range(months - 1, -1, -1)]
    bounds = [month_bounds(policy, m)[0] for m in periods] + [month_bounds(policy, month)[1]]
    c = _columns()
    filed_index = _month_index(c.filed_at, bounds)
    filed = dict.fromkeys(range(months), 0)
    statement = (
        sa.select(filed_index, sa.func.count())
        .where(_in(c.filed_at, bounds[0], bounds[-1]))
        .group_by(filed_index)
    )
    for index, n in session.execute(statement):
        filed[int(index)] = int(n)
    resolved_index = _month_index(c.resolved_at, bounds)
    resolved = dict.fromkeys(range(months), (0, 0, 0))
    statement = (
        sa.select(
            resolved_index,
            sa.func.count(),
            sa.func.count(c.resolution_business_s),
            sa.func.coalesce(sa.func.sum(_within(c)), 0),
        )
        .where(_in(c.resolved_at, bounds[0], bounds[-1]))
        .group_by(resolved_index)
    )
    for index, n, measured, within in session.execute(statement):
        resolved[int(index)] = (int(n), int(measured), int(within))
    return [
        MonthVolume(m, filed[i], resolved[i][0], resolved[i][1], resolved[i][2])
        for i, m in enumerate(periods)
    ]
