"""Drive the real app over Socket Mode: the same requests as over HTTP, sent as envelopes.

`SocketModeDriver` is the HTTP driver with one change: instead of a signed POST to the WSGI front,
each request goes to the app as a Socket Mode envelope through the WebSocket stand-in, and its ack
(with any payload, e.g. a modal's field errors) comes back as the response. So every flow helper
and test written against HTTP runs over Socket Mode unchanged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.app import create_app
from bot.runtime import Runtime
from bot.socket_mode import SocketModeService
from bot.web import SlackWsgiApp
from bot.workspace.driver import Response, SlackDriver, TrackingExecutor
from bot.workspace.socket_mode import ACK_DEADLINE, SocketModeStandIn, envelope_of
from bot.workspace.webapi import RunningServer, SlackStandIn

APP_TOKEN = "xapp-1-A0CREBOT-1-test"


class SocketModeDriver(SlackDriver):
    """Plays Slack's side over Socket Mode: requests become envelopes, acks become responses."""

    def __init__(self, *, socket: SocketModeStandIn, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.socket = socket

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        drain: bool = True,
        **_http_only: Any,  # signatures, paths and methods mean nothing on the socket
    ) -> Response:
        """Send one request as an envelope and wait for its ack."""
        envelope_type, payload, answered = envelope_of(body, content_type)
        envelope = self.socket.send(envelope_type, payload, accepts_response_payload=answered)
        self.socket.wait_for_ack(envelope, timeout=ACK_DEADLINE * 3)
        if drain:
            self.executor.drain()
        if envelope.ack_seconds is None:
            return Response(status=0, body="", headers={}, seconds=float("inf"))
        ack = envelope.ack_payload
        return Response(
            status=200,
            body=json.dumps(ack) if ack else "",
            headers={"content-type": "application/json"} if ack else {},
            seconds=envelope.ack_seconds,
        )


@contextmanager
def socket_mode_app(
    runtime: Runtime,
    *,
    standin: SlackStandIn,
    server: RunningServer,
    executor: TrackingExecutor,
    signing_secret: str,
    linger: float = 5.0,
) -> Iterator[SocketModeDriver]:
    """The real app connected in Socket Mode to a WebSocket stand-in, with a driver playing Slack."""
    socket = SocketModeStandIn(linger=linger, clock=time.monotonic).start()
    standin.socket_mode_urls = socket.connection_url
    service = SocketModeService(
        app=create_app(runtime, listener_executor=executor),
        app_token=APP_TOKEN,
        api_url=server.base_url,
    )
    try:
        service.start()
        assert socket.wait_for_connections(1), "the app never connected"
        yield SocketModeDriver(
            socket=socket,
            wsgi=SlackWsgiApp(
                app=None,
                db=runtime.db,
                signing_secret=None,
                health_checks={"socket_mode": service.healthy},
            ),
            executor=executor,
            standin=standin,
            server=server,
            signing_secret=signing_secret,
        )
    finally:
        executor.drain()
        service.close()
        socket.stop()
        assert socket.problems == [], socket.problems
