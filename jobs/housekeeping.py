"""housekeeping: forget Events API ids past Slack's retry window and year-old job runs."""

from __future__ import annotations

from datetime import datetime

from bot import inbox, jobruns
from bot.runtime import Runtime


def clean_up(*, runtime: Runtime, at: datetime) -> str:
    """Delete bookkeeping rows nobody needs any more."""
    with runtime.db.session() as session:
        events = inbox.forget_old_events(session=session, now=at)
        runs = jobruns.forget_old_runs(session=session, now=at)
    return f"forgot {events} event ids and {runs} job runs"
