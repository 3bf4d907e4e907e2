"""The month's recurring problems: groups of similar escalations resolved in it (for the digest)."""

from __future__ import annotations

from sqlmodel import Session

from bot.digest.figures import Month, month_bounds
from bot.policy import Policy
from bot.similarity.index import SimilarityIndex
from bot.similarity.service import RecurringGroup, recurring_groups

MAX_GROUPS = 5  # the post names the largest; a long tail of pairs says little about root causes


def month_recurring(
    *, session: Session, policy: Policy, index: SimilarityIndex, month: Month
) -> tuple[RecurringGroup, ...]:
    """The largest groups of similar escalations resolved in `month`; none unless this process
    holds the index (the digest job loads it first, outside its transaction)."""
    if index.current() is None:
        return ()
    start, end = month_bounds(policy, month)
    groups = recurring_groups(session=session, index=index, start=start, end=end)
    return tuple(groups[:MAX_GROUPS])
