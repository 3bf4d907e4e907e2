"""The normal lane's work in a process of its own: forwarded, done there, restarted, finished at exit."""

from __future__ import annotations

import functools
import json
import os
import signal
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import BEHIND_SECONDS, create_app
from bot.i18n import t
from bot.ops_web import OpsEndpoints
from bot.runtime import Runtime
from bot.settings import Settings
from bot.web import SlackWsgiApp
from bot.work_process import ForwardingPool, WorkProcess
from bot.workspace.webapi import RESPONSE_URL, RunningServer, SlackStandIn
from tests.conftest import SIGNING_SECRET
from tests.support.flows import wait_for
from tests.support.served import (
    Served,
    crebot_serve,
    serve_env,
    signed_cre_command,
    work_processes,
)
from tests.support.slack import SlackDriver, TrackingExecutor


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def stand_in(
    reported: float,
    taken: Path,
    receiver: Connection,
    received: Any,
    behind_since: Any,
    _settings: Settings,
    _nice: int,
) -> None:
    """A work process that reports `reported` seconds behind and writes down what it is sent."""
    behind_since.value = time.monotonic() - reported if reported else 0.0
    while True:
        try:
            body = receiver.recv()
        except EOFError:
            return
        with taken.open("a") as out:
            out.write(json.dumps(body) + "\n")
        if reported == 0:  # one that takes nothing off the pipe, as far as the web worker can tell
            continue
        received.value += 1


def written(taken: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in taken.read_text().splitlines()] if taken.exists() else []


@pytest.fixture
def forwarding(
    runtime: Runtime,
    settings: Settings,
    standin: SlackStandIn,
    slack_server: RunningServer,
    tmp_path: Path,
) -> Iterator[tuple[SlackDriver, Path]]:
    """The real app in a web worker whose work process is 5 s behind and records what it gets."""
    taken = tmp_path / "taken.jsonl"
    work = WorkProcess(
        settings=settings, nice=0, target=functools.partial(stand_in, BEHIND_SECONDS + 2, taken)
    )
    local = TrackingExecutor(1, urgent_workers=2)
    app = create_app(runtime, listener_executor=ForwardingPool(local, work))
    driver = SlackDriver(
        wsgi=SlackWsgiApp(
            app=app,
            db=runtime.db,
            signing_secret=SIGNING_SECRET,
            ops=OpsEndpoints(db=runtime.db, now=runtime.now),
        ),
        executor=local,
        standin=standin,
        server=slack_server,
        signing_secret=SIGNING_SECRET,
    )
    assert wait_for(lambda: work.backlog_seconds() > BEHIND_SECONDS, timeout=30)
    yield driver, taken
    local.shutdown()
    work.close()


def test_a_read_only_command_is_refused_when_the_work_process_is_behind(
    forwarding: tuple[SlackDriver, Path], runtime: Runtime
) -> None:
    slack, taken = forwarding
    response = slack.command("/cre", "queue")
    assert response.json() == {"text": t("reply.busy", runtime.lang), "response_type": "ephemeral"}
    assert slack.responses_text() == []
    assert written(taken) == []


def test_a_changing_command_is_told_working_on_it_and_handed_to_the_work_process(
    forwarding: tuple[SlackDriver, Path], runtime: Runtime
) -> None:
    slack, taken = forwarding
    response = slack.command("/cre", "away 2h", user="U0KENJI")
    assert response.json() == {
        "text": t("reply.working_on_it", runtime.lang),
        "response_type": "ephemeral",
    }
    assert wait_for(lambda: len(written(taken)) == 1, timeout=10)
    [body] = written(taken)
    assert (body["command"], body["text"], body["user_id"]) == ("/cre", "away 2h", "U0KENJI")
    assert slack.responses_text() == []  # not run in the web worker


def test_the_backlog_is_how_long_the_oldest_body_not_taken_has_waited(
    settings: Settings, tmp_path: Path
) -> None:
    ticks = Ticks()
    taken = tmp_path / "taken.jsonl"
    work = WorkProcess(
        settings=settings, nice=0, target=functools.partial(stand_in, 0, taken), clock=ticks
    )
    try:
        assert work.backlog_seconds() == 0.0
        work.send({"n": 1})
        ticks.now += 2.5
        work.send({"n": 2})
        ticks.now += 1.5
        assert work.backlog_seconds() == 4.0  # the first sent, not the last
    finally:
        work.close()


def test_a_report_the_work_process_does_not_renew_ages_by_itself(
    settings: Settings, tmp_path: Path
) -> None:
    """A work process starved of CPU stops reporting: its last backlog must not stand still."""
    work = WorkProcess(
        settings=settings, nice=0, target=functools.partial(stand_in, 1.0, tmp_path / "t.jsonl")
    )
    try:
        assert wait_for(lambda: work.backlog_seconds() >= 1.0, timeout=30)
        first = work.backlog_seconds()
        assert wait_for(lambda: work.backlog_seconds() >= first + 0.2, timeout=5)
    finally:
        work.close()


# -- `crebot serve` with its work processes --------------------------------------------------------


@pytest.fixture
def env(database_url: str, slack_server: RunningServer, tmp_path: Path) -> dict[str, str]:
    return serve_env(
        database_url=database_url,
        slack_api_url=slack_server.base_url,
        tmp_path=tmp_path,
        extra={"WORK_PROCESSES": "1"},
    )


def answered(standin: SlackStandIn, token: str) -> bool:
    return any(call.path.endswith(token) for call in standin.calls_to(RESPONSE_URL))


def ask_help(served: Served, standin: SlackStandIn, server: RunningServer) -> str:
    """Send `/cre help`, check its ack is immediate and empty; its response_url's token."""
    token, body, headers = signed_cre_command(standin, server, "help")
    response = httpx.post(served.url + "/slack/events", content=body, headers=headers, timeout=10)
    assert (response.status_code, response.text) == (200, "")
    return token


def the_work_process(served: Served) -> int:
    assert wait_for(lambda: len(work_processes(served)) == 1, timeout=30), work_processes(served)
    return work_processes(served)[0]


@pytest.mark.slow
def test_the_web_worker_acks_and_its_work_process_answers(
    env: dict[str, str], tmp_path: Path, standin: SlackStandIn, slack_server: RunningServer
) -> None:
    with crebot_serve(env, tmp_path=tmp_path) as served:
        ready = ask_help(served, standin, slack_server)
        assert wait_for(lambda: answered(standin, ready), timeout=60)
        work = the_work_process(served)
        os.kill(work, signal.SIGSTOP)
        try:
            token = ask_help(served, standin, slack_server)  # acked while the work process stops
            assert not wait_for(lambda: answered(standin, token), timeout=1)
        finally:
            os.kill(work, signal.SIGCONT)
        assert wait_for(lambda: answered(standin, token), timeout=30)


@pytest.mark.slow
def test_a_killed_work_process_is_started_again(
    env: dict[str, str], tmp_path: Path, standin: SlackStandIn, slack_server: RunningServer
) -> None:
    with crebot_serve(env, tmp_path=tmp_path) as served:
        first = the_work_process(served)
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: work_processes(served) not in ([], [first]), timeout=30)
        token = ask_help(served, standin, slack_server)
        assert wait_for(lambda: answered(standin, token), timeout=60)
        assert f"work process {first} ended" in served.output()


@pytest.mark.slow
def test_a_graceful_stop_finishes_the_work_already_acked(
    env: dict[str, str], tmp_path: Path, standin: SlackStandIn, slack_server: RunningServer
) -> None:
    with crebot_serve(env, tmp_path=tmp_path) as served:
        ready = ask_help(served, standin, slack_server)
        assert wait_for(lambda: answered(standin, ready), timeout=60)
        work = the_work_process(served)
        os.kill(work, signal.SIGSTOP)
        tokens = [ask_help(served, standin, slack_server) for _ in range(5)]
        os.killpg(served.process.pid, signal.SIGTERM)  # the work process ignores it
        os.kill(work, signal.SIGCONT)
        served.process.wait(timeout=30)
        assert all(answered(standin, token) for token in tokens)
