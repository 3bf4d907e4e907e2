"""Messages in an escalation's thread: which of them count as the assignee's activity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.clock import ManualClock
from bot.db import Database
from tests.support.flows import assert_acked, escalation, event_kinds, file_via_modal
from tests.support.slack import SlackDriver


def _reply(card_ts: str, *, user: str = "U0HANAKO", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": "C0ESCALATE",
        "user": user,
        "text": "checking the logs",
        "ts": "1796000000.000200",
        "thread_ts": card_ts,
        **extra,
    }


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"subtype": "thread_broadcast"},  # "Also send to #channel"
        {"subtype": "file_share", "files": [{"id": "F0LOGS", "name": "auth.log"}]},
    ],
    ids=["reply", "also sent to the channel", "with a file"],
)
def test_an_assignees_reply_in_the_thread_is_activity(
    slack: SlackDriver, db: Database, clock: ManualClock, extra: dict[str, Any]
) -> None:
    card = file_via_modal(slack)  # assigned to U0HANAKO
    assert escalation(db).assignee_id == "U0HANAKO"
    clock.advance(timedelta(hours=3))

    assert_acked(slack.event(_reply(card.ts, **extra)))

    row = escalation(db)
    assert row.last_activity_at == clock.now()
    assert "thread_reply" in event_kinds(db)


@pytest.mark.parametrize(
    ("user", "extra"),
    [
        ("U0TARO", {}),  # not the assignee
        ("U0HANAKO", {"subtype": "message_changed"}),  # an edit
        ("U0HANAKO", {"subtype": "channel_join"}),
        ("U0HANAKO", {"thread_ts": None}),  # a message in the channel, not in the thread
    ],
    ids=["someone else", "an edit", "a join", "not in a thread"],
)
def test_other_messages_are_not_activity(
    slack: SlackDriver, db: Database, clock: ManualClock, user: str, extra: dict[str, Any]
) -> None:
    card = file_via_modal(slack)
    before = escalation(db).last_activity_at
    clock.advance(timedelta(hours=3))

    assert_acked(slack.event(_reply(card.ts, user=user, **extra)))

    assert escalation(db).last_activity_at == before
    assert "thread_reply" not in event_kinds(db)


def _processed_events(db: Database) -> int:
    with db.session() as session:
        return int(session.execute(sa.text("SELECT count(*) FROM processed_event")).scalar_one())


def test_messages_that_are_not_thread_replies_leave_no_trace(
    slack: SlackDriver, db: Database
) -> None:
    """Most messages in a channel do not matter: they are not even written down for de-duplication."""
    card = file_via_modal(slack)
    chatter = [
        {"type": "message", "channel": "C0ESCALATE", "user": "U0CS", "text": "hi", "ts": "1.1"},
        {**_reply(card.ts), "channel": "C0ELSEWHERE"},
        {**_reply(card.ts), "subtype": "message_changed"},
    ]
    for event in chatter:
        assert_acked(slack.event(event))

    assert _processed_events(db) == 0
    assert_acked(slack.event(_reply(card.ts)))
    assert _processed_events(db) == 1
