"""The Bolt app factory: a request acked at once answers that ack, whatever its listener does."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.app import create_app
from bot.runtime import Runtime
from tests.conftest import SIGNING_SECRET
from tests.support.slack import TrackingExecutor


@pytest.mark.parametrize("mode", ["http", "socket_mode"])
def test_a_click_whose_listener_fails_after_the_ack_still_answers_the_ack(
    runtime: Runtime, mode: str
) -> None:
    executor = TrackingExecutor()
    app = create_app(runtime, listener_executor=executor)
    release = threading.Event()

    @app.action("test.fails_late")
    def fails_late() -> None:
        release.wait(10)
        raise RuntimeError("the listener failed after the ack")

    payload = {
        "type": "block_actions",
        "team": {"id": "T0CREBOT"},
        "user": {"id": "U0LEAD"},
        "api_app_id": "ACREBOT",
        "trigger_id": "trigger-late",
        "actions": [{"type": "button", "action_id": "test.fails_late", "block_id": "b"}],
    }
    if mode == "http":
        body = urlencode({"payload": json.dumps(payload)})
        stamp = str(int(time.time()))
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp, body=body)
        headers = {"x-slack-request-timestamp": stamp, "x-slack-signature": str(signature)}
        request = BoltRequest(body=body, headers=headers)  # type: ignore[arg-type]
    else:
        request = BoltRequest(body=payload, mode="socket_mode")

    response = app.dispatch(request)
    release.set()  # the listener fails while the front may still be reading the response
    executor.drain()
    executor.shutdown(wait=True)

    assert (response.status, response.body) == (200, "")
