"""Zendesk's side in tests: the webhook body an admin pastes, signed deliveries, a writer on test time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from bot.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from bot.workspace.driver import Response, SlackDriver
from bot.zendesk.client import ZendeskClient
from bot.zendesk.ratelimit import RateLimiter

WEBHOOK_SECRET = "zendesk-webhook-signing-secret"
PATH = "/zendesk/webhook"


def zendesk_settings(settings: Settings, *, api_url: str, email: str, token: str) -> Settings:
    """Test settings with Zendesk intake and write-back configured against the stand-in."""
    return settings.model_copy(
        update={
            "zendesk_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "zendesk_email": email,
            "zendesk_api_token": SecretStr(token),
            "zendesk_api_url": api_url,
        }
    )


def ticket_body(
    ticket_id: int = 4711,
    *,
    title: str = "Login fails after password reset",
    external_id: str = "u-1001",
    email: str = "taro@example.com",
    priority: str = "Normal",
    tags: str = "cre_escalate",
    product: str = "album",
    category: str = "login",
    agent_name: str = "Miki Sato",
    agent_email: str = "cs-agent@example.com",
    escalated_at: datetime | None = None,
    description: str = "The user cannot sign in since the reset.",
) -> bytes:
    """The README's webhook body as Zendesk fills it in for one ticket."""
    body: dict[str, Any] = {
        "ticket": {
            "id": str(ticket_id),
            "link": f"https://acme.zendesk.com/agent/tickets/{ticket_id}",
            "title": title,
            "description": description,
            "priority": priority,
            "tags": tags,
            "escalated_at": escalated_at.strftime("%Y-%m-%dT%H:%MZ") if escalated_at else "",
            "requester": {"external_id": external_id, "email": email},
            "fields": {"product": product, "category": category},
        },
        "agent": {"name": agent_name, "email": agent_email},
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def signed_headers(body: bytes, *, at: datetime, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """Zendesk's signature headers, computed here (not with the product's code)."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


def deliver(
    slack: SlackDriver,
    body: bytes,
    *,
    at: datetime,
    invocation_id: str | None = None,
    headers: dict[str, str] | None = None,
    drain: bool = True,
) -> Response:
    """POST one signed delivery to the app, as Zendesk would (a fresh invocation id unless given)."""
    all_headers = {
        **signed_headers(body, at=at),
        "X-Zendesk-Webhook-Id": "01F1KRFQ6BG29CNWFR60NK5FNY",
        "X-Zendesk-Webhook-Invocation-Id": invocation_id or str(uuid.uuid4().int)[:10],
        **(headers or {}),
    }
    return slack.post(
        body.decode("utf-8", "replace"),
        content_type="application/json",
        headers=all_headers,
        sign=False,
        path=PATH,
        drain=drain,
    )


class TestTime:
    """Monotonic time tied to the test's clock: the limiter's waits move the clock instead of sleeping."""

    __test__ = False  # not a test class

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.start = clock.now()
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return (self.clock.now() - self.start).total_seconds()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))


def writer_on_test_time(
    runtime: Runtime, clock: ManualClock, *, api_url: str, timeout: float = 10.0
) -> TestTime:
    """Make the runtime's Zendesk writer wait on the test clock (and time out after `timeout`)."""
    writer = runtime.zendesk.writer
    assert writer is not None, "write-back is off"
    time = TestTime(clock)
    writer.limiter = RateLimiter(
        rate=runtime.policy.zendesk.updates_per_minute,
        monotonic=time.monotonic,
        sleep=time.sleep,
    )
    auth = runtime.settings.zendesk_auth()
    assert auth is not None
    writer.api = ZendeskClient(
        base_url=api_url, auth=auth, timeout=httpx.Timeout(timeout, connect=timeout)
    )
    return time


def notes_of(standin: Any, ticket_id: int = 4711) -> Iterator[str]:
    """The internal notes on a stand-in ticket, oldest first."""
    yield from standin.ticket(ticket_id).notes()
