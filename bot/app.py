"""The Bolt app factory: middleware, every handler package, and one error handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

import handlers.actions
import handlers.commands
import handlers.events
import handlers.shortcuts
import handlers.views
from bot import inbox
from bot.errors import DomainError
from bot.i18n import t
from bot.runtime import Runtime
from handlers.replies import tell_user

log = logging.getLogger(__name__)


def create_app(runtime: Runtime, *, listener_executor: Executor | None = None) -> App:
    """The Slack app with every listener registered on top of `runtime`."""
    settings = runtime.settings
    kwargs: dict[str, Any] = {}
    if listener_executor is not None:
        kwargs["listener_executor"] = listener_executor
    app = App(
        client=runtime.client,
        signing_secret=settings.signing_secret() if settings.slack_signing_secret else None,
        process_before_response=False,
        token_verification_enabled=False,
        request_verification_enabled=settings.slack_signing_secret is not None,
        logger=logging.getLogger("slack_bolt"),
        **kwargs,
    )
    app.use(_inject_runtime(runtime))
    app.use(_skip_repeated_events(runtime))
    for package in (
        handlers.commands,
        handlers.actions,
        handlers.views,
        handlers.shortcuts,
        handlers.events,
    ):
        package.register(app)
    app.error(_error_handler(runtime))
    return app


def _inject_runtime(runtime: Runtime) -> Callable[..., Any]:
    def inject_runtime(context: dict[str, Any], next: Callable[[], Any]) -> Any:
        context["runtime"] = runtime
        return next()

    return inject_runtime


def _skip_repeated_events(runtime: Runtime) -> Callable[..., Any]:
    def skip_repeated_events(body: dict[str, Any], next: Callable[[], Any]) -> Any:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and event_id:
            with runtime.db.session() as session:
                if not inbox.first_delivery(session=session, event_id=event_id, now=runtime.now()):
                    return BoltResponse(status=200, body="")
        return next()

    return skip_repeated_events


def _error_handler(runtime: Runtime) -> Callable[..., BoltResponse]:
    def handle_error(
        error: Exception, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> BoltResponse:
        """Turn any failure into a short ephemeral explanation; never a traceback, never a 500."""
        lang = runtime.lang
        if isinstance(error, DomainError):
            text = error.render(lang)
            log.info("refused %s: %s", _request_kind(body), error.key)
        else:
            text = t("error.generic", lang)
            log.error(
                "error handling %s: %s",
                _request_kind(body),
                error.__class__.__name__,
                exc_info=error,
            )
        tell_user(body=body, respond=respond, client=client, text=text)
        return BoltResponse(status=200, body="")

    return handle_error


def _request_kind(body: dict[str, Any]) -> str:
    kind = body.get("type") or ("command" if "command" in body else "request")
    detail = body.get("command") or (body.get("view") or {}).get("callback_id") or ""
    if body.get("actions"):
        detail = body["actions"][0].get("action_id", "")
    return f"{kind} {detail}".strip()
