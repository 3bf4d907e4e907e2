"""The Slack Web API stand-in, driven through the real slack_sdk clients over loopback HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from bot.workspace.webapi import RESPONSE_URL, UPLOAD, RunningServer, SlackStandIn

START = 1_732_233_600.0  # 2024-11-22 00:00 UTC
TS = re.compile(r"^\d{10}\.\d{6}$")


class SteppingClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock(START)


@pytest.fixture
def standin(clock: SteppingClock) -> SlackStandIn:
    workspace = SlackStandIn(clock=clock)
    workspace.add_user("U0ALICE", "alice", real_name="Alice Sato", is_admin=True)
    workspace.add_user("U0BOB", "bob", tz="America/Los_Angeles", locale="en-US")
    workspace.add_channel("C0ESC", "escalations")
    return workspace


@pytest.fixture
def server(standin: SlackStandIn) -> Iterator[RunningServer]:
    with standin.serve() as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> WebClient:
    return WebClient(base_url=server.base_url, token="xoxb-test")


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def blocks_with(element: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "actions", "elements": [element]}]


# --- the server ---------------------------------------------------------------------------------


def test_base_url_is_loopback_with_a_trailing_slash(server: RunningServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/", server.base_url)
    assert server.response_url("abc") == f"{server.url}/response/abc"


def test_auth_test_answers_with_the_bot_identity(client: WebClient, standin: SlackStandIn) -> None:
    answer = client.auth_test()
    assert (answer["user_id"], answer["team_id"], answer["bot_id"]) == (
        "UCREBOT",
        "T0CREBOT",
        "BCREBOT",
    )
    [call] = standin.calls_to("auth.test")
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    assert (call.status, call.at) == (200, START)
    assert isinstance(call.response, dict)
    assert call.response["user_id"] == "UCREBOT"


def test_handle_works_without_http(standin: SlackStandIn) -> None:
    status, headers, body = standin.handle("auth.test", {}, {"Authorization": "Bearer xoxb-1"})
    assert (status, json.loads(body)["ok"]) == (200, True)
    assert headers["Content-Type"].startswith("application/json")


# --- messages -------------------------------------------------------------------------------------


def test_post_update_and_thread(client: WebClient, standin: SlackStandIn) -> None:
    posted = client.chat_postMessage(
        channel="C0ESC",
        text="ESC-1 login fails",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*ESC-1*"}}],
    )
    assert posted["channel"] == "C0ESC"
    assert TS.match(posted["ts"])
    assert posted["message"]["text"] == "ESC-1 login fails"
    assert posted["message"]["bot_id"] == "BCREBOT"

    reply = client.chat_postMessage(channel="C0ESC", text="taking it", thread_ts=posted["ts"])
    assert reply["ts"] > posted["ts"]
    updated = client.chat_update(channel="C0ESC", ts=posted["ts"], text="ESC-1 (assigned)")
    assert updated["message"]["edited"]["user"] == "UCREBOT"

    [parent, answer] = standin.thread("C0ESC", posted["ts"])
    assert (parent.text, parent.updated_count, parent.blocks[0]["type"]) == (
        "ESC-1 (assigned)",
        1,
        "section",
    )
    assert (answer.text, answer.thread_ts) == ("taking it", posted["ts"])
    replies = client.conversations_replies(channel="C0ESC", ts=posted["ts"])["messages"]
    assert [m["text"] for m in replies] == ["ESC-1 (assigned)", "taking it"]
    assert replies[0]["reply_count"] == 1
    history = client.conversations_history(channel="C0ESC")["messages"]
    assert [m["ts"] for m in history] == [posted["ts"]]  # replies stay in their thread


def test_a_reply_to_a_reply_joins_the_parent_thread(
    client: WebClient, standin: SlackStandIn
) -> None:
    parent = client.chat_postMessage(channel="C0ESC", text="p")["ts"]
    first = client.chat_postMessage(channel="C0ESC", text="r1", thread_ts=parent)["ts"]
    client.chat_postMessage(channel="C0ESC", text="r2", thread_ts=first)
    assert [m.text for m in standin.thread("C0ESC", parent)] == ["p", "r1", "r2"]


def test_ts_are_unique_and_increasing_from_the_clock(
    client: WebClient, clock: SteppingClock
) -> None:
    first = client.chat_postMessage(channel="C0ESC", text="1")["ts"]
    second = client.chat_postMessage(channel="C0ESC", text="2")["ts"]
    clock.now = START + 60
    third = client.chat_postMessage(channel="C0ESC", text="3")["ts"]
    clock.now = START  # a clock stepping back still never repeats a ts
    fourth = client.chat_postMessage(channel="C0ESC", text="4")["ts"]
    assert (first, second, third, fourth) == (
        "1732233600.000100",
        "1732233600.000200",
        "1732233660.000100",
        "1732233660.000200",
    )


def test_update_of_an_unknown_ts_is_message_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel="C0ESC", ts="1.000100", text="x")
    assert raised.value.response["error"] == "message_not_found"


def test_update_keeps_blocks_unless_told(client: WebClient, standin: SlackStandIn) -> None:
    blocks = [{"type": "divider"}]
    ts = client.chat_postMessage(channel="C0ESC", text="a", blocks=blocks)["ts"]
    client.chat_update(channel="C0ESC", ts=ts, text="b")
    assert standin.channel_messages("C0ESC")[0].blocks == blocks
    client.chat_update(channel="C0ESC", ts=ts, text="c", blocks=[])
    assert standin.channel_messages("C0ESC")[0].blocks == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_without_text_or_blocks_is_no_text(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0ESC")
    assert raised.value.response["error"] == "no_text"


def test_permalink_and_delete(client: WebClient, standin: SlackStandIn) -> None:
    ts = client.chat_postMessage(channel="C0ESC", text="x")["ts"]
    link = client.chat_getPermalink(channel="C0ESC", message_ts=ts)["permalink"]
    assert link == f"https://crebot.slack.com/archives/C0ESC/p{ts.replace('.', '')}"
    client.chat_delete(channel="C0ESC", ts=ts)
    assert standin.channel_messages("C0ESC") == []
    with pytest.raises(SlackApiError) as raised:
        client.chat_getPermalink(channel="C0ESC", message_ts=ts)
    assert raised.value.response["error"] == "message_not_found"


def test_bot_cannot_edit_a_persons_message(client: WebClient, standin: SlackStandIn) -> None:
    typed = standin.add_message("C0ESC", user="U0ALICE", text="help please")
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel="C0ESC", ts=typed.ts, text="x")
    assert raised.value.response["error"] == "cant_update_message"


def test_ephemeral_messages_are_seen_by_one_user(client: WebClient, standin: SlackStandIn) -> None:
    answer = client.chat_postEphemeral(channel="C0ESC", user="U0ALICE", text="only you")
    assert TS.match(answer["message_ts"])
    assert [m.text for m in standin.channel_messages("C0ESC", visible_to="U0ALICE")] == ["only you"]
    assert standin.channel_messages("C0ESC", visible_to="U0BOB") == []


def test_reactions(client: WebClient, standin: SlackStandIn) -> None:
    ts = client.chat_postMessage(channel="C0ESC", text="x")["ts"]
    client.reactions_add(channel="C0ESC", timestamp=ts, name="eyes")
    assert standin.channel_messages("C0ESC")[0].reactions == {"eyes": ["UCREBOT"]}
    with pytest.raises(SlackApiError) as raised:
        client.reactions_add(channel="C0ESC", timestamp=ts, name="eyes")
    assert raised.value.response["error"] == "already_reacted"


# --- DMs and conversations -----------------------------------------------------------------------


def test_posting_to_a_user_id_lands_in_their_dm(client: WebClient, standin: SlackStandIn) -> None:
    answer = client.chat_postMessage(channel="U0ALICE", text="reminder")
    assert answer["channel"] == "D0ALICE"
    assert [m.text for m in standin.dms("U0ALICE")] == ["reminder"]
    with pytest.raises(SlackApiError) as raised:  # chat.update needs the D… id, as on Slack
        client.chat_update(channel="U0ALICE", ts=answer["ts"], text="x")
    assert raised.value.response["error"] == "channel_not_found"
    client.chat_update(channel=answer["channel"], ts=answer["ts"], text="edited")
    assert standin.dms("U0ALICE")[0].text == "edited"


def test_conversations_open_gives_the_same_dm(client: WebClient, standin: SlackStandIn) -> None:
    opened = client.conversations_open(users="U0BOB")
    assert opened["channel"]["id"] == "D0BOB"
    again = client.conversations_open(users=["U0BOB"], return_im=True)
    assert again["already_open"] is True
    assert again["channel"]["user"] == "U0BOB"
    client.chat_postMessage(channel=opened["channel"]["id"], text="hi bob")
    assert [m.text for m in standin.dms("U0BOB")] == ["hi bob"]
    assert client.conversations_info(channel="D0BOB")["channel"]["is_im"] is True


def test_conversations_info(client: WebClient) -> None:
    assert client.conversations_info(channel="C0ESC")["channel"]["name"] == "escalations"
    with pytest.raises(SlackApiError) as raised:
        client.conversations_info(channel="C0NOPE")
    assert raised.value.response["error"] == "channel_not_found"


# --- views --------------------------------------------------------------------------------------------


def modal(title: str = "Escalate", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "escalate",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "why",
                "label": {"type": "plain_text", "text": "Why"},
                "element": {"type": "plain_text_input", "action_id": "why"},
            }
        ],
        **extra,
    }


def test_views_open_update_push(client: WebClient, standin: SlackStandIn) -> None:
    opened = client.views_open(trigger_id="123.456.abc", view=modal())["view"]
    assert opened["id"].startswith("V")
    assert opened["callback_id"] == "escalate"
    assert standin.trigger_views["123.456.abc"] == opened["id"]

    updated = client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=modal("Escalate 2")
    )
    assert updated["view"]["id"] == opened["id"]
    assert updated["view"]["hash"] != opened["hash"]
    assert standin.views[opened["id"]]["title"]["text"] == "Escalate 2"
    with pytest.raises(SlackApiError) as raised:  # the stale hash loses the race
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("late"))
    assert raised.value.response["error"] == "hash_conflict"

    pushed = client.views_push(trigger_id="789.1.def", view=modal("Step 2"))["view"]
    assert pushed["id"] != opened["id"]


def test_views_open_needs_a_fresh_trigger(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("views.open", json={"view": modal()})
    assert raised.value.response["error"] == "invalid_arguments"
    assert "views.open: missing trigger_id" in standin.problems

    client.views_open(trigger_id="t-1", view=modal())
    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id="t-1", view=modal())
    assert raised.value.response["error"] == "exchanged_trigger_id"


def test_views_update_of_an_unknown_view_is_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.views_update(view_id="V404", view=modal())
    assert raised.value.response["error"] == "not_found"


def test_home_tab_per_user(client: WebClient, standin: SlackStandIn) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Queue: 3"}}],
    }
    first = client.views_publish(user_id="U0ALICE", view=home)["view"]
    client.views_publish(user_id="U0BOB", view={**home, "blocks": [{"type": "divider"}]})
    again = client.views_publish(user_id="U0ALICE", view=home)["view"]
    assert again["id"] == first["id"]
    assert standin.home["U0ALICE"]["blocks"][0]["text"]["text"] == "Queue: 3"
    assert standin.home["U0BOB"]["blocks"] == [{"type": "divider"}]
    with pytest.raises(SlackApiError) as raised:
        client.views_publish(user_id="U0ALICE", view=modal())
    assert raised.value.response["error"] == "invalid_arguments"


# --- users and groups -------------------------------------------------------------------------------


def test_users_info(client: WebClient) -> None:
    alice = client.users_info(user="U0ALICE")["user"]
    assert (alice["real_name"], alice["tz"], alice["tz_offset"], alice["is_admin"]) == (
        "Alice Sato",
        "Asia/Tokyo",
        9 * 3600,
        True,
    )
    assert "locale" not in alice  # Slack sends it only when asked
    assert client.users_info(user="U0BOB", include_locale=True)["user"]["locale"] == "en-US"
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U0NOBODY")
    assert raised.value.response["error"] == "user_not_found"


def test_users_list_pages_with_cursors(client: WebClient) -> None:
    seen, cursor = [], None
    for _ in range(10):
        page = client.users_list(limit=1, cursor=cursor)
        seen += [member["id"] for member in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == ["UCREBOT", "U0ALICE", "U0BOB"]


def test_usergroups(client: WebClient, standin: SlackStandIn) -> None:
    group = standin.add_usergroup("cre-oncall", ["U0ALICE", "U0BOB"])
    listed = client.usergroups_list(include_users=True)["usergroups"]
    assert [(g["handle"], g["users"]) for g in listed] == [("cre-oncall", ["U0ALICE", "U0BOB"])]
    assert "users" not in client.usergroups_list()["usergroups"][0]
    assert client.usergroups_users_list(usergroup=group["id"])["users"] == ["U0ALICE", "U0BOB"]
    with pytest.raises(SlackApiError) as raised:
        client.usergroups_users_list(usergroup="S404")
    assert raised.value.response["error"] == "no_such_subteam"


# --- files --------------------------------------------------------------------------------------------


def test_files_upload_v2_three_steps_with_real_bytes(
    client: WebClient, standin: SlackStandIn
) -> None:
    parent = client.chat_postMessage(channel="C0ESC", text="digest")["ts"]
    payload = "月,件数\n2024-11,42\n".encode()
    answer = client.files_upload_v2(
        channel="C0ESC",
        thread_ts=parent,
        content=payload,
        filename="digest.csv",
        title="November digest",
        initial_comment="here is the digest",
    )
    assert answer["file"]["title"] == "November digest"
    [uploaded] = standin.files
    assert (uploaded.name, uploaded.content, uploaded.channel, uploaded.thread_ts) == (
        "digest.csv",
        payload,
        "C0ESC",
        parent,
    )
    assert uploaded.initial_comment == "here is the digest"
    [_, shared] = standin.thread("C0ESC", parent)
    assert (shared.text, shared.files[0]["id"]) == ("here is the digest", uploaded.id)
    assert [c.method for c in standin.calls[-3:]] == [
        "files.getUploadURLExternal",
        UPLOAD,
        "files.completeUploadExternal",
    ]
    with urllib.request.urlopen(answer["file"]["url_private"], timeout=5) as download:  # noqa: S310
        assert download.read() == payload


def test_completing_an_upload_that_never_happened_is_file_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.files_completeUploadExternal(
            files=[{"id": "F404", "title": "x"}], channel_id="C0ESC"
        )
    assert raised.value.response["error"] == "file_not_found"


# --- auth, parsing and other methods ------------------------------------------------------------------


def test_missing_or_bad_token(server: RunningServer, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=server.base_url).auth_test()
    assert raised.value.response["error"] == "not_authed"
    assert "auth.test: missing token" in standin.problems
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=server.base_url, token="bogus").auth_test()
    assert raised.value.response["error"] == "invalid_auth"


def test_form_encoded_token_and_query_string_are_accepted(server: RunningServer) -> None:
    form = urlencode({"token": "xoxb-form", "user": "U0ALICE"}).encode()
    status, _, body = raw_post(
        f"{server.base_url}users.info", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (status, json.loads(body)["user"]["name"]) == (200, "alice")
    query = urlencode({"token": "xoxb-q", "user": "U0BOB"})
    with urllib.request.urlopen(f"{server.base_url}users.info?{query}", timeout=5) as response:  # noqa: S310
        assert json.loads(response.read())["user"]["name"] == "bob"


def test_a_token_inside_a_json_body_is_not_auth(server: RunningServer) -> None:
    body = json.dumps({"token": "xoxb-json", "channel": "C0ESC", "text": "x"}).encode()
    _, _, answer = raw_post(
        f"{server.base_url}chat.postMessage", body, {"Content-Type": "application/json"}
    )
    assert json.loads(answer)["error"] == "not_authed"


def test_json_body_to_a_form_only_method_is_rejected(
    server: RunningServer, standin: SlackStandIn
) -> None:
    body = json.dumps({"user": "U0ALICE"}).encode()
    _, _, answer = raw_post(
        f"{server.base_url}users.info",
        body,
        {"Content-Type": "application/json", "Authorization": "Bearer xoxb-1"},
    )
    assert json.loads(answer)["error"] == "invalid_arguments"
    assert standin.problems == ["users.info: JSON body not supported (send form-encoded arguments)"]


def test_other_documented_methods_answer_ok_and_are_recorded(
    client: WebClient, standin: SlackStandIn
) -> None:
    assert (
        client.api_call("pins.add", params={"channel": "C0ESC", "timestamp": "1.2"})["ok"] is True
    )
    [call] = standin.calls_to("pins.add")
    assert call.args == {"channel": "C0ESC", "timestamp": "1.2"}


def test_unknown_method(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postMesage", json={"channel": "C0ESC", "text": "x"})
    assert raised.value.response["error"] == "unknown_method"
    assert standin.problems == ["chat.postMesage: unknown method"]


# --- reference checks through the API ----------------------------------------------------------------


def test_missing_required_argument_fails_the_call(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postMessage", json={"text": "x"})
    assert raised.value.response["error"] == "invalid_arguments"
    assert standin.problems == ["chat.postMessage: missing channel"]
    assert standin.channel_messages("C0ESC") == []


def test_51_blocks_fail_as_invalid_blocks(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0ESC", text="x", blocks=[{"type": "divider"}] * 51)
    assert raised.value.response["error"] == "invalid_blocks"
    assert standin.problems == ["chat.postMessage: blocks: 51 items > 50"]


def test_a_76_char_button_fails_with_its_path(client: WebClient, standin: SlackStandIn) -> None:
    long_button = {
        "type": "button",
        "action_id": "b",
        "text": {"type": "plain_text", "text": "b" * 76},
    }
    with pytest.raises(SlackApiError):
        client.chat_update(channel="C0ESC", ts="1.1", text="x", blocks=blocks_with(long_button))
    assert standin.problems == ["chat.update: blocks[0].elements[0].text.text: 76 > 75"]
    messages = raised_messages(client, blocks_with(long_button))
    assert messages == ["[ERROR] blocks[0].elements[0].text.text: 76 > 75"]


def raised_messages(client: WebClient, blocks: list[dict[str, Any]]) -> list[str]:
    try:
        client.chat_postMessage(channel="C0ESC", text="x", blocks=blocks)
    except SlackApiError as error:
        return list(error.response["response_metadata"]["messages"])
    return []


def test_a_25_char_modal_title_fails(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id="t", view=modal("t" * 25))
    assert raised.value.response["error"] == "invalid_arguments"
    assert standin.problems == ["views.open: view.title.text: 25 > 24"]
    assert standin.views == {}


def test_duplicate_block_ids_fail(client: WebClient, standin: SlackStandIn) -> None:
    blocks = [{"type": "divider", "block_id": "same"}, {"type": "divider", "block_id": "same"}]
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0ESC", text="x", blocks=blocks)
    assert standin.problems == ["chat.postMessage: blocks[1].block_id: duplicate 'same'"]


def test_an_initial_value_longer_than_max_length_fails(
    client: WebClient, standin: SlackStandIn
) -> None:
    view = modal()
    view["blocks"][0]["element"] |= {"max_length": 10, "initial_value": "x" * 11}
    with pytest.raises(SlackApiError):
        client.views_open(trigger_id="t", view=view)
    assert standin.problems == ["views.open: view.blocks[0].element.initial_value: 11 > 10"]


def test_text_beyond_40000_chars_is_msg_too_long(client: WebClient, standin: SlackStandIn) -> None:
    client.chat_postMessage(channel="C0ESC", text="x" * 40_000)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0ESC", text="x" * 40_001)
    assert raised.value.response["error"] == "msg_too_long"
    assert standin.problems == ["chat.postMessage: text: 40001 > 40000"]


# --- scripted failures -----------------------------------------------------------------------------------


def test_429_with_retry_after_is_retried_and_recorded_twice(
    server: RunningServer, standin: SlackStandIn
) -> None:
    standin.fail("chat.postMessage", status=429, retry_after=0)
    client = WebClient(
        base_url=server.base_url,
        token="xoxb-test",
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    assert client.chat_postMessage(channel="C0ESC", text="x")["ok"] is True
    first, second = standin.calls_to("chat.postMessage")
    assert (first.status, first.response) == (429, {"ok": False, "error": "ratelimited"})
    assert second.status == 200
    assert len(standin.channel_messages("C0ESC")) == 1


def test_429_carries_retry_after(client: WebClient, standin: SlackStandIn) -> None:
    standin.fail("users.info", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U0ALICE")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"


def test_500_then_success_with_the_server_error_handler(
    server: RunningServer, standin: SlackStandIn
) -> None:
    standin.fail("views.publish", status=500)
    handler = ServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0)
    )
    client = WebClient(base_url=server.base_url, token="xoxb-test", retry_handlers=[handler])
    client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": [{"type": "divider"}]})
    assert [call.status for call in standin.calls_to("views.publish")] == [500, 200]
    assert standin.calls_to("views.publish")[0].response == "Internal Server Error"
    assert "U0ALICE" in standin.home


def test_ok_false_raises_and_is_consumed_in_order(client: WebClient, standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", error="channel_not_found")
    standin.fail("chat.postMessage", error="not_in_channel")
    errors = []
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel="C0ESC", text="x")
        errors.append(raised.value.response["error"])
    assert errors == ["channel_not_found", "not_in_channel"]
    assert client.chat_postMessage(channel="C0ESC", text="x")["ok"] is True
    assert client.auth_test()["ok"] is True  # other methods were never affected


def test_times_repeats_a_failure(client: WebClient, standin: SlackStandIn) -> None:
    standin.fail("users.info", status=503, times=2)
    statuses = []
    for _ in range(3):
        try:
            client.users_info(user="U0ALICE")
            statuses.append(200)
        except SlackApiError as error:
            statuses.append(error.response.status_code)
    assert statuses == [503, 503, 200]


def test_a_delay_beyond_the_client_timeout_raises(
    server: RunningServer, standin: SlackStandIn
) -> None:
    standin.fail("chat.postMessage", delay=30.0)
    impatient = WebClient(base_url=server.base_url, token="xoxb-test", retry_handlers=[])
    impatient.timeout = 0.3  # type: ignore[assignment]  # urllib takes float seconds
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        impatient.chat_postMessage(channel="C0ESC", text="slow")
    assert impatient.chat_postMessage(channel="C0ESC", text="fast")["ok"] is True


def test_fail_refuses_nonsense(standin: SlackStandIn) -> None:
    with pytest.raises(ValueError, match="not a Slack Web API method"):
        standin.fail("chat.postMesage", error="x")
    with pytest.raises(ValueError, match="needs a non-200 status"):
        standin.fail("chat.postMessage")


# --- response URLs ------------------------------------------------------------------------------------


def test_webhook_posts_are_recorded(server: RunningServer, standin: SlackStandIn) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*done*"}}]
    answer = WebhookClient(url=server.response_url("abc")).send(
        text="done", blocks=blocks, replace_original=True
    )
    assert (answer.status_code, answer.body) == (200, "ok")
    [(path, payload)] = standin.responses
    assert path == "/response/abc"
    assert payload == {"text": "done", "blocks": blocks, "replace_original": True}


def test_bad_response_url_payloads(server: RunningServer, standin: SlackStandIn) -> None:
    status, _, body = raw_post(
        server.response_url("abc"), b"{not json", {"Content-Type": "application/json"}
    )
    assert (status, body) == (400, b"invalid_payload")
    long_button = {
        "type": "button",
        "action_id": "b",
        "text": {"type": "plain_text", "text": "b" * 76},
    }
    answer = WebhookClient(url=server.response_url("abc")).send(
        text="x", blocks=blocks_with(long_button)
    )
    assert (answer.status_code, answer.body) == (400, "invalid_blocks")
    assert standin.problems == [
        f"{RESPONSE_URL} /response/abc: blocks[0].elements[0].text.text: 76 > 75"
    ]
    assert standin.responses == []


def test_bound_response_urls_change_what_users_see(
    server: RunningServer, standin: SlackStandIn, client: WebClient
) -> None:
    ts = client.chat_postMessage(channel="C0ESC", text="ESC-1 [Take it]")["ts"]
    standin.bind_response_url("r1", channel="C0ESC", user="U0ALICE", message_ts=ts)
    hook = WebhookClient(url=server.response_url("r1"))
    hook.send(text="ESC-1 taken by Alice", replace_original=True)
    hook.send(text="you took ESC-1")  # ephemeral by default
    [original, note] = standin.channel_messages("C0ESC")
    assert (original.text, original.updated_count) == ("ESC-1 taken by Alice", 1)
    assert (note.text, note.ephemeral_for) == ("you took ESC-1", "U0ALICE")
    hook.send_dict({"delete_original": True})
    assert [m.text for m in standin.channel_messages("C0ESC")] == ["you took ESC-1"]


def test_response_url_failures_can_be_scripted(
    server: RunningServer, standin: SlackStandIn
) -> None:
    standin.fail(RESPONSE_URL, status=404, error="expired_url")
    answer = WebhookClient(url=server.response_url("old")).send(text="late")
    assert (answer.status_code, answer.body) == (404, "expired_url")


# --- concurrency and Bolt -------------------------------------------------------------------------------


def test_concurrent_posts_get_unique_ts(server: RunningServer, standin: SlackStandIn) -> None:
    def post_ten(worker: int) -> None:
        client = WebClient(base_url=server.base_url, token="xoxb-test")
        for n in range(10):
            client.chat_postMessage(channel="C0ESC", text=f"{worker}-{n}")

    threads = [threading.Thread(target=post_ten, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    stamps = [message.ts for message in standin.channel_messages("C0ESC")]
    assert len(stamps) == len(set(stamps)) == 80
    assert stamps == sorted(stamps)
    assert len(standin.calls_to("chat.postMessage")) == 80


def signed_headers(secret: str, body: str) -> dict[str, str | Sequence[str]]:
    timestamp = str(int(time.time()))
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [timestamp],
        "x-slack-signature": [signature],
    }


def test_a_bolt_app_talks_to_the_stand_in(server: RunningServer, standin: SlackStandIn) -> None:
    app = App(
        client=WebClient(base_url=server.base_url, token="xoxb-test"),
        signing_secret="secret",
        process_before_response=True,
    )

    @app.command("/lookup")
    def lookup(ack: Any, respond: Any, say: Any, command: dict[str, Any]) -> None:
        ack()
        respond(text=f"looking up {command['text']}")
        say(text="lookup done")

    body = urlencode(
        {
            "command": "/lookup",
            "text": "u-1001",
            "user_id": "U0ALICE",
            "channel_id": "C0ESC",
            "team_id": "T0CREBOT",
            "trigger_id": "1.2.3",
            "response_url": server.response_url("cmd-1"),
        }
    )
    response = app.dispatch(BoltRequest(body=body, headers=signed_headers("secret", body)))
    assert response.status == 200
    assert standin.responses == [("/response/cmd-1", {"text": "looking up u-1001"})]
    assert [m.text for m in standin.channel_messages("C0ESC")] == ["lookup done"]
    assert standin.calls_to("auth.test")  # Bolt verified its token against the stand-in
    assert standin.problems == []


def _post_many(client: WebClient, clock: SteppingClock, count: int, **extra: Any) -> list[str]:
    stamps = []
    for number in range(count):
        clock.now += 1
        stamps.append(client.chat_postMessage(channel="C0ESC", text=f"m{number}", **extra)["ts"])
    return stamps


def test_history_pages_newest_first_a_hundred_at_a_time_by_default(
    client: WebClient, clock: SteppingClock
) -> None:
    stamps = _post_many(client, clock, 105)
    first = client.conversations_history(channel="C0ESC")
    assert [m["ts"] for m in first["messages"]] == stamps[::-1][:100]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel="C0ESC", cursor=cursor)
    assert [m["ts"] for m in second["messages"]] == stamps[::-1][100:]
    assert second["has_more"] is False
    assert second["response_metadata"]["next_cursor"] == ""


def test_history_pages_by_limit_within_oldest_and_latest_leaving_the_ends_out(
    client: WebClient, clock: SteppingClock
) -> None:
    stamps = _post_many(client, clock, 10)
    seen, cursor = [], ""
    while True:
        page = client.conversations_history(
            channel="C0ESC", oldest=stamps[2], latest=stamps[8], limit=2, cursor=cursor
        )
        assert len(page["messages"]) <= 2
        seen += [m["ts"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == stamps[3:8][::-1]
    inclusive = client.conversations_history(
        channel="C0ESC", oldest=stamps[2], latest=stamps[8], inclusive=True, limit=999
    )
    assert [m["ts"] for m in inclusive["messages"]] == stamps[2:9][::-1]


def test_history_and_replies_cap_the_limit_and_refuse_a_bad_cursor(
    client: WebClient, clock: SteppingClock, standin: SlackStandIn
) -> None:
    stamps = _post_many(client, clock, 20)
    assert len(client.conversations_history(channel="C0ESC", limit=5000)["messages"]) == 20
    standin.page_limit_cap = 15  # a commercially distributed app outside the Marketplace
    capped = client.conversations_history(channel="C0ESC", limit=200)
    assert [m["ts"] for m in capped["messages"]] == stamps[::-1][:15]
    replies = client.conversations_replies(channel="C0ESC", ts=stamps[0], limit=200)
    assert replies["has_more"] is False
    with pytest.raises(SlackApiError) as refused:
        client.conversations_history(channel="C0ESC", cursor="not a cursor")
    assert refused.value.response["error"] == "invalid_cursor"


def test_replies_page_oldest_first_with_the_parent_on_the_first_page(
    client: WebClient, clock: SteppingClock
) -> None:
    parent = client.chat_postMessage(channel="C0ESC", text="parent")["ts"]
    replies = _post_many(client, clock, 7, thread_ts=parent)
    pages, cursor = [], ""
    while True:
        page = client.conversations_replies(channel="C0ESC", ts=parent, limit=3, cursor=cursor)
        pages.append([m["ts"] for m in page["messages"]])
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert pages == [[parent, *replies[:2]], replies[2:5], replies[5:]]
    recent = client.conversations_replies(channel="C0ESC", ts=parent, oldest=replies[4])
    assert [m["ts"] for m in recent["messages"]] == [parent, *replies[5:]]
