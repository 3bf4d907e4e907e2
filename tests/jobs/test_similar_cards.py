"""The card's "Similar:" line: found by the similarity-index job after filing, never while filing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.db import Database
from bot.lifecycle import Verb
from bot.models import Escalation, Outbox, Status
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.similarity.service import CHANNEL, SIMILAR_THRESHOLD, card_threshold, similar_to
from bot.workspace.webapi import Message
from jobs import similarity_index
from tests.support.flows import (
    assert_acked,
    card_texts,
    card_updates,
    escalation,
    file_via_modal,
    resolve_via_modal,
    texts_in,
)
from tests.support.slack import SlackDriver

PHOTOS = "Photos disappear from the album after restoring a backup"
PHOTOS_AGAIN = "After restoring the backup, photos disappeared from the album"
BILLING = "Invoice PDF shows the wrong tax rate for Osaka"
RESET = "Password reset email never arrives"
RESET_AGAIN = "Reset password mail not received"


def _similar_lines(card: Message) -> list[str]:
    return [text for text in card_texts(card) if "Similar:" in text]


def _latest(slack: SlackDriver, card: Message) -> Message:
    [now] = [m for m in slack.channel(card.channel) if m.ts == card.ts]
    return now


def _first_card(slack: SlackDriver) -> Message:
    return slack.channel("C0ESCALATE")[0]


def _index(runtime: Runtime, clock: ManualClock) -> str:
    clock.advance(timedelta(minutes=5))
    outcome = run_job(runtime=runtime, name="similarity-index", at=clock.now())
    runtime.deliver()
    return outcome


def _resolved_photos_case(slack: SlackDriver, clock: ManualClock) -> Message:
    first = file_via_modal(slack, summary=PHOTOS)  # Wednesday 25 November
    clock.advance(timedelta(days=2))
    assert_acked(
        resolve_via_modal(slack, first, user="U0HANAKO", answer="Re-run the restore from Settings.")
    )
    return first


def test_a_card_shows_the_similar_resolved_escalation_after_the_job_runs(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    _resolved_photos_case(slack, clock)
    second = file_via_modal(slack, summary=PHOTOS_AGAIN)
    assert _similar_lines(second) == []  # filing never searches: the ack does not wait for it

    assert _index(runtime, clock).endswith("; 2 cards redrawn with new similar escalations")

    [back] = _similar_lines(_latest(slack, _first_card(slack)))  # and the other way round
    assert back.endswith("|ESC-2> (open, filed 27 Nov)")
    [line] = _similar_lines(_latest(slack, second))
    first = _latest(slack, _first_card(slack))
    link = f"<https://{slack.standin.team_domain}.slack.com/archives/{first.channel}/p"
    assert line.startswith(f":mag: Similar: {link}")
    assert line.endswith("|ESC-1> (resolved 27 Nov · Bug · 2 business days)")
    assert PHOTOS not in line  # keys and facts only, never another escalation's text
    assert len(card_updates(slack, second)) == 1
    assert _index(runtime, clock) == "0 encoded, 0 unchanged, generation 1"
    assert len(card_updates(slack, second)) == 1  # a re-run redraws nothing


def test_nothing_close_shows_nothing(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    _resolved_photos_case(slack, clock)
    billing = file_via_modal(slack, summary=BILLING)
    _index(runtime, clock)
    assert _similar_lines(_latest(slack, billing)) == []
    assert card_updates(slack, billing) == []


def test_cre_show_has_the_line_too(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    _resolved_photos_case(slack, clock)
    file_via_modal(slack, summary=PHOTOS_AGAIN)
    _index(runtime, clock)
    assert_acked(slack.command("/cre", "show ESC-2", user="U0CS"))
    _, payload = slack.standin.responses[-1]
    assert payload.get("response_type") == "ephemeral"
    [line] = [text for text in texts_in(payload["blocks"]) if "Similar:" in text]
    assert "|ESC-1> (resolved " in line


def test_a_changed_summary_finds_the_matches_again(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    _resolved_photos_case(slack, clock)
    billing = file_via_modal(slack, summary=BILLING)
    _index(runtime, clock)
    with runtime.db.session() as session:
        escalation = session.get(Escalation, 2)
        assert escalation is not None
        escalation.summary = PHOTOS_AGAIN  # as an edit would (the version moves on)
        session.add(escalation)
        session.commit()

    assert _index(runtime, clock).endswith("; 1 cards redrawn with new similar escalations")

    [line] = _similar_lines(_latest(slack, billing))
    assert "|ESC-1> (resolved " in line
    with runtime.db.session() as session:
        keys = session.exec(select(Outbox.key).where(Outbox.escalation_id == 2)).all()
    assert sum(":card:similar:" in key for key in keys) == 1


def test_a_status_change_with_the_same_matches_is_not_redrawn_again_by_the_job(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, db: Database
) -> None:
    _resolved_photos_case(slack, clock)
    second = file_via_modal(slack, summary=PHOTOS_AGAIN)
    _index(runtime, clock)
    [line] = _similar_lines(_latest(slack, second))
    assignee = escalation(db, 2).assignee_id
    assert assignee
    assert_acked(slack.click(_latest(slack, second), Verb.ACKNOWLEDGE.action_id, user=assignee))
    runtime.deliver()
    assert escalation(db, 2).status == Status.INVESTIGATING
    updates = len(slack.standin.calls_to("chat.update"))
    assert _similar_lines(_latest(slack, second)) == [line]  # the change's own redraw keeps it

    # The job looks at the changed escalation again (its version moved on), finds the same
    # matches, and asks Slack for nothing.
    assert _index(runtime, clock) == "0 encoded, 1 unchanged, generation 1"
    assert len(slack.standin.calls_to("chat.update")) == updates
    with runtime.db.session() as session:
        keys = session.exec(select(Outbox.key).where(Outbox.escalation_id == 2)).all()
    assert sum(":card:similar:" in key for key in keys) == 1  # the first finding's only


def test_with_a_short_history_a_weaker_match_is_not_shown(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    first = file_via_modal(slack, summary=RESET)
    clock.advance(timedelta(days=2))
    assert_acked(resolve_via_modal(slack, first, user="U0HANAKO", answer="Ask them to retry."))
    second = file_via_modal(slack, summary=RESET_AGAIN)
    _index(runtime, clock)
    with runtime.db.session() as session:
        found = similar_to(
            session=session,
            index=runtime.similarity,
            escalation_id=2,
            audience=CHANNEL,
            min_score=SIMILAR_THRESHOLD,
        )
    # The same problem in other words: a long history's threshold would show it, two do not.
    assert [(m.key, m.score >= SIMILAR_THRESHOLD) for m in found] == [("ESC-1", True)]
    assert found[0].score < card_threshold(2)
    assert _similar_lines(_latest(slack, second)) == []
    assert card_updates(slack, second) == []


def test_a_failing_slack_is_asked_for_the_workspace_once_a_run_not_once_a_batch(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _resolved_photos_case(slack, clock)
    file_via_modal(slack, summary=PHOTOS_AGAIN)
    monkeypatch.setattr(similarity_index, "CARD_BATCH", 1)  # each card its own batch
    slack.standin.fail("auth.test", error="internal_error", times=5)
    # The job in a process of its own, which has not asked Slack for the workspace's URL yet.
    process = Runtime(
        settings=runtime.settings,
        policy=runtime.policy,
        db=runtime.db,
        client=runtime.client,
        clock=clock,
    )
    before = len(slack.standin.calls_to("auth.test"))

    clock.advance(timedelta(minutes=5))
    outcome = run_job(runtime=process, name="similarity-index", at=clock.now())

    assert outcome.endswith("; 2 cards redrawn with new similar escalations")
    # Two batches redrew cards; the URL is asked for once (each failed ask costs its retries).
    assert len(slack.standin.calls_to("auth.test")) == before + 1
