"""The admin-API source: a real local HTTP server, and httpx.MockTransport for the edge cases."""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from bot.lookup.config import LookupPolicy
from bot.lookup.query import LookupQuery, parse_lookup_query
from bot.lookup.sources import HttpSource, SourceUnavailable, UserState, build_source

NOW = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
TOKEN = "tok-5ecret-abc123"
ENV = {"ADMIN_API_TOKEN": TOKEN}
TARO = {
    "id": "u-1001",
    "email": "taro.yamada@example.jp",
    "account": {"status": "locked", "reason": "password reset"},
    "devices": [{"os": "iOS 18.3", "app_version": "5.12.0"}],
    "plan": "family",
}
FIELDS = [
    {"label": "Status", "path": "account.status"},
    {"label": "Device", "path": "devices[0].os"},
    {"label": "Plan", "path": "plan"},
    {"label": "Email", "path": "email", "pii": True},
]


class AdminApi:
    """A stand-in admin API on 127.0.0.1 that records every request it receives."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.authorizations: list[str | None] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with api._lock:
                    api.paths.append(self.path)
                    api.authorizations.append(self.headers.get("Authorization"))
                    seen = api.paths.count(self.path)
                api.answer(self, seen)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def answer(self, handler: BaseHTTPRequestHandler, seen: int) -> None:
        """Behave according to the last path segment (the user id or email)."""
        who = unquote(handler.path.rsplit("/", 1)[-1])
        if who in ("u-1001", "taro.yamada@example.jp"):
            self._send(handler, 200, json.dumps(TARO).encode())
        elif who == "u-noid":
            self._send(handler, 200, json.dumps({"plan": "free"}).encode())
        elif who == "u-slow":
            self.release.wait(timeout=10)
            self._send(handler, 200, json.dumps(TARO).encode())
        elif who == "u-500":
            self._send(handler, 500, b'{"error": "boom"}')
        elif who == "u-403":
            self._send(handler, 403, b'{"error": "forbidden"}')
        elif who == "u-redirect":
            handler.send_response(302)
            handler.send_header("Location", "http://example.invalid/steal")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif who == "u-badjson":
            self._send(handler, 200, b"<html>maintenance</html>")
        elif who == "u-list":
            self._send(handler, 200, b'[{"id": "u-list"}]')
        elif who == "u-huge":
            self._send(handler, 200, b'{"id": "u-huge", "blob": "' + b"x" * 1_100_000 + b'"}')
        elif who == "u-closed-once" and seen == 1:
            pass  # close the connection without any response
        elif who == "u-closed-once":
            self._send(handler, 200, json.dumps({"id": "u-closed-once", "plan": "free"}).encode())
        elif who == "u-closed":
            pass
        elif who == "u-trickle":
            self._trickle(handler, json.dumps({"id": "u-trickle", "plan": "free"}).encode())
        elif who == "u-reset":
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.connection.close()
        else:
            self._send(handler, 404, b'{"error": "not found"}')

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout tests)

    def _trickle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        """Headers at once, then the body one byte every 0.15 s: each read is quick, the whole not."""
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            for byte in body:
                if self.release.wait(0.15):  # the server's pace; stop() ends it
                    return
                handler.wfile.write(bytes([byte]))
        except OSError:
            pass  # the client hung up

    def requests_for(self, who: str) -> int:
        """How many requests reached the server for this last path segment (raw)."""
        with self._lock:
            return sum(1 for path in self.paths if path.rsplit("/", 1)[-1] == who)

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[AdminApi]:
    server = AdminApi()
    yield server
    server.stop()


def _http_policy(base: str, **http: Any) -> LookupPolicy:
    settings = {
        "user_url": f"{base}/api/users/{{user_id}}",
        "email_url": f"{base}/api/users/by-email/{{email}}",
        "timeout": 2.0,
        **http,
    }
    return LookupPolicy.model_validate({"source": "http", "http": settings, "fields": FIELDS})


def _source(
    base: str = "https://admin.internal",
    *,
    transport: httpx.BaseTransport | None = None,
    environ: dict[str, str] = ENV,
    **http: Any,
) -> HttpSource:
    source = build_source(_http_policy(base, **http), transport=transport, environ=environ)
    assert isinstance(source, HttpSource)
    return source


def _user(user_id: str) -> LookupQuery:
    return LookupQuery("user_id", user_id)


def _values(state: UserState | None) -> dict[str, str]:
    assert state is not None
    return {field.label: field.value for field in state.fields}


def _reason_of(call: Callable[[], object]) -> str:
    with pytest.raises(SourceUnavailable) as caught:
        call()
    return caught.value.reason


# --- against a real HTTP server -------------------------------------------------------------


def test_fetches_a_user_by_id_with_the_bearer_token(api: AdminApi) -> None:
    state = _source(api.base).fetch(_user("u-1001"), now=NOW)
    assert state is not None
    assert state.user_id == "u-1001"
    assert _values(state) == {
        "Status": "locked",
        "Device": "iOS 18.3",
        "Plan": "family",
        "Email": "taro.yamada@example.jp",
    }
    assert [field.pii for field in state.fields] == [False, False, False, True]
    assert api.paths == ["/api/users/u-1001"]
    assert api.authorizations == [f"Bearer {TOKEN}"]


def test_fetches_a_user_by_email_with_the_address_encoded(api: AdminApi) -> None:
    state = _source(api.base).fetch(parse_lookup_query("taro.yamada@example.jp"), now=NOW)
    assert state is not None
    assert state.user_id == "u-1001"
    assert api.paths == ["/api/users/by-email/taro.yamada%40example.jp"]


def test_user_id_falls_back_to_the_query_when_the_answer_has_none(api: AdminApi) -> None:
    state = _source(api.base).fetch(_user("u-noid"), now=NOW)
    assert state is not None
    assert state.user_id == "u-noid"


def test_unknown_user_is_none(api: AdminApi) -> None:
    assert _source(api.base).fetch(_user("u-9999"), now=NOW) is None


def test_path_characters_never_reach_the_server_raw(api: AdminApi) -> None:
    hostile = "../etc/passwd?x=1#y"
    assert _source(api.base).fetch(_user(hostile), now=NOW) is None
    assert len(api.paths) == 1
    seen = api.paths[0]
    assert hostile not in seen
    assert not any(char in seen for char in "?#")
    assert seen == "/api/users/..%2Fetc%2Fpasswd%3Fx%3D1%23y"
    assert unquote(seen.removeprefix("/api/users/")) == hostile


@pytest.mark.parametrize("value", ["", ".", "..", " .. "])
def test_values_that_are_only_dots_or_empty_are_never_sent(api: AdminApi, value: str) -> None:
    assert _source(api.base).fetch(_user(value), now=NOW) is None
    assert api.paths == []


def test_slow_answer_times_out_without_retry(api: AdminApi) -> None:
    source = _source(api.base, timeout=0.2)
    assert _reason_of(lambda: source.fetch(_user("u-slow"), now=NOW)) == "timeout"
    assert api.requests_for("u-slow") == 1


def test_a_trickling_answer_is_cut_off_at_the_deadline_not_read_to_the_end(api: AdminApi) -> None:
    source = _source(api.base, timeout=0.5)

    started = time.monotonic()
    assert _reason_of(lambda: source.fetch(_user("u-trickle"), now=NOW)) == "timeout"
    elapsed = time.monotonic() - started

    # Each byte comes well within the 0.5 s read timeout; the whole answer would take ~5 s.
    assert elapsed < 2.0
    assert api.requests_for("u-trickle") == 1


def test_server_error_is_error_without_retry(api: AdminApi) -> None:
    source = _source(api.base)
    assert _reason_of(lambda: source.fetch(_user("u-500"), now=NOW)) == "error"
    assert api.requests_for("u-500") == 1


@pytest.mark.parametrize("who", ["u-403", "u-redirect"])
def test_other_statuses_are_errors_and_redirects_are_not_followed(api: AdminApi, who: str) -> None:
    source = _source(api.base)
    assert _reason_of(lambda: source.fetch(_user(who), now=NOW)) == "error"
    assert api.requests_for(who) == 1
    assert len(api.paths) == 1


@pytest.mark.parametrize("who", ["u-badjson", "u-list", "u-huge"])
def test_answers_that_are_not_a_json_object_are_bad_responses(api: AdminApi, who: str) -> None:
    source = _source(api.base)
    assert _reason_of(lambda: source.fetch(_user(who), now=NOW)) == "bad_response"


def test_email_answer_without_an_id_is_a_bad_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"plan": "free"})

    source = _source(transport=httpx.MockTransport(handler))
    query = parse_lookup_query("someone@example.jp")
    assert _reason_of(lambda: source.fetch(query, now=NOW)) == "bad_response"


def test_a_dropped_connection_is_retried_once(api: AdminApi) -> None:
    state = _source(api.base).fetch(_user("u-closed-once"), now=NOW)
    assert _values(state) == {"Plan": "free"}
    assert api.requests_for("u-closed-once") == 2


@pytest.mark.parametrize("who", ["u-closed", "u-reset"])
def test_a_connection_that_keeps_failing_is_tried_exactly_twice(api: AdminApi, who: str) -> None:
    source = _source(api.base)
    assert _reason_of(lambda: source.fetch(_user(who), now=NOW)) == "error"
    assert api.requests_for(who) == 2


def test_breaker_opens_against_a_failing_server_and_recovers(api: AdminApi) -> None:
    source = _source(api.base, breaker_failures=3, breaker_reset=30)
    for _ in range(3):
        assert _reason_of(lambda: source.fetch(_user("u-500"), now=NOW)) == "error"
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "circuit_open"
    assert api.requests_for("u-1001") == 0

    later = NOW + timedelta(seconds=30)
    assert source.fetch(_user("u-1001"), now=later) is not None
    assert source.breaker.state == "closed"
    assert api.requests_for("u-1001") == 1


def test_nothing_logged_carries_the_token_the_user_or_field_values(
    api: AdminApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    source = _source(api.base, timeout=0.2)
    source.fetch(_user("u-1001"), now=NOW)
    source.fetch(parse_lookup_query("taro.yamada@example.jp"), now=NOW)
    source.fetch(_user("u-9999"), now=NOW)
    for who in ("u-500", "u-slow", "u-badjson", "u-closed"):
        with pytest.raises(SourceUnavailable):
            source.fetch(_user(who), now=NOW)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "lookup http" in logged
    assert "HTTP Request" in logged  # httpx's own line is kept, with the URL redacted
    for secret in (TOKEN, "u-1001", "taro", "u-9999", "u-500", "u-slow", "locked", "iOS 18.3"):
        assert secret not in logged


# --- with httpx.MockTransport ---------------------------------------------------------------


class CountingHandler:
    """A MockTransport handler that answers from a script and counts calls."""

    def __init__(self, *outcomes: httpx.Response | Exception) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes[min(len(self.requests), len(self.outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def _ok(user_id: str = "u-1001") -> httpx.Response:
    return httpx.Response(200, json={**TARO, "id": user_id})


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ReadError("reset"), httpx.RemoteProtocolError("x")],
)
def test_connection_errors_are_retried_once(error: Exception) -> None:
    handler = CountingHandler(error, _ok())
    state = _source(transport=httpx.MockTransport(handler)).fetch(_user("u-1001"), now=NOW)
    assert state is not None
    assert len(handler.requests) == 2


def test_connection_refused_twice_is_an_error() -> None:
    handler = CountingHandler(httpx.ConnectError("refused"))
    source = _source(transport=httpx.MockTransport(handler))
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "error"
    assert len(handler.requests) == 2


@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")]
)
def test_timeouts_are_not_retried(error: Exception) -> None:
    handler = CountingHandler(error, _ok())
    source = _source(transport=httpx.MockTransport(handler))
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "timeout"
    assert len(handler.requests) == 1


def test_real_connection_refused_is_an_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = _source(f"http://127.0.0.1:{port}")
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "error"


def test_unavailable_messages_are_free_of_the_user_and_the_token() -> None:
    for outcome in (httpx.ConnectError("http://x/u-1001 refused"), httpx.Response(500)):
        source = _source(transport=httpx.MockTransport(CountingHandler(outcome)))
        with pytest.raises(SourceUnavailable) as caught:
            source.fetch(_user("u-1001"), now=NOW)
        assert "u-1001" not in str(caught.value)
        assert TOKEN not in str(caught.value)
        assert caught.value.__cause__ is None


def test_missing_token_variable_is_not_configured_and_calls_nothing() -> None:
    handler = CountingHandler(_ok())
    source = _source(transport=httpx.MockTransport(handler), environ={})
    with pytest.raises(SourceUnavailable) as caught:
        source.fetch(_user("u-1001"), now=NOW)
    assert caught.value.reason == "not_configured"
    assert "ADMIN_API_TOKEN" in str(caught.value)
    assert handler.requests == []
    assert source.breaker.state == "closed"


def test_blank_token_counts_as_missing() -> None:
    source = _source(
        transport=httpx.MockTransport(CountingHandler(_ok())), environ={"ADMIN_API_TOKEN": " "}
    )
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "not_configured"


def test_token_is_read_from_the_named_variable_once_at_construction() -> None:
    handler = CountingHandler(_ok())
    environ = {"OTHER_TOKEN": "t-1"}
    source = _source(
        transport=httpx.MockTransport(handler), environ=environ, token_env="OTHER_TOKEN"
    )
    environ["OTHER_TOKEN"] = "t-2"
    source.fetch(_user("u-1001"), now=NOW)
    assert handler.requests[0].headers["Authorization"] == "Bearer t-1"


def test_email_lookup_without_an_email_url_is_not_configured() -> None:
    handler = CountingHandler(_ok())
    source = _source(transport=httpx.MockTransport(handler), email_url="")
    query = parse_lookup_query("taro.yamada@example.jp")
    assert _reason_of(lambda: source.fetch(query, now=NOW)) == "not_configured"
    assert handler.requests == []


def test_timeout_comes_from_the_policy() -> None:
    handler = CountingHandler(_ok())
    _source(transport=httpx.MockTransport(handler), timeout=1.5).fetch(_user("u-1001"), now=NOW)
    assert handler.requests[0].extensions["timeout"]["read"] == 1.5


def test_query_string_templates_encode_the_value() -> None:
    handler = CountingHandler(_ok())
    source = _source(
        transport=httpx.MockTransport(handler),
        user_url="https://admin.internal/api/users?id={user_id}&v=2",
    )
    source.fetch(_user("a&b=c"), now=NOW)
    url = handler.requests[0].url
    assert url.params["id"] == "a&b=c"
    assert url.params["v"] == "2"


def test_successful_answers_are_cached_until_the_ttl_expires() -> None:
    handler = CountingHandler(_ok())
    source = _source(transport=httpx.MockTransport(handler), cache_ttl=60)
    first = source.fetch(_user("u-1001"), now=NOW)
    second = source.fetch(_user("u-1001"), now=NOW + timedelta(seconds=59))
    assert second == first
    assert len(handler.requests) == 1
    source.fetch(_user("u-1001"), now=NOW + timedelta(seconds=60))
    assert len(handler.requests) == 2


def test_unknown_users_are_cached_too() -> None:
    handler = CountingHandler(httpx.Response(404))
    source = _source(transport=httpx.MockTransport(handler))
    assert source.fetch(_user("u-0"), now=NOW) is None
    assert source.fetch(_user("u-0"), now=NOW + timedelta(seconds=1)) is None
    assert len(handler.requests) == 1


def test_failures_are_not_cached() -> None:
    handler = CountingHandler(httpx.Response(500), _ok())
    source = _source(transport=httpx.MockTransport(handler))
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "error"
    assert source.fetch(_user("u-1001"), now=NOW) is not None
    assert len(handler.requests) == 2


def test_cache_is_per_query() -> None:
    handler = CountingHandler(_ok())
    source = _source(transport=httpx.MockTransport(handler))
    source.fetch(_user("u-1001"), now=NOW)
    source.fetch(_user("u-1002"), now=NOW)
    source.fetch(LookupQuery("email", "taro.yamada@example.jp"), now=NOW)
    source.fetch(LookupQuery("email", "Taro.Yamada@example.jp"), now=NOW)
    assert len(handler.requests) == 3


def test_zero_ttl_disables_the_cache() -> None:
    handler = CountingHandler(_ok())
    source = _source(transport=httpx.MockTransport(handler), cache_ttl=0)
    source.fetch(_user("u-1001"), now=NOW)
    source.fetch(_user("u-1001"), now=NOW)
    assert len(handler.requests) == 2


def test_breaker_fails_fast_then_lets_one_trial_through() -> None:
    handler = CountingHandler(httpx.Response(503))
    source = _source(transport=httpx.MockTransport(handler), breaker_failures=2, breaker_reset=30)
    for _ in range(2):
        assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "error"
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "circuit_open"
    assert _reason_of(lambda: source.fetch(_user("u-2"), now=NOW + timedelta(seconds=29))) == (
        "circuit_open"
    )
    assert len(handler.requests) == 2

    trial_at = NOW + timedelta(seconds=30)
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=trial_at)) == "error"
    assert len(handler.requests) == 3
    assert source.breaker.state == "open"
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=trial_at)) == "circuit_open"

    handler.outcomes = [_ok()]
    assert source.fetch(_user("u-1001"), now=trial_at + timedelta(seconds=30)) is not None
    assert source.breaker.state == "closed"
    assert len(handler.requests) == 4


def test_not_found_counts_as_success_for_the_breaker() -> None:
    handler = CountingHandler(httpx.Response(500), httpx.Response(404), httpx.Response(500))
    source = _source(transport=httpx.MockTransport(handler), breaker_failures=2)
    _reason_of(lambda: source.fetch(_user("a"), now=NOW))
    assert source.fetch(_user("b"), now=NOW) is None
    _reason_of(lambda: source.fetch(_user("c"), now=NOW))
    assert source.breaker.state == "closed"


def test_bad_responses_count_as_failures_for_the_breaker() -> None:
    handler = CountingHandler(httpx.Response(200, text="nope"))
    source = _source(transport=httpx.MockTransport(handler), breaker_failures=2)
    for _ in range(2):
        assert _reason_of(lambda: source.fetch(_user("u-1"), now=NOW)) == "bad_response"
    assert _reason_of(lambda: source.fetch(_user("u-1"), now=NOW)) == "circuit_open"


def test_cached_answers_are_served_while_the_breaker_is_open() -> None:
    handler = CountingHandler(_ok(), httpx.Response(500))
    source = _source(transport=httpx.MockTransport(handler), breaker_failures=1)
    source.fetch(_user("u-1001"), now=NOW)
    _reason_of(lambda: source.fetch(_user("u-2"), now=NOW))
    assert source.breaker.state == "open"
    assert source.fetch(_user("u-1001"), now=NOW) is not None


def test_concurrent_fetches_are_safe() -> None:
    handler = CountingHandler(_ok())
    source = _source(transport=httpx.MockTransport(handler))
    results: list[UserState | None] = []
    lock = threading.Lock()

    def fetch(number: int) -> None:
        state = source.fetch(_user(f"u-{number % 10}"), now=NOW)
        with lock:
            results.append(state)

    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 50
    assert all(state is not None for state in results)
    assert 10 <= len(handler.requests) <= 50
    before = len(handler.requests)
    for number in range(10):
        source.fetch(_user(f"u-{number}"), now=NOW)
    assert len(handler.requests) == before


# --- the overall deadline, with a fake monotonic clock ----------------------------------------


class FakeMonotonic:
    """A monotonic clock that moves only when the fake admin API says time passed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _timed_source(
    clock: FakeMonotonic, handler: Callable[[httpx.Request], httpx.Response], **http: Any
) -> HttpSource:
    policy = _http_policy("https://admin.internal", **http)
    return HttpSource(
        config=policy.http,
        fields=policy.fields,
        transport=httpx.MockTransport(handler),
        environ=ENV,
        monotonic=clock,
    )


def test_a_connection_error_is_not_retried_once_the_deadline_has_passed() -> None:
    clock = FakeMonotonic()
    requests: list[httpx.Request] = []

    def refuse_slowly(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        clock.now += 0.6
        raise httpx.ConnectError("refused")

    source = _timed_source(clock, refuse_slowly, timeout=0.5)
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "timeout"
    assert len(requests) == 1


def test_the_retry_gets_only_the_time_left() -> None:
    clock = FakeMonotonic()
    requests: list[httpx.Request] = []

    def refuse_then_answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if len(requests) == 1:
            clock.now += 0.3
            raise httpx.ConnectError("refused")
        return _ok()

    source = _timed_source(clock, refuse_then_answer, timeout=0.5)
    assert source.fetch(_user("u-1001"), now=NOW) is not None
    assert requests[0].extensions["timeout"]["read"] == 0.5
    assert requests[1].extensions["timeout"]["read"] == pytest.approx(0.2)
    assert requests[1].extensions["timeout"]["connect"] == pytest.approx(0.2)


def test_the_deadline_is_checked_while_the_body_arrives() -> None:
    clock = FakeMonotonic()
    chunks_sent: list[bytes] = []

    def slow_chunks() -> Iterator[bytes]:
        for chunk in (b'{"id": ', b'"u-1001", ', b'"plan": ', b'"family"', b"}"):
            clock.now += 0.2
            chunks_sent.append(chunk)
            yield chunk

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=slow_chunks())

    source = _timed_source(clock, answer, timeout=0.5)
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "timeout"
    assert len(chunks_sent) == 3  # given up on at the first chunk past the deadline
    assert source.breaker.consecutive_failures == 1


# --- answers that used to escape as other exceptions -------------------------------------------


def test_json_nested_too_deep_is_a_bad_response_the_breaker_counts() -> None:
    handler = CountingHandler(httpx.Response(200, content=b"[" * 200_000))
    source = _source(transport=httpx.MockTransport(handler), breaker_failures=1)
    assert _reason_of(lambda: source.fetch(_user("u-1001"), now=NOW)) == "bad_response"
    assert source.breaker.state == "open"


def test_an_unexpected_failure_is_an_error_the_breaker_counts_and_only_its_type_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    handler = CountingHandler(RuntimeError("u-1001 taro.yamada@example.jp"))
    source = _source(transport=httpx.MockTransport(handler), breaker_failures=1)

    with pytest.raises(SourceUnavailable) as caught:
        source.fetch(_user("u-1001"), now=NOW)

    assert caught.value.reason == "error"
    assert caught.value.__cause__ is None
    assert source.breaker.state == "open"
    logged = caplog.text
    assert "RuntimeError" in logged
    assert "u-1001" not in logged
    assert "taro" not in logged


# --- the id the API answers with ---------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["../x?y", "x" * 5000, "a b", "u-1#frag", "someone@example.jp"])
def test_a_malformed_id_in_the_answer_falls_back_to_the_queried_id(
    bad_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    handler = CountingHandler(httpx.Response(200, json={**TARO, "id": bad_id}))
    state = _source(transport=httpx.MockTransport(handler)).fetch(_user("u-1001"), now=NOW)

    assert state is not None
    assert state.user_id == "u-1001"
    assert bad_id not in caplog.text


def test_a_malformed_id_in_an_answer_by_email_is_a_bad_response() -> None:
    handler = CountingHandler(httpx.Response(200, json={**TARO, "id": "../../admin"}))
    source = _source(transport=httpx.MockTransport(handler))
    query = parse_lookup_query("taro.yamada@example.jp")
    assert _reason_of(lambda: source.fetch(query, now=NOW)) == "bad_response"


def test_a_numeric_id_is_still_an_id() -> None:
    handler = CountingHandler(httpx.Response(200, json={**TARO, "id": 120034}))
    source = _source(transport=httpx.MockTransport(handler))
    state = source.fetch(parse_lookup_query("taro.yamada@example.jp"), now=NOW)
    assert state is not None
    assert state.user_id == "120034"


def test_the_answers_email_is_kept_normalised_for_the_chart() -> None:
    handler = CountingHandler(httpx.Response(200, json={**TARO, "email": "Taro.Yamada@Example.JP"}))
    state = _source(transport=httpx.MockTransport(handler)).fetch(_user("u-1001"), now=NOW)
    assert state is not None
    assert state.email == "taro.yamada@example.jp"
    assert state.masked().email is None
