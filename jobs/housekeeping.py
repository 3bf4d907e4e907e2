"""housekeeping: forget Events API ids past Slack's retry window, old Zendesk deliveries, year-old job runs."""

from __future__ import annotations

from datetime import datetime

from bot import inbox, jobruns
from bot.runtime import Runtime
from bot.zendesk import inbox as zendesk_inbox


def clean_up(*, runtime: Runtime, at: datetime) -> str:
    """Delete bookkeeping rows nobody needs any more."""
    with runtime.db.session() as session:
        events = inbox.forget_old_events(session=session, now=at)
        runs = jobruns.forget_old_runs(session=session, now=at)
        deliveries = zendesk_inbox.forget_old(session=session, now=at)
    return f"forgot {events} event ids, {deliveries} Zendesk deliveries and {runs} job runs"
