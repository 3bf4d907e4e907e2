"""The database fails under a request: the user is told what is true, in time, and nothing is doubled.

Two faults, on SQLite and PostgreSQL: the connection drops after the change was committed (while its
post's delivery is being recorded), and the database stops answering altogether (a silent proxy on
PostgreSQL, a writer holding the lock on SQLite).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.db import Database
from bot.listener_pool import URGENT_WORKERS, WORKERS
from bot.models import Outbox, OutboxStatus
from bot.outbox import LEASE
from bot.policy import Policy
from bot.runtime import Runtime, make_web_client
from bot.scheduler import run_job
from bot.settings import Settings
from bot.workspace.webapi import RunningServer, SlackStandIn
from tests.conftest import drive_app
from tests.support.db_faults import Stall, drop_connection_on, marks_outbox_row_sent
from tests.support.flows import (
    DEFAULT_VALUES,
    ESCALATION_CHANNEL,
    assert_acked,
    card_posts,
    ephemeral_replies,
    escalation,
    escalation_count,
    file_via_modal,
    opened_view,
    submit_escalation,
    thread_lines,
    wait_for,
)
from tests.support.slack import Response, SlackDriver, TrackingExecutor

GENERIC = "Sorry, something went wrong. Nothing was changed; please try again."
SAVED = (
    "Your change was saved, but updating Slack about it failed; the messages catch up "
    "automatically, so there is no need to do it again."
)
SUBMIT_AGAIN = {
    "response_action": "errors",
    "errors": {
        "summary": "cre-bot's database did not answer in time, so this is not filed yet. "
        "Submit again in a minute: it will be filed once, whatever happened."
    },
}
MODAL_ACK_SECONDS = 3.0  # Slack closes a modal with an error after this


def _dm_texts(slack: SlackDriver, user: str) -> list[str]:
    return [m.text for m in slack.standin.dms(user)]


def _flush_after_leases(runtime: Runtime, clock: ManualClock) -> None:
    """The outbox-flush run after every lease taken during the fault has expired."""
    clock.advance(LEASE + timedelta(minutes=1))
    run_job(runtime=runtime, name="outbox-flush", at=clock.now())


def _all_sent(db: Database) -> bool:
    with db.session() as session:
        rows = session.exec(select(Outbox)).all()
    return bool(rows) and all(row.status == OutboxStatus.SENT for row in rows)


# -- the change is committed, recording its delivery fails ----------------------------------------


def test_a_filing_whose_post_could_not_be_recorded_is_told_it_was_saved(
    slack: SlackDriver, db: Database, runtime: Runtime, clock: ManualClock
) -> None:
    assert_acked(slack.command("/escalate", "Login fails"))

    with drop_connection_on(db, marks_outbox_row_sent) as hit:
        assert_acked(submit_escalation(slack))

    assert hit, "the fault was never reached"
    assert escalation_count(db) == 1
    assert len(card_posts(slack)) == 1
    assert _dm_texts(slack, "U0CS") == [SAVED]
    _flush_after_leases(runtime, clock)
    assert len(card_posts(slack)) == 1, "the card was posted again"
    assert _all_sent(db)
    assert escalation(db).message_ts == card_posts(slack)[0].response["ts"]  # type: ignore[index]


def test_a_click_whose_post_could_not_be_recorded_is_told_it_was_saved(
    slack: SlackDriver, db: Database, runtime: Runtime, clock: ManualClock
) -> None:
    card = file_via_modal(slack)
    lines_before = len(thread_lines(slack, card))

    with drop_connection_on(db, marks_outbox_row_sent) as hit:
        assert_acked(slack.click(card, "esc.acknowledge", user="U0HANAKO"))

    assert hit, "the fault was never reached"
    assert escalation(db).status == "investigating"
    assert ephemeral_replies(slack) == [SAVED]
    _flush_after_leases(runtime, clock)
    assert len(thread_lines(slack, card)) == lines_before + 1, "the thread line was doubled"
    assert len(slack.channel(ESCALATION_CHANNEL)) == 1
    assert _all_sent(db)


# -- the database stops answering --------------------------------------------------------------------


@pytest.fixture
def stall(database_url: str) -> Iterator[Stall]:
    fault = Stall(database_url)
    yield fault
    fault.close()


@pytest.fixture
def stalling_slack(
    stall: Stall,
    settings: Settings,
    policy: Policy,
    clock: ManualClock,
    standin: SlackStandIn,
    slack_server: RunningServer,
) -> Iterator[SlackDriver]:
    """The app with the production listener pool, on a database that `stall` can silence."""
    database = Database(stall.url)
    client = make_web_client(settings.bot_token(), base_url=settings.slack_api_url)
    runtime = Runtime(settings=settings, policy=policy, db=database, client=client, clock=clock)
    executor = TrackingExecutor(max_workers=WORKERS, urgent_workers=URGENT_WORKERS)
    yield drive_app(runtime, standin=standin, server=slack_server, executor=executor)
    executor.drain(timeout=120)
    executor.shutdown(wait=True)
    database.dispose()


def _submit_at_once(slack: SlackDriver, view: dict[str, object], count: int) -> list[Response]:
    """`count` people submit the modal at the same moment (each its own view id)."""
    responses: list[Response] = []
    lock = threading.Lock()

    def submit(number: int) -> None:
        values = {**DEFAULT_VALUES, "summary": f"Stalled filing {number}"}
        response = slack.submit(view, values, user="U0CS", view_id=f"VSTALL{number}", drain=False)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_submissions_to_a_silent_database_are_answered_in_time_with_the_truth(
    stalling_slack: SlackDriver, stall: Stall, db: Database
) -> None:
    slack = stalling_slack
    assert_acked(slack.command("/escalate", "x"))
    view, _ = opened_view(slack)
    submitted = 2 * URGENT_WORKERS  # more than the urgent lane has threads

    stall.start()
    responses = _submit_at_once(slack, view, submitted)

    slowest = max(r.seconds for r in responses)
    assert slowest < MODAL_ACK_SECONDS, f"an answer took {slowest:.2f} s"
    assert [r.json() for r in responses] == [SUBMIT_AGAIN] * submitted  # the modal stays open
    stall.stop()
    assert escalation_count(db) == 0
    assert card_posts(slack) == []


def test_a_submission_refused_while_the_database_was_silent_files_once_when_sent_again(
    stalling_slack: SlackDriver, stall: Stall, db: Database
) -> None:
    slack = stalling_slack
    assert_acked(slack.command("/escalate", "x"))
    view, view_id = opened_view(slack)
    values = {**DEFAULT_VALUES, "summary": "Filed after the stall"}
    stall.start()
    assert slack.submit(view, values, user="U0CS", view_id=view_id).json() == SUBMIT_AGAIN

    stall.stop()
    assert wait_for(
        lambda: slack.submit(view, values, user="U0CS", view_id=view_id).body == "", timeout=15
    )
    slack.submit(view, values, user="U0CS", view_id=view_id)  # and once more, after it worked

    assert escalation_count(db) == 1
    assert len(card_posts(slack)) == 1


def test_readyz_answers_within_a_second_while_the_database_stalls(
    stalling_slack: SlackDriver, stall: Stall
) -> None:
    """503 when PostgreSQL is silent; SQLite with its write lock held still reads, so it answers.

    /healthz is liveness: it never waits for the database.
    """
    slack = stalling_slack
    assert slack.post("", method="GET", path="/readyz", sign=False).json()["database"] == "up"
    stall.start()

    answers = [slack.post("", method="GET", path="/readyz", sign=False) for _ in range(3)]
    live = slack.post("", method="GET", path="/healthz", sign=False)

    expected = "down" if stall.on_postgres else "up"
    assert [a.json()["database"] for a in answers] == [expected] * 3
    assert all(a.status == 503 for a in answers if stall.on_postgres)
    assert max(a.seconds for a in answers) < 1.2
    assert (live.status, live.seconds < 0.2) == (200, True)
    stall.stop()
    assert wait_for(
        lambda: slack.post("", method="GET", path="/readyz", sign=False).json()["database"] == "up",
        timeout=15,
    )
