"""Socket Mode through a WebSocket stand-in on loopback: the same calls as HTTP, acks on time after
Slack refreshes the connection, and `crebot serve` answering its health check on $PORT."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.clock import ManualClock
from bot.db import Database
from bot.policy import Policy
from bot.runtime import Runtime, make_web_client
from bot.settings import Settings
from bot.web import SlackWsgiApp
from bot.workspace.socket_mode import SocketModeStandIn
from bot.workspace.webapi import RESPONSE_URL, SlackStandIn
from tests.conftest import SIGNING_SECRET, START, TEAM, drive_app
from tests.support import db as test_db
from tests.support.flows import (
    assert_acked,
    escalation,
    file_via_modal,
    resolve_via_modal,
    submit_escalation,
    wait_on_cs,
)
from tests.support.slack import SlackDriver, TrackingExecutor
from tests.support.socket_mode import APP_TOKEN, socket_mode_app
from tests.support.zendesk import WEBHOOK_SECRET, signed_headers, ticket_body

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_POLICY = ROOT / "tests" / "fixtures" / "policy.toml"
FAST_ACK = 1.0  # seconds: Slack allows 3; an HTTP ack here takes milliseconds


def _standin(clock: ManualClock) -> SlackStandIn:
    fake = SlackStandIn(clock=lambda: clock.now().timestamp())
    for user_id, name in TEAM.items():
        fake.add_user(user_id, name)
    fake.add_channel("C0ESCALATE", "cre-escalations")
    fake.add_channel("C0SUPPORT", "cs-support")
    return fake


def _runtime(database_url: str, policy: Policy, clock: ManualClock, api_url: str) -> Runtime:
    settings = Settings(
        slack_bot_token="xoxb-test-token",  # type: ignore[arg-type]
        slack_app_token=APP_TOKEN,  # type: ignore[arg-type]
        slack_api_url=api_url,
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    client = make_web_client(settings.bot_token(), base_url=api_url)
    return Runtime(
        settings=settings, policy=policy, db=Database(database_url), client=client, clock=clock
    )


# -- the same story over HTTP and over Socket Mode ----------------------------------------------


def _story(slack: SlackDriver) -> list[str]:
    """A CS agent files (one bad try first), the engineer works it, the lead looks, it is resolved."""
    acks = []
    assert_acked(slack.command("/escalate", "Login fails after password reset"))
    refused = submit_escalation(slack, values={"zendesk": "not a ticket"})
    acks.append(refused.body)
    card = file_via_modal(slack)
    assert_acked(slack.click(card, "esc.acknowledge", user="U0HANAKO"))
    acks.append(wait_on_cs(slack, card, user="U0HANAKO").body)  # a modal's submission, acked
    assert_acked(slack.click(card, "esc.resume", user="U0HANAKO"))
    assert_acked(slack.click(card, "esc.wait_question", user="U0OTHER"))  # refused privately
    assert_acked(slack.command("/cre", "queue", user="U0LEAD"))
    assert_acked(slack.command("/cre", "show ESC-1", user="U0LEAD"))
    slack.event({"type": "app_home_opened", "user": "U0HANAKO", "tab": "home"})
    acks.append(resolve_via_modal(slack, card, user="U0HANAKO").body)
    return acks


VOLATILE = [
    (re.compile(r"trigger-[0-9a-f]{32}"), "trigger-…"),
    (re.compile(r"/response/[0-9a-f]{32}"), "/response/…"),
]


def _calls(standin: SlackStandIn) -> list[str]:
    """Every call the app made, in order, with the ids Slack makes up per request blanked."""
    calls = []
    for call in sorted(standin.calls, key=lambda c: c.at):
        text = json.dumps([call.method, call.path, call.args, call.response], sort_keys=True)
        for pattern, replacement in VOLATILE:
            text = pattern.sub(replacement, text)
        calls.append(text)
    return calls


@pytest.fixture
def fresh_database(
    tmp_path: Path, sqlite_template: Path | None, postgres_schema: str | None
) -> Callable[[str], str]:
    """An empty migrated database for each run of the story (PostgreSQL's is emptied again)."""

    def make(name: str) -> str:
        if postgres_schema is not None:
            test_db.truncate_postgres(postgres_schema)
            return postgres_schema
        assert sqlite_template is not None
        directory = tmp_path / name
        directory.mkdir()
        return test_db.sqlite_copy(sqlite_template, directory)

    return make


def _run_story(
    transport: str, *, database_url: str, policy: Policy
) -> tuple[list[str], list[str], list[str]]:
    clock = ManualClock(START)
    standin = _standin(clock)
    server = standin.serve()
    runtime = _runtime(database_url, policy, clock, server.base_url)
    executor = TrackingExecutor()
    try:
        if transport == "http":
            acks = _story(drive_app(runtime, standin=standin, server=server, executor=executor))
        else:
            with socket_mode_app(
                runtime,
                standin=standin,
                server=server,
                executor=executor,
                signing_secret=SIGNING_SECRET,
            ) as slack:
                acks = _story(slack)
        executor.drain()
        assert escalation(runtime.db).status == "resolved"
        return acks, _calls(standin), standin.problems
    finally:
        executor.shutdown(wait=True)
        server.stop()
        runtime.db.dispose()


def test_socket_mode_makes_the_same_calls_as_http_call_for_call(
    fresh_database: Callable[[str], str], policy: Policy
) -> None:
    http_acks, over_http, http_problems = _run_story(
        "http", database_url=fresh_database("http"), policy=policy
    )
    socket_acks, over_socket, socket_problems = _run_story(
        "socket", database_url=fresh_database("socket"), policy=policy
    )

    assert http_problems == socket_problems == []
    assert socket_acks == http_acks
    assert json.loads(socket_acks[0])["response_action"] == "errors"  # the modal's field error
    methods = [json.loads(call)[0] for call in over_socket]
    assert {"views.open", "chat.postMessage", "chat.update", "views.publish"} <= set(methods)
    assert over_socket[:1] == [c for c in over_socket if "apps.connections.open" in c][:1]
    assert over_socket[1:] == over_http, "\n".join(
        f"{a}\n  vs {b}" for a, b in zip(over_socket[1:], over_http, strict=False) if a != b
    )


# -- Slack refreshing the connection ------------------------------------------------------------------


@pytest.fixture
def socket_slack(
    runtime: Runtime, standin: SlackStandIn, slack_server: Any
) -> Iterator[SlackDriver]:
    """The real app in Socket Mode; Slack's stand-in keeps a refreshed socket open for 5 s."""
    executor = TrackingExecutor()
    with socket_mode_app(
        runtime,
        standin=standin,
        server=slack_server,
        executor=executor,
        signing_secret=SIGNING_SECRET,
        linger=5.0,
    ) as slack:
        yield slack
    executor.shutdown(wait=True)


def _socket(slack: SlackDriver) -> SocketModeStandIn:
    socket = getattr(slack, "socket", None)
    assert isinstance(socket, SocketModeStandIn)
    return socket


def test_the_first_command_after_a_refresh_is_acked_at_once(socket_slack: SlackDriver) -> None:
    socket = _socket(socket_slack)
    for refresh in range(2):
        socket.refresh()  # the old socket stays open, silent, for 5 s more
        assert socket.wait_for_connections(2 + refresh)
        assert socket.open_connections() >= 1

        response = socket_slack.command("/cre", "help", user="U0LEAD")

        assert response.status == 200
        assert response.seconds < FAST_ACK, f"acked {response.seconds:.2f} s after it was sent"
        assert socket.envelopes  # sent on the new connection, not the one being refreshed
        assert list(socket.envelopes.values())[-1].connection == 2 + refresh
    assert len(socket_slack.standin.calls_to(RESPONSE_URL)) == 2


def test_a_command_sent_while_the_app_reconnects_waits_only_for_the_new_socket(
    socket_slack: SlackDriver,
) -> None:
    socket = _socket(socket_slack)
    started = time.monotonic()
    socket.refresh()

    response = socket_slack.command("/cre", "help", user="U0LEAD")  # waits for a connection

    assert response.status == 200
    assert time.monotonic() - started < FAST_ACK
    assert socket_slack.standin.calls_to(RESPONSE_URL)


def test_slack_events_are_not_served_over_http_in_socket_mode(db: Database) -> None:
    states = {"socket_mode": True}
    front = SlackWsgiApp(
        app=None,
        db=db,
        signing_secret=None,
        health_checks={"socket_mode": lambda: states["socket_mode"]},
    )
    with httpx.Client(transport=httpx.WSGITransport(app=front), base_url="http://app") as http:
        assert http.post("/slack/events", content="command=/cre").status_code == 404
        health = http.get("/healthz")
        assert (health.status_code, health.json()) == (200, {"ok": True, "socket_mode": "up"})
        assert http.get("/readyz").json()["database"] == "up"  # liveness leaves the database out
        states["socket_mode"] = False
        health = http.get("/healthz")
        assert (health.status_code, health.json()["socket_mode"]) == (503, "down")


# -- crebot serve, as the Procfile runs it -------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_crebot_serve_in_socket_mode_answers_its_health_check_on_port(
    tmp_path: Path, database_url: str, standin: SlackStandIn, slack_server: Any
) -> None:
    socket = SocketModeStandIn().start()
    standin.socket_mode_urls = socket.connection_url
    port = _free_port()
    environment = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "CREBOT_", "ZENDESK_"))
        },
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "ZENDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack_server.base_url,
        "DATABASE_URL": database_url,
        "CREBOT_CONFIG": str(FIXTURE_POLICY),
        "PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--no-scheduler"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = _wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        assert health == {"ok": True, "socket_mode": "up"}
        assert httpx.post(f"http://127.0.0.1:{port}/slack/events").status_code == 404
        body = ticket_body(4712)  # Zendesk's deliveries still come to $PORT
        stored = httpx.post(
            f"http://127.0.0.1:{port}/zendesk/webhook",
            content=body,
            headers={
                **signed_headers(body, at=datetime.now(UTC)),
                "Content-Type": "application/json",
            },
        )
        assert (stored.status_code, stored.text) == (202, "accepted\n")
        assert socket.wait_for_connections(1)
        command = {
            "command": "/cre",
            "text": "help",
            "user_id": "U0LEAD",
            "channel_id": "C0SUPPORT",
            "team_id": "T0CREBOT",
            "api_app_id": "ACREBOT",
            "response_url": slack_server.response_url("served"),
            "trigger_id": "trigger-served",
        }
        envelope = socket.wait_for_ack(socket.send("slash_commands", command), timeout=10)
        assert envelope.ack_seconds is not None
        assert envelope.ack_seconds < FAST_ACK
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode("utf-8", "replace")
        socket.stop()
    assert "Traceback" not in output, output
    assert "Help" in json.dumps(standin.responses) or standin.responses, output


def _wait_for_health(url: str, process: subprocess.Popen[bytes]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "crebot serve exited"
        try:
            answer = httpx.get(url, timeout=2)
            if answer.status_code == 200:
                return dict(answer.json())
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("no health check answered on $PORT")
