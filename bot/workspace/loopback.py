"""Serving a stand-in over HTTP on 127.0.0.1: the server, its thread, and stopping it (shared by the stand-ins)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server on an ephemeral loopback port that carries the stand-in it serves."""

    daemon_threads = True
    request_queue_size = 128  # the default 5 drops bursts of concurrent connects (1 s SYN retry)

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, standin: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.standin = standin
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.connections_accepted = 0  # how many TCP connections clients opened (keep-alive reuses)

    def finish_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
            self.connections_accepted += 1
        try:
            super().finish_request(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(request)

    def close_connections(self) -> None:
        """Cut the connections still open (kept alive by HTTP/1.1 clients): a stopped server is gone."""
        with self._open_lock:
            open_now = list(self._open)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port>."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is part of the tests, not an error worth a traceback.
        return None


class RunningLoopback:
    """A loopback server running in a daemon thread; stop it (or leave its `with` block) when done."""

    def __init__(self, httpd: LoopbackServer, *, name: str, wake: Callable[[], None]) -> None:
        self.url = httpd.url
        self._httpd = httpd
        self._wake = wake
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name=name
        )
        self._thread.start()

    @property
    def connections_accepted(self) -> int:
        """How many TCP connections clients opened to this server so far."""
        return self._httpd.connections_accepted

    def stop(self) -> None:
        """Stop serving, cutting short any scripted delay still sleeping."""
        self._wake()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class LoopbackHandler(BaseHTTPRequestHandler):
    """A request handler that reads the whole body, answers with a length, and logs nothing."""

    server: LoopbackServer
    disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stall)

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def read_body(self) -> bytes:
        """The request's body (by its Content-Length)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        """Send a whole response."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
