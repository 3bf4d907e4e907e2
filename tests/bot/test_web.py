"""The WSGI front: signature first, 4xx for anything that is not Slack, `/healthz`, never a 500."""

from __future__ import annotations

import hmac
import io
import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from bot.app import UNFINISHED
from bot.blocks.ids import ViewId
from bot.db import Database
from bot.web import UNANSWERED
from tests.support.flows import (
    RequestLog,
    escalation_count,
    record_requests,
    wait_for,
)
from tests.support.slack import APP_ID, TEAM_ID, Response, SlackDriver

COMMAND = urlencode(
    {
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "channel_id": "C0SUPPORT",
        "user_id": "U0CS",
        "command": "/cre",
        "text": "help",
        "response_url": "http://127.0.0.1:9/response/none",
        "trigger_id": "trigger-web",
    }
)


@pytest.fixture
def requests(slack: SlackDriver) -> Iterator[RequestLog]:
    """Every request of the test; none may be answered with a 5xx or a traceback."""
    log = record_requests(slack)
    yield log
    assert log.server_errors() == []


def _refused(response: Response, status: int) -> None:
    assert response.status == status, (response.status, response.body)
    assert "Traceback" not in response.body


# -- signatures ------------------------------------------------------------------------------------


def test_an_unsigned_request_is_refused(
    slack: SlackDriver, requests: RequestLog, db: Database
) -> None:
    _refused(slack.post(COMMAND, sign=False), 401)

    assert slack.standin.responses == []
    assert slack.standin.calls == []


def test_a_wrong_signature_is_refused(slack: SlackDriver, requests: RequestLog) -> None:
    stamp = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + "0" * 64}

    _refused(slack.post(COMMAND, sign=False, headers=headers), 401)


def test_a_body_changed_after_signing_is_refused(slack: SlackDriver, requests: RequestLog) -> None:
    stamp = str(int(time.time()))
    signature = slack.verifier.generate_signature(timestamp=stamp, body=COMMAND)
    assert signature is not None
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    _refused(slack.post(COMMAND.replace("help", "away"), sign=False, headers=headers), 401)


def test_a_signature_from_another_secret_is_refused(
    slack: SlackDriver, requests: RequestLog
) -> None:
    from slack_sdk.signature import SignatureVerifier

    stamp = str(int(time.time()))
    signature = SignatureVerifier("another-secret").generate_signature(
        timestamp=stamp, body=COMMAND
    )
    assert signature is not None
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    _refused(slack.post(COMMAND, sign=False, headers=headers), 401)


@pytest.mark.parametrize("age", [6 * 60, 3600, -3600])
def test_a_stale_or_future_timestamp_is_refused_even_when_signed(
    slack: SlackDriver, requests: RequestLog, age: int
) -> None:
    _refused(slack.post(COMMAND, timestamp=int(time.time()) - age), 401)


def test_a_signed_command_is_accepted(slack: SlackDriver, requests: RequestLog) -> None:
    response = slack.command("/cre", "help")

    assert response.status == 200
    assert len(slack.standin.responses) == 1


def test_a_signed_garbage_event_does_nothing(
    slack: SlackDriver, requests: RequestLog, db: Database
) -> None:
    _refused(slack.post("not a slack request", content_type="text/plain"), 400)

    assert escalation_count(db) == 0


# -- bodies that are not Slack's --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", "application/x-www-form-urlencoded"),
        ("garbage=%%%&&&", "application/x-www-form-urlencoded"),
        ("just some words", "application/x-www-form-urlencoded"),
        ("payload=not-json", "application/x-www-form-urlencoded"),
        ("payload=%7B%22type%22", "application/x-www-form-urlencoded"),  # cut-off JSON
        ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),  # a JSON array
        ("payload=%22text%22", "application/x-www-form-urlencoded"),  # a JSON string
        ("payload=null", "application/x-www-form-urlencoded"),
        ("payload=%7B%7D", "application/x-www-form-urlencoded"),  # an empty object
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"a string"', "application/json"),
        ("42", "application/json"),
        ("null", "application/json"),
        ("{}", "application/json"),
        ("", "application/json"),
    ],
)
def test_a_signed_body_that_is_not_a_slack_request_is_a_400(
    slack: SlackDriver, requests: RequestLog, db: Database, body: str, content_type: str
) -> None:
    _refused(slack.post(body, content_type=content_type), 400)

    assert escalation_count(db) == 0
    assert slack.standin.calls_to("views.open") == []


@pytest.mark.parametrize(
    "missing", ["user_id", "team_id", "channel_id", "command", "response_url", "trigger_id"]
)
@pytest.mark.parametrize("command", ["/escalate", "/cre", "/lookup"])
def test_a_signed_command_missing_a_field_slack_always_sends_is_a_400(
    slack: SlackDriver, requests: RequestLog, db: Database, command: str, missing: str
) -> None:
    fields = slack.command_payload(command, "help", user="U0CS", channel="C0SUPPORT")
    del fields[missing]

    _refused(slack.post(urlencode(fields)), 400)

    assert slack.standin.calls == []
    assert slack.standin.responses == []
    assert escalation_count(db) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions", "actions": [{"action_id": "esc.claim", "value": "1"}]},
        {"type": "block_actions", "user": {"id": "U0CS"}},
        {"type": "block_actions", "user": {"id": "U0CS"}, "actions": "esc.claim"},
        {"type": "block_actions", "user": {"id": "U0CS"}, "actions": ["esc.claim"]},
        {"type": "view_submission", "user": {"id": "U0CS"}},
        {"type": "view_submission", "user": "U0CS", "view": {"id": "V1"}},
        {"type": "shortcut", "user": {"id": "U0CS"}, "callback_id": "escalate"},
        {"type": "message_action", "user": {"id": "U0CS"}, "callback_id": "escalate_message"},
        {"type": "event_callback", "event": "app_home_opened"},
        {"type": "url_verification"},
    ],
)
def test_a_signed_payload_missing_what_slack_always_sends_is_a_400(
    slack: SlackDriver, requests: RequestLog, payload: dict[str, object]
) -> None:
    body = json.dumps(payload)
    encoded = urlencode({"payload": body})

    _refused(slack.post(encoded), 400)

    assert slack.standin.calls == []
    assert slack.standin.responses == []


def test_a_body_that_is_not_utf8_is_a_400(slack: SlackDriver, requests: RequestLog) -> None:
    raw = b"payload=\xff\xfe\xfa"
    stamp = str(int(time.time()))
    digest = hmac.new(
        slack.verifier.signing_secret.encode(), b"v0:" + stamp.encode() + b":" + raw, "sha256"
    )
    signature = "v0=" + digest.hexdigest()
    environ = _environ(raw, {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})

    status, body = _call(slack, environ)

    assert status == 400
    assert "Traceback" not in body


def test_a_content_length_that_is_not_a_number_is_a_400(
    slack: SlackDriver, requests: RequestLog
) -> None:
    environ = _environ(b"x", {})
    environ["CONTENT_LENGTH"] = "lots"

    status, _ = _call(slack, environ)

    assert status == 400


def test_a_two_megabyte_body_is_refused_unread(slack: SlackDriver, requests: RequestLog) -> None:
    body = urlencode({"payload": json.dumps({"type": "block_actions", "pad": "x" * 2_000_000})})

    _refused(slack.post(body), 413)

    assert slack.standin.calls == []


# -- paths and methods -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD"])
def test_slack_events_only_takes_post(
    slack: SlackDriver, requests: RequestLog, method: str
) -> None:
    _refused(slack.post("", method=method, sign=False), 405)


@pytest.mark.parametrize("path", ["/", "/slack", "/slack/events/extra", "/admin", "/healthz/x"])
def test_an_unknown_path_is_a_404(slack: SlackDriver, requests: RequestLog, path: str) -> None:
    _refused(slack.post(COMMAND, path=path), 404)


def test_healthz_is_liveness_and_answers_json(slack: SlackDriver, requests: RequestLog) -> None:
    response = slack.post("", method="GET", path="/healthz", sign=False)

    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"ok": True}


def test_healthz_stays_up_when_the_database_is_down_and_readyz_says_so(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack.wsgi.db, "answer_within", lambda *_a, **_k: None)

    assert slack.post("", method="GET", path="/healthz", sign=False).status == 200
    response = slack.post("", method="GET", path="/readyz", sign=False)

    assert response.status == 503
    assert response.json() == {"ok": False, "database": "down"}


def test_healthz_refuses_post(slack: SlackDriver, requests: RequestLog) -> None:
    _refused(slack.post("", path="/healthz", sign=False), 405)


# -- Slack's own housekeeping ------------------------------------------------------------------


def test_url_verification_echoes_the_challenge(slack: SlackDriver, requests: RequestLog) -> None:
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})

    response = slack.post(body, content_type="application/json")

    assert response.status == 200
    assert "c-123" in response.body


def test_an_ssl_check_is_answered(slack: SlackDriver, requests: RequestLog) -> None:
    response = slack.post(urlencode({"ssl_check": "1", "token": "x"}))

    assert response.status == 200


# -- helpers ------------------------------------------------------------------------------------


def _environ(raw: bytes, headers: dict[str, str]) -> dict[str, object]:
    import io

    environ: dict[str, object] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(raw)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "wsgi.input": io.BytesIO(raw),
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def _call(slack: SlackDriver, environ: dict[str, object]) -> tuple[int, str]:
    captured: dict[str, int] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        captured["status"] = int(status.split()[0])

    body = b"".join(slack.wsgi(environ, start_response)).decode("utf-8", "replace")
    slack.executor.drain()
    return captured["status"], body


# -- a failure Bolt reports as a 500 ------------------------------------------------------------


def test_a_submission_failing_past_the_ack_wait_is_a_503_not_a_500(slack: SlackDriver) -> None:
    # A note modal not shaped like ours fails before its ack; Bolt makes a 500 response and calls
    # the error handler, whose message to the user hangs; Bolt's wait for the ack ends meanwhile.
    listeners = slack.wsgi.app._listeners  # type: ignore[attr-defined]
    for listener in listeners:
        listener.ack_timeout = 600  # Bolt waits until the test says
    slack.standin.fail("chat.postMessage", delay=600)
    answers: list[Response] = []
    forged = {"callback_id": ViewId.ADD_NOTE, "private_metadata": "{}", "blocks": []}
    submitting = threading.Thread(
        target=lambda: answers.append(slack.submit(forged, {}, user="U0CS", drain=False))
    )
    submitting.start()
    assert wait_for(lambda: slack.standin.scripted_left("chat.postMessage") == 0)
    for listener in listeners:
        listener.ack_timeout = 0  # the user is being told: Bolt's wait ends now
    submitting.join(timeout=30)
    slack.standin.wake_sleepers()
    slack.executor.drain()

    [answer] = answers
    assert (answer.status, answer.body) == (503, UNFINISHED)
    [told] = slack.standin.calls_to("chat.postMessage")
    assert told.args["channel"] == "U0CS"


class _CutShort(io.RawIOBase):
    """A request body whose client went away mid-send."""

    def read(self, size: int = -1) -> bytes:
        raise ConnectionResetError("peer went away")


def test_a_body_cut_short_is_a_400(slack: SlackDriver) -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_LENGTH": "100",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "wsgi.input": _CutShort(),
    }
    statuses: list[str] = []
    body = b"".join(slack.wsgi(environ, lambda status, _headers: statuses.append(status)))
    assert statuses == ["400 Bad Request"]
    assert body == b"Bad Request: the body could not be read"


def test_an_unexpected_failure_behind_a_path_is_a_503_with_a_reason(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("connection closed")

    monkeypatch.setattr(slack.wsgi.db, "answer_within", broken)  # type: ignore[attr-defined]
    response = slack.post("", method="GET", path="/readyz", sign=False)
    assert (response.status, response.body) == (503, UNANSWERED)
