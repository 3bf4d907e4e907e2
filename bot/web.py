"""HTTP front: POST /slack/events (signature first, then Bolt), and the operations endpoints.

`/healthz`, `/readyz` and `/metrics` are `bot.ops_web.OpsEndpoints`, mounted here. In Socket Mode
Slack's requests come over the WebSocket, and this front serves the rest on $PORT (the health
checks carry the connection's state) and answers 404 on /slack/events.
When Zendesk intake is configured it also serves POST /zendesk/webhook (`bot.zendesk.webhook`),
in HTTP mode and in Socket Mode alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot import metrics
from bot.db import Database
from bot.ops_web import PATHS as OPS_PATHS
from bot.ops_web import OpsEndpoints

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
ZENDESK_PATH = "/zendesk/webhook"
UNANSWERED = "Service Unavailable: the request could not be completed; please try again"
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    503: "Service Unavailable",
}


class SlackWsgiApp:
    """A WSGI application: Slack's requests are verified before anything parses them."""

    def __init__(
        self,
        *,
        app: App | None,
        db: Database,
        signing_secret: str | None,
        health_checks: Mapping[str, Callable[[], bool]] | None = None,
        ops: OpsEndpoints | None = None,
        zendesk: WsgiApp | None = None,
    ) -> None:
        self.app = app  # None in Socket Mode: Slack's requests do not come here
        self.db = db
        self.health_checks = dict(health_checks or {})
        self.ops = ops or OpsEndpoints(db=db, checks=self.health_checks)
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.zendesk = zendesk  # POST /zendesk/webhook, when ZENDESK_WEBHOOK_SECRET is set

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._route(environ, start_response)
        except Exception as exc:  # gunicorn would answer 500: say what is known instead
            log.error("request to %s failed: %s", environ.get("PATH_INFO"), exc.__class__.__name__)
            return _reply(start_response, 503, UNANSWERED)

    def _route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path in OPS_PATHS:
            return self.ops(environ, start_response)
        if path == ZENDESK_PATH and self.zendesk is not None:
            return self.zendesk(environ, start_response)
        if path != EVENTS_PATH or self.app is None:
            return _reply(start_response, 404, "Not Found")
        if method != "POST":
            return _reply(start_response, 405, "Method Not Allowed")
        return self._slack(self.app, environ, start_response)

    def _slack(
        self, app: App, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _reply(start_response, 400, "Bad Request")
        if length > MAX_BODY_BYTES:
            metrics.REQUESTS.labels("invalid", "rejected").inc()
            return _reply(start_response, 413, "Payload Too Large")
        try:
            raw = environ["wsgi.input"].read(length) if length > 0 else b""
        except OSError:  # the client went away (or stalled) before sending the whole body
            return _reply(start_response, 400, "Bad Request: the body could not be read")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _reply(start_response, 400, "Bad Request")
        headers = _headers(environ)
        if self.verifier is not None and not self.verifier.is_valid_request(body, headers):
            metrics.REQUESTS.labels("unsigned", "rejected").inc()
            return _reply(start_response, 401, "Unauthorized")
        try:
            bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
            request = BoltRequest(
                body=body, query=environ.get("QUERY_STRING") or "", headers=bolt_headers
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return _reply(start_response, 400, "Bad Request")
        try:
            response = app.dispatch(request)
        except Exception as exc:  # never a 500 to Slack: the error handler already told the user
            log.error("dispatch failed: %s", exc.__class__.__name__, exc_info=exc)
            return _reply(start_response, 400, "Bad Request")
        return _bolt_reply(start_response, response)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def _reply(
    start_response: StartResponse,
    status: int,
    body: str,
    *,
    content_type: str = "text/plain; charset=utf-8",
) -> Iterable[bytes]:
    data = body.encode("utf-8")
    start_response(
        f"{status} {_REASONS.get(status, 'OK')}",
        [("Content-Type", content_type), ("Content-Length", str(len(data)))],
    )
    return [data]


def _bolt_reply(start_response: StartResponse, response: BoltResponse) -> Iterable[bytes]:
    data = (response.body or "").encode("utf-8")
    headers = [
        (name, value)
        for name, values in response.headers.items()
        for value in values
        if name.lower() != "content-length"
    ]
    headers.append(("Content-Length", str(len(data))))
    start_response(f"{response.status} {_REASONS.get(response.status, 'OK')}", headers)
    return [data]
