"""Slack failing (429, 5xx, timeouts, slowness): retried with backoff, nothing lost, the ack first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot import outbox
from bot.clock import ManualClock
from bot.db import Database
from bot.policy import Policy
from bot.runtime import SLACK_TIMEOUT_SECONDS, Runtime, make_web_client
from bot.settings import Settings
from tests.support.flows import (
    ESCALATION_CHANNEL,
    assert_acked,
    card_field,
    card_posts,
    card_updates,
    escalation,
    escalation_count,
    file_via_modal,
    outbox_rows,
    submit_escalation,
    thread_lines,
    wait_for,
)
from tests.support.slack import Response, SlackDriver

# Longer than any backoff the outbox uses after one failed attempt.
PAST_BACKOFF = timedelta(minutes=5)


@pytest.fixture
def client_timeout() -> float:
    """The Web API client's timeout (a test may parametrize a short one)."""
    return SLACK_TIMEOUT_SECONDS


@pytest.fixture
def runtime(
    settings: Settings, policy: Policy, db: Database, clock: ManualClock, client_timeout: float
) -> Runtime:
    client = make_web_client(settings.bot_token(), base_url=settings.slack_api_url)
    client.timeout = client_timeout  # type: ignore[assignment]
    return Runtime(settings=settings, policy=policy, db=db, client=client, clock=clock)


def _statuses(slack: SlackDriver, method: str) -> list[int]:
    return [call.status for call in slack.standin.calls_to(method)]


def _file(slack: SlackDriver) -> None:
    assert_acked(slack.command("/escalate", "Login fails after password reset"))
    assert_acked(submit_escalation(slack))


# -- 429 ---------------------------------------------------------------------------------------------


def test_a_rate_limited_card_post_is_retried_and_posted_once(
    slack: SlackDriver, db: Database
) -> None:
    slack.standin.fail("chat.postMessage", status=429, retry_after=0)

    _file(slack)

    assert _statuses(slack, "chat.postMessage")[:2] == [429, 200]
    assert len(card_posts(slack)) == 1
    [card] = slack.channel(ESCALATION_CHANNEL)
    assert escalation(db).message_ts == card.ts
    assert len(thread_lines(slack, card)) == 1
    assert all(row.status == "sent" for row in outbox_rows(db))


def test_a_rate_limited_update_is_retried(slack: SlackDriver, db: Database) -> None:
    card = file_via_modal(slack)
    slack.standin.fail("chat.update", status=429, retry_after=0, times=2)

    slack.click(card, "esc.acknowledge", user="U0HANAKO")

    # the card's update, retried; then the assignee's DM redrawn
    assert _statuses(slack, "chat.update") == [429, 429, 200, 200]
    assert card_field(card, "Status") == ":mag: Investigating"


# -- 5xx ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_a_card_post_that_keeps_failing_is_kept_and_posted_later_exactly_once(
    slack: SlackDriver, clock: ManualClock, db: Database, runtime: Runtime, status: int
) -> None:
    slack.standin.fail("chat.postMessage", status=status, times=3)  # slack_sdk tries 3 times

    _file(slack)

    assert _statuses(slack, "chat.postMessage") == [status] * 3
    assert slack.channel(ESCALATION_CHANNEL) == []
    row = escalation(db)  # filed in the database even though Slack did not take the post
    assert (row.status, row.assignee_id, row.message_ts) == ("assigned", "U0HANAKO", None)
    post, line, dm, told = outbox_rows(db)
    assert (post.kind, post.status, post.attempts) == ("card.post", "pending", 1)
    assert (dm.kind, dm.status) == ("dm", "pending")  # the assignee's DM waits its turn too
    assert post.last_error
    assert (line.kind, line.status) == ("thread", "pending")
    assert (told.kind, told.status) == ("notice", "pending")  # the filer's DM waits for the card
    assert slack.standin.dms("U0CS") == []

    runtime.deliver()  # too early: the backoff has not passed
    assert slack.channel(ESCALATION_CHANNEL) == []

    clock.advance(PAST_BACKOFF)
    report = runtime.deliver_now()

    assert report.sent == 4  # the card, its thread line, the assignee's DM, the filer's
    [card] = slack.channel(ESCALATION_CHANNEL)
    [told] = slack.standin.dms("U0CS")  # and links to it
    assert f"/archives/{ESCALATION_CHANNEL}/p{card.ts.replace('.', '')}|" in told.text
    assert card.blocks[0]["text"]["text"] == "*ESC-1* · Login fails after password reset"
    assert escalation(db).message_ts == card.ts
    assert len(thread_lines(slack, card)) == 1
    clock.advance(PAST_BACKOFF)
    runtime.deliver()
    assert len(card_posts(slack)) == 1
    assert len(slack.channel(ESCALATION_CHANNEL)) == 1


def test_a_failed_update_keeps_the_change_and_refreshes_the_card_later(
    slack: SlackDriver, clock: ManualClock, db: Database, runtime: Runtime
) -> None:
    card = file_via_modal(slack)
    slack.standin.fail("chat.update", status=500, times=3)

    assert_acked(slack.click(card, "esc.acknowledge", user="U0HANAKO"))

    assert escalation(db).status == "investigating"  # the change is not lost
    assert card_field(card, "Status") == ":bust_in_silhouette: Assigned"  # the card lags
    assert len(thread_lines(slack, card)) == 1  # the line waits behind the card, in order

    clock.advance(PAST_BACKOFF)
    runtime.deliver()

    assert card_field(card, "Status") == ":mag: Investigating"
    assert thread_lines(slack, card)[-1] == ":mag: <@U0HANAKO> is investigating."
    assert len(card_updates(slack, card)) == 1


def test_an_ok_false_answer_that_will_not_change_is_not_retried_forever(
    slack: SlackDriver, clock: ManualClock, db: Database, runtime: Runtime
) -> None:
    slack.standin.fail("chat.postMessage", error="invalid_blocks")

    _file(slack)

    post = outbox_rows(db)[0]
    assert (post.status, post.last_error) == ("failed", "invalid_blocks")
    assert escalation_count(db) == 1  # the escalation itself is kept
    clock.advance(PAST_BACKOFF)
    runtime.deliver()
    assert len(slack.standin.calls_to("chat.postMessage")) == 1


def test_a_lost_channel_waits_for_the_fix_then_is_posted_once(
    slack: SlackDriver, clock: ManualClock, db: Database, runtime: Runtime
) -> None:
    # A setup refusal is not retried hourly (issue 16): the post fails at once, and the
    # operator's `crebot outbox retry` sends it once the channel is back.
    slack.standin.fail("chat.postMessage", error="channel_not_found")

    _file(slack)

    post = outbox_rows(db)[0]
    assert (post.status, post.last_error) == ("failed", "channel_not_found")
    clock.advance(PAST_BACKOFF)
    runtime.deliver()
    assert card_posts(slack) == []
    with db.session() as session:
        assert outbox.retry_refused(session=session) == 1
    runtime.deliver()
    runtime.deliver()
    assert len(card_posts(slack)) == 1


# -- timeouts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("client_timeout", [0.3])
def test_a_timed_out_card_post_is_kept_and_posted_later_exactly_once(
    slack: SlackDriver, clock: ManualClock, db: Database, runtime: Runtime, client_timeout: float
) -> None:
    # Slack answers too late, and then with an error: nothing was posted. A timed-out post is not
    # retried on the spot (it may have landed); the outbox checks and posts it later.
    slack.standin.fail("chat.postMessage", status=503, delay=client_timeout * 3)

    _file(slack)

    assert slack.channel(ESCALATION_CHANNEL) == []
    assert escalation(db).message_ts is None
    post = outbox_rows(db)[0]
    assert (post.status, post.attempts) == ("pending", 1)
    assert post.last_error == "TimeoutError"

    clock.advance(PAST_BACKOFF)
    runtime.deliver()

    assert len(card_posts(slack)) == 1
    [card] = slack.channel(ESCALATION_CHANNEL)
    assert escalation(db).message_ts == card.ts


@pytest.mark.parametrize("client_timeout", [0.3])
def test_a_card_post_slack_did_but_answered_too_late_is_not_posted_twice(
    slack: SlackDriver, clock: ManualClock, db: Database, runtime: Runtime, client_timeout: float
) -> None:
    slack.standin.fail("chat.postMessage", delay=client_timeout * 3)  # slow, but it posts

    _file(slack)
    clock.advance(PAST_BACKOFF)
    runtime.deliver()
    # Let the slow request finish: a second card, if any, shows up within the delay.
    wait_for(lambda: len(card_posts(slack)) > 1, timeout=client_timeout * 10)

    assert len(slack.channel(ESCALATION_CHANNEL)) == 1


# -- the ack comes first --------------------------------------------------------------------------


def _acked_before_slack_answered(
    slack: SlackDriver, method: str, act: Callable[[], Response]
) -> tuple[Response, int]:
    """Make `method` slow, act without waiting for listeners; how many answers it had at the ack."""
    slack.standin.fail(method, delay=4.0)  # beyond Slack's 3 s window for the ack
    response = act()
    answered_at_ack = len(slack.standin.calls_to(method))
    slack.standin.wake_sleepers()  # the point is made; let the slow call finish now
    slack.executor.drain()
    return response, answered_at_ack


def test_a_slow_card_post_does_not_hold_back_the_modals_ack(
    slack: SlackDriver, db: Database, record_property: Callable[[str, object], None]
) -> None:
    slack.command("/escalate", "Login fails")

    response, posts_at_ack = _acked_before_slack_answered(
        slack, "chat.postMessage", lambda: submit_escalation(slack, drain=False)
    )

    assert_acked(response)
    record_property("ack_seconds", response.seconds)
    assert posts_at_ack == 0  # Slack had not answered the post when the modal was acked
    assert len(card_posts(slack)) == 1  # and the post completed afterwards
    assert escalation_count(db) == 1


def test_a_slow_card_update_does_not_hold_back_the_buttons_ack(
    slack: SlackDriver, db: Database, record_property: Callable[[str, object], None]
) -> None:
    card = file_via_modal(slack)

    response, updates_at_ack = _acked_before_slack_answered(
        slack,
        "chat.update",
        lambda: slack.click(card, "esc.acknowledge", user="U0HANAKO", drain=False),
    )

    assert_acked(response)
    record_property("ack_seconds", response.seconds)
    assert updates_at_ack == 0
    assert card_field(card, "Status") == ":mag: Investigating"


def test_a_slow_views_open_does_not_hold_back_the_commands_ack(
    slack: SlackDriver, record_property: Callable[[str, object], None]
) -> None:
    response, opens_at_ack = _acked_before_slack_answered(
        slack, "views.open", lambda: slack.command("/escalate", "x", drain=False)
    )

    assert_acked(response)
    record_property("ack_seconds", response.seconds)
    assert opens_at_ack == 0
    assert len(slack.standin.calls_to("views.open")) == 1
