"""The request driver builds payloads shaped like Slack's published samples."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.workspace.driver import (
    SlackDriver,
    TrackingExecutor,
    element_action,
    find_element,
    state_values,
)
from bot.workspace.webapi import Message, RunningServer, SlackStandIn
from tests.support.slack import sample


def _keys(value: Any, prefix: str = "") -> set[str]:
    """Dotted key paths of a JSON object (list items share the path of the list)."""
    keys: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            keys.add(path)
            keys |= _keys(inner, path)
    elif isinstance(value, list):
        for inner in value:
            keys |= _keys(inner, prefix)
    return keys


class _Capture:
    """A WSGI app that records what it was sent."""

    def __init__(self) -> None:
        self.bodies: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.bodies.append(environ["wsgi.input"].read().decode())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b""]


@pytest.fixture
def capture(standin: SlackStandIn, slack_server: RunningServer) -> tuple[SlackDriver, _Capture]:
    app = _Capture()
    return SlackDriver(
        wsgi=app,
        executor=TrackingExecutor(),
        standin=standin,
        server=slack_server,
        signing_secret="s",
    ), app


def _payload(app: _Capture) -> dict[str, Any]:
    return json.loads(dict(parse_qsl(app.bodies[-1]))["payload"])


def _message() -> Message:
    blocks = [
        {
            "type": "actions",
            "block_id": "esc:1",
            "elements": [
                {
                    "type": "button",
                    "action_id": "esc.claim",
                    "value": "1",
                    "text": {"type": "plain_text", "text": "Claim"},
                }
            ],
        }
    ]
    return Message(ts="1.000100", channel="C0ESCALATE", user="UCREBOT", text="x", blocks=blocks)


def test_slash_command_fields_are_slacks(capture: tuple[SlackDriver, _Capture]) -> None:
    driver, app = capture
    driver.command("/cre", "queue", user="U0CS", channel="C0SUPPORT")
    sent = set(dict(parse_qsl(app.bodies[-1])))
    assert sent <= set(sample("app-backend/slash-commands/SlashCommandPayload.json"))


@pytest.mark.parametrize(
    ("action", "sample_path"),
    [
        ("click", "app-backend/interactive-components/BlockActionPayload.json"),
        ("shortcut", "app-backend/interactive-components/MessageShortcutPayload.json"),
        ("submit", "app-backend/views/ViewSubmissionPayload.json"),
    ],
)
def test_interaction_payload_keys_are_slacks(
    capture: tuple[SlackDriver, _Capture], action: str, sample_path: str
) -> None:
    driver, app = capture
    if action == "click":
        driver.click(_message(), "esc.claim", user="U0HANAKO")
    elif action == "shortcut":
        driver.message_shortcut(_message(), user="U0CS")
    else:
        view = {
            "type": "modal",
            "callback_id": "escalate",
            "blocks": [
                {
                    "type": "input",
                    "block_id": "summary",
                    "element": {"type": "plain_text_input", "action_id": "value"},
                    "label": {"type": "plain_text", "text": "S"},
                }
            ],
        }
        driver.submit(view, {"summary": "hello"}, user="U0CS")
    sent = _keys(_payload(app))
    expected = _keys(sample(sample_path))
    # Blocks and state values are free-form in the samples; everything else must be a key Slack sends.
    ours = {
        k
        for k in sent
        if not k.startswith(("message.blocks", "view.blocks", "view.state.values", "actions."))
    }
    assert ours <= expected, sorted(ours - expected)


def test_event_envelope_keys_are_slacks(capture: tuple[SlackDriver, _Capture]) -> None:
    driver, app = capture
    driver.event({"type": "app_home_opened", "user": "U0CS", "channel": "D0CS", "tab": "home"})
    sent = _keys(json.loads(app.bodies[-1]))
    assert sent <= _keys(sample("events/AppHomeOpenedPayload.json"))


def test_elements_become_slack_actions() -> None:
    blocks = [
        {
            "type": "actions",
            "block_id": "remind:7",
            "elements": [
                {
                    "type": "static_select",
                    "action_id": "remind.snooze",
                    "options": [{"text": {"type": "plain_text", "text": "1 day"}, "value": "7:1"}],
                },
                {"type": "datepicker", "action_id": "remind.snooze_until"},
            ],
        },
    ]
    element, block_id = find_element(blocks, "remind.snooze")
    assert (
        element_action(element, block_id, selected_value="7:1")["selected_option"]["value"] == "7:1"
    )
    with pytest.raises(LookupError):
        element_action(element, block_id, selected_value="nope")
    picker, _ = find_element(blocks, "remind.snooze_until")
    assert (
        element_action(picker, block_id, selected_date="2026-12-10")["selected_date"]
        == "2026-12-10"
    )
    with pytest.raises(LookupError):
        find_element(blocks, "missing")


def test_state_values_keep_initial_values_unless_filled() -> None:
    view = {
        "blocks": [
            {
                "type": "input",
                "block_id": "summary",
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "initial_value": "from the command",
                },
            },
            {
                "type": "input",
                "block_id": "priority",
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [
                        {"text": {"type": "plain_text", "text": "P1"}, "value": "P1"},
                        {"text": {"type": "plain_text", "text": "P2"}, "value": "P2"},
                    ],
                    "initial_option": {"text": {"type": "plain_text", "text": "P2"}, "value": "P2"},
                },
            },
        ]
    }
    state = state_values(view, {"priority": "P1"})
    assert state["summary"]["value"]["value"] == "from the command"
    assert state["priority"]["value"]["selected_option"]["value"] == "P1"


def test_a_drain_that_times_out_says_what_still_runs_and_where() -> None:
    executor = TrackingExecutor(1, urgent_workers=1)
    started, release = threading.Event(), threading.Event()

    def waits_for_release() -> None:
        started.set()
        release.wait()

    try:
        executor.submit(waits_for_release)
        executor.submit(print)  # behind it, in the normal lane's one thread
        assert started.wait(timeout=10)
        with pytest.raises(TimeoutError) as raised:
            executor.drain(timeout=0.05)
    finally:
        release.set()
        executor.drain()
        executor.shutdown()
    text = str(raised.value)
    assert "1 running, 1 queued" in text
    running, queued = text.splitlines()[1], text.splitlines()[-1]
    assert running.startswith("- running for ")
    assert running.endswith(
        " s on thread listener_0: " + f"{__name__}.{waits_for_release.__qualname__}"
    )
    assert "in waits_for_release\n" in text  # its stack, down to where it waits
    assert "release.wait()" in text
    assert "listener_pool.py" not in text  # the pool's own frames left out
    assert queued == "- queued: builtins.print"
