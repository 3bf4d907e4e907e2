"""Product and category suggested from a message's text at intake: pre-selected, marked, changeable."""

from __future__ import annotations

from typing import Any

from bot.clock import ManualClock
from bot.db import Database
from bot.runtime import Runtime
from bot.workspace.webapi import Message
from tests.support.flows import DEFAULT_VALUES, assert_acked, escalation, opened_view
from tests.support.similar import BILLING, LOGIN, resolved_history
from tests.support.slack import SlackDriver

SUGGESTED = "Suggested from the text by similar resolved escalations: change it if it is wrong."


def _input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def _shortcut(slack: SlackDriver, text: str) -> dict[str, Any]:
    message: Message = slack.standin.add_message("C0SUPPORT", user="U0CS", text=text)
    assert_acked(slack.message_shortcut(message, user="U0CS"))
    view, _ = opened_view(slack)
    return view


def test_a_message_like_earlier_ones_gets_their_product_and_category_marked_as_suggested(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    resolved_history(runtime, clock)
    view = _shortcut(slack, "Customer can't log in to the market app after a password change")

    product, category = _input(view, "product"), _input(view, "category")
    assert product["element"]["initial_option"]["value"] == "market"
    assert category["element"]["initial_option"]["value"] == "login"
    assert product["hint"]["text"] == category["hint"]["text"] == SUGGESTED
    priority = _input(view, "priority")
    assert priority["element"]["initial_option"]["value"] == runtime.policy.fallback_priority
    assert "hint" not in priority  # never guessed


def test_a_suggestion_can_be_changed_before_filing(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, db: Database
) -> None:
    resolved_history(runtime, clock)
    view = _shortcut(slack, "Customer can't log in to the market app after a password change")
    values = {**DEFAULT_VALUES, "product": "game", "category": "other"}
    assert_acked(slack.submit(view, values, user="U0CS", view_id=view.get("id")))
    filed = escalation(db, len(LOGIN) + len(BILLING) + 1)
    assert (filed.product, filed.category) == ("game", "other")


def test_nothing_is_suggested_before_the_index_exists(slack: SlackDriver) -> None:
    view = _shortcut(slack, "Customer can't log in to the market app after a password change")
    for block_id in ("product", "category"):
        assert "initial_option" not in _input(view, block_id)["element"]
        assert "hint" not in _input(view, block_id)


def test_a_label_the_team_resolved_fewer_than_five_times_is_not_suggested(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    resolved_history(runtime, clock, login=LOGIN[:4])
    view = _shortcut(slack, "Customer can't log in to the market app after a password change")
    assert "initial_option" not in _input(view, "category")["element"]
    assert "initial_option" not in _input(view, "product")["element"]
