"""Slack Web API calls (and response_url posts) over kept-alive connections: one per thread and host.

slack_sdk's `WebClient` sends each call through `urllib`, which opens a new TCP connection (and
resolves the host) per call: under load that was a sixth of the request threads' time. `send`
takes the request slack_sdk built and sends it over a connection this thread keeps open
(`http.client`, as urllib itself uses, without urllib's per-call opener; a kept-alive
`httpx.Client` cost 3.5x the CPU per call, 470-500 against 130-140 us, against the fake Web API
in another process, 2026-12-05), and answers exactly as slack_sdk's urllib path does: the same
response dict, `HTTPError` for a status outside 2xx, `URLError` when the request could not be
sent, and the same exceptions while waiting for the answer. slack_sdk's retry handlers, error
types and base URL therefore work unchanged.

Each answer's status line and headers are read by `_LeanResponse`, the `response_class` of this
module's own connections only (no other connection in the process is touched): http.client hands
every header block to `email.parser`, a fifth of the call's CPU here. It builds the same
`HTTPMessage` (names and values as `email`'s compat32 policy stores them) from plain
`Name: value` lines, and leaves anything else (folded lines, a line without a colon) to
`email.parser` as before; `_content_type` reads a plain Content-Type the same way.

A kept connection is not reused once it sat idle over `IDLE_SECONDS` or the server closed it (it
is readable while idle): a fresh one is opened instead. A request is never sent twice here: what
happens after a failure is the retry handlers' and the outbox's decision, as with urllib.
"""

from __future__ import annotations

import email.parser
import http.client
import io
import os
import re
import select
import ssl
import sys
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
_MAXLINE = 65536  # http.client's limits on a header line and on their number
_MAXHEADERS = 100
_NAME = re.compile(r"[!-9;-~]+")  # a header name as email.feedparser takes one


class _LeanResponse(http.client.HTTPResponse):
    """http.client's response, its headers parsed without `email.parser` when they are plain lines."""

    def begin(self) -> None:
        """As `HTTPResponse.begin` (Python 3.11-3.13), but for how the header block is parsed."""
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            _header_lines(self.fp)  # a 100 Continue's headers, skipped
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = _parse_headers(_header_lines(self.fp))
        transfer_encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(transfer_encoding and transfer_encoding.lower() == "chunked")
        self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if (
            status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED)
            or 100 <= status < 200
            or self._method == "HEAD"
        ):
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


def _header_lines(fp: Any) -> list[bytes]:
    """The header block's lines up to the blank one, within http.client's limits."""
    lines: list[bytes] = []
    while True:
        line = fp.readline(_MAXLINE + 1)
        if len(line) > _MAXLINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAXHEADERS:
            raise http.client.HTTPException(f"got more than {_MAXHEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            return lines


def _parse_headers(lines: list[bytes]) -> http.client.HTTPMessage:
    """The block as `email.parser` would store it; the block to `email.parser` unless plain."""
    message = http.client.HTTPMessage()
    for raw in lines:
        if raw in (b"\r\n", b"\n", b""):
            break
        line = raw.decode("iso-8859-1").rstrip("\r\n")
        name, colon, value = line.partition(":")
        if not colon or _NAME.fullmatch(name) is None or "\r" in value:
            # folded, malformed, a name email would not take: email's rules, not these
            text = b"".join(lines).decode("iso-8859-1")
            return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text)
        message.set_raw(name, value.lstrip(" \t"))
    return message


def _content_type(message: http.client.HTTPMessage) -> tuple[str, str | None]:
    """`message.get_content_type()` and `.get_content_charset()`, without email's parameter
    parsing for a plain `type/subtype; charset=x` (anything quoted or encoded is left to it)."""
    value = message.get("content-type")
    if value is None or not value.isascii() or any(mark in value for mark in '"*\\(<\r\n'):
        return message.get_content_type(), message.get_content_charset()
    kind, *params = value.split(";")
    kind = kind.strip().lower()
    if kind.count("/") != 1:
        kind = "text/plain"
    charset = None
    for param in params:
        name, _, found = param.partition("=")
        if name.strip().lower() == "charset":
            charset = found.strip().lower()
            break
    return kind, charset


# `_LeanResponse.begin` is http.client's of Python 3.11-3.13 (the same in each); a later one's
# may differ, so a later Python reads its answers with its own.
_RESPONSE = _LeanResponse if sys.version_info < (3, 14) else http.client.HTTPResponse


class _LeanHTTPConnection(http.client.HTTPConnection):
    response_class = _RESPONSE


class _LeanHTTPSConnection(http.client.HTTPSConnection):
    response_class = _RESPONSE


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
    content_type, charset = _content_type(message)
    if content_type == "application/gzip":
        return {"status": response.status, "headers": message, "body": body}
    charset = charset or "utf-8"
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
        connection: http.client.HTTPConnection = _LeanHTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=context
        )
    else:
        connection = _LeanHTTPConnection(parts.hostname, parts.port, timeout=timeout)
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
