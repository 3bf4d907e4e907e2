"""Checks of Web API calls and Block Kit payloads against Slack's reference."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.workspace import checks


@pytest.fixture(autouse=True)
def _fresh_reference() -> Iterator[None]:
    checks.method_reference.cache_clear()
    checks.block_kit_limits.cache_clear()
    yield
    checks.method_reference.cache_clear()
    checks.block_kit_limits.cache_clear()


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def button(text: str = "Go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": "go", **extra}


def option(text: str = "One", value: str = "1") -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def section(text: str = "hello") -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def text_input(**extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "reason",
        "label": plain("Reason"),
        "element": {"type": "plain_text_input", "action_id": "reason", **extra},
    }


def modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain("Escalate"),
        "submit": plain("Send"),
        "blocks": blocks,
        **extra,
    }


# --- the reference and its vendored copies ------------------------------------------------------

# Six method files of the full reference (trimmed to the keys the checks read), vendored for tests.
REFERENCE_SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "slack" / "slack-api-ref"


def _committed_methods() -> dict[str, Any]:
    committed: dict[str, Any] = json.loads(checks.VENDORED_METHODS_FILE.read_text(encoding="utf-8"))
    return committed


def test_vendored_methods_equal_what_the_reference_gives() -> None:
    compact = checks.compact_methods_from_dir(REFERENCE_SAMPLE / "methods")
    assert len(compact) == 6
    committed = _committed_methods()
    assert compact == {name: committed[name] for name in compact}
    assert compact["users.info"]["bot_scopes"] == ["users:read"]
    assert compact["entity.presentDetails"]["bot_scopes"] == []  # its scope is the string "none"


def test_vendor_command_rebuilds_the_committed_copies(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE_SAMPLE, reference / "slack-api-ref")
    (reference / "block-kit-limits").mkdir()
    limits = checks.VENDORED_LIMITS_FILE.read_text(encoding="utf-8")
    (reference / "block-kit-limits" / "limits.json").write_text(limits, encoding="utf-8")
    out = tmp_path / "out"
    assert checks.main(["--vendor", "--shared", str(reference), "--out", str(out)]) == 0
    rebuilt = json.loads((out / checks.VENDORED_METHODS_FILE.name).read_text(encoding="utf-8"))
    committed = _committed_methods()
    assert rebuilt == {name: committed[name] for name in rebuilt}
    assert (out / checks.VENDORED_LIMITS_FILE.name).read_text(encoding="utf-8") == limits


def test_vendor_command_needs_an_explicit_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        checks.main(["--vendor", "--out", str(tmp_path)])
    assert exited.value.code == 2
    assert "--shared PATH" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        checks.main(["--vendor", "--shared", str(tmp_path / "nowhere"), "--out", str(tmp_path)])
    assert list(tmp_path.iterdir()) == []


def test_vendored_copy_covers_every_method_with_its_required_args() -> None:
    vendored = json.loads(checks.VENDORED_METHODS_FILE.read_text(encoding="utf-8"))
    assert len(vendored) > 300
    assert vendored["chat.postMessage"]["required"] == ["token", "channel"]
    assert vendored["users.info"]["json_input_supported"] is False


def test_env_var_points_the_checks_at_another_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compact = {"demo.method": {"required": ["token", "thing"], "args": ["thing", "token"]}}
    (tmp_path / "methods.json").write_text(json.dumps(compact), encoding="utf-8")
    monkeypatch.setenv(checks.METHODS_ENV, str(tmp_path / "methods.json"))

    assert checks.check_call("demo.method", {}, has_auth_header=True) == [
        "demo.method: missing thing"
    ]
    assert checks.check_call("chat.postMessage", {"channel": "C1"}, has_auth_header=True) == [
        "chat.postMessage: unknown method"
    ]


def test_the_vendored_copy_answers_like_the_full_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(checks.METHODS_ENV, str(checks.VENDORED_METHODS_FILE))
    monkeypatch.setenv(checks.LIMITS_ENV, str(checks.VENDORED_LIMITS_FILE))

    assert checks.check_call("chat.update", {"channel": "C1"}, has_auth_header=True) == [
        "chat.update: missing ts"
    ]
    assert checks.check_blocks([actions(button("x" * 76))], surface="message") == [
        "blocks[0].elements[0].text.text: 76 > 75"
    ]


# --- calls ------------------------------------------------------------------------------------------


def test_missing_required_argument_is_named() -> None:
    problems = checks.check_call("chat.postMessage", {"text": "hi"}, has_auth_header=True)
    assert problems == ["chat.postMessage: missing channel"]


def test_an_empty_string_counts_as_missing() -> None:
    problems = checks.check_call("users.info", {"user": ""}, has_auth_header=True)
    assert problems == ["users.info: missing user"]


def test_token_is_satisfied_by_the_header_or_the_argument() -> None:
    assert checks.check_call("auth.test", {}, has_auth_header=True) == []
    assert checks.check_call("auth.test", {"token": "xoxb-1"}, has_auth_header=False) == []
    assert checks.check_call("auth.test", {}, has_auth_header=False) == ["auth.test: missing token"]


def test_unknown_method() -> None:
    assert checks.check_call("chat.postMesage", {}, has_auth_header=True) == [
        "chat.postMesage: unknown method"
    ]


def test_json_body_to_a_method_that_only_takes_form_arguments() -> None:
    problems = checks.check_call("users.info", {"user": "U1"}, has_auth_header=True, json_body=True)
    assert problems == ["users.info: JSON body not supported (send form-encoded arguments)"]
    assert (
        checks.check_call(
            "chat.postMessage", {"channel": "C1"}, has_auth_header=True, json_body=True
        )
        == []
    )


# --- blocks -------------------------------------------------------------------------------------------


def test_a_realistic_message_and_modal_have_no_problems() -> None:
    blocks = [
        {"type": "header", "text": plain("New escalation")},
        {
            "type": "section",
            "block_id": "summary",
            "text": mrkdwn("*ESC-12* login fails"),
            "fields": [mrkdwn("*Age*\n3h"), mrkdwn("*SLO*\n8h")],
            "accessory": button("Open", url="https://example.com/esc/12"),
        },
        {
            "type": "context",
            "elements": [
                mrkdwn("by <@U1>"),
                {"type": "image", "image_url": "https://x/y.png", "alt_text": "avatar"},
            ],
        },
        actions(
            button("Take it", style="primary", value="esc-12"),
            {
                "type": "static_select",
                "action_id": "assign",
                "placeholder": plain("Assign"),
                "options": [option("Alice", "U1"), option("Bob", "U2")],
                "initial_option": option("Alice", "U1"),
            },
            {"type": "overflow", "action_id": "more", "options": [option("Snooze", "s")]},
            {"type": "datepicker", "action_id": "due", "initial_date": "2024-11-22"},
        ),
        {"type": "divider"},
        {
            "type": "image",
            "image_url": "https://x/chart.png",
            "alt_text": "chart",
            "title": plain("SLO"),
        },
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": []}]},
        {"type": "markdown", "text": "**bold**"},
    ]
    assert checks.check_blocks(blocks, surface="message") == []
    view = modal(
        [
            text_input(max_length=200, initial_value="because"),
            {
                "type": "input",
                "label": plain("Severity"),
                "optional": True,
                "element": {
                    "type": "radio_buttons",
                    "action_id": "sev",
                    "options": [{"text": mrkdwn("*high*"), "value": "high"}, option("low", "low")],
                },
            },
        ],
        private_metadata='{"esc": 12}',
        callback_id="escalate",
    )
    assert checks.check_view(view) == []
    assert checks.check_view({"type": "home", "blocks": blocks}) == []


def test_message_blocks_limit_is_50_and_view_blocks_100() -> None:
    assert checks.check_blocks([section()] * 50, surface="message") == []
    assert checks.check_blocks([section()] * 51, surface="message") == ["blocks: 51 items > 50"]
    assert checks.check_blocks([section()] * 100, surface="modal") == []
    assert checks.check_blocks([section()] * 101, surface="home") == ["blocks: 101 items > 100"]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (section("x" * 3001), "blocks[0].text.text: 3001 > 3000"),
        ({"type": "section", "text": plain("")}, "blocks[0].text.text: empty"),
        ({"type": "section", "fields": [mrkdwn("f")] * 11}, "blocks[0].fields: 11 items > 10"),
        (
            {"type": "section", "fields": [mrkdwn("x" * 2001)]},
            "blocks[0].fields[0].text: 2001 > 2000",
        ),
        ({"type": "section"}, "blocks[0]: section needs text or fields"),
        ({"type": "header", "text": plain("x" * 151)}, "blocks[0].text.text: 151 > 150"),
        ({"type": "header", "text": mrkdwn("hi")}, "blocks[0].text.type: must be plain_text"),
        ({"type": "context", "elements": [mrkdwn("c")] * 11}, "blocks[0].elements: 11 items > 10"),
        (actions(*[button()] * 26), "blocks[0].elements: 26 items > 25"),
        (actions(button("x" * 76)), "blocks[0].elements[0].text.text: 76 > 75"),
        (actions(button(value="v" * 2001)), "blocks[0].elements[0].value: 2001 > 2000"),
        (actions(button(url="u" * 3001)), "blocks[0].elements[0].url: 3001 > 3000"),
        (
            actions(button(style="blue")),
            "blocks[0].elements[0].style: must be primary or danger, not 'blue'",
        ),
        (actions(button(action_id="a" * 256)), "blocks[0].elements[0].action_id: 256 > 255"),
        (
            actions(button(), button()),
            "blocks[0].elements[1].action_id: duplicate 'go' in blocks[0]",
        ),
        (
            actions({"type": "static_select", "action_id": "s", "options": [option()] * 101}),
            "blocks[0].elements[0].options: 101 items > 100",
        ),
        (
            actions(
                {
                    "type": "static_select",
                    "action_id": "s",
                    "placeholder": plain("p" * 151),
                    "options": [option()],
                }
            ),
            "blocks[0].elements[0].placeholder.text: 151 > 150",
        ),
        (
            actions({"type": "static_select", "action_id": "s", "options": [option("x" * 76)]}),
            "blocks[0].elements[0].options[0].text.text: 76 > 75",
        ),
        (
            actions(
                {"type": "static_select", "action_id": "s", "options": [option(value="v" * 151)]}
            ),
            "blocks[0].elements[0].options[0].value: 151 > 150",
        ),
        (
            actions(
                {
                    "type": "static_select",
                    "action_id": "s",
                    "options": [{**option(), "description": plain("d" * 76)}],
                }
            ),
            "blocks[0].elements[0].options[0].description.text: 76 > 75",
        ),
        (
            actions(
                {
                    "type": "static_select",
                    "action_id": "s",
                    "options": [option()],
                    "initial_option": option("Two", "2"),
                }
            ),
            "blocks[0].elements[0].initial_option: '2' is not one of the options",
        ),
        (
            actions({"type": "overflow", "action_id": "o", "options": [option()] * 6}),
            "blocks[0].elements[0].options: 6 items > 5",
        ),
        (
            actions({"type": "overflow", "action_id": "o", "options": []}),
            "blocks[0].elements[0].options: 0 items < 1",
        ),
        (
            actions({"type": "checkboxes", "action_id": "c", "options": [option()] * 11}),
            "blocks[0].elements[0].options: 11 items > 10",
        ),
        (
            actions({"type": "radio_buttons", "action_id": "r", "options": [option()] * 11}),
            "blocks[0].elements[0].options: 11 items > 10",
        ),
        (
            actions({"type": "datepicker", "action_id": "d", "initial_date": "22/11/2024"}),
            "blocks[0].elements[0].initial_date: '22/11/2024' is not a valid date",
        ),
        (
            actions({"type": "calendar", "action_id": "x"}),
            "blocks[0].elements[0].type: unknown element type 'calendar'",
        ),
        (
            {"type": "image", "image_url": "https://x/y.png", "alt_text": "a" * 2001},
            "blocks[0].alt_text: 2001 > 2000",
        ),
        ({"type": "image", "alt_text": "a"}, "blocks[0]: needs image_url or slack_file"),
        ({"type": "divider", "block_id": "b" * 256}, "blocks[0].block_id: 256 > 255"),
        ({"type": "carousel"}, "blocks[0].type: unknown block type 'carousel'"),
        (text_input(max_length=3001), "blocks[0].element.max_length: 3001 not within 0..3000"),
        (
            text_input(max_length=10, initial_value="x" * 11),
            "blocks[0].element.initial_value: 11 > 10",
        ),
        (text_input(initial_value="x" * 3001), "blocks[0].element.initial_value: 3001 > 3000"),
        ({**text_input(), "label": plain("l" * 2001)}, "blocks[0].label.text: 2001 > 2000"),
        ({**text_input(), "hint": plain("h" * 2001)}, "blocks[0].hint.text: 2001 > 2000"),
        (
            {"type": "input", "label": plain("L"), "element": button()},
            "blocks[0].element.type: 'button' cannot be an input element",
        ),
    ],
)
def test_each_limit_is_reported_with_its_path(block: dict[str, Any], expected: str) -> None:
    problems = checks.check_blocks([block], surface="modal")
    assert expected in problems


def test_block_ids_must_be_unique_within_one_message() -> None:
    blocks = [{"type": "divider", "block_id": "a"}, section(), {**section(), "block_id": "a"}]
    assert checks.check_blocks(blocks, surface="message") == ["blocks[2].block_id: duplicate 'a'"]


def test_block_ids_may_repeat_across_messages() -> None:
    one = [{"type": "divider", "block_id": "a"}]
    assert checks.check_blocks(one, surface="message") == []
    assert checks.check_blocks(one, surface="message") == []


def test_blocks_arrive_as_a_json_string_when_form_encoded() -> None:
    encoded = json.dumps([actions(button("x" * 80))])
    assert checks.check_blocks(encoded, surface="message") == [
        "blocks[0].elements[0].text.text: 80 > 75"
    ]
    assert checks.check_blocks("[{", surface="message")[0].startswith("blocks: not valid JSON")


@given(length=st.integers(min_value=1, max_value=200))
def test_button_text_is_a_problem_exactly_beyond_75(length: int) -> None:
    problems = checks.check_blocks([actions(button("b" * length))], surface="message")
    assert bool(problems) == (length > 75)


# --- views and messages ---------------------------------------------------------------------------------


def test_modal_title_of_25_chars_is_a_problem() -> None:
    assert checks.check_view(modal([section()], title=plain("t" * 25))) == [
        "view.title.text: 25 > 24"
    ]
    assert checks.check_view(modal([section()], title=plain("t" * 24))) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"submit": plain("s" * 25)}, "view.submit.text: 25 > 24"),
        ({"close": plain("c" * 25)}, "view.close.text: 25 > 24"),
        ({"private_metadata": "m" * 3001}, "view.private_metadata: 3001 > 3000"),
        ({"callback_id": "c" * 256}, "view.callback_id: 256 > 255"),
        ({"title": None}, "view.title: missing"),
        ({"type": "dialog"}, "view.type: must be modal or home, not 'dialog'"),
        ({"blocks": []}, "view.blocks: 0 items < 1"),
    ],
)
def test_view_limits(extra: dict[str, Any], expected: str) -> None:
    assert expected in checks.check_view({**modal([section()]), **extra})


def test_a_modal_with_inputs_needs_a_submit_button() -> None:
    view = modal([text_input()])
    del view["submit"]
    assert checks.check_view(view) == [
        "view.submit: missing (a modal with input blocks needs a submit button)"
    ]


def test_view_paths_reach_into_blocks_and_accept_a_json_string() -> None:
    view = modal([text_input(max_length=5, initial_value="123456")])
    assert checks.check_view(json.dumps(view)) == ["view.blocks[0].element.initial_value: 6 > 5"]


def test_message_text_may_be_40000_chars_but_not_more() -> None:
    assert checks.check_message({"text": "x" * 40_000}) == []
    assert checks.check_message({"text": "x" * 40_001}) == ["text: 40001 > 40000"]


def test_message_checks_attachment_blocks_too() -> None:
    payload = {
        "text": "t",
        "attachments": [{"blocks": [{"type": "header", "text": plain("h" * 151)}]}],
    }
    assert checks.check_message(payload) == ["attachments[0].blocks[0].text.text: 151 > 150"]
