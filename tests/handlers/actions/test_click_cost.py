"""What one status click costs the database: its change and its posts in few statements and transactions.

Under load the server's CPU goes to the click and its delivery through the outbox (bench/README.md,
issue 13), spread over every statement and transaction: these bounds keep it from creeping back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event

from bot.db import Database
from bot.policy import Policy
from tests.support.flows import (
    assert_acked,
    assert_updated_in_place_once,
    file_via_modal,
    policy_from,
    watch,
)
from tests.support.slack import SlackDriver

# Acknowledge after a claim: the change, then its card update, its thread line and the
# assignee's DM redrawn. Before issue 13's work: 32 statements in 9 transactions; 24 until a
# claim returned whether the row behind it may join its batch (the batch no longer looks for one
# behind the thread line, where the DM's redraw waits, nor behind the DM, where nothing does); 22
# until the claim also said whether a newer row of its kind waits (the card update's and the DM
# redraw's own queries for a newer redraw); 20 until a DM's redraw, promised once the DM was sent,
# named where it is (the redraw read the DM's row for it).
MAX_STATEMENTS = 19
MAX_TRANSACTIONS = 5


@pytest.fixture
def policy(policy_text: str) -> Policy:
    return policy_from(policy_text, strategy="manual")


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0


@contextmanager
def counting(db: Database) -> Iterator[Counted]:
    """The statements (BEGIN not among them) and transactions run on `db` meanwhile."""
    counted = Counted()

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        if not text.startswith("BEGIN"):
            counted.statements.append(" ".join(text.split())[:120])

    def begin(_conn: Any) -> None:
        counted.transactions += 1

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "begin", begin)
    try:
        yield counted
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "begin", begin)


def test_a_status_click_and_its_posts_take_few_statements_and_transactions(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)
    assert_acked(slack.click(card, "esc.claim", user="U0TARO"))
    dms_before = len(slack.standin.calls_to("chat.update"))
    before = watch(slack, card)

    with counting(db) as counted:
        assert_acked(slack.click(card, "esc.acknowledge", user="U0TARO"))
        slack.executor.drain()

    assert assert_updated_in_place_once(slack, card, before) == ":mag: <@U0TARO> is investigating."
    assert len(slack.standin.calls_to("chat.update")) == dms_before + 2  # the card and the DM
    listing = "\n".join(counted.statements)
    assert len(counted.statements) <= MAX_STATEMENTS, listing
    assert counted.transactions <= MAX_TRANSACTIONS, listing
