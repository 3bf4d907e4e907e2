"""The Tickets API client against the Zendesk stand-in over real HTTP: requests, errors, the limiter."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest

from bot.workspace.zendesk import (
    ADD_TAGS,
    LIST_COMMENTS,
    REMOVE_TAGS,
    UPDATE_TICKET,
    RunningZendesk,
    ZendeskStandIn,
)
from bot.zendesk.client import ZendeskAuth, ZendeskClient, ZendeskError
from bot.zendesk.ratelimit import RateLimiter
from tests.conftest import ZENDESK_EMAIL, ZENDESK_TOKEN

FAST = httpx.Timeout(0.5, connect=0.5)


@pytest.fixture
def client(zendesk_server: RunningZendesk) -> ZendeskClient:
    auth = ZendeskAuth.api_token(email=ZENDESK_EMAIL, token=ZENDESK_TOKEN)
    return ZendeskClient(base_url=zendesk_server.url, auth=auth, timeout=FAST)


def test_an_internal_note_is_one_update_ticket_request(
    client: ZendeskClient, zendesk: ZendeskStandIn
) -> None:
    client.add_internal_note(4711, "ESC-1 is with Hanako.", custom_fields=[{"id": 7, "value": "x"}])
    [call] = zendesk.calls_to(UPDATE_TICKET)
    assert (call.method, call.path, call.status) == ("PUT", "/api/v2/tickets/4711.json", 200)
    assert call.body == {
        "ticket": {
            "comment": {"body": "ESC-1 is with Hanako.", "public": False},
            "custom_fields": [{"id": 7, "value": "x"}],
        }
    }
    assert zendesk.ticket(4711).notes() == ["ESC-1 is with Hanako."]
    assert zendesk.ticket(4711).custom_fields == {7: "x"}


def test_tags_are_added_and_removed_without_touching_the_others(
    client: ZendeskClient, zendesk: ZendeskStandIn
) -> None:
    client.add_tags(4711, ["cre_escalated", "cre_resolved"])
    client.remove_tags(4711, ["cre_resolved"])
    assert zendesk.ticket(4711).tags == ["vip", "cre_escalated"]
    assert [
        (c.method, c.path, c.body) for c in zendesk.calls if c.route in (ADD_TAGS, REMOVE_TAGS)
    ] == [
        ("PUT", "/api/v2/tickets/4711/tags.json", {"tags": ["cre_escalated", "cre_resolved"]}),
        ("DELETE", "/api/v2/tickets/4711/tags.json", {"tags": ["cre_resolved"]}),
    ]


def test_a_marker_is_found_among_the_newest_comments_across_pages(
    client: ZendeskClient, zendesk: ZendeskStandIn
) -> None:
    client.add_internal_note(4711, "first [cre-bot:ESC-1:filed:1]")
    for n in range(150):
        client.add_internal_note(4711, f"chatter {n}")
    assert client.has_comment_with(4711, "[cre-bot:ESC-1:filed:1]")  # on the second page
    assert not client.has_comment_with(4711, "[cre-bot:ESC-1:filed:1]", pages=1)
    assert not client.has_comment_with(4711, "[cre-bot:ESC-9:filed:9]")
    pages = zendesk.calls_to(LIST_COMMENTS)
    assert pages[0].query == {"sort_order": "desc", "per_page": "100"}
    assert pages[1].query["page"] == "2"


def test_oauth_sends_a_bearer_token(
    zendesk_server: RunningZendesk, zendesk: ZendeskStandIn
) -> None:
    zendesk.oauth_token = "oauth-access-token"
    client = ZendeskClient(
        base_url=zendesk_server.url, auth=ZendeskAuth.oauth("oauth-access-token")
    )
    client.add_tags(4711, ["cre_escalated"])
    assert zendesk.calls[-1].authorized


@pytest.mark.allow_zendesk_problems
def test_wrong_credentials_are_a_401_and_never_appear_in_the_error_or_logs(
    zendesk_server: RunningZendesk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = ZendeskAuth.api_token(email=ZENDESK_EMAIL, token="wrong-secret-token")
    client = ZendeskClient(base_url=zendesk_server.url, auth=auth)
    with pytest.raises(ZendeskError) as raised:
        client.add_internal_note(4711, "x")
    assert (raised.value.code, raised.value.permanent) == ("http_401", False)
    encoded = base64.b64encode(f"{ZENDESK_EMAIL}/token:wrong-secret-token".encode()).decode()
    for secret in ("wrong-secret-token", encoded):
        assert secret not in caplog.text
        assert secret not in repr(raised.value)
        assert secret not in repr(auth)


@pytest.mark.parametrize(
    ("status", "retry_after", "code", "waits", "maybe_applied", "permanent"),
    [
        (429, 17, "http_429", 17.0, False, False),
        (429, None, "http_429", 60.0, False, False),
        (503, 30, "http_503", 30.0, False, False),
        (500, None, "http_500", None, True, False),
        (502, None, "http_502", None, True, False),
        (422, None, "http_422", None, False, True),
        (404, None, "http_404", None, False, True),
        (409, None, "http_409", None, False, False),
    ],
)
def test_failures_say_how_to_retry(
    client: ZendeskClient,
    zendesk: ZendeskStandIn,
    status: int,
    retry_after: int | None,
    code: str,
    waits: float | None,
    maybe_applied: bool,
    permanent: bool,
) -> None:
    zendesk.fail(UPDATE_TICKET, status=status, retry_after=retry_after)
    with pytest.raises(ZendeskError) as raised:
        client.add_internal_note(4711, "x")
    error = raised.value
    assert (error.code, error.retry_after, error.maybe_applied, error.permanent) == (
        code,
        waits,
        maybe_applied,
        permanent,
    )
    assert zendesk.ticket(4711).notes() == []


@pytest.mark.parametrize("applied", [True, False])
def test_a_timeout_may_have_written_the_note(
    client: ZendeskClient, zendesk: ZendeskStandIn, applied: bool
) -> None:
    zendesk.fail(UPDATE_TICKET, delay=1.5, applied=applied)
    with pytest.raises(ZendeskError) as raised:
        client.add_internal_note(4711, "late")
    assert (raised.value.code, raised.value.maybe_applied) == ("timeout", True)
    assert zendesk.ticket(4711).notes() == (["late"] if applied else [])


def test_a_closed_or_unknown_ticket_is_a_permanent_failure(
    client: ZendeskClient, zendesk: ZendeskStandIn
) -> None:
    zendesk.add_ticket(5, status="closed")
    for ticket_id, code in ((5, "http_422"), (6, "http_404")):
        with pytest.raises(ZendeskError) as raised:
            client.add_internal_note(ticket_id, "x")
        assert (raised.value.code, raised.value.permanent) == (code, True)


def test_nothing_is_sent_to_a_closed_port() -> None:
    auth = ZendeskAuth.oauth("t")
    client = ZendeskClient(base_url="http://127.0.0.1:9", auth=auth, timeout=FAST)
    with pytest.raises(ZendeskError) as raised:
        client.add_tags(1, ["a"])
    assert (raised.value.code, raised.value.maybe_applied) == ("connect_error", False)


def test_a_next_page_on_another_host_is_not_followed(client: ZendeskClient) -> None:
    assert client._same_host_path("https://evil.example/api/v2/x?page=2") is None
    assert client._same_host_path(f"{client.base_url}/api/v2/x?page=2") == "/api/v2/x?page=2"


class FakeTime:
    """A monotonic clock whose sleep moves it: the limiter on simulated time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_limiter_lets_rate_requests_start_in_any_period() -> None:
    time = FakeTime()
    limiter = RateLimiter(rate=100, period=60.0, monotonic=time.monotonic, sleep=time.sleep)
    starts = []
    for _ in range(250):
        limiter.acquire()
        starts.append(time.now)
        time.now += 0.01  # each request takes 10 ms
    for index, start in enumerate(starts[100:], start=100):
        assert start - starts[index - 100] >= 60.0  # never 101 in a minute
    assert starts[-1] < 2 * 60.0 + 1.5  # and no slower than that: 250 in just over two minutes


def test_a_pause_holds_every_request_until_it_passes() -> None:
    time = FakeTime()
    limiter = RateLimiter(rate=100, period=60.0, monotonic=time.monotonic, sleep=time.sleep)
    limiter.acquire()
    limiter.pause(12.0)
    assert limiter.delay() == 12.0
    assert limiter.acquire() == 12.0  # taken at 12 s
    assert time.now == 12.0


def test_a_429_pauses_the_clients_limiter(
    zendesk_server: RunningZendesk, zendesk: ZendeskStandIn
) -> None:
    time = FakeTime()
    limiter = RateLimiter(rate=100, monotonic=time.monotonic, sleep=time.sleep)
    auth = ZendeskAuth.api_token(email=ZENDESK_EMAIL, token=ZENDESK_TOKEN)
    client = ZendeskClient(base_url=zendesk_server.url, auth=auth, limiter=limiter)
    zendesk.fail(UPDATE_TICKET, status=429, retry_after=9)
    with pytest.raises(ZendeskError):
        client.add_internal_note(4711, "x")
    client.add_internal_note(4711, "x")
    assert time.slept == [9.0]
    assert zendesk.ticket(4711).notes() == ["x"]
