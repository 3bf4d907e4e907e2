"""Slack gets its ack, and modals open, while every normal listener thread is stuck on slow work."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from types import ModuleType

import pytest

import handlers.actions
import handlers.commands
from bot.app import is_urgent
from bot.runtime import Runtime
from bot.workspace.webapi import RESPONSE_URL, RunningServer, SlackStandIn
from tests.conftest import drive_app
from tests.support.flows import (
    ESCALATION_CHANNEL,
    assert_acked,
    opened_view,
    submit_escalation,
    wait_for,
)
from tests.support.slack import SlackDriver, TrackingExecutor

SLOW_WORK = 4  # more than the normal lane's threads below: some of it waits in the queue


@pytest.fixture
def small_pool() -> Iterator[TrackingExecutor]:
    pool = TrackingExecutor(2, urgent_workers=1)
    yield pool
    pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
def loaded_slack(
    runtime: Runtime,
    standin: SlackStandIn,
    slack_server: RunningServer,
    small_pool: TrackingExecutor,
) -> Iterator[SlackDriver]:
    """The real app on a small pool whose normal lane is stuck answering slow response_urls."""
    driver = drive_app(runtime, standin=standin, server=slack_server, executor=small_pool)
    standin.fail(RESPONSE_URL, delay=30, times=SLOW_WORK)
    for _ in range(SLOW_WORK):
        assert_acked(driver.command("/cre", "help", user="U0HANAKO", drain=False))
    yield driver
    standin.wake_sleepers()
    small_pool.drain(timeout=30)


def _answered(standin: SlackStandIn) -> int:
    return len(standin.calls_to(RESPONSE_URL))


def test_a_command_is_acked_while_the_normal_lane_is_stuck(
    loaded_slack: SlackDriver, standin: SlackStandIn
) -> None:
    assert_acked(loaded_slack.command("/cre", "queue", user="U0HANAKO", drain=False))
    assert _answered(standin) == 0  # nothing of the slow work has finished: the ack did not wait


def test_a_modal_opens_and_a_submission_files_while_the_normal_lane_is_stuck(
    loaded_slack: SlackDriver, standin: SlackStandIn
) -> None:
    assert_acked(loaded_slack.command("/escalate", "Login fails", drain=False))
    assert wait_for(lambda: len(standin.calls_to("views.open")) == 1)
    assert_acked(submit_escalation(loaded_slack, drain=False))
    assert wait_for(lambda: len(loaded_slack.channel(ESCALATION_CHANNEL)) >= 1)
    assert _answered(standin) == 0
    view, _ = opened_view(loaded_slack)
    assert view["callback_id"] == "escalate"


def test_a_submissions_delivery_does_not_hold_the_next_modal(
    runtime: Runtime,
    standin: SlackStandIn,
    slack_server: RunningServer,
    small_pool: TrackingExecutor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Acked, a submission frees its urgent thread: its card's post goes on in the after-ack lane.

    The urgent lane has one thread, and Slack holds the card's chat.postMessage: delivered on that
    thread, it kept the next `/escalate` from opening its modal until the post was answered.
    """
    slack = drive_app(runtime, standin=standin, server=slack_server, executor=small_pool)
    monkeypatch.setattr(runtime.client, "timeout", 120)  # the held post never times out here
    assert_acked(slack.command("/escalate", "Login fails"))
    standin.fail("chat.postMessage", delay=120)  # answered only once woken
    try:
        assert_acked(submit_escalation(slack, drain=False))
        assert_acked(slack.command("/escalate", "Checkout fails", drain=False))
        assert wait_for(lambda: len(standin.calls_to("views.open")) == 2)
        assert standin.calls_to("chat.postMessage") == []  # the card's post is still held
    finally:
        standin.wake_sleepers()
    small_pool.drain(timeout=30)  # the delivery, handed to the after-ack lane, is waited for too
    [card] = slack.channel(ESCALATION_CHANNEL)  # posted once
    assert "Login fails" in card.text


def test_the_slow_work_still_completes(loaded_slack: SlackDriver, standin: SlackStandIn) -> None:
    standin.wake_sleepers()
    loaded_slack.executor.drain(timeout=30)
    assert _answered(standin) == SLOW_WORK


@pytest.mark.parametrize(
    ("body", "urgent"),
    [
        ({"command": "/escalate"}, True),
        ({"command": "/cre"}, False),
        ({"command": "/lookup"}, False),
        ({"type": "view_submission"}, True),
        ({"type": "message_action"}, True),
        ({"type": "shortcut"}, True),
        ({"type": "block_actions", "actions": [{"action_id": "esc.resolve"}]}, True),
        ({"type": "block_actions", "actions": [{"action_id": "esc.claim"}]}, False),
        ({"type": "block_actions", "actions": "garbage"}, False),
        ({"type": "event_callback", "event": {"type": "message"}}, False),
    ],
)
def test_what_counts_as_urgent(body: dict[str, object], urgent: bool) -> None:
    assert is_urgent(body) is urgent


@pytest.mark.parametrize("package", [handlers.actions, handlers.commands])
def test_every_listener_that_opens_a_modal_is_declared_urgent(package: ModuleType) -> None:
    """A listener calling views.open must run in the urgent lane, or its trigger id may expire."""
    listeners = {
        value
        for value in vars(package).values()
        if inspect.isfunction(value) and value.__module__.startswith(package.__name__ + ".")
    }
    opening = {f for f in listeners if "views_open(" in inspect.getsource(f)}
    assert opening  # the check looks at something
    assert opening == set(package.MODAL_OPENERS.values())
