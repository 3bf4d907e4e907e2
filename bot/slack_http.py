"""Slack Web API calls (and response_url posts) over kept-alive connections: one per thread and host.

slack_sdk's `WebClient` sends each call through `urllib`, which opens a new TCP connection (and
resolves the host) per call: under load that was a sixth of the request threads' time. `send`
takes the request slack_sdk built and sends it over a connection this thread keeps open
(`http.client`, as urllib itself uses, without urllib's per-call opener: httpx cost more CPU per
call than urllib did), and answers exactly as slack_sdk's urllib path does: the same response
dict, `HTTPError` for a status outside 2xx, `URLError` when the request could not be sent, and the
same exceptions while waiting for the answer. slack_sdk's retry handlers, error types and base URL
therefore work unchanged.

A kept connection is not reused once it sat idle over `IDLE_SECONDS` or the server closed it (it
is readable while idle): a fresh one is opened instead. A request is never sent twice here: what
happens after a failure is the retry handlers' and the outbox's decision, as with urllib.
"""

from __future__ import annotations

import http.client
import io
import os
import select
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_bolt.context.respond import Respond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.webhook import WebhookClient, WebhookResponse

IDLE_SECONDS = 15.0  # below the idle timeouts of Slack's and common proxies' load balancers

_local = threading.local()


@dataclass
class _Kept:
    connection: http.client.HTTPConnection
    pid: int
    idle_since: float


def send(
    url: str, request: Request, *, context: ssl.SSLContext | None, timeout: float
) -> dict[str, Any]:
    """Send slack_sdk's `request`; answer as `WebClient._perform_urllib_http_request_internal`."""
    parts = urlsplit(url)
    key = (parts.scheme, parts.hostname or "", parts.port, id(context))
    connection = _connection(key, parts, context, timeout)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {name: str(value) for name, value in request.header_items()}
    headers.setdefault("Connection", "keep-alive")
    try:
        try:
            connection.request(request.get_method(), path, request.data, headers)
        except OSError as err:  # as urllib: not sent (or not wholly)
            raise URLError(err) from err
        response = connection.getresponse()
        body = response.read()
    except BaseException:
        _drop(key)
        raise
    if response.will_close:
        _drop(key)
    else:
        _kept()[key].idle_since = time.monotonic()
    message = response.msg
    if not 200 <= response.status < 300:
        raise HTTPError(url, response.status, response.reason, message, io.BytesIO(body))
    if message.get_content_type() == "application/gzip":
        return {"status": response.status, "headers": message, "body": body}
    charset = message.get_content_charset() or "utf-8"
    return {"status": response.status, "headers": message, "body": body.decode(charset)}


def _kept() -> dict[tuple[Any, ...], _Kept]:
    kept: dict[tuple[Any, ...], _Kept] | None = getattr(_local, "kept", None)
    if kept is None:
        kept = _local.kept = {}
    return kept


def _connection(
    key: tuple[Any, ...], parts: Any, context: ssl.SSLContext | None, timeout: float
) -> http.client.HTTPConnection:
    """This thread's open connection for `key` if it may be reused, else a new one (not yet open)."""
    kept = _kept()
    found = kept.get(key)
    if found is not None:
        if found.pid == os.getpid() and _reusable(found):
            found.connection.timeout = timeout
            if found.connection.sock is not None:
                found.connection.sock.settimeout(timeout)
            return found.connection
        _drop(key)
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=context
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    kept[key] = _Kept(connection, os.getpid(), time.monotonic())
    return connection


def _reusable(kept: _Kept) -> bool:
    sock = kept.connection.sock
    if sock is None:
        return True  # never opened (or closed by http.client): it connects on its next request
    if time.monotonic() - kept.idle_since > IDLE_SECONDS:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable  # an idle connection with something to read was closed by the server


def _drop(key: tuple[Any, ...]) -> None:
    found = _kept().pop(key, None)
    if found is not None and found.pid == os.getpid():
        found.connection.close()


class KeptWebhookClient(WebhookClient):
    """slack_sdk's webhook client (a response_url, an incoming webhook) over kept connections."""

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        if self.proxy is not None or not url.lower().startswith(("http://", "https://")):
            return super()._perform_http_request_internal(url, req)
        answer = send(url, req, context=self.ssl, timeout=self.timeout)
        return WebhookResponse(
            url=url, status_code=answer["status"], body=answer["body"], headers=answer["headers"]
        )


class KeptRespond(Respond):
    """Bolt's `respond()` (a request's response_url), sent over kept connections."""

    def __call__(  # type: ignore[override]
        self, text: str | dict[str, Any] = "", **fields: Any
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        webhook = KeptWebhookClient(url=self.response_url, proxy=self.proxy, ssl=self.ssl)
        if isinstance(text, dict):
            return webhook.send_dict(_build_message(**text))
        return webhook.send_dict(_build_message(text=text, **fields))
