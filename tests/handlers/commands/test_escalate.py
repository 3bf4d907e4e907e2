"""`/escalate [summary]` opens the escalation modal, prefilled from the command's text."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.flows import assert_acked, escalation_count, record_requests
from tests.support.slack import SlackDriver


def _input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_escalate_opens_the_modal_with_the_commands_trigger(slack: SlackDriver) -> None:
    requests = record_requests(slack)

    response = slack.command("/escalate", "Login fails after password reset")

    assert_acked(response)
    [call] = slack.standin.calls_to("views.open")
    assert call.args["trigger_id"] == requests.last_body()["trigger_id"]
    view = slack.last_view()
    assert view["type"] == "modal"
    assert view["callback_id"] == "escalate"
    summary = _input(view, "summary")["element"]
    assert summary["initial_value"] == "Login fails after password reset"


def test_modal_asks_for_every_field_of_an_escalation(slack: SlackDriver) -> None:
    slack.command("/escalate", "x")

    view = slack.last_view()
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert inputs == [
        "end_user_id",
        "product",
        "category",
        "priority",
        "summary",
        "details",
        "zendesk",
    ]
    products = [o["value"] for o in _input(view, "product")["element"]["options"]]
    assert products == ["album", "game", "market"]
    priority = _input(view, "priority")["element"]
    assert [o["value"] for o in priority["options"]] == ["P1", "P2", "P3"]
    assert priority["initial_option"]["value"] == "P2"
    assert _input(view, "details")["optional"] is True
    assert _input(view, "zendesk")["optional"] is True
    assert _input(view, "summary")["element"]["max_length"] == 150


def test_escalate_without_text_leaves_the_summary_empty(slack: SlackDriver) -> None:
    assert_acked(slack.command("/escalate", ""))

    summary = _input(slack.last_view(), "summary")["element"]
    assert "initial_value" not in summary


def test_multi_line_text_becomes_one_summary_line(slack: SlackDriver) -> None:
    slack.command("/escalate", "Photos   missing\nafter restore")

    summary = _input(slack.last_view(), "summary")["element"]
    assert summary["initial_value"] == "Photos missing after restore"


def test_overlong_text_is_cut_to_fit_the_input_not_refused_by_slack(slack: SlackDriver) -> None:
    slack.command("/escalate", "word " * 100)

    summary = _input(slack.last_view(), "summary")["element"]
    assert len(summary["initial_value"]) <= 150
    assert summary["initial_value"].endswith("…")
    # The stand-in fails the test at teardown if views.open broke a Block Kit limit.


@pytest.mark.parametrize("text", ["<!channel> help", "<@U0LEAD> please look"])
def test_mrkdwn_in_the_command_text_is_kept_literally_in_the_plain_text_input(
    slack: SlackDriver, text: str
) -> None:
    slack.command("/escalate", text)

    summary = _input(slack.last_view(), "summary")["element"]
    assert summary["initial_value"] == text  # plain_text inputs never render mrkdwn


def test_opening_the_modal_files_nothing(slack: SlackDriver, db: Any) -> None:
    slack.command("/escalate", "Login fails")

    assert escalation_count(db) == 0
    assert slack.standin.calls_to("chat.postMessage") == []
