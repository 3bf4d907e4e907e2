"""The Slack client's kept-alive connections, against the fake Web API over real loopback HTTP."""

from __future__ import annotations

import http.client
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.error import URLError

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot import slack_http
from bot.runtime import make_web_client, slack_retry_handlers
from bot.slack_http import KeptRespond
from bot.workspace.webapi import RunningServer, SlackStandIn


def test_many_calls_from_many_threads_reuse_a_connection_per_thread(
    slack_server: RunningServer, standin: SlackStandIn
) -> None:
    client = make_web_client("xoxb-test", base_url=slack_server.base_url)

    def post(number: int) -> bool:
        return bool(client.chat_postMessage(channel="C0ESCALATE", text=f"post {number}")["ok"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(post, range(60)))

    assert len(standin.channel_messages("C0ESCALATE")) == 60
    assert 1 <= slack_server.connections_accepted <= 4  # urllib opened one per call: 60


def test_each_client_of_the_thread_shares_its_connection(
    slack_server: RunningServer, standin: SlackStandIn
) -> None:
    for number in range(10):  # Bolt builds a client per request
        client = make_web_client("xoxb-test", base_url=slack_server.base_url)
        client.chat_postMessage(channel="C0ESCALATE", text=f"post {number}")
    assert slack_server.connections_accepted == 1


def test_429_is_retried_after_retry_after_and_5xx_as_before(
    slack_server: RunningServer, standin: SlackStandIn
) -> None:
    client = make_web_client("xoxb-test", base_url=slack_server.base_url)
    standin.fail("chat.update", status=429, retry_after=0)
    standin.fail("chat.update", status=503)
    posted = client.chat_postMessage(channel="C0ESCALATE", text="first")
    client.chat_update(channel="C0ESCALATE", ts=posted["ts"], text="second")
    assert [call.status for call in standin.calls_to("chat.update")] == [429, 503, 200]

    standin.fail("users.info", status=429, retry_after=7, times=10)
    no_retries = make_web_client("xoxb-test", base_url=slack_server.base_url)
    no_retries.retry_handlers = []
    with pytest.raises(SlackApiError) as raised:
        no_retries.users_info(user="U0ALICE")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"


def test_slack_errors_read_as_before(slack_server: RunningServer, standin: SlackStandIn) -> None:
    client = make_web_client("xoxb-test", base_url=slack_server.base_url)
    standin.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0ESCALATE", text="x")
    assert raised.value.response["error"] == "channel_not_found"
    assert raised.value.response.status_code == 200


def test_a_stopped_server_is_a_refused_connection_once_its_kept_connection_is_gone(
    standin: SlackStandIn,
) -> None:
    server = standin.serve()
    client = make_web_client("xoxb-test", base_url=server.base_url)
    client.retry_handlers = []
    client.auth_test()
    server.stop()
    with pytest.raises((URLError, ConnectionResetError, http.client.RemoteDisconnected)):
        client.auth_test()  # the kept connection was cut: never answered by a stopped server
    with pytest.raises(URLError) as raised:
        client.auth_test()
    assert isinstance(raised.value.reason, ConnectionRefusedError)


def test_a_timeout_reads_as_urllibs_and_is_retried_only_when_safe(
    slack_server: RunningServer, standin: SlackStandIn
) -> None:
    client = make_web_client("xoxb-test", base_url=slack_server.base_url)
    client.timeout = 0.3
    client.retry_handlers = slack_retry_handlers()
    for handler in client.retry_handlers:
        handler.interval_calculator = FixedValueRetryIntervalCalculator(0)
    standin.fail("chat.postMessage", delay=1.0)
    with pytest.raises((TimeoutError, socket.timeout)):
        client.chat_postMessage(channel="C0ESCALATE", text="slow")
    assert len(standin.calls_to("chat.postMessage")) <= 1  # a post is never retried blind

    posted = client.chat_postMessage(channel="C0ESCALATE", text="fast")
    standin.fail("chat.update", delay=1.0)
    client.chat_update(channel="C0ESCALATE", ts=posted["ts"], text="edited")  # idempotent: retried
    assert standin.channel_messages("C0ESCALATE")[-1].text == "edited"


def test_a_forked_process_never_reuses_its_parents_connection(
    slack_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_web_client("xoxb-test", base_url=slack_server.base_url)
    client.auth_test()
    client.auth_test()
    assert slack_server.connections_accepted == 1
    monkeypatch.setattr("os.getpid", lambda: -1)  # as in a gunicorn worker forked after the calls
    client.auth_test()
    assert slack_server.connections_accepted == 2


def test_a_connection_idle_too_long_is_not_reused(
    slack_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_web_client("xoxb-test", base_url=slack_server.base_url)
    client.auth_test()
    monkeypatch.setattr(slack_http, "IDLE_SECONDS", -1.0)  # every kept connection counts as stale
    client.auth_test()
    assert slack_server.connections_accepted == 2


def test_respond_answers_reuse_the_threads_connection_and_read_as_bolts(
    slack_server: RunningServer, standin: SlackStandIn
) -> None:
    for number in range(5):  # one respond() per request, as Bolt gives
        standin.bind_response_url(f"t{number}", channel="C0ESCALATE", user="U0CS")
        respond = KeptRespond(response_url=slack_server.response_url(f"t{number}"))
        answered = respond(text=f"answer {number}", response_type="ephemeral")
        assert (answered.status_code, answered.body) == (200, "ok")
    refused = KeptRespond(response_url=slack_server.response_url("t0"))({"text": ""})
    assert (refused.status_code, refused.body) == (400, "no_text")  # as Bolt's: not raised
    assert [payload["text"] for _path, payload in standin.responses] == [
        f"answer {number}" for number in range(5)
    ]
    assert slack_server.connections_accepted == 1
