"""A stand-in for the product's admin API on 127.0.0.1, for `/lookup` handler tests and the bench."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

USERS: dict[str, dict[str, Any]] = {
    "u-1001": {
        "id": "u-1001",
        "name": "山田 太郎",
        "email": "taro.yamada@example.jp",
        "phone": "090-1234-5678",
        "status": "locked",
        "status_reason": "too many failed sign-ins",
        "plan": "family",
    },
}


class AdminApi:
    """Answers `GET /users/<id>` from `users`; `u-500` fails, `u-slow…` ids wait for `release`.

    `delay` seconds pass before every answer (the bench's 50 ms API); with `any_user`, every id not
    in `users` is answered with a copy of u-1001 under that id (cold look-ups for the bench).
    """

    def __init__(
        self,
        *,
        users: Mapping[str, dict[str, Any]] = USERS,
        delay: float = 0.0,
        any_user: bool = False,
    ) -> None:
        self.users = dict(users)
        self.delay = delay
        self.any_user = any_user
        self.paths: list[str] = []
        self.authorizations: list[str | None] = []
        self.received = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with api._lock:
                    api.paths.append(self.path)
                    api.authorizations.append(self.headers.get("Authorization"))
                    api._arrived.notify_all()
                api.received.set()
                api._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def user_url(self) -> str:
        """The `[lookup.http] user_url` template for this server."""
        return f"{self.base}/users/{{user_id}}"

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> bool:
        """Whether `count` requests have arrived (waiting up to `timeout` seconds for them)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.paths) >= count, timeout=timeout)

    def stop(self) -> None:
        """Let waiting requests go and shut the server down."""
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        who = unquote(handler.path.rsplit("/", 1)[-1])
        if self.delay:
            time.sleep(self.delay)  # the simulated API's latency, not a test waiting on time
        if who == "u-500":
            self._send(handler, 500, b'{"error": "internal"}')
        elif who.startswith("u-slow"):
            self.release.wait(timeout=30)
            self._send(handler, 200, json.dumps(self.users["u-1001"]).encode())
        elif who in self.users:
            self._send(handler, 200, json.dumps(self.users[who]).encode())
        elif self.any_user:
            self._send(handler, 200, json.dumps({**self.users["u-1001"], "id": who}).encode())
        else:
            self._send(handler, 404, b'{"error": "not found"}')

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out) first
