"""Reassign: pick a roster engineer in the card's user select."""

from __future__ import annotations

import pytest

from bot.db import Database
from tests.support.flows import (
    assert_acked,
    assert_unchanged,
    assert_updated_in_place_once,
    block_action,
    card_actions,
    card_field,
    ephemeral_replies,
    escalation,
    event_kinds,
    file_via_modal,
    wait_on_cs,
    watch,
)
from tests.support.slack import SlackDriver


@pytest.mark.parametrize("user", ["U0HANAKO", "U0LEAD", "U0CS"])
def test_the_assignee_the_lead_or_the_filer_may_reassign(
    slack: SlackDriver, db: Database, user: str
) -> None:
    card = file_via_modal(slack, user="U0CS")  # assigned to U0HANAKO
    before = watch(slack, card)

    response = slack.click(card, "esc.reassign", user=user, selected_user="U0TARO")

    assert_acked(response)
    row = escalation(db)
    assert (row.assignee_id, row.status) == ("U0TARO", "assigned")
    line = assert_updated_in_place_once(slack, card, before)
    assert line == f"<@{user}> reassigned this to <@U0TARO>."
    assert card_field(card, "Assignee") == "<@U0TARO>"
    assert event_kinds(db)[-1] == "reassigned"
    assert ephemeral_replies(slack) == []


@pytest.mark.parametrize("user", ["U0KENJI", "U0OTHER"])
def test_reassign_by_anyone_else_is_refused(slack: SlackDriver, db: Database, user: str) -> None:
    card = file_via_modal(slack)
    before = watch(slack, card)

    slack.click(card, "esc.reassign", user=user, selected_user="U0TARO")

    assert ephemeral_replies(slack) == [
        "Only the assignee, the lead or the filer can reassign ESC-1."
    ]
    assert escalation(db).assignee_id == "U0HANAKO"
    assert_unchanged(slack, card, before)


def test_reassign_to_someone_off_the_roster_is_refused(slack: SlackDriver, db: Database) -> None:
    card = file_via_modal(slack)
    before = watch(slack, card)

    slack.click(card, "esc.reassign", user="U0HANAKO", selected_user="U0OTHER")

    [reply] = ephemeral_replies(slack)
    assert reply.endswith("is not on the roster; choose a roster engineer.")
    assert "U0OTHER" in reply
    assert escalation(db).assignee_id == "U0HANAKO"
    assert_unchanged(slack, card, before)


def test_the_off_roster_refusal_names_the_person_as_a_mention(slack: SlackDriver) -> None:
    card = file_via_modal(slack)

    slack.click(card, "esc.reassign", user="U0HANAKO", selected_user="U0OTHER")

    assert ephemeral_replies(slack) == [
        "<@U0OTHER> is not on the roster; choose a roster engineer."
    ]


def test_reassign_keeps_a_waiting_escalation_waiting(slack: SlackDriver, db: Database) -> None:
    card = file_via_modal(slack)
    wait_on_cs(slack, card, user="U0HANAKO")

    slack.click(card, "esc.reassign", user="U0HANAKO", selected_user="U0KENJI")

    row = escalation(db)
    assert (row.assignee_id, row.status) == ("U0KENJI", "waiting")
    assert card_field(card, "Status") == ":hourglass_flowing_sand: Waiting on CS"


def test_reassign_an_investigation_starts_over_as_assigned(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.acknowledge", user="U0HANAKO")

    slack.click(card, "esc.reassign", user="U0HANAKO", selected_user="U0KENJI")

    assert (escalation(db).assignee_id, escalation(db).status) == ("U0KENJI", "assigned")
    assert card_actions(card)[0] == "esc.acknowledge"  # the new assignee acknowledges


def test_reassign_to_the_current_assignee_changes_nothing(slack: SlackDriver, db: Database) -> None:
    card = file_via_modal(slack)
    before = watch(slack, card)

    slack.click(card, "esc.reassign", user="U0LEAD", selected_user="U0HANAKO")

    assert ephemeral_replies(slack) == []
    assert "reassigned" not in event_kinds(db)
    assert_unchanged(slack, card, before)


def test_the_new_assignee_may_act_and_the_old_one_may_not(slack: SlackDriver, db: Database) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.reassign", user="U0HANAKO", selected_user="U0TARO")

    slack.click(card, "esc.acknowledge", user="U0HANAKO")
    refused_status = escalation(db).status
    slack.click(card, "esc.acknowledge", user="U0TARO")

    assert refused_status == "assigned"
    assert ephemeral_replies(slack) == ["Only the assignee or the lead can acknowledge ESC-1."]
    assert escalation(db).status == "investigating"


def test_a_select_with_nobody_picked_is_refused_politely(slack: SlackDriver, db: Database) -> None:
    card = file_via_modal(slack)
    before = watch(slack, card)

    block_action(
        slack,
        card,
        {"type": "users_select", "action_id": "esc.reassign", "block_id": "esc:1"},
        user="U0HANAKO",
    )

    assert ephemeral_replies(slack) == ["cre-bot could not read that request. Nothing was changed."]
    assert escalation(db).assignee_id == "U0HANAKO"
    assert_unchanged(slack, card, before)
