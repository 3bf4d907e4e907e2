"""A card's similar line stays true: a card is redrawn when its first match is resolved or
reopened (once per change), and no other status change of that match redraws it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.db import Database
from bot.lifecycle import Verb
from bot.models import Outbox, SimilarMatch
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.similarity import cards
from bot.workspace.webapi import Message
from tests.support.flows import (
    assert_acked,
    card_texts,
    card_updates,
    escalation,
    file_via_modal,
    opened_view,
    wait_on_cs,
)
from tests.support.slack import SlackDriver

PHOTOS = "Photos disappear from the album after restoring a backup"
PHOTOS_AGAIN = "After restoring the backup, photos disappeared from the album"
BILLING = "Invoice PDF shows the wrong tax rate for Osaka"
OPEN = "|ESC-1> (open, filed 25 Nov)"
RESOLVED = "|ESC-1> (resolved 27 Nov · Bug · 2 business days)"

# What is done to ESC-1 (the first match of ESC-2's card), how many times ESC-2's card is redrawn
# for it, and how ESC-2's line ends then.
RULES = [
    (["acknowledge"], 0, OPEN),
    (["wait", "resume"], 0, OPEN),
    (["resolve"], 1, RESOLVED),
    (["resolve, submitted twice"], 1, RESOLVED),
    (["resolve", "reopen"], 2, OPEN),
    (["wait", "resolve", "reopen", "wait"], 2, OPEN),
]


def _latest(slack: SlackDriver, card: Message) -> Message:
    [now] = [m for m in slack.channel(card.channel) if m.ts == card.ts]
    return now


def _similar_lines(slack: SlackDriver, card: Message) -> list[str]:
    return [text for text in card_texts(_latest(slack, card)) if "Similar:" in text]


def _resolve(slack: SlackDriver, card: Message, *, user: str, times: int) -> None:
    assert_acked(slack.click(card, "esc.resolve", user=user))
    view, view_id = opened_view(slack)
    values = {"cause": "bug", "answer": "Re-run the restore from Settings.", "note": ""}
    for _ in range(times):  # a retried submission of the same modal
        assert_acked(slack.submit(view, values, user=user, view_id=view_id))


def _do(slack: SlackDriver, db: Database, clock: ManualClock, card: Message, step: str) -> None:
    card = _latest(slack, card)
    user = escalation(db, 1).assignee_id
    assert user
    if step == "acknowledge":
        assert_acked(slack.click(card, Verb.ACKNOWLEDGE.action_id, user=user))
    elif step == "wait":
        assert_acked(wait_on_cs(slack, card, user=user))
    elif step == "resume":
        assert_acked(slack.click(card, Verb.RESUME.action_id, user=user))
    elif step.startswith("resolve"):
        clock.advance(timedelta(days=2) - timedelta(minutes=5))  # Friday 27 November
        _resolve(slack, card, user=user, times=2 if "twice" in step else 1)
    elif step == "reopen":
        assert_acked(slack.click(card, "esc.reopen", user=user))
    else:
        raise AssertionError(step)


@pytest.fixture
def filed(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> tuple[Message, Message, Message]:
    """ESC-1 and ESC-2, each the other's first match, and ESC-3 with none; all open."""
    first = file_via_modal(slack, summary=PHOTOS)  # Wednesday 25 November
    second = file_via_modal(slack, summary=PHOTOS_AGAIN)
    third = file_via_modal(slack, summary=BILLING)
    clock.advance(timedelta(minutes=5))
    run_job(runtime=runtime, name="similarity-index", at=clock.now())
    runtime.deliver()
    [line] = _similar_lines(slack, second)
    assert line.endswith(OPEN)
    assert _similar_lines(slack, third) == []
    return first, second, third


@pytest.mark.parametrize(("steps", "redraws", "ending"), RULES, ids=lambda v: str(v))
def test_a_card_is_redrawn_only_when_its_first_match_is_resolved_or_reopened(
    slack: SlackDriver,
    runtime: Runtime,
    clock: ManualClock,
    db: Database,
    filed: tuple[Message, Message, Message],
    steps: list[str],
    redraws: int,
    ending: str,
) -> None:
    first, second, third = filed
    before = len(card_updates(slack, second)), len(card_updates(slack, third))

    for step in steps:
        _do(slack, db, clock, first, step)
        runtime.deliver()

    after = len(card_updates(slack, second)), len(card_updates(slack, third))
    assert (after[0] - before[0], after[1] - before[1]) == (redraws, 0)
    [line] = _similar_lines(slack, second)
    assert line.endswith(ending)
    with db.session() as session:
        keys = session.exec(select(Outbox.key).where(Outbox.escalation_id == 2)).all()
    assert sum(":card:match:1:" in key for key in keys) == redraws


def test_only_the_cards_whose_first_match_it_is_are_redrawn(
    db: Database, clock: ManualClock, filed: tuple[Message, Message, Message]
) -> None:
    with db.session() as session:
        stored = session.get(SimilarMatch, 3)
        assert stored is not None
        stored.matches = [[2, 0.9], [1, 0.8]]  # ESC-1 second: ESC-3's card shows no facts of it
        stored.first_match_id = 2
        session.add(stored)
        session.commit()
        promised = cards.redraw_naming(session=session, escalation_id=1, version=7, now=clock.now())
        keys = session.exec(select(Outbox.key).where(Outbox.key.contains(":card:match:"))).all()
    assert (promised, keys) == (1, ["esc:2:card:match:1:7"])
