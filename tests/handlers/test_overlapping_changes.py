"""Two changes to one escalation while Slack is slow: every post goes right after the one before it.

Acknowledge is clicked, and Waiting on CS while the Acknowledge card update is still in flight
(Slack takes 1.5 s over each `chat.update`). The second request's delivery finds the escalation's
posts busy and leaves them to the first, which must carry on with what queued behind it. Nothing
runs the outbox-flush job here, as with `crebot serve --no-scheduler` web processes: a post left
behind would wait for the next change. The clock runs at real speed, so rows committed during the
first delivery carry later instants than that delivery started with.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from bot.db import Database
from bot.policy import Policy
from bot.runtime import Runtime, make_web_client
from bot.settings import Settings
from bot.workspace.webapi import Message, RecordedCall, RunningServer, SlackStandIn
from tests.conftest import START, drive_app
from tests.support.clocks import RunningClock
from tests.support.flows import (
    assert_acked,
    card_field,
    escalation,
    file_via_modal,
    opened_view,
    policy_from,
    thread_lines,
    wait_for,
)
from tests.support.slack import SlackDriver, TrackingExecutor

SLOW_UPDATE = 1.5  # seconds Slack takes over each chat.update
SLOW_UPDATES = 2  # the Acknowledge and the Waiting card updates
NEXT_POST_WITHIN = 1.0  # seconds from a post's answer to the next post of the escalation
ENGINEER = "U0TARO"


@pytest.fixture
def policy(policy_text: str) -> Policy:
    return policy_from(policy_text, strategy="manual")


@pytest.fixture
def clock() -> RunningClock:
    return RunningClock(START)


@pytest.fixture(params=["one process", "two processes"])
def second(
    request: pytest.FixtureRequest,
    slack: SlackDriver,
    settings: Settings,
    policy: Policy,
    database_url: str,
    clock: RunningClock,
    standin: SlackStandIn,
    slack_server: RunningServer,
) -> Iterator[SlackDriver]:
    """Where the second click goes: the same app, or another process's (own pool, client, runtime)."""
    if request.param == "one process":
        yield slack
        return
    db = Database(database_url)
    runtime = Runtime(
        settings=settings,
        policy=policy,
        db=db,
        client=make_web_client(settings.bot_token(), base_url=settings.slack_api_url),
        clock=clock,
        owner="web-2",
    )
    executor = TrackingExecutor()
    yield drive_app(runtime, standin=standin, server=slack_server, executor=executor)
    executor.drain()
    executor.shutdown(wait=True)
    db.dispose()


def _posts_of(standin: SlackStandIn, card: Message, *, since: float) -> list[RecordedCall]:
    """The card's updates and thread replies that Slack accepted since `since`, by arrival."""
    calls = [
        call
        for call in standin.calls
        if call.at >= since
        and isinstance(call.response, dict)
        and call.response.get("ok")
        and (
            (call.method == "chat.update" and call.args.get("ts") == card.ts)
            or (call.method == "chat.postMessage" and call.args.get("thread_ts") == card.ts)
        )
    ]
    return sorted(calls, key=lambda call: call.at)


def _describe(calls: list[RecordedCall], since: float) -> list[tuple[str, float, float]]:
    return [
        (call.method, round(call.at - since, 2), round((call.answered_at or 0) - since, 2))
        for call in calls
    ]


def _gaps(calls: list[RecordedCall]) -> list[float]:
    """Seconds from each post's answer to the start of the next."""
    return [
        later.at - (earlier.answered_at or earlier.at)
        for earlier, later in itertools.pairwise(calls)
    ]


def test_a_change_made_while_the_last_one_is_posting_goes_right_after_it(
    slack: SlackDriver, second: SlackDriver, db: Database, clock: RunningClock
) -> None:
    card = file_via_modal(slack)
    assert_acked(slack.click(card, "esc.claim", user=ENGINEER))
    assert_acked(second.click(card, "esc.wait_question", user=ENGINEER))  # its question modal
    wait_view, wait_view_id = opened_view(second)
    lines_before = len(thread_lines(slack, card))
    slack.standin.fail("chat.update", delay=SLOW_UPDATE, times=SLOW_UPDATES)
    since = clock.now().timestamp()

    assert_acked(slack.click(card, "esc.acknowledge", user=ENGINEER, drain=False))
    assert wait_for(lambda: slack.standin.scripted_left("chat.update") < SLOW_UPDATES)
    assert_acked(
        second.submit(wait_view, {"question": ""}, user=ENGINEER, view_id=wait_view_id, drain=False)
    )
    slack.executor.drain()
    second.executor.drain()

    # A card update and a thread line for each change, each going as soon as the last answered.
    assert wait_for(lambda: len(thread_lines(slack, card)) == lines_before + 2, timeout=15)
    posts = _posts_of(slack.standin, card, since=since)
    described = _describe(posts, since)
    assert [call.method for call in posts] == ["chat.update", "chat.postMessage"] * 2, described
    assert all(gap < NEXT_POST_WITHIN for gap in _gaps(posts)), described
    assert escalation(db).status == "waiting"
    assert card_field(card, "Status") == ":hourglass_flowing_sand: Waiting on CS"
    investigating, waiting = thread_lines(slack, card)[lines_before:]
    assert investigating == f":mag: <@{ENGINEER}> is investigating."
    assert waiting.startswith(f":hourglass_flowing_sand: <@{ENGINEER}> is waiting on CS")
