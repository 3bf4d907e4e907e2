"""The card's "Change product or category": a modal with the labels as they are; a change is a
thread line and the card redrawn in place, once however often the modal is submitted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.db import Database
from bot.workspace.webapi import Message
from tests.support.flows import (
    assert_acked,
    assert_unchanged,
    assert_updated_in_place_once,
    card_field,
    ephemeral_replies,
    escalation,
    event_kinds,
    file_via_modal,
    opened_view,
    record_requests,
    watch,
)
from tests.support.slack import SlackDriver


def _modal(slack: SlackDriver, user: str) -> tuple[Message, dict[str, Any], str]:
    """A filed escalation's card (album / login, assigned to U0HANAKO) and its modal, opened."""
    card = file_via_modal(slack)
    assert_acked(slack.click(card, "esc.relabel", user=user, selected_value="1"))
    view, view_id = opened_view(slack)
    return card, view, view_id


def test_the_menu_opens_the_modal_with_the_labels_as_they_are(slack: SlackDriver) -> None:
    card = file_via_modal(slack)  # album / login, assigned to U0HANAKO
    requests = record_requests(slack)

    response = slack.click(card, "esc.relabel", user="U0HANAKO", selected_value="1")

    assert_acked(response)
    calls = slack.standin.calls_to("views.open")
    assert calls[-1].args["trigger_id"] == requests.last_body()["trigger_id"]
    view, _ = opened_view(slack)
    assert view["callback_id"] == "relabel"
    assert json.loads(view["private_metadata"]) == {"escalation_id": 1}
    chosen = {
        b["block_id"]: b["element"]["initial_option"]["value"]
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert chosen == {"product": "album", "category": "login"}


def test_a_change_is_told_in_the_thread_and_the_card_redrawn_once(
    slack: SlackDriver, db: Database
) -> None:
    card, view, view_id = _modal(slack, "U0HANAKO")
    before = watch(slack, card)

    response = slack.submit(
        view, {"product": "album", "category": "billing"}, user="U0HANAKO", view_id=view_id
    )

    assert_acked(response)  # closes the modal
    line = assert_updated_in_place_once(slack, card, before)
    assert line == "<@U0HANAKO> changed category: Login / account → Purchases / billing."
    assert card_field(card, "Category") == "Purchases / billing"
    assert (escalation(db).product, escalation(db).category) == ("album", "billing")
    assert escalation(db).status == "assigned"  # nothing else changed

    # Submitted again (a double click, or Slack's retry): nothing more.
    again = watch(slack, card)
    assert_acked(
        slack.submit(
            view, {"product": "album", "category": "billing"}, user="U0HANAKO", view_id=view_id
        )
    )
    assert_unchanged(slack, card, again)
    assert event_kinds(db).count("relabeled") == 1


def test_submitting_the_labels_unchanged_posts_nothing(slack: SlackDriver, db: Database) -> None:
    card, view, view_id = _modal(slack, "U0LEAD")
    before = watch(slack, card)

    response = slack.submit(
        view, {"product": "album", "category": "login"}, user="U0LEAD", view_id=view_id
    )

    assert_acked(response)
    assert_unchanged(slack, card, before)
    assert "relabeled" not in event_kinds(db)


@pytest.mark.parametrize("user", ["U0TARO", "U0CS"])
def test_someone_who_may_not_change_the_status_is_refused_and_opens_nothing(
    slack: SlackDriver, db: Database, user: str
) -> None:
    card = file_via_modal(slack)
    opened = len(slack.standin.calls_to("views.open"))
    before = watch(slack, card)

    response = slack.click(card, "esc.relabel", user=user, selected_value="1")

    assert_acked(response)
    assert ephemeral_replies(slack) == [
        "Only someone who can change the status of ESC-1 can change its product or category."
    ]
    assert len(slack.standin.calls_to("views.open")) == opened
    assert_unchanged(slack, card, before)


def test_a_label_not_in_the_policy_is_reported_in_the_modal(
    slack: SlackDriver, db: Database
) -> None:
    card, view, view_id = _modal(slack, "U0HANAKO")
    before = watch(slack, card)

    response = slack.submit(
        view, {"product": "spaceship", "category": None}, user="U0HANAKO", view_id=view_id
    )

    assert response.status == 200
    assert response.json() == {
        "response_action": "errors",
        "errors": {
            "product": "Choose one of the options.",
            "category": "Choose one of the options.",
        },
    }
    assert (escalation(db).product, escalation(db).category) == ("album", "login")
    assert_unchanged(slack, card, before)


def test_a_modal_submitted_by_someone_no_longer_allowed_is_refused_by_dm(
    slack: SlackDriver, db: Database
) -> None:
    card, view, view_id = _modal(slack, "U0HANAKO")
    slack.click(card, "esc.reassign", user="U0HANAKO", selected_user="U0TARO")
    before = watch(slack, card)

    response = slack.submit(
        view, {"product": "game", "category": "billing"}, user="U0HANAKO", view_id=view_id
    )

    assert_acked(response)
    assert (escalation(db).product, escalation(db).category) == ("album", "login")
    assert_unchanged(slack, card, before)
    assert [m.text for m in slack.standin.dms("U0HANAKO")][-1] == (
        "Only someone who can change the status of ESC-1 can change its product or category."
    )
