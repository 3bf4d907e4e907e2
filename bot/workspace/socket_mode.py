"""A stand-in for Slack's Socket Mode side, a real WebSocket server on loopback (tests, benchmarks).

`apps.connections.open` on the Web API stand-in hands out a single-use URL from here. A connection to
it is greeted with `hello`; each envelope (a slash command, an interaction, an event) goes to the
newest connection that was greeted and not asked to refresh, and the app's acks are recorded with
the instant they arrived. `refresh()` does what Slack does every few hours: it sends `disconnect`
(reason `refresh_requested`) on the current connections, sends nothing more on them, and keeps them
open for `linger` seconds before closing them, so an app that waits for the old socket to go quiet
before reading the new one acks late.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})
ACK_DEADLINE = 3.0  # seconds Slack waits for an envelope's ack
# Interactions whose ack may carry a payload back to Slack (a modal's errors, options).
ANSWERED_TYPES = frozenset({"view_submission", "block_suggestion"})


@dataclass
class Envelope:
    """One envelope sent to the app, and its ack once it came."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    connection: int
    sent_at: float
    acked_at: float | None = None
    ack_payload: dict[str, Any] | None = None

    @property
    def ack_seconds(self) -> float | None:
        """How long the app took to ack it (None while it has not)."""
        return None if self.acked_at is None else self.acked_at - self.sent_at


@dataclass
class _Connection:
    number: int
    socket: ServerConnection
    opened_at: float
    refreshing: bool = False
    closed: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)


class SocketModeStandIn:
    """Slack's end of Socket Mode: URLs, hello, envelopes, acks and refreshes, all recorded."""

    def __init__(
        self,
        *,
        app_id: str = "ACREBOT",
        linger: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app_id = app_id
        self.linger = linger
        self.clock = clock
        self.envelopes: dict[str, Envelope] = {}
        self.problems: list[str] = []
        self._connections: list[_Connection] = []
        self._tickets: set[str] = set()
        self._changed = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._timers: list[threading.Timer] = []
        self.port = 0

    # -- serving ---------------------------------------------------------------------------------

    def start(self) -> SocketModeStandIn:
        """Listen on an ephemeral loopback port in a daemon thread."""
        # No keep-alive pings of its own and no compression: the connection carries only what a
        # test sends, and the clients under test need not negotiate anything.
        self._server = serve(
            self._handle, "127.0.0.1", 0, ping_interval=None, compression=None, close_timeout=1
        )
        self.port = int(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="socket-mode-stand-in"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and stop listening."""
        for timer in self._timers:
            timer.cancel()
        with self._changed:
            connections = list(self._connections)
        for connection in connections:
            connection.socket.close()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> SocketModeStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def connection_url(self) -> str:
        """A fresh single-use WebSocket URL, as apps.connections.open answers."""
        ticket = uuid.uuid4().hex
        with self._changed:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    # -- what Slack does -------------------------------------------------------------------------

    def send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        wait: float = 10.0,
    ) -> Envelope:
        """Send an envelope to the current connection (waiting up to `wait` s for one)."""
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"{envelope_type!r} is not a Socket Mode envelope type")
        connection = self._current(wait)
        envelope = Envelope(
            envelope_id=str(uuid.uuid4()),
            type=envelope_type,
            payload=payload,
            connection=connection.number,
            sent_at=self.clock(),
        )
        message: dict[str, Any] = {
            "envelope_id": envelope.envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            message.update(retry_attempt=0, retry_reason="")
        with self._changed:
            self.envelopes[envelope.envelope_id] = envelope
        connection.socket.send(json.dumps(message))
        return envelope

    def wait_for_ack(self, envelope: Envelope, *, timeout: float = 10.0) -> Envelope:
        """Wait until the app acks `envelope` (or `timeout` passes); the envelope either way."""
        with self._changed:
            self._changed.wait_for(lambda: envelope.acked_at is not None, timeout=timeout)
        return envelope

    def refresh(self) -> list[int]:
        """Ask every open connection to reconnect; close them `linger` seconds later."""
        with self._changed:
            asked = [c for c in self._connections if not c.closed and not c.refreshing]
            for connection in asked:
                connection.refreshing = True
        for connection in asked:
            disconnect = {
                "type": "disconnect",
                "reason": "refresh_requested",
                "debug_info": {"host": "applink-stand-in"},
            }
            try:
                connection.socket.send(json.dumps(disconnect))
            except ConnectionClosed:
                continue
            timer = threading.Timer(self.linger, connection.socket.close)
            timer.daemon = True
            timer.start()
            self._timers.append(timer)
        return [c.number for c in asked]

    def wait_for_connections(self, count: int, *, timeout: float = 10.0) -> bool:
        """Wait until `count` connections have been greeted in all (since the start)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._connections) >= count, timeout=timeout)

    def open_connections(self) -> int:
        """Connections greeted and not yet closed (refreshing ones included)."""
        with self._changed:
            return sum(1 for c in self._connections if not c.closed)

    def current_connection(self) -> int | None:
        """The number of the connection new envelopes go to, if any."""
        with self._changed:
            live = [c for c in self._connections if not c.closed and not c.refreshing]
            return live[-1].number if live else None

    # -- internals -------------------------------------------------------------------------------

    def _current(self, wait: float) -> _Connection:
        with self._changed:
            found = self._changed.wait_for(self._newest_live, timeout=wait)
            if not found:
                raise TimeoutError("no Socket Mode connection to send to")
            return found

    def _newest_live(self) -> _Connection | None:
        live = [c for c in self._connections if not c.closed and not c.refreshing]
        return live[-1] if live else None

    def _handle(self, socket: ServerConnection) -> None:
        request = socket.request
        query = parse_qs(urlsplit(request.path if request else "").query)
        ticket = (query.get("ticket") or [""])[0]
        with self._changed:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)  # a URL is good for one connection
        if not valid:
            self.problems.append(f"connection with an unknown or used ticket {ticket!r}")
            socket.close(1008, "invalid ticket")
            return
        with self._changed:
            connection = _Connection(len(self._connections) + 1, socket, self.clock())
        hello = {
            "type": "hello",
            "num_connections": self.open_connections() + 1,
            "debug_info": {"host": "applink-stand-in", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        socket.send(json.dumps(hello))
        with self._changed:
            self._connections.append(connection)
            self._changed.notify_all()
        try:
            for raw in socket:
                self._received(connection, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                connection.closed = True
                self._changed.notify_all()

    def _received(self, connection: _Connection, raw: str | bytes) -> None:
        at = self.clock()
        try:
            message = json.loads(raw)
        except ValueError:
            self.problems.append(f"connection {connection.number}: not JSON: {raw!r:.80}")
            return
        if not isinstance(message, dict) or "envelope_id" not in message:
            self.problems.append(f"connection {connection.number}: not an ack: {raw!r:.80}")
            return
        with self._changed:
            connection.messages.append(message)
            envelope = self.envelopes.get(str(message["envelope_id"]))
            if envelope is None:
                self.problems.append(f"ack of an unknown envelope {message['envelope_id']}")
            elif envelope.acked_at is not None:
                self.problems.append(f"envelope {envelope.envelope_id} acked twice")
            else:
                payload = message.get("payload")
                envelope.acked_at = at
                envelope.ack_payload = payload if isinstance(payload, dict) else None
            self._changed.notify_all()


def envelope_of(body: str, content_type: str) -> tuple[str, dict[str, Any], bool]:
    """The envelope type, payload and accepts_response_payload Slack would send for an HTTP body."""
    if content_type.startswith("application/json"):
        event = json.loads(body)
        return "events_api", event, False
    form = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in form:
        interaction = json.loads(form["payload"])
        return "interactive", interaction, interaction.get("type") in ANSWERED_TYPES
    if "command" in form:
        return "slash_commands", form, True
    raise ValueError("not a request Slack sends over Socket Mode")
