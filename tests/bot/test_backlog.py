"""A burst is bounded by time: past a few seconds behind, commands are told so at their ack."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.app import BEHIND_SECONDS
from bot.i18n import t
from bot.runtime import Runtime
from bot.workspace.webapi import RunningServer, SlackStandIn
from tests.conftest import drive_app
from tests.support.slack import SlackDriver, TrackingExecutor


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def occupy(pool: TrackingExecutor) -> threading.Event:
    """Take the pool's one normal thread until the returned event is set."""
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(30)

    pool.submit(hold)
    assert started.wait(10)
    return release


def test_the_backlog_is_the_age_of_the_oldest_listener_still_waiting() -> None:
    ticks = Ticks()
    pool = TrackingExecutor(1, urgent_workers=1, clock=ticks)
    assert pool.backlog_seconds() == 0.0
    release = occupy(pool)
    assert pool.backlog_seconds() == 0.0  # running is not waiting
    ticks.now += 1.0
    first = pool.submit(lambda: "first")
    ticks.now += 2.5
    pool.submit(lambda: "second")
    ticks.now += 0.5
    assert pool.backlog_seconds() == 3.0  # the first queued, not the last
    release.set()
    assert first.result(timeout=10) == "first"
    pool.drain(timeout=10)
    assert pool.backlog_seconds() == 0.0
    pool.shutdown()


def test_a_burst_is_behind_by_the_time_its_waiting_listeners_will_take() -> None:
    ticks = Ticks()
    pool = TrackingExecutor(1, urgent_workers=1, clock=ticks)

    def one_second_of_work() -> None:
        ticks.now += 1.0

    for _ in range(40):  # the lane learns that a listener takes about a second
        pool.submit(one_second_of_work).result(timeout=10)
    release = occupy(pool)
    for _ in range(10):  # a burst, all arriving at the same instant
        pool.submit(lambda: None)
    assert 9.5 < pool.backlog_seconds() <= 10.0  # ten listeners of ~1 s on one thread, not 0 s
    release.set()
    pool.drain(timeout=10)
    assert pool.backlog_seconds() == 0.0
    pool.shutdown()


@pytest.fixture
def behind(
    runtime: Runtime, standin: SlackStandIn, slack_server: RunningServer
) -> Iterator[tuple[SlackDriver, Ticks, threading.Event]]:
    """The real app on a pool with one normal thread, held busy, and a hand-moved clock."""
    ticks = Ticks()
    pool = TrackingExecutor(1, urgent_workers=2, clock=ticks)
    driver = drive_app(runtime, standin=standin, server=slack_server, executor=pool)
    release = occupy(pool)
    pool.submit(lambda: None)  # queued behind it: the lane's backlog from now on
    yield driver, ticks, release
    release.set()
    pool.drain()
    pool.shutdown(wait=True)


def test_a_read_only_command_far_behind_is_refused_at_its_ack_and_never_runs(
    behind: tuple[SlackDriver, Ticks, threading.Event], runtime: Runtime
) -> None:
    slack, ticks, release = behind
    ticks.now += BEHIND_SECONDS + 0.1
    response = slack.command("/cre", "queue", drain=False)
    assert response.status == 200
    assert response.json() == {
        "text": t("reply.busy", runtime.lang),
        "response_type": "ephemeral",
    }
    release.set()
    slack.executor.drain()
    assert slack.responses_text() == []  # the queue was never rendered late


def test_a_read_only_command_a_little_behind_is_queued_and_answered(
    behind: tuple[SlackDriver, Ticks, threading.Event], runtime: Runtime
) -> None:
    slack, ticks, release = behind
    ticks.now += BEHIND_SECONDS  # not more than the bound
    response = slack.command("/cre", "queue", drain=False)
    assert (response.status, response.body) == (200, "")
    release.set()
    slack.executor.drain()
    assert slack.responses_text() == [t("reply.queue.title", runtime.lang)]


def test_a_command_that_changes_state_far_behind_is_queued_with_working_on_it(
    behind: tuple[SlackDriver, Ticks, threading.Event], runtime: Runtime
) -> None:
    slack, ticks, release = behind
    ticks.now += BEHIND_SECONDS + 5
    response = slack.command("/cre", "away 2h", user="U0KENJI", drain=False)
    assert response.json() == {
        "text": t("reply.working_on_it", runtime.lang),
        "response_type": "ephemeral",
    }
    release.set()
    slack.executor.drain()
    answers = slack.responses_text()
    assert len(answers) == 1  # it was done
    assert answers[0] != t("reply.busy", runtime.lang)
