"""Resolve: a modal asking for the cause, a note and the answer; the filer is told in the thread."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot import lifecycle
from bot.db import Database
from bot.lifecycle import Role, Verb
from tests.support.flows import (
    assert_acked,
    assert_unchanged,
    assert_updated_in_place_once,
    card_actions,
    card_field,
    card_texts,
    ephemeral_replies,
    escalation,
    event_kinds,
    file_via_modal,
    opened_view,
    record_requests,
    resolve_via_modal,
    thread_lines,
    watch,
)
from tests.support.slack import SlackDriver

ANSWER = "The reset link expired after one minute; it lasts an hour now. Please ask them to retry."


def _input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_resolve_opens_the_resolution_modal(slack: SlackDriver) -> None:
    card = file_via_modal(slack)  # assigned to U0HANAKO
    requests = record_requests(slack)

    response = slack.click(card, "esc.resolve", user="U0HANAKO")

    assert_acked(response)
    calls = slack.standin.calls_to("views.open")
    assert calls[-1].args["trigger_id"] == requests.last_body()["trigger_id"]
    view, _ = opened_view(slack)
    assert view["callback_id"] == "resolve"
    assert view["title"]["text"] == "Resolve ESC-1"
    assert json.loads(view["private_metadata"]) == {"escalation_id": 1}
    causes = [o["value"] for o in _input(view, "cause")["element"]["options"]]
    assert causes[:3] == ["bug", "spec", "user-operation"]
    assert _input(view, "answer").get("optional") is not True
    assert _input(view, "note")["optional"] is True


def test_submitting_resolves_updates_the_card_and_tells_the_filer(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack, user="U0CS")
    slack.click(card, "esc.resolve", user="U0HANAKO")
    view, view_id = opened_view(slack)
    before = watch(slack, card)

    response = slack.submit(
        view,
        {"cause": "bug", "note": "TTL was 60 s.", "answer": ANSWER},
        user="U0HANAKO",
        view_id=view_id,
    )

    assert_acked(response)  # closes the modal
    row = escalation(db)
    assert row.status == "resolved"
    assert (row.resolved_by, row.resolution_cause) == ("U0HANAKO", "bug")
    assert (row.resolution_note, row.resolution_answer) == ("TTL was 60 s.", ANSWER)
    assert row.resolved_at is not None
    line = assert_updated_in_place_once(slack, card, before)
    assert line.startswith(
        ":white_check_mark: <@U0CS> ESC-1 was resolved by <@U0HANAKO> (cause: Bug)."
    )
    assert line.endswith(f"*Answer for CS:*\n>{ANSWER}")
    assert card_field(card, "Status") == ":white_check_mark: Resolved"
    assert "*Cause:* Bug" in card_texts(card)
    assert card_actions(card) == ["esc.reopen"]
    assert event_kinds(db)[-1] == "resolved"
    assert "TTL was 60 s." not in str(card.blocks)  # the note is internal


def test_a_multi_line_answer_is_quoted_line_by_line(slack: SlackDriver) -> None:
    card = file_via_modal(slack)

    resolve_via_modal(slack, card, user="U0HANAKO", answer="First line.\nSecond line.")

    assert thread_lines(slack, card)[-1].endswith("*Answer for CS:*\n>First line.\n>Second line.")


def test_the_lead_may_resolve(slack: SlackDriver, db: Database) -> None:
    card = file_via_modal(slack)

    assert_acked(resolve_via_modal(slack, card, user="U0LEAD"))

    assert (escalation(db).status, escalation(db).resolved_by) == ("resolved", "U0LEAD")


def test_letting_the_filer_resolve_is_one_line_of_the_lifecycle_table(
    slack: SlackDriver, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule's `who=` is the only change: the button opens the modal and the submission resolves."""
    resolve = lifecycle.VERBS[Verb.RESOLVE]
    filer_too = frozenset({Role.ASSIGNEE, Role.LEAD, Role.FILER})
    monkeypatch.setitem(lifecycle.VERBS, Verb.RESOLVE, replace(resolve, who=filer_too))
    card = file_via_modal(slack, user="U0CS")

    assert_acked(resolve_via_modal(slack, card, user="U0CS"))

    assert ephemeral_replies(slack) == []
    assert (escalation(db).status, escalation(db).resolved_by) == ("resolved", "U0CS")


@pytest.mark.parametrize("user", ["U0TARO", "U0CS"])
def test_resolve_by_someone_else_is_refused_and_opens_nothing(
    slack: SlackDriver, db: Database, user: str
) -> None:
    card = file_via_modal(slack)
    opened = len(slack.standin.calls_to("views.open"))
    before = watch(slack, card)

    response = slack.click(card, "esc.resolve", user=user)

    assert_acked(response)
    assert ephemeral_replies(slack) == ["Only the assignee or the lead can resolve ESC-1."]
    assert len(slack.standin.calls_to("views.open")) == opened
    assert escalation(db).status == "assigned"
    assert_unchanged(slack, card, before)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"cause": "bug", "answer": ""}, {"answer": "This is required."}),
        ({"cause": "bug", "answer": "   "}, {"answer": "This is required."}),
        ({"cause": "nope", "answer": "x"}, {"cause": "Choose one of the options."}),
        ({"cause": None, "answer": "x"}, {"cause": "Choose one of the options."}),
        (
            {"cause": "bug", "answer": "x", "note": "n" * 3001},
            {"note": "At most 3000 characters (this is 3001)."},
        ),
        (
            {"cause": "bug", "answer": "Fixed\x00", "note": "token\x1f"},
            {
                "answer": "This text contains an invisible control character (U+0000) that "
                "cannot be saved; please remove it (retyping the text is the surest way).",
                "note": "This text contains an invisible control character (U+001F) that "
                "cannot be saved; please remove it (retyping the text is the surest way).",
            },
        ),
    ],
)
def test_a_bad_resolution_is_reported_in_the_modal_and_changes_nothing(
    slack: SlackDriver, db: Database, values: dict[str, str | None], errors: dict[str, str]
) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.resolve", user="U0HANAKO")
    view, view_id = opened_view(slack)
    before = watch(slack, card)

    response = slack.submit(view, values, user="U0HANAKO", view_id=view_id)

    assert response.status == 200
    assert response.json() == {"response_action": "errors", "errors": errors}
    assert escalation(db).status == "assigned"
    assert_unchanged(slack, card, before)


def test_the_resolution_submitted_twice_resolves_once(slack: SlackDriver, db: Database) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.resolve", user="U0HANAKO")
    view, view_id = opened_view(slack)
    values: dict[str, str | None] = {"cause": "bug", "answer": ANSWER}

    assert_acked(slack.submit(view, values, user="U0HANAKO", view_id=view_id))
    before = watch(slack, card)
    assert_acked(slack.submit(view, values, user="U0HANAKO", view_id=view_id))

    assert event_kinds(db).count("resolved") == 1
    assert_unchanged(slack, card, before)


def test_a_modal_submitted_by_someone_no_longer_allowed_is_refused_by_dm(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.resolve", user="U0HANAKO")
    view, view_id = opened_view(slack)
    slack.click(card, "esc.reassign", user="U0HANAKO", selected_user="U0TARO")
    before = watch(slack, card)

    response = slack.submit(
        view, {"cause": "bug", "answer": ANSWER}, user="U0HANAKO", view_id=view_id
    )

    assert_acked(response)
    assert escalation(db).status == "assigned"
    assert_unchanged(slack, card, before)
    # A modal has no response_url: the refusal arrives as a DM.
    assert [m.text for m in slack.standin.dms("U0HANAKO")][1:] == [  # after her assignment DM
        "Only the assignee or the lead can resolve ESC-1."
    ]
