"""manifest.yml creates an app with every command, shortcut, event and scope the code uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.workspace import checks
from bot.workspace.webapi import SlackStandIn
from tests.support.slack import SlackDriver

ROOT = Path(__file__).resolve().parents[1]
MANIFEST: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
CALL = re.compile(r"\bclient\.([a-z]+(?:_[A-Za-z0-9]+)+)\(")
FILE_UPLOAD_V2 = ("files.getUploadURLExternal", "files.completeUploadExternal")


def _methods_called_by_the_code() -> set[str]:
    methods: set[str] = set()
    for path in [
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("handlers/**/*.py"),
        *ROOT.glob("jobs/**/*.py"),
    ]:
        if "workspace" in path.parts:
            continue  # the stand-in and the shell are Slack's side, not the bot's
        for name in CALL.findall(path.read_text()):
            if name == "files_upload_v2":
                methods.update(FILE_UPLOAD_V2)
            else:
                methods.add(".".join(name.split("_")))
    # The outbox calls the client through prepared calls (getattr), so name those explicitly too.
    outbox = (ROOT / "bot" / "outbox.py").read_text()
    for name in re.findall(r'_SlackCall\(\s*"([a-z]+_[A-Za-z0-9_]+)"', outbox):
        methods.update(FILE_UPLOAD_V2 if name == "files_upload_v2" else {".".join(name.split("_"))})
    return methods


def test_the_code_calls_only_real_methods() -> None:
    reference = checks.method_reference()
    called = _methods_called_by_the_code()
    assert {"chat.postMessage", "chat.update", "views.open", "views.publish"} <= called
    assert called <= set(reference), sorted(called - set(reference))


def test_bot_scopes_cover_every_method_the_code_calls() -> None:
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    reference = checks.method_reference()
    missing = {}
    for method in _methods_called_by_the_code():
        needed = reference[method].bot_scopes
        if needed and not (set(needed) & granted):
            missing[method] = needed
    assert missing == {}
    assert reference["chat.postMessage"].bot_scopes == ("chat:write",)


def test_requests_go_to_the_one_endpoint_the_app_serves() -> None:
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    urls += [
        MANIFEST["settings"]["interactivity"]["request_url"],
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
    ]
    assert all(url.endswith("/slack/events") for url in urls)
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_every_command_in_the_manifest_is_answered(slack: SlackDriver) -> None:
    for command in MANIFEST["features"]["slash_commands"]:
        response = slack.command(command["command"], "help", user="U0HANAKO")
        assert response.status == 200, command["command"]
    assert len(slack.standin.responses) + len(slack.standin.calls_to("views.open")) >= len(
        MANIFEST["features"]["slash_commands"]
    )


def test_every_shortcut_in_the_manifest_opens_its_modal(
    slack: SlackDriver, standin: SlackStandIn
) -> None:
    message = standin.add_message("C0SUPPORT", user="U0CS", text="The user can't log in")
    for shortcut in MANIFEST["features"]["shortcuts"]:
        before = len(standin.calls_to("views.open"))
        assert (
            slack.message_shortcut(message, user="U0CS", callback_id=shortcut["callback_id"]).status
            == 200
        )
        assert len(standin.calls_to("views.open")) == before + 1, shortcut["callback_id"]


def test_subscribed_events_have_listeners(slack: SlackDriver, standin: SlackStandIn) -> None:
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) == {"app_home_opened", "message.channels", "message.groups"}
    assert (
        slack.event(
            {"type": "app_home_opened", "user": "U0HANAKO", "channel": "D0HANAKO", "tab": "home"}
        ).status
        == 200
    )
    assert standin.home.get("U0HANAKO")
    # message.channels / message.groups both arrive as "message" events
    assert (
        slack.event(
            {
                "type": "message",
                "channel": "C0ESCALATE",
                "user": "U0HANAKO",
                "text": "hi",
                "ts": "1.000200",
                "thread_ts": "1.000100",
            }
        ).status
        == 200
    )


def test_only_cre_is_escaped_by_slack() -> None:
    """/cre names people (`/cre audit @Hanako Yamada` → `<@U…|Hanako Yamada>`); the others take
    free text (/escalate's summary) or an end user's id or address (/lookup), not Slack entities."""
    escaped = {c["command"]: c["should_escape"] for c in MANIFEST["features"]["slash_commands"]}
    assert escaped == {"/cre": True, "/escalate": False, "/lookup": False}
