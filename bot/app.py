"""The Bolt app factory: middleware, every handler package, and one error handler."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

import handlers.actions
import handlers.commands
import handlers.events
import handlers.shortcuts
import handlers.views
from bot import metrics, scope
from bot.blocks.errors import error_text
from bot.db import is_unavailable
from bot.errors import DomainError
from bot.i18n import t
from bot.listener_pool import ListenerPool, failures_told_by, lane
from bot.runtime import MeasuredWebClient, Runtime
from bot.slack_http import KeptRespond
from bot.work_process import FORWARDED, forwardable
from handlers.payload import is_slack_shaped
from handlers.replies import tell_user

log = logging.getLogger(__name__)

# Requests whose ack is always empty: acked before their listener is queued (see bot.listener_pool).
# A modal submission is not among them: its ack may carry field errors.
ACKED_AT_ONCE = frozenset({"block_actions", "shortcut", "message_action"})
# Requests Slack is waiting on: a submission's ack, and shortcuts (they always open a modal).
# A submission is filed before its ack, within Slack's 3 s less the time the answer takes.
SUBMISSION_BUDGET = 2.5
# The body of a 503 for a request the app could not finish (Slack shows its own error; curl shows this).
UNFINISHED = "crebot could not finish this request in time; please try again"
URGENT_TYPES = frozenset({"view_submission", "shortcut", "message_action", "block_suggestion"})
# How far behind the normal lane may be before a command is told so at its ack: a read-only one is
# refused ("busy, try again in a moment"), one that changes something is queued ("working on it…").
BEHIND_SECONDS = 3.0


class CreBotApp(App):
    """Bolt's App, running each request's listener in the lane its urgency calls for."""

    # The error handler (set by `create_app`), also for what a listener hands off after its ack.
    handle_error: Callable[..., BoltResponse] | None = None

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Dispatch as Bolt does, with the listener lane chosen from the request.

        A body without what Slack always sends is refused first (400), over HTTP and in Socket
        Mode alike: Bolt's own matchers and our listeners may assume Slack's shape.
        """
        started = time.perf_counter()
        body = req.body
        if not is_slack_shaped(body):
            metrics.REQUESTS.labels("invalid", "rejected").inc()
            return BoltResponse(status=400, body="")
        label = metric_kind(body)
        request_scope = scope.request(request_kind(body), label=label)
        if body.get("type") == "view_submission":  # its ack waits for the work: Slack's 3 s
            request_scope.until = started + SUBMISSION_BUDGET
            req.context["ack"] = _AckEndsBudget(request_scope)
        urgent = is_urgent(body)
        forwarded = bool(req.context.get(FORWARDED))
        may_go = is_acked_at_once(body) and not urgent and not forwarded
        with (
            lane(urgent=urgent),
            failures_told_by(functools.partial(self._failed_after_ack, req)),
            forwardable(body if may_go else None),
            scope.scoped(request_scope),
        ):
            response = super().dispatch(req)
        if not forwarded:  # a web worker acked it already, and measured that
            metrics.ACK_SECONDS.labels(label).observe(time.perf_counter() - started)
        if is_acked_at_once(body) and response.status in (200, 500):
            # The answer is the ack, given before the listener was queued. Bolt's runner can
            # hand back a 500 instead when the listener fails at once (it sets the response it
            # shares with the dispatching thread to 500 before clearing it again): a refusal
            # then went unacked over the socket, or reached Slack as a 500 over HTTP. A request
            # no listener matched keeps Bolt's 404. A 200 keeps its body: "busy" or "queued".
            # A copy: the runner may still set the status of the object it handed back to 500.
            if response.status == 200:
                return BoltResponse(status=200, body=response.body, headers=dict(response.headers))
            return BoltResponse(status=200, body="")
        if response.status >= 500:
            return _instead_of_a_500(req, response, label=label)
        return response

    def _failed_after_ack(self, req: BoltRequest, error: Exception) -> None:
        """Tell the user about a failure in what their listener handed off after the ack (its
        delivery), as about one of the listener itself."""
        if self.handle_error is None:
            log.error("%s failed after the ack", request_kind(req.body), exc_info=error)
            return
        context = req.context
        self.handle_error(
            error=error, body=req.body, respond=context.respond, client=context.client
        )


class _AckEndsBudget(Ack):
    """A submission's ack, after which its work (the delivery) is no longer held to its budget.

    The budget is for the ack: a delivery still held to it had its statements cut once it ran
    out, which opened the breaker for the submissions queued behind, and told an acked user the
    database did not answer.
    """

    def __init__(self, request_scope: scope.Scope) -> None:
        super().__init__()
        self._scope = request_scope

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = super().__call__(*args, **kwargs)
        self._scope.until = None
        return response


def _instead_of_a_500(req: BoltRequest, response: BoltResponse, *, label: str) -> BoltResponse:
    """The listener's ack if it gave one, else a 503: never Bolt's 500.

    Bolt answers 500 when a middleware fails, and when a listener fails: it makes a 500 response
    before calling the error handler, and hands that back if it is looking at that moment, or if
    its wait for the ack ends while the error handler is still telling the user.
    """
    acked = req.context.ack.response if req.context.ack is not None else None
    if acked is not None and acked.status < 500:
        return acked  # acked, then failed: Slack gets the ack; the user is told separately
    log.warning("%s: Bolt answered %d before any ack; answering 503", label, response.status)
    return BoltResponse(status=503, body=UNFINISHED)


def is_acked_at_once(body: dict[str, Any]) -> bool:
    """Whether the request is acked by middleware before its listener is queued."""
    return bool(body.get("command")) or body.get("type") in ACKED_AT_ONCE


def is_urgent(body: dict[str, Any]) -> bool:
    """Whether Slack is waiting on this request's listener: a submission, or a modal to open."""
    kind = body.get("type")
    if kind in URGENT_TYPES:
        return True
    if body.get("command"):
        return body["command"] in handlers.commands.OPENS_MODAL
    if kind == "block_actions":
        actions = body.get("actions")
        return isinstance(actions, list) and any(
            isinstance(a, dict) and a.get("action_id") in handlers.actions.OPENS_MODAL
            for a in actions
        )
    return False


def create_app(runtime: Runtime, *, listener_executor: Executor | None = None) -> App:
    """The Slack app with every listener registered on top of `runtime`."""
    settings = runtime.settings
    executor = listener_executor or ListenerPool()
    app = CreBotApp(
        client=runtime.client,
        signing_secret=settings.signing_secret() if settings.slack_signing_secret else None,
        process_before_response=False,
        token_verification_enabled=False,
        request_verification_enabled=settings.slack_signing_secret is not None,
        logger=logging.getLogger("slack_bolt"),
        listener_executor=executor,
    )
    app.use(_acknowledge_at_once(executor, runtime))
    app.use(_measured_client)
    app.use(_inject_runtime(runtime))
    app.use(_note_event_id)
    for package in (
        handlers.commands,
        handlers.actions,
        handlers.views,
        handlers.shortcuts,
        handlers.events,
    ):
        package.register(app)
    app.handle_error = _error_handler(runtime)
    app.error(app.handle_error)
    return app


def _acknowledge_at_once(executor: Executor, runtime: Runtime) -> Callable[..., Any]:
    def acknowledge_at_once(
        body: dict[str, Any], context: dict[str, Any], next: Callable[[], Any]
    ) -> Any:
        """Ack commands, clicks and shortcuts now, so the ack never waits for a listener thread.

        A command arriving while the normal lane is more than `BEHIND_SECONDS` behind is told so
        in its ack: one that only reads is not queued at all, one that changes something is. In
        a work process (`bot.work_process`) the web worker did all that: the listener just runs.
        """
        if not is_acked_at_once(body):
            return next()
        ack = context["ack"]
        if context.get(FORWARDED):  # acked by the web worker: this ack only frees Bolt's wait
            ack()
            return next()
        if not (body.get("command") and not is_urgent(body) and is_behind(executor)):
            ack()
            return next()
        if handlers.commands.is_read_only(body):
            current = scope.current() or scope.Scope()
            metrics.REQUESTS.labels(current.label, "shed").inc()
            log.info("shed %s: the listeners are behind", current.kind)
            ack(text=t("reply.busy", runtime.lang), response_type="ephemeral")
            return ack.response
        ack(text=t("reply.working_on_it", runtime.lang), response_type="ephemeral")
        return next()

    return acknowledge_at_once


def is_behind(executor: Executor) -> bool:
    """Whether the normal lane (here or in the work process) is more than `BEHIND_SECONDS` behind."""
    backlog = getattr(executor, "backlog_seconds", None)
    return callable(backlog) and float(backlog()) > BEHIND_SECONDS


def _measured_client(context: dict[str, Any], next: Callable[[], Any]) -> Any:
    """Bolt gives each request a plain WebClient: give the listener the measured one instead (and a
    `respond()` over kept connections)."""
    client = context.get("client")
    if isinstance(client, WebClient) and not isinstance(client, MeasuredWebClient):
        context["client"] = MeasuredWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            ssl=client.ssl,
            proxy=client.proxy,
            headers=client.headers,
            team_id=context.get("team_id"),
            logger=client.logger,
            retry_handlers=client.retry_handlers,
        )
    if context.get("response_url") and "respond" not in context:
        # Bolt's respond() would open a new connection per answer: this one reuses the thread's.
        context["respond"] = KeptRespond(
            response_url=context["response_url"],
            proxy=getattr(client, "proxy", None),
            ssl=getattr(client, "ssl", None),
        )
    return next()


def _inject_runtime(runtime: Runtime) -> Callable[..., Any]:
    def inject_runtime(context: dict[str, Any], next: Callable[[], Any]) -> Any:
        context["runtime"] = runtime
        return next()

    return inject_runtime


def _note_event_id(body: dict[str, Any], context: dict[str, Any], next: Callable[[], Any]) -> Any:
    """Keep the Events API event id for the listener, which skips a repeat after the ack."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    context["event_id"] = event_id if isinstance(event_id, str) else None
    return next()


def _error_handler(runtime: Runtime) -> Callable[..., BoltResponse]:
    def handle_error(
        error: Exception, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> BoltResponse:
        """Turn any failure into a short ephemeral explanation; never a traceback, never a 500."""
        lang = runtime.lang
        current = scope.current() or scope.Scope()
        if isinstance(error, DomainError):
            current.outcome = "refused"
            text = error_text(error, lang)
            log.info("refused %s: %s", request_kind(body), error.key)
        else:
            current.outcome = "error"
            text = t(_error_key(error, current), lang)
            log.error(
                "error handling %s: %s",
                request_kind(body),
                error.__class__.__name__,
                exc_info=error,
            )
        tell_user(body=body, respond=respond, client=client, text=text)
        return BoltResponse(status=200, body="")

    return handle_error


def _error_key(error: Exception, current: scope.Scope) -> str:
    """What to tell the user about an unexpected failure: only what is known to be true."""
    if current.committed:
        return "error.after_commit"  # the change is saved: never "nothing was changed"
    if current.commit_failed:
        return "error.commit_unknown"
    if is_unavailable(error):
        return "error.database_unavailable"
    return "error.generic"


INTERACTIONS = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
    }
)
EVENTS = frozenset({"app_home_opened", "message"})


def metric_kind(body: dict[str, Any]) -> str:
    """The request's kind from a fixed set (a metric label never carries what a sender chose)."""
    command = body.get("command")
    if command:
        return f"command {command}" if command in handlers.commands.COMMANDS else "command other"
    kind = body.get("type")
    if kind in INTERACTIONS:
        return str(kind)
    if kind == "event_callback":
        event = (body.get("event") or {}).get("type")
        return f"event {event}" if event in EVENTS else "event other"
    return "other"


def request_kind(body: dict[str, Any]) -> str:
    """What a request was, for the log ("block_actions esc.claim"): never raises, whatever the body."""
    kind = body.get("type") or ("command" if "command" in body else "request")
    view = body.get("view")
    detail = body.get("command") or (view.get("callback_id") if isinstance(view, dict) else "")
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        detail = actions[0].get("action_id")
    return f"{str(kind)[:40]} {str(detail or '')[:60]}".strip()
