"""Claim, Acknowledge, Waiting on CS, Resume and Reopen on the escalation's card.

Every test here runs with `strategy = "manual"`, so a new escalation waits in the queue for Claim.
"""

from __future__ import annotations

import pytest

from bot.db import Database
from bot.policy import Policy
from bot.workspace.webapi import Message
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
    policy_from,
    resolve_via_modal,
    thread_lines,
    wait_on_cs,
    watch,
)
from tests.support.slack import SlackDriver


@pytest.fixture
def policy(policy_text: str) -> Policy:
    return policy_from(policy_text, strategy="manual")


def _forged(action_id: str, escalation_id: int = 1) -> dict[str, str]:
    """A button press as Slack sends it, for a button the card no longer shows (stale card)."""
    return {
        "type": "button",
        "action_id": action_id,
        "block_id": f"esc:{escalation_id}",
        "value": str(escalation_id),
    }


def _claimed(slack: SlackDriver, *, by: str = "U0TARO") -> Message:
    card = file_via_modal(slack)
    assert_acked(slack.click(card, "esc.claim", user=by))
    return card


# -- filing into the queue ----------------------------------------------------------------------


def test_with_manual_assignment_a_new_escalation_waits_for_claim(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)

    assert card_field(card, "Status") == ":large_blue_circle: Open"
    assert card_field(card, "Assignee") == "Unassigned"
    assert card_actions(card) == ["esc.claim", "esc.reassign", "esc.resolve"]
    assert thread_lines(slack, card) == [
        ":raised_hand: In the queue: any engineer can press *Claim*."
    ]
    assert escalation(db).status == "open"


# -- Claim ----------------------------------------------------------------------------------------


def test_claim_takes_the_escalation_and_updates_the_card_in_place(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)
    before = watch(slack, card)

    response = slack.click(card, "esc.claim", user="U0TARO")

    assert_acked(response)
    row = escalation(db)
    assert (row.status, row.assignee_id) == ("assigned", "U0TARO")
    line = assert_updated_in_place_once(slack, card, before)
    assert line == "<@U0TARO> claimed this."
    assert card_field(card, "Assignee") == "<@U0TARO>"
    assert card_field(card, "Status") == ":bust_in_silhouette: Assigned"
    assert card_actions(card) == [
        "esc.acknowledge",
        "esc.wait_question",
        "esc.resolve",
        "esc.reassign",
    ]
    assert event_kinds(db) == ["filed", "unassigned", "claimed"]
    assert ephemeral_replies(slack) == []


def test_the_lead_may_claim(slack: SlackDriver, db: Database) -> None:
    _claimed(slack, by="U0LEAD")

    assert escalation(db).assignee_id == "U0LEAD"


@pytest.mark.parametrize("user", ["U0CS", "U0OTHER"])
def test_claim_by_someone_off_the_roster_is_refused_privately(
    slack: SlackDriver, db: Database, user: str
) -> None:
    card = file_via_modal(slack)
    before = watch(slack, card)

    response = slack.click(card, "esc.claim", user=user)

    assert_acked(response)
    assert ephemeral_replies(slack) == ["Only roster engineers can claim escalations."]
    assert escalation(db).status == "open"
    assert escalation(db).assignee_id is None
    assert_unchanged(slack, card, before)


def test_claim_on_a_stale_card_tells_who_has_it(slack: SlackDriver, db: Database) -> None:
    card = _claimed(slack, by="U0TARO")
    before = watch(slack, card)

    block_action(slack, card, _forged("esc.claim"), user="U0KENJI")

    [reply] = ephemeral_replies(slack)
    assert reply.startswith("ESC-1 was already claimed by ")
    assert "U0TARO" in reply
    assert escalation(db).assignee_id == "U0TARO"
    assert event_kinds(db).count("claimed") == 1
    assert_unchanged(slack, card, before)


def test_already_claimed_names_the_claimer_as_a_mention(slack: SlackDriver) -> None:
    card = _claimed(slack, by="U0TARO")

    block_action(slack, card, _forged("esc.claim"), user="U0KENJI")

    assert ephemeral_replies(slack) == ["ESC-1 was already claimed by <@U0TARO>."]


def test_claiming_again_by_the_same_engineer_changes_nothing(
    slack: SlackDriver, db: Database
) -> None:
    card = _claimed(slack, by="U0TARO")
    before = watch(slack, card)

    block_action(slack, card, _forged("esc.claim"), user="U0TARO")

    assert ephemeral_replies(slack) == []
    assert event_kinds(db).count("claimed") == 1
    assert_unchanged(slack, card, before)


# -- Acknowledge, Waiting on CS, Resume ---------------------------------------------------------


def test_acknowledge_starts_the_investigation(slack: SlackDriver, db: Database) -> None:
    card = _claimed(slack, by="U0TARO")
    before = watch(slack, card)

    assert_acked(slack.click(card, "esc.acknowledge", user="U0TARO"))

    assert escalation(db).status == "investigating"
    line = assert_updated_in_place_once(slack, card, before)
    assert line == ":mag: <@U0TARO> is investigating."
    assert card_field(card, "Status") == ":mag: Investigating"
    assert card_actions(card) == ["esc.wait_question", "esc.resolve", "esc.reassign"]


def test_waiting_on_cs_and_resume(slack: SlackDriver, db: Database) -> None:
    card = _claimed(slack, by="U0TARO")
    slack.click(card, "esc.acknowledge", user="U0TARO")

    before = watch(slack, card)
    assert_acked(wait_on_cs(slack, card, user="U0TARO"))
    waiting_line = assert_updated_in_place_once(slack, card, before)
    waiting_card = (card_field(card, "Status"), card_actions(card))

    before = watch(slack, card)
    assert_acked(slack.click(card, "esc.resume", user="U0TARO"))
    resumed_line = assert_updated_in_place_once(slack, card, before)

    assert waiting_line.startswith(":hourglass_flowing_sand: <@U0TARO> is waiting on CS")
    assert waiting_card == (
        ":hourglass_flowing_sand: Waiting on CS",
        ["esc.resume", "esc.resolve", "esc.reassign"],
    )
    assert resumed_line == ":arrow_forward: <@U0TARO> resumed the investigation."
    assert escalation(db).status == "investigating"
    assert card_field(card, "Status") == ":mag: Investigating"
    assert event_kinds(db)[-3:] == ["acknowledge", "wait", "resume"]


def test_waiting_straight_from_assigned(slack: SlackDriver, db: Database) -> None:
    card = _claimed(slack)

    wait_on_cs(slack, card, user="U0TARO")

    assert escalation(db).status == "waiting"


def test_the_lead_may_act_on_someone_elses_escalation(slack: SlackDriver, db: Database) -> None:
    card = _claimed(slack, by="U0TARO")
    before = watch(slack, card)

    slack.click(card, "esc.acknowledge", user="U0LEAD")

    assert escalation(db).status == "investigating"
    assert assert_updated_in_place_once(slack, card, before) == ":mag: <@U0LEAD> is investigating."


@pytest.mark.parametrize(
    ("action_id", "user", "refusal"),
    [
        ("esc.acknowledge", "U0KENJI", "Only the assignee or the lead can acknowledge ESC-1."),
        ("esc.acknowledge", "U0CS", "Only the assignee or the lead can acknowledge ESC-1."),
        (
            "esc.wait_question",
            "U0HANAKO",
            "Only the assignee or the lead can set ESC-1 to waiting.",
        ),
        ("esc.wait_question", "U0CS", "Only the assignee or the lead can set ESC-1 to waiting."),
    ],
)
def test_only_the_assignee_or_the_lead_may_change_the_status(
    slack: SlackDriver, db: Database, action_id: str, user: str, refusal: str
) -> None:
    card = _claimed(slack, by="U0TARO")
    before = watch(slack, card)

    response = slack.click(card, action_id, user=user)

    assert_acked(response)
    assert ephemeral_replies(slack) == [refusal]
    assert escalation(db).status == "assigned"
    assert_unchanged(slack, card, before)


def test_resume_by_someone_else_is_refused(slack: SlackDriver, db: Database) -> None:
    card = _claimed(slack, by="U0TARO")
    wait_on_cs(slack, card, user="U0TARO")
    before = watch(slack, card)

    slack.click(card, "esc.resume", user="U0KENJI")

    assert ephemeral_replies(slack) == ["Only the assignee or the lead can resume ESC-1."]
    assert escalation(db).status == "waiting"
    assert_unchanged(slack, card, before)


def test_a_button_for_another_status_is_refused_with_the_reason(
    slack: SlackDriver, db: Database
) -> None:
    card = _claimed(slack, by="U0TARO")
    before = watch(slack, card)

    block_action(slack, card, _forged("esc.resume"), user="U0TARO")

    assert ephemeral_replies(slack) == [
        "ESC-1 is assigned; only a waiting escalation can be resumed."
    ]
    assert escalation(db).status == "assigned"
    assert_unchanged(slack, card, before)


def test_acknowledge_on_an_unclaimed_escalation_is_refused(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)
    before = watch(slack, card)

    block_action(slack, card, _forged("esc.acknowledge"), user="U0LEAD")

    assert ephemeral_replies(slack) == [
        "ESC-1 is open; only an assigned escalation can be acknowledged."
    ]
    assert escalation(db).status == "open"
    assert_unchanged(slack, card, before)


def test_a_repeated_click_on_a_stale_button_changes_nothing(
    slack: SlackDriver, db: Database
) -> None:
    card = _claimed(slack, by="U0TARO")
    slack.click(card, "esc.acknowledge", user="U0TARO")
    before = watch(slack, card)

    block_action(slack, card, _forged("esc.acknowledge"), user="U0TARO")

    assert ephemeral_replies(slack) == []
    assert event_kinds(db).count("acknowledge") == 1
    assert_unchanged(slack, card, before)


# -- Reopen ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["U0TARO", "U0CS", "U0LEAD"])
def test_reopen_by_the_assignee_the_filer_or_the_lead(
    slack: SlackDriver, db: Database, user: str
) -> None:
    card = _claimed(slack, by="U0TARO")
    assert_acked(resolve_via_modal(slack, card, user="U0TARO"))
    assert card_actions(card) == ["esc.reopen"]
    before = watch(slack, card)

    assert_acked(slack.click(card, "esc.reopen", user=user))

    row = escalation(db)
    assert (row.status, row.assignee_id, row.resolved_at) == ("investigating", "U0TARO", None)
    line = assert_updated_in_place_once(slack, card, before)
    assert line == f":leftwards_arrow_with_hook: <@{user}> reopened this."
    assert card_field(card, "Status") == ":mag: Investigating"
    assert card_actions(card) == ["esc.wait_question", "esc.resolve", "esc.reassign"]


def test_reopen_by_anyone_else_is_refused(slack: SlackDriver, db: Database) -> None:
    card = _claimed(slack, by="U0TARO")
    resolve_via_modal(slack, card, user="U0TARO")
    before = watch(slack, card)

    slack.click(card, "esc.reopen", user="U0KENJI")

    assert ephemeral_replies(slack) == [
        "Only the assignee, the lead or the filer can reopen ESC-1."
    ]
    assert escalation(db).status == "resolved"
    assert_unchanged(slack, card, before)


def test_reopening_something_nobody_had_puts_it_back_in_the_queue(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)
    resolve_via_modal(slack, card, user="U0LEAD")  # the lead closes an unclaimed duplicate

    slack.click(card, "esc.reopen", user="U0CS")

    assert (escalation(db).status, escalation(db).assignee_id) == ("open", None)
    assert card_actions(card) == ["esc.claim", "esc.reassign", "esc.resolve"]


# -- the whole life ------------------------------------------------------------------------------


def test_a_whole_life_is_one_message_with_one_thread_line_per_change(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)
    steps = [
        ("esc.claim", "U0HANAKO", "assigned"),
        ("esc.acknowledge", "U0HANAKO", "investigating"),
        ("esc.wait_question", "U0HANAKO", "waiting"),
        ("esc.resume", "U0HANAKO", "investigating"),
    ]
    for action_id, user, status in steps:
        before = watch(slack, card)
        if action_id == "esc.wait_question":  # it asks the question for CS first
            assert_acked(wait_on_cs(slack, card, user=user))
        else:
            assert_acked(slack.click(card, action_id, user=user))
        assert_updated_in_place_once(slack, card, before)
        assert escalation(db).status == status
    before = watch(slack, card)
    assert_acked(resolve_via_modal(slack, card, user="U0HANAKO"))
    assert_updated_in_place_once(slack, card, before)
    before = watch(slack, card)
    assert_acked(slack.click(card, "esc.reopen", user="U0CS"))
    assert_updated_in_place_once(slack, card, before)

    assert len(slack.channel("C0ESCALATE")) == 1
    assert len(thread_lines(slack, card)) == 1 + len(steps) + 2
    assert event_kinds(db) == [
        "filed",
        "unassigned",
        "claimed",
        "acknowledge",
        "wait",
        "resume",
        "resolved",
        "reopened",
    ]
    assert ephemeral_replies(slack) == []


def test_a_refused_transition_names_the_status_as_people_say_it(slack: SlackDriver) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.claim", user="U0HANAKO")
    slack.click(card, "esc.acknowledge", user="U0HANAKO")
    wait_on_cs(slack, card, user="U0HANAKO")

    block_action(slack, card, _forged("esc.acknowledge"), user="U0HANAKO")

    assert ephemeral_replies(slack)[-1] == (
        "ESC-1 is waiting on CS; only an assigned escalation can be acknowledged."
    )
