"""Bad input at every entry gets a clear ephemeral or a 4xx: never a 500, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import BoltRequest

from bot.app import create_app
from bot.db import Database
from bot.runtime import Runtime
from bot.workspace.webapi import Message
from tests.support.flows import (
    DEFAULT_VALUES,
    RequestLog,
    assert_acked,
    assert_unchanged,
    block_action,
    ephemeral_replies,
    escalation,
    escalation_count,
    file_via_modal,
    opened_view,
    record_requests,
    watch,
)
from tests.support.slack import APP_ID, TEAM_ID, SlackDriver, overlay, sample

UNSUPPORTED = "That button is no longer supported. Please use the latest message."
UNREADABLE = "cre-bot could not read that request. Nothing was changed."
GENERIC = "Sorry, something went wrong. Nothing was changed; please try again."


@pytest.fixture
def requests(slack: SlackDriver) -> Iterator[RequestLog]:
    """Every request of the test; none may be answered with a 5xx or a traceback."""
    log = record_requests(slack)
    yield log
    assert log.server_errors() == []


@pytest.fixture
def card(slack: SlackDriver, requests: RequestLog) -> Message:
    """ESC-1, assigned to U0HANAKO."""
    return file_via_modal(slack)


def _view_payload(view: dict[str, Any], *, user: str = "U0CS") -> dict[str, Any]:
    """A view_submission payload carrying exactly `view` (state and all), as a forger would send."""
    base = sample("app-backend/views/ViewSubmissionPayload.json")
    payload = overlay(
        {k: v for k, v in base.items() if k not in ("enterprise", "view")},
        {
            "team": {"id": TEAM_ID, "domain": "crebot"},
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "trigger_id": "trigger-forged",
            "is_enterprise_install": False,
        },
    )
    for key in ("function_data", "interactivity", "bot_access_token"):
        payload.pop(key, None)
    payload["view"] = view
    return payload


# -- actions --------------------------------------------------------------------------------------


def test_an_unknown_action_id_gets_a_polite_ephemeral(
    slack: SlackDriver, db: Database, card: Message
) -> None:
    before = watch(slack, card)

    response = block_action(
        slack,
        card,
        {"type": "button", "action_id": "nope.x", "block_id": "esc:1", "value": "1"},
        user="U0HANAKO",
    )

    assert_acked(response)
    assert ephemeral_replies(slack) == [UNSUPPORTED]
    assert escalation(db).status == "assigned"
    assert_unchanged(slack, card, before)


@pytest.mark.parametrize(
    ("value", "block_id"),
    [
        ("abc", "nope"),
        ("1; DROP TABLE escalation", "x"),
        ("", ""),
        ("-1", "esc:-1"),
        ("1.5", "esc:1.5"),
        ("9" * 30, "esc:" + "9" * 30),
    ],
)
def test_a_button_whose_value_is_not_an_escalation_id_is_refused_politely(
    slack: SlackDriver, db: Database, card: Message, value: str, block_id: str
) -> None:
    before = watch(slack, card)

    response = block_action(
        slack,
        card,
        {"type": "button", "action_id": "esc.acknowledge", "block_id": block_id, "value": value},
        user="U0HANAKO",
    )

    assert_acked(response)
    assert ephemeral_replies(slack) == [UNREADABLE]
    assert escalation(db).status == "assigned"
    assert_unchanged(slack, card, before)


def test_a_button_for_an_escalation_that_does_not_exist(
    slack: SlackDriver, db: Database, card: Message
) -> None:
    response = block_action(
        slack,
        card,
        {"type": "button", "action_id": "esc.claim", "block_id": "esc:999", "value": "999"},
        user="U0HANAKO",
    )

    assert_acked(response)
    assert ephemeral_replies(slack) == ["There is no escalation ESC-999."]
    assert escalation_count(db) == 1


@pytest.mark.parametrize("actions", [[{}], [{"action_id": "esc.claim"}], [{"value": "1"}]])
def test_an_action_missing_its_ids_is_refused_politely(
    slack: SlackDriver, db: Database, card: Message, actions: list[dict[str, Any]]
) -> None:
    before = watch(slack, card)
    payload = slack.block_actions_payload(
        card, {"type": "button", "action_id": "x", "value": "1"}, user="U0HANAKO"
    )
    payload["actions"] = actions

    response = slack.post_payload(payload)

    assert response.status == 200
    [reply] = ephemeral_replies(slack)
    assert reply in (UNREADABLE, GENERIC)
    assert escalation(db).status == "assigned"
    assert_unchanged(slack, card, before)


@pytest.mark.parametrize("actions", [[], "not a list", ["a string"], None])
def test_block_actions_without_a_usable_action_list_is_a_4xx(
    slack: SlackDriver, card: Message, actions: Any
) -> None:
    payload = slack.block_actions_payload(
        card, {"type": "button", "action_id": "x", "value": "1"}, user="U0HANAKO"
    )
    payload["actions"] = actions

    response = slack.post_payload(payload)

    assert 200 <= response.status < 500


@pytest.mark.parametrize("actions", ["not a list", ["a string"], [None], [["nested"]], []])
def test_a_malformed_action_list_is_refused_before_any_listener_also_in_socket_mode(
    slack: SlackDriver, db: Database, runtime: Runtime, card: Message, actions: Any
) -> None:
    """In Socket Mode no WSGI front checks the body: the app itself refuses what is not Slack's."""
    before = watch(slack, card)
    payload = slack.block_actions_payload(
        card, {"type": "button", "action_id": "esc.claim", "value": "1"}, user="U0HANAKO"
    )
    payload["actions"] = actions
    app = create_app(runtime, listener_executor=slack.executor)

    response = app.dispatch(BoltRequest(body=payload, mode="socket_mode"))
    slack.executor.drain()

    assert response.status == 400
    assert ephemeral_replies(slack) == []
    assert escalation(db).status == "assigned"
    assert_unchanged(slack, card, before)


@pytest.mark.parametrize("view", ["a string", ["a", "list"], 42])
def test_a_refused_click_with_an_odd_view_field_still_gets_its_reply(
    slack: SlackDriver, db: Database, card: Message, view: Any
) -> None:
    """The error handler names the request for the log without assuming the body's shape."""
    payload = slack.block_actions_payload(
        card, {"type": "button", "action_id": "esc.claim", "value": "not an id"}, user="U0HANAKO"
    )
    payload["view"] = view

    response = slack.post_payload(payload)

    assert response.status == 200
    assert ephemeral_replies(slack) == [UNREADABLE]
    assert escalation(db).status == "assigned"


# -- modals -----------------------------------------------------------------------------------------


def test_an_unknown_view_callback_id_is_acked_and_files_nothing(
    slack: SlackDriver, db: Database, requests: RequestLog
) -> None:
    slack.command("/escalate", "x")
    view, view_id = opened_view(slack)

    response = slack.submit(
        {**view, "callback_id": "nope"}, dict(DEFAULT_VALUES), user="U0CS", view_id=view_id
    )

    assert_acked(response)  # closes the modal: Slack shows no connection error
    assert escalation_count(db) == 0


@pytest.mark.parametrize(
    "state",
    [
        None,
        "garbage",
        {"values": "garbage"},
        {"values": {"summary": "not a dict"}},
        {"values": {"summary": {"value": 42}}},
        {"values": {"summary": {"value": {"value": ["a", "list"]}}}},
        {"values": {"product": {"value": {"selected_option": "album"}}}},
        {"values": {"product": {"value": {"selected_option": {"value": {"x": 1}}}}}},
        {"values": {"end_user_id": {"value": {"value": "u-1" * 2000}}}},
    ],
)
def test_garbage_modal_state_gets_field_errors_never_a_500(
    slack: SlackDriver, db: Database, requests: RequestLog, state: Any
) -> None:
    slack.command("/escalate", "x")
    view, view_id = opened_view(slack)

    response = slack.post_payload(_view_payload({**view, "id": view_id, "state": state}))

    assert response.status == 200
    answer = response.json()
    if answer is None:  # closed; the filer is told privately (a modal has no response_url)
        assert len(slack.standin.dms("U0CS")) == 1
    else:
        assert answer["response_action"] == "errors"
        assert answer["errors"]
    assert escalation_count(db) == 0


@pytest.mark.parametrize("metadata", ["not json", "[1, 2]", '{"src": "C0SUPPORT"}', '{"src": [1]}'])
def test_garbage_private_metadata_is_ignored_and_the_escalation_filed(
    slack: SlackDriver, db: Database, requests: RequestLog, metadata: str
) -> None:
    slack.command("/escalate", "Login fails")
    view, view_id = opened_view(slack)

    response = slack.submit(
        {**view, "private_metadata": metadata}, dict(DEFAULT_VALUES), user="U0CS", view_id=view_id
    )

    assert_acked(response)
    assert escalation_count(db) == 1
    assert escalation(db).source_channel_id is None


@pytest.mark.parametrize(
    ("metadata", "told"),
    [
        ("not json", UNREADABLE),
        ('{"escalation_id": "1"}', UNREADABLE),
        ('{"escalation_id": 999}', "There is no escalation ESC-999."),
    ],
)
def test_a_resolution_modal_with_garbage_metadata_changes_nothing(
    slack: SlackDriver, db: Database, card: Message, metadata: str, told: str
) -> None:
    slack.click(card, "esc.resolve", user="U0HANAKO")
    view, view_id = opened_view(slack)
    before = watch(slack, card)

    response = slack.submit(
        {**view, "private_metadata": metadata},
        {"cause": "bug", "answer": "fixed"},
        user="U0HANAKO",
        view_id=view_id,
    )

    assert_acked(response)
    assert escalation(db).status == "assigned"
    assert_unchanged(slack, card, before)
    # (after the DM telling her the escalation is hers)
    assert [m.text for m in slack.standin.dms("U0HANAKO") if "is yours" not in m.text] == [told]


# -- shortcuts, commands, events ----------------------------------------------------------------


def test_an_unknown_message_shortcut_gets_a_polite_ephemeral(
    slack: SlackDriver, db: Database, requests: RequestLog
) -> None:
    message = slack.standin.add_message("C0SUPPORT", user="U0CS", text="hello")

    response = slack.message_shortcut(message, user="U0CS", callback_id="nope")

    assert_acked(response)
    assert ephemeral_replies(slack) == [UNSUPPORTED]
    assert slack.standin.calls_to("views.open") == []


def test_a_shortcut_on_a_message_without_text_opens_an_empty_modal(
    slack: SlackDriver, requests: RequestLog
) -> None:
    message = slack.standin.add_message("C0SUPPORT", user="U0CS", text="")

    assert_acked(slack.message_shortcut(message, user="U0CS"))

    view, _ = opened_view(slack)
    summary = next(b for b in view["blocks"] if b["block_id"] == "summary")
    assert "initial_value" not in summary["element"]


def test_a_command_the_app_does_not_have_is_a_4xx(slack: SlackDriver, requests: RequestLog) -> None:
    response = slack.command("/nope", "x")

    assert 400 <= response.status < 500


@pytest.mark.parametrize("text", ["\u0000", "   ", "ESC-1 " * 1000, "🙂" * 50, "show\tESC-1"])
def test_odd_command_text_gets_a_reply_not_an_error(
    slack: SlackDriver, requests: RequestLog, text: str
) -> None:
    response = slack.command("/cre", text)

    assert_acked(response)
    assert len(ephemeral_replies(slack)) == 1


def test_an_event_without_a_user_publishes_nothing(
    slack: SlackDriver, requests: RequestLog
) -> None:
    response = slack.event({"type": "app_home_opened", "tab": "home"})

    assert response.status == 200
    assert slack.standin.calls_to("views.publish") == []


def test_a_forged_event_id_that_is_not_a_string_is_still_answered(
    slack: SlackDriver, requests: RequestLog
) -> None:
    envelope = {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event_id": 12345,
        "event": {"type": "app_home_opened", "user": "U0CS", "tab": "home"},
    }

    response = slack.post(json.dumps(envelope), content_type="application/json")

    assert response.status < 500
