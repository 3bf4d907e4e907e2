"""Slack Web API calls over kept-alive connections: one pooled HTTP client per process.

slack_sdk's `WebClient` sends each call through `urllib`, which opens a new TCP connection (and
resolves the host) per call: under load that was a sixth of the request threads' time. `send`
takes the request slack_sdk built and sends it through a shared, thread-safe `httpx.Client` that
keeps connections open, and answers exactly as slack_sdk's `urllib` path does: the same response
dict, `HTTPError` for a status outside 2xx, and `urllib`'s exceptions for a failed connection or a
timeout. slack_sdk's retry handlers, error types and base URL therefore work unchanged.
"""

from __future__ import annotations

import http.client
import io
import os
import ssl
import threading
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

import httpx

# Connections kept per process: enough for every request and listener thread of a worker at once.
LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=20.0)

_lock = threading.Lock()
_clients: dict[ssl.SSLContext | None, httpx.Client] = {}
_owner_pid = 0


def shared_client(context: ssl.SSLContext | None) -> httpx.Client:
    """This process's pooled client for `context` (a forked worker gets its own, never its parent's)."""
    global _owner_pid
    with _lock:
        if _owner_pid != os.getpid():
            _clients.clear()  # the parent's sockets are the parent's: never write to them here
            _owner_pid = os.getpid()
        client = _clients.get(context)
        if client is None:
            client = httpx.Client(
                verify=context if context is not None else True,
                limits=LIMITS,
                # As urllib: no compressed answers (slack_sdk reads the body as it comes).
                headers={"Accept-Encoding": "identity"},
                trust_env=False,
            )
            _clients[context] = client
        return client


def send(
    url: str, request: Request, *, context: ssl.SSLContext | None, timeout: float
) -> dict[str, Any]:
    """Send slack_sdk's `request`; answer as `WebClient._perform_urllib_http_request_internal`."""
    headers = {name: str(value) for name, value in request.header_items()}
    try:
        response = shared_client(context).request(
            request.get_method(),
            url,
            content=request.data,  # type: ignore[arg-type]
            headers=headers,
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise _as_urllib_error(exc) from exc
    message = http.client.HTTPMessage()
    for name, value in response.headers.multi_items():
        message[name] = value
    if not 200 <= response.status_code < 300:
        raise HTTPError(
            url, response.status_code, response.reason_phrase, message, io.BytesIO(response.content)
        )
    if message.get_content_type() == "application/gzip":
        return {"status": response.status_code, "headers": message, "body": response.content}
    charset = message.get_content_charset() or "utf-8"
    body = response.content.decode(charset)
    return {"status": response.status_code, "headers": message, "body": body}


def _as_urllib_error(exc: httpx.HTTPError) -> Exception:
    """The exception `urllib` raises for the same failure (what the retry handlers and outbox read)."""
    cause = _os_error_under(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return URLError(TimeoutError("timed out"))
    if isinstance(exc, httpx.TimeoutException):  # read, write, or no pooled connection in time
        return TimeoutError("timed out")
    if isinstance(exc, httpx.ConnectError):
        return URLError(cause if cause is not None else ConnectionRefusedError(str(exc)))
    if isinstance(exc, httpx.RemoteProtocolError):
        return http.client.RemoteDisconnected(str(exc))
    if isinstance(exc, httpx.NetworkError):
        return cause if cause is not None else ConnectionResetError(str(exc))
    return URLError(str(exc))


def _os_error_under(exc: BaseException) -> OSError | None:
    seen: BaseException | None = exc.__cause__ or exc.__context__
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
