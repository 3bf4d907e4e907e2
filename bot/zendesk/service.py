"""Zendesk for one process: the webhook, the intake behind it, and the write-back writer, wired.

Both kinds of work run off the request, on a small executor of their own: a delivery is processed
right after it is stored, and the writer is woken after every change (and by the `zendesk` job each
minute for retries and anything a crash left behind).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.blocks.lists import message_url
from bot.clock import Clock
from bot.db import Database
from bot.models import Escalation, ZendeskWrite
from bot.outbox_rows import enqueue
from bot.policy import Policy
from bot.settings import Settings
from bot.zendesk import notices
from bot.zendesk.agents import SlackPeople
from bot.zendesk.client import ZendeskClient
from bot.zendesk.intake import ZendeskIntake
from bot.zendesk.notes import render_note
from bot.zendesk.ratelimit import RateLimiter
from bot.zendesk.webhook import ZendeskWebhook
from bot.zendesk.writeback import WriteReport, ZendeskWriter

log = logging.getLogger(__name__)


def writeback_off_reason(settings: Settings, policy: Policy) -> str | None:
    """Why notes are not written to tickets (None: they are). Half-set credentials raise."""
    if not policy.zendesk.write_back:
        return "[zendesk] write_back = false"
    if not (settings.zendesk_api_url or policy.zendesk.url):
        return "[zendesk] url is not set"
    if settings.zendesk_auth() is None:
        return "no credentials: set ZENDESK_EMAIL and ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN"
    return None


def without_write_back(policy: Policy) -> Policy:
    """The policy as this process applies it when it cannot write to Zendesk."""
    zendesk = policy.zendesk.model_copy(update={"write_back": False})
    return policy.model_copy(update={"zendesk": zendesk})


@dataclass
class ZendeskService:
    """The webhook (if a secret is set), the intake, and the writer (if write-back is on)."""

    settings: Settings
    policy: Policy
    db: Database
    slack: WebClient
    clock: Clock
    executor: Executor
    deliver: Callable[[int | None], Any]  # send the Slack posts promised (for one escalation)
    workspace_url: Callable[[], str | None] = lambda: None
    limiter: RateLimiter | None = None
    # (product, category) suggested for a ticket's text (see `ZendeskIntake.suggest`).
    suggest: Callable[[str], tuple[str | None, str | None]] = lambda _text: (None, None)
    people: SlackPeople = field(init=False)
    intake: ZendeskIntake = field(init=False)
    webhook: ZendeskWebhook | None = field(init=False, default=None)
    writer: ZendeskWriter | None = field(init=False, default=None)
    _writer_queued: bool = field(init=False, default=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.people = SlackPeople(self.slack)
        self.intake = ZendeskIntake(
            db=self.db,
            policy=self.policy,
            clock=self.clock.now,
            slack_user=self.people.user_id,
            after=self._after_filing,
            filer_notice=lambda escalation: notices.filed_notice(self.policy, escalation),
            failure_notice=lambda delivery_id, ticket_id, error: notices.delivery_failed_notice(
                self.policy, delivery_id, ticket_id, error
            ),
            suggest=self.suggest,
        )
        secret = self.settings.zendesk_secret()
        if secret:
            self.webhook = ZendeskWebhook(
                secret=secret, db=self.db, clock=self.clock.now, on_stored=self.start_intake
            )
        auth = self.settings.zendesk_auth()
        base_url = self.settings.zendesk_api_url or self.policy.zendesk.url
        if self.policy.zendesk.write_back and auth is not None and base_url:
            limiter = self.limiter or RateLimiter(rate=self.policy.zendesk.updates_per_minute)
            self.writer = ZendeskWriter(
                db=self.db,
                api=ZendeskClient(base_url=base_url, auth=auth),
                limiter=limiter,
                render_note=self._render_note,
                gave_up=self._tell_lead,
                clock=self.clock.now,
            )

    # -- intake -----------------------------------------------------------------------------------

    def start_intake(self, delivery_id: int) -> None:
        """Process a stored delivery off the request."""
        self.executor.submit(self.intake.process, delivery_id)

    def _after_filing(self, escalation_id: int) -> None:
        self.deliver(escalation_id)
        self.kick_writer()

    # -- write-back -------------------------------------------------------------------------------

    def kick_writer(self) -> None:
        """Have the writer write what is due, soon, off this thread (one pass queued at a time)."""
        if self.writer is None:
            return
        with self._lock:
            if self._writer_queued:
                return
            self._writer_queued = True
        self.executor.submit(self._write)

    def _write(self) -> None:
        with self._lock:
            self._writer_queued = False
        self.write_due()

    def write_due(self) -> WriteReport:
        """Write every note and tag change that is due (the `zendesk` job and the kick)."""
        if self.writer is None:
            return WriteReport()
        report = self.writer.write_due()
        if report.failed:
            self.deliver(None)  # the lead's messages about what was given up on
        return report

    def _render_note(self, session: Session, write: ZendeskWrite) -> str:
        escalation = session.get(Escalation, write.escalation_id)
        assert escalation is not None
        url = message_url(self.workspace_url(), escalation.channel_id, escalation.message_ts)
        return render_note(
            policy=self.policy,
            write=write,
            escalation=escalation,
            name_of=self.people.name,
            slack_url=url,
        )

    def _tell_lead(self, session: Session, write: ZendeskWrite, now: datetime) -> None:
        escalation = session.get(Escalation, write.escalation_id)
        assert escalation is not None
        enqueue(session, notices.gave_up_notice(self.policy, escalation, write, now), now=now)

    def close(self) -> None:
        """Close the HTTP client."""
        if self.writer is not None:
            self.writer.api.close()
