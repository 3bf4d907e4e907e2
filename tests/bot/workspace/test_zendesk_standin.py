"""The Zendesk stand-in refuses what Zendesk refuses and flags what cre-bot must never send."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.workspace.zendesk import RunningZendesk, ZendeskStandIn
from bot.zendesk.client import ZendeskAuth
from tests.conftest import ZENDESK_EMAIL, ZENDESK_TOKEN

pytestmark = pytest.mark.allow_zendesk_problems


@pytest.fixture
def http(zendesk_server: RunningZendesk) -> httpx.Client:
    auth = ZendeskAuth.api_token(email=ZENDESK_EMAIL, token=ZENDESK_TOKEN)
    return httpx.Client(base_url=zendesk_server.url, headers={"Authorization": auth.header})


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "problem"),
    [
        (
            "PUT",
            "/api/v2/tickets/4711.json",
            {"ticket": {"comment": {"body": "hi"}}},
            400,
            '"public": false',
        ),
        (
            "PUT",
            "/api/v2/tickets/4711.json",
            {"ticket": {"comment": {"body": "hi", "public": True}}},
            400,
            "emails the requester",
        ),
        (
            "PUT",
            "/api/v2/tickets/4711.json",
            {"ticket": {"tags": ["cre_escalated"]}},
            400,
            "replaces every tag",
        ),
        ("PUT", "/api/v2/tickets/4711.json", {"ticket": {}}, 400, "nothing to change"),
        ("PUT", "/api/v2/tickets/4711.json", {"ticket": {"subject": "x"}}, 400, "unexpected"),
        ("PUT", "/api/v2/tickets/4711/tags.json", {"tags": []}, 400, "non-empty list"),
        ("POST", "/api/v2/tickets/4711.json", {"ticket": {}}, 404, "no such endpoint"),
        ("PUT", "/api/v2/tickets/abc.json", {}, 404, "no such endpoint"),
    ],
)
def test_requests_zendesk_would_refuse_are_refused_and_recorded(
    http: httpx.Client,
    zendesk: ZendeskStandIn,
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
    problem: str,
) -> None:
    response = http.request(method, path, json=body)
    assert response.status_code == status
    assert problem in zendesk.problems[-1]
    assert zendesk.ticket(4711).comments == []
    assert zendesk.ticket(4711).tags == ["vip"]


def test_missing_credentials_are_a_401(
    zendesk_server: RunningZendesk, zendesk: ZendeskStandIn
) -> None:
    response = httpx.put(
        f"{zendesk_server.url}/api/v2/tickets/4711/tags.json", json={"tags": ["a"]}
    )
    assert response.status_code == 401
    assert "credentials" in zendesk.problems[-1]


def test_update_tickets_limit_is_enforced_when_asked(
    zendesk_server: RunningZendesk, http: httpx.Client
) -> None:
    standin = zendesk_server.standin
    standin.update_limit = 3
    answers = [http.put("/api/v2/tickets/4711/tags.json", json={"tags": ["a"]}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert "over Update Ticket's 3/min" in standin.problems[-1]
