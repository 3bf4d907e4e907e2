"""The process's wiring: settings, policy, database, clock, Slack client and outbox, built once."""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.error import URLError
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.web import SlackResponse
from sqlmodel import Session

from bot import metrics, scope, slack_http
from bot.arrivals import EventNotes
from bot.blocks.setup import setup_notice
from bot.clock import Clock, SystemClock
from bot.db import Database
from bot.listener_pool import off_the_urgent_lane
from bot.lookup.service import UserGroupDirectory, slack_user_groups
from bot.lookup.sources import UserSource, build_source
from bot.models import Escalation
from bot.outbox import DeliveryReport, OutboxDeliverer, SetupProblem
from bot.outbox_rows import enqueue
from bot.policy import Policy
from bot.presenter import (
    render_assignment_dm,
    render_card,
    render_file,
    render_message,
    render_notice,
    render_thread_line,
)
from bot.settings import Settings
from bot.similarity.index import SimilarityIndex
from bot.similarity.service import suggested_labels
from bot.workspace import checks
from bot.zendesk.service import ZendeskService, without_write_back, writeback_off_reason

log = logging.getLogger(__name__)
SLACK_TIMEOUT_SECONDS = 10


# Methods that change nothing, or change to the same result when repeated: safe to retry even when
# an attempt may have reached Slack. Posting (chat.postMessage, files) is not: those are left to the
# outbox, which checks whether the post happened before trying again.
IDEMPOTENT_METHODS = frozenset(
    {
        "auth.test",
        "chat.update",
        "chat.getPermalink",
        "conversations.history",
        "conversations.replies",
        "conversations.info",
        "conversations.open",
        "users.info",
        "users.list",
        "usergroups.list",
        "usergroups.users.list",
        "views.publish",
        "views.update",
    }
)


class SafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):
    """Retries connection errors; a timeout or reset only for idempotent methods (it may have landed)."""

    def _can_retry(
        self,
        *,
        state: Any,
        request: HttpRequest,
        response: Any = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        reason = error.reason if isinstance(error, URLError) else error
        never_sent = isinstance(reason, ConnectionRefusedError | socket.gaierror)
        method = request.url.rstrip("/").rsplit("/", 1)[-1]
        return never_sent or method in IDEMPOTENT_METHODS


class _Counted:
    """A retry handler that counts the retries it grants (crebot_slack_api_retries_total)."""

    reason = "other"

    def _can_retry(
        self,
        *,
        state: Any,
        request: HttpRequest,
        response: Any = None,
        error: Exception | None = None,
    ) -> bool:
        allowed = bool(
            super()._can_retry(  # type: ignore[misc]
                state=state, request=request, response=response, error=error
            )
        )
        if allowed:
            method = request.url.rstrip("/").rsplit("/", 1)[-1]
            metrics.SLACK_RETRIES.labels(method, self.reason).inc()
        return allowed


class _RateLimitRetries(_Counted, RateLimitErrorRetryHandler):
    reason = "rate_limited"


class _ServerErrorRetries(_Counted, ServerErrorRetryHandler):
    reason = "server_error"


class _ConnectionRetries(_Counted, SafeConnectionErrorRetryHandler):
    reason = "connection"


def slack_retry_handlers() -> list[RetryHandler]:
    """Retries for 429 (honouring Retry-After), 500/503, and safe connection errors or timeouts."""
    return [
        _RateLimitRetries(max_retry_count=3),
        _ServerErrorRetries(max_retry_count=2),
        _ConnectionRetries(
            max_retry_count=2,
            error_types=[URLError, ConnectionResetError, TimeoutError, socket.timeout],
        ),
    ]


class MeasuredWebClient(WebClient):
    """slack_sdk's client over kept-alive connections, counting every call by outcome, and timing it."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        """Send through the process's pooled connections (`bot.slack_http`) instead of urllib's."""
        if self.proxy is not None or not url.lower().startswith(("http://", "https://")):
            return super()._perform_urllib_http_request_internal(url, req)
        return slack_http.send(url, req, context=self.ssl, timeout=self.timeout)

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        """Call the Web API as WebClient does, measured."""
        started = time.perf_counter()
        status = "error"
        try:
            response = super().api_call(api_method, **kwargs)
            status = "ok"
            return response
        except SlackApiError as exc:
            status = _status_of(exc)
            raise
        except (OSError, URLError) as exc:
            status = "timeout" if isinstance(exc, TimeoutError | socket.timeout) else "connection"
            raise
        finally:
            took = time.perf_counter() - started
            metrics.SLACK_CALLS.labels(api_method, status).inc()
            metrics.SLACK_SECONDS.labels(api_method).observe(took)
            if status != "ok":
                log.info(
                    "Slack %s: %s",
                    api_method,
                    status,
                    extra={"slack_method": api_method, "latency_ms": round(took * 1000, 1)},
                )


def _status_of(error: SlackApiError) -> str:
    """An HTTP status other than 200 ("429", "503"), else Slack's error code ("channel_not_found")."""
    response = error.response
    code = getattr(response, "status_code", 200)
    if code != 200:
        return str(code)
    found = response.get("error") if response is not None else None
    return str(found or "unknown")[:60]


def make_web_client(token: str, *, base_url: str | None) -> WebClient:
    """A Web API client with the bot's retry policy (and a proxy/test base URL when given)."""
    kwargs = {"base_url": base_url} if base_url else {}
    return MeasuredWebClient(
        token=token,
        timeout=SLACK_TIMEOUT_SECONDS,
        retry_handlers=slack_retry_handlers(),
        **kwargs,  # type: ignore[arg-type]
    )


def process_owner() -> str:
    """A name for this process in leases and job claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Runtime:
    """Everything a handler or job needs, passed explicitly instead of read from globals."""

    settings: Settings
    policy: Policy
    db: Database
    client: WebClient
    clock: Clock = field(default_factory=SystemClock)
    owner: str = field(default_factory=process_owner)
    # Where Zendesk's work runs, off the request (a small pool unless given, e.g. the tests').
    background: Executor | None = None
    deliverer: OutboxDeliverer = field(init=False)
    _workspace_url: str | None = field(init=False, default=None)
    _lookup_lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)
    _lookup_source: UserSource | None = field(init=False, default=None, repr=False)
    _user_groups: UserGroupDirectory | None = field(init=False, default=None, repr=False)
    _zendesk: ZendeskService | None = field(init=False, default=None, repr=False)
    _similarity: SimilarityIndex | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        if self.policy.zendesk.write_back and writeback_off_reason(self.settings, self.policy):
            self.policy = without_write_back(self.policy)  # no credentials: intake only

        def card(session: Session, escalation: Escalation) -> tuple[str, list[dict[str, object]]]:
            return render_card(
                session=session,
                policy=self.policy,
                escalation=escalation,
                now=self.clock.now(),
                live=False,  # the channel message: a snapshot, refreshed by card-refresh
                workspace_url=self.known_workspace_url(),  # never asks Slack while delivering
            )

        self.deliverer = OutboxDeliverer(
            db=self.db,
            client=self.client,
            render_card=card,
            render_file=lambda session, payload: render_file(
                session=session, policy=self.policy, payload=payload
            ),
            render_line=lambda session, escalation, event_id: render_thread_line(
                session=session, policy=self.policy, escalation=escalation, event_id=event_id
            ),
            tell_setup_problem=self._tell_setup_problem,
            render_dm=lambda _session, escalation, user: render_assignment_dm(
                policy=self.policy,
                escalation=escalation,
                user=user,
                now=self.clock.now(),
                workspace_url=self.known_workspace_url(),
            ),
            render_message=lambda session, payload: render_message(
                session=session,
                policy=self.policy,
                payload=payload,
                now=self.clock.now(),
                workspace_url=self.known_workspace_url(),
            ),
            render_notice=lambda session, escalation, payload: render_notice(
                session=session,
                policy=self.policy,
                escalation=escalation,
                payload=payload,
                now=self.clock.now(),
                workspace_url=self.workspace_url(),
            ),
            owner=self.owner,
            clock=self.clock.now,
        )

        self.event_notes = EventNotes(db=self.db)

    def _tell_setup_problem(self, session: Session, problem: SetupProblem, now: datetime) -> None:
        """Promise the lead's DM about a post Slack refused for a setup reason."""
        scopes = problem.needed_scopes
        if not scopes:  # Slack did not say: the method reference does
            known = checks.method_reference().get(problem.method)
            scopes = known.bot_scopes if known is not None else ()
        enqueue(session, setup_notice(policy=self.policy, problem=problem, scopes=scopes), now=now)

    @property
    def lang(self) -> str:
        """The team's language."""
        return self.policy.language

    def now(self) -> datetime:
        """The current instant from the injected clock."""
        return self.clock.now()

    @property
    def lookup_source(self) -> UserSource:
        """Where `/lookup` reads end-user state (the policy's `[lookup]`), built on first use."""
        with self._lookup_lock:
            if self._lookup_source is None:
                self._lookup_source = build_source(self.policy.lookup)
            return self._lookup_source

    @property
    def user_groups(self) -> UserGroupDirectory:
        """Members of the Slack user groups `[lookup] allowed_user_groups` names (cached)."""
        with self._lookup_lock:
            if self._user_groups is None:
                self._user_groups = slack_user_groups(self.client)
            return self._user_groups

    @property
    def zendesk(self) -> ZendeskService:
        """The Zendesk webhook, intake and write-back for this process, built on first use."""
        with self._lookup_lock:
            if self._zendesk is None:
                if self.background is None:
                    self.background = ThreadPoolExecutor(2, thread_name_prefix="crebot-zendesk")
                self._zendesk = ZendeskService(
                    settings=self.settings,
                    policy=self.policy,
                    db=self.db,
                    slack=self.client,
                    clock=self.clock,
                    executor=self.background,
                    deliver=lambda escalation_id: self.deliver(escalation_id=escalation_id),
                    workspace_url=self.workspace_url,  # asked of Slack once, off the request
                    suggest=lambda text: suggested_labels(
                        index=self.similarity, policy=self.policy, text=text
                    ),
                )
            return self._zendesk

    @property
    def similarity(self) -> SimilarityIndex:
        """This process's similarity index (it loads itself in the background on first use)."""
        with self._lookup_lock:
            if self._similarity is None:
                self._similarity = SimilarityIndex(db=self.db, clock=self.clock)
            return self._similarity

    def known_workspace_url(self) -> str | None:
        """The workspace's URL if it is already known (never calls Slack: for time-bound paths)."""
        return self._workspace_url or None

    def workspace_url(self) -> str | None:
        """The workspace's URL (from auth.test, asked once), used to link to messages."""
        if self._workspace_url is None:
            try:
                self._workspace_url = str(self.client.auth_test().get("url") or "")
            except Exception:  # links are a nicety; lists still render without them
                return None
        return self._workspace_url or None

    def deliver(self, *, escalation_id: int | None = None) -> None:
        """Send the posts that are due (for one escalation, or all), and what queues behind them.

        Here, or, from a listener in the urgent lane (a modal submission, once acked), in the
        listener pool's after-ack lane: the urgent thread is then free for the next modal to open
        (`bot.listener_pool.off_the_urgent_lane`). Either way the outbox already holds every
        post: whatever this does not send, `outbox-flush` sends.
        """
        scope.note_escalation(escalation_id)  # the request's log line names it either way
        off_the_urgent_lane(functools.partial(self.deliver_now, escalation_id=escalation_id))

    def deliver_now(self, *, escalation_id: int | None = None) -> DeliveryReport:
        """Send the posts that are due (for one escalation, or all) on this thread, and what queues
        behind them."""
        scope.note_escalation(escalation_id)
        # After a click, nobody reads what is still waiting: skip counting it (a query per request).
        report = self.deliverer.deliver_due(
            escalation_id=escalation_id, count_waiting=escalation_id is None
        )
        if self.policy.zendesk.write_back:
            self.zendesk.kick_writer()  # notes the change owes its Zendesk ticket, if any
        return report
