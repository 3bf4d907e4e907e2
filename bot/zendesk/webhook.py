"""`POST /zendesk/webhook` as a WSGI application: verify, read, store, answer; the filing comes after.

Zendesk waits for the answer and pauses a webhook that keeps failing, so the request does the least
that makes the delivery safe (one INSERT) and answers 202 (200 for a delivery already stored).
Anything else gets a 4xx with a one-line reason, and nothing is written: 401 unsigned or forged,
413 over 256 KiB, 400 unreadable, 422 not a ticket. The log names the outcome and the ticket
number, never the body. A database that fails answers 503, which Zendesk retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.db import Database
from bot.zendesk import inbox
from bot.zendesk.payload import MAX_BODY_BYTES, PayloadError, parse_payload
from bot.zendesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify

log = logging.getLogger(__name__)

PATH = "/zendesk/webhook"
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    503: "Service Unavailable",
}


class ZendeskWebhook:
    """The WSGI app behind `POST /zendesk/webhook` (mount it on any WSGI server at `PATH`)."""

    def __init__(
        self,
        *,
        secret: str,
        db: Database,
        clock: Callable[[], datetime],
        on_stored: Callable[[int], None] = lambda _delivery_id: None,
    ) -> None:
        self.secret = secret
        self.db = db
        self.clock = clock
        self.on_stored = on_stored

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, reason = self._handle(environ)
        if status >= 400:
            log.warning("zendesk webhook refused (%d): %s", status, reason)
        return _reply(start_response, status, reason)

    def _handle(self, environ: dict[str, Any]) -> tuple[int, str]:
        if environ.get("REQUEST_METHOD") != "POST":
            return 405, "only POST is accepted"
        raw_length = environ.get("CONTENT_LENGTH")
        if not raw_length:
            return 411, "Content-Length is required"
        try:
            length = int(raw_length)
        except ValueError:
            return 400, "Content-Length is not a number"
        if length > MAX_BODY_BYTES:
            return 413, "the body is larger than 256 KiB"
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        now = self.clock()
        try:
            verify(
                secret=self.secret,
                timestamp=_header(environ, TIMESTAMP_HEADER),
                signature=_header(environ, SIGNATURE_HEADER),
                body=body,
                now=now,
            )
        except SignatureError as exc:
            return 401, str(exc)
        try:
            payload = parse_payload(body)
        except PayloadError as exc:
            return exc.status, exc.reason
        key = inbox.dedup_key(
            invocation_id=_header(environ, INVOCATION_HEADER), payload=payload, body=body
        )
        try:
            with self.db.session() as session:
                delivery_id = inbox.store(session=session, payload=payload, key=key, now=now)
        except SQLAlchemyError as exc:
            log.error("zendesk webhook: storing failed: %s", exc.__class__.__name__)
            return 503, "could not store the delivery; retry later"
        if delivery_id is None:
            log.info("zendesk delivery for ticket %s: a repeat, ignored", payload.ticket_id)
            return 200, "already received"
        log.info("zendesk delivery %s for ticket %s stored", delivery_id, payload.ticket_id)
        try:
            self.on_stored(delivery_id)
        except Exception as exc:  # stored is what counts: the intake job picks it up otherwise
            log.warning(
                "zendesk delivery %s: not started now: %s", delivery_id, exc.__class__.__name__
            )
        return 202, "accepted"


def _header(environ: dict[str, Any], name: str) -> str | None:
    value = environ.get("HTTP_" + name.upper().replace("-", "_"))
    return str(value) if value is not None else None


def _reply(start_response: StartResponse, status: int, text: str) -> Iterable[bytes]:
    data = (text + "\n").encode("utf-8")
    start_response(
        f"{status} {_REASONS.get(status, 'OK')}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]
