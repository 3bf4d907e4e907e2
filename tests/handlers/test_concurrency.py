"""People acting at the same moment: one Claim wins, one modal files once (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from bot import assignment
from bot.db import Database
from bot.policy import Policy
from tests.support.db import on_postgres
from tests.support.flows import (
    ESCALATION_CHANNEL,
    assert_acked,
    card_field,
    card_posts,
    card_updates,
    ephemeral_replies,
    escalation,
    escalation_count,
    event_kinds,
    file_via_modal,
    opened_view,
    policy_from,
    submit_escalation,
    thread_lines,
    wait_for,
    wait_on_cs,
)
from tests.support.slack import Response, SlackDriver

STATUS_LABELS = {
    "assigned": "Assigned",
    "investigating": "Investigating",
    "waiting": "Waiting on CS",
}
ENGINEERS = [f"U0ENG{n:02d}" for n in range(1, 21)]


@pytest.fixture
def policy(policy_text: str) -> Policy:
    """Manual assignment (so escalations wait for Claim) and twenty more engineers on the roster."""
    return policy_from(policy_text, strategy="manual", engineers=ENGINEERS)


def _all_at_once(actions: list[Callable[[], Response]]) -> list[Response]:
    """Run the actions on their own threads, released together by a barrier."""
    barrier = threading.Barrier(len(actions))
    responses: list[Response | None] = [None] * len(actions)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            responses[index] = actions[index]()
        except BaseException as exc:  # surfaced below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert all(r is not None for r in responses)
    return [r for r in responses if r is not None]


def test_twenty_simultaneous_claims_give_one_assignee_and_nineteen_refusals(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)

    responses = _all_at_once(
        [partial(slack.click, card, "esc.claim", user=user, drain=False) for user in ENGINEERS]
    )
    slack.executor.drain()

    assert [r.status for r in responses] == [200] * 20
    row = escalation(db)
    assert row.status == "assigned"
    assert row.assignee_id in ENGINEERS
    assert event_kinds(db).count("claimed") == 1
    assert len(ephemeral_replies(slack)) == 19
    assert len(card_updates(slack, card)) == 1
    assert thread_lines(slack, card)[-1] == f"<@{row.assignee_id}> claimed this."
    assert sum(line.endswith("claimed this.") for line in thread_lines(slack, card)) == 1
    if not on_postgres():  # on PostgreSQL see the test below, which forces the race
        _assert_told_who_claimed(ephemeral_replies(slack), row.assignee_id)


def _assert_told_who_claimed(replies: list[str], assignee: str | None) -> None:
    assert len(replies) == 19
    for reply in replies:
        assert reply.startswith("ESC-1 was already claimed by "), reply
        assert str(assignee) in reply


@pytest.mark.postgres  # SQLite serialises writers; the race needs MVCC
def test_claims_that_all_read_the_open_row_first_are_each_told_who_won(
    slack: SlackDriver, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = file_via_modal(slack)
    everyone_has_read = threading.Barrier(len(ENGINEERS), timeout=30)
    note_assigned = assignment.note_assigned

    def after_everyone_has_read(**kwargs: Any) -> None:
        everyone_has_read.wait()  # every claim has seen the row open before any writes it
        note_assigned(**kwargs)

    monkeypatch.setattr(assignment, "note_assigned", after_everyone_has_read)

    _all_at_once(
        [partial(slack.click, card, "esc.claim", user=user, drain=False) for user in ENGINEERS]
    )
    slack.executor.drain()

    row = escalation(db)
    assert event_kinds(db).count("claimed") == 1
    _assert_told_who_claimed(ephemeral_replies(slack), row.assignee_id)


def test_simultaneous_different_buttons_leave_one_consistent_story(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.claim", user="U0ENG01")
    assert_acked(slack.click(card, "esc.wait_question", user="U0LEAD"))  # its question modal
    wait_view, wait_view_id = opened_view(slack)
    seen = copy.deepcopy(card)  # the card as both users see it: a click must not find it redrawn

    _all_at_once(
        [
            lambda: slack.click(seen, "esc.acknowledge", user="U0ENG01", drain=False),
            lambda: slack.submit(
                wait_view, {"question": ""}, user="U0LEAD", view_id=wait_view_id, drain=False
            ),
            lambda: slack.click(
                seen, "esc.reassign", user="U0LEAD", selected_user="U0ENG02", drain=False
            ),
        ]
    )
    slack.executor.drain()

    kinds = event_kinds(db)
    assert kinds[:3] == ["filed", "unassigned", "claimed"]
    applied = kinds[3:]
    assert len(applied) + len(ephemeral_replies(slack)) == 3
    assert len(thread_lines(slack, card)) == 2 + len(applied)
    # Replaying the applied changes in their recorded order gives the row: none was lost.
    status, assignee = "assigned", "U0ENG01"
    for kind in applied:
        if kind == "acknowledge":
            status = "investigating"
        elif kind == "wait":
            status = "waiting"
        elif kind == "reassigned":
            status, assignee = ("waiting" if status == "waiting" else "assigned"), "U0ENG02"
    row = escalation(db)
    assert (row.status, row.assignee_id) == (status, assignee)
    assert card_field(card, "Assignee") == f"<@{assignee}>"
    assert card_field(card, "Status").endswith(STATUS_LABELS[status])


def test_the_same_modal_submitted_ten_times_at_once_files_once(
    slack: SlackDriver, db: Database
) -> None:
    slack.command("/escalate", "Login fails")
    opened_view(slack)

    responses = _all_at_once([lambda: submit_escalation(slack, drain=False) for _ in range(10)])
    slack.executor.drain()

    for response in responses:
        assert_acked(response)
    assert escalation_count(db) == 1
    assert len(card_posts(slack)) == 1
    assert len(slack.channel(ESCALATION_CHANNEL)) == 1
    assert event_kinds(db) == ["filed", "unassigned"]


def _until(condition: Callable[[], bool]) -> None:
    """Wait for another thread to reach a point (not for time to pass)."""
    assert wait_for(condition), "the other thread never got there"


def test_a_slow_card_update_never_leaves_the_card_behind_the_database(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.claim", user="U0ENG01")
    slack.standin.fail("chat.update", delay=1.0)  # Slack is slow with the next update only

    slack.click(card, "esc.acknowledge", user="U0ENG01", drain=False)
    _until(lambda: not slack.standin._failures.get("chat.update"))  # that update is in flight
    wait_on_cs(slack, card, user="U0ENG01")
    slack.executor.drain()

    assert escalation(db).status == "waiting"
    assert card_field(card, "Status") == ":hourglass_flowing_sand: Waiting on CS"


def test_a_slow_thread_line_is_never_overtaken_by_the_next_one(slack: SlackDriver) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.claim", user="U0ENG01")
    slack.standin.fail("chat.postMessage", delay=1.0)  # the acknowledge line is slow

    slack.click(card, "esc.acknowledge", user="U0ENG01", drain=False)
    _until(lambda: not slack.standin._failures.get("chat.postMessage"))
    wait_on_cs(slack, card, user="U0ENG01")
    slack.executor.drain()

    lines = thread_lines(slack, card)
    assert lines[-2] == ":mag: <@U0ENG01> is investigating."
    assert lines[-1].startswith(":hourglass_flowing_sand: <@U0ENG01> is waiting on CS")
