"""The Slack client's kept-alive connections, against the fake Web API over real loopback HTTP."""

from __future__ import annotations

import email.parser
import http.client
import io
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

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


class _Bytes:
    """A socket whose whole answer is `data` (what HTTPResponse reads through `makefile`)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, _mode: str) -> io.BytesIO:
        return io.BytesIO(self.data)


def _read(response_class: type[http.client.HTTPResponse], data: bytes, method: str) -> tuple:
    response = response_class(_Bytes(data), method=method)  # type: ignore[arg-type]
    response.begin()
    return (
        type(response.msg),
        list(response.msg.items()),
        [type(defect) for defect in response.msg.defects],
        response.status,
        response.reason,
        response.version,
        response.chunked,
        response.length,
        response.will_close,
        response.read(),
    )


ANSWERS = {
    "slack's json": b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
    b"Content-Length: 11\r\nX-Slack-Req-Id: abc:def\r\nVary: Accept-Encoding\r\n"
    b'Vary: Origin\r\nX-Empty:\r\nX-Spaced:   padded  \r\n\r\n{"ok":true}',
    "rate limited, then closed": b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
    b"Connection: close\r\nContent-Length: 0\r\n\r\n",
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "after 100 Continue": b"HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\n"
    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    "HTTP/1.0 without a length": b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nto the end",
    "no content": b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
    "folded header (email's parse)": b"HTTP/1.1 200 OK\r\nX-Long: one\r\n two\r\n"
    b"Content-Length: 0\r\n\r\n",
    "a line without a colon (email's parse)": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
    b"not a header\r\nX-After: lost\r\n\r\n",
    "a space before the colon (email's parse)": b"HTTP/1.1 200 OK\r\nX-Odd : 1\r\n"
    b"Content-Length: 0\r\n\r\n",
    "bare LF, latin-1": b"HTTP/1.1 200 OK\nX-Name: caf\xe9\nContent-Length: 1\n\nx",
}


@pytest.mark.parametrize("data", ANSWERS.values(), ids=ANSWERS.keys())
@pytest.mark.parametrize("method", ["POST", "HEAD"])
def test_the_lean_header_parse_reads_as_http_clients(data: bytes, method: str) -> None:
    assert _read(slack_http._LeanResponse, data, method) == _read(
        http.client.HTTPResponse, data, method
    )


def test_slack_calls_skip_email_parser_and_nothing_else_in_the_process_does(
    slack_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []  # by this thread (the stand-in's own threads parse the requests)
    parse = email.parser.Parser.parsestr
    this_thread = threading.get_ident()

    def counted(self: email.parser.Parser, text: str, headersonly: bool = False) -> Any:
        if threading.get_ident() == this_thread:
            parsed.append(text)
        return parse(self, text, headersonly)

    monkeypatch.setattr(email.parser.Parser, "parsestr", counted)
    client = make_web_client("xoxb-test", base_url=slack_server.base_url)
    assert client.auth_test()["ok"]
    slack_server.standin.fail("users.info", status=429, retry_after=3)
    client.retry_handlers = []
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U0ALICE")
    assert raised.value.response.headers["Retry-After"] == "3"
    assert parsed == []  # the Slack answers' headers never went through email.parser

    where = urlsplit(slack_server.url)
    other = http.client.HTTPConnection(where.hostname or "", where.port)
    other.request("POST", "/api/auth.test", b"", {"Authorization": "Bearer xoxb-test"})
    assert other.getresponse().read()
    other.close()
    assert len(parsed) == 1  # another library's http.client connection: as before


CONTENT_TYPES = [
    None,
    "",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    "TEXT/Plain ;charset=utf-8;",
    "application/gzip",
    "weird",
    "a/b/c; charset=x",
    "application/json; charset",
    "application/json; charset=",
    "application/json; Charset = Shift_JIS ",
    "application/json; foo=bar; charset=utf-8; charset=latin-1",
    "text/plain; =utf-8",
    'text/plain; charset="utf-8"',
    "text/plain; charset*=utf-8''x",
    "text/plain; charset=<utf-8>",
    "text/plain; charset=\u00fctf-8",
]


@pytest.mark.parametrize("value", CONTENT_TYPES)
def test_the_content_type_reads_as_emails(value: str | None) -> None:
    message = http.client.HTTPMessage()
    if value is not None:
        message.set_raw("Content-Type", value)
    expected = (message.get_content_type(), message.get_content_charset())
    assert slack_http._content_type(message) == expected
