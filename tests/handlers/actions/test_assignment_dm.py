"""The assignee's DM: one per assignment, with priority, due time and buttons, redrawn in place.

Runs with `strategy = "manual"`: an escalation waits in the queue until someone claims it.
"""

from __future__ import annotations

import copy

import pytest

from bot.db import Database
from bot.policy import Policy
from bot.workspace.webapi import Message
from tests.support.flows import (
    assert_acked,
    escalation,
    file_via_modal,
    policy_from,
    resolve_via_modal,
    texts_in,
    wait_on_cs,
)
from tests.support.slack import SlackDriver


@pytest.fixture
def language() -> str:
    return "en"


@pytest.fixture
def policy(policy_text: str, language: str) -> Policy:
    text = policy_text.replace('language = "en"', f'language = "{language}"')
    return policy_from(text, strategy="manual")


def _dms(slack: SlackDriver, user: str) -> list[Message]:
    return [m for m in slack.standin.dms(user) if m.ephemeral_for is None]


def _buttons(message: Message) -> list[str]:
    return [
        str(element["action_id"])
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def _text(message: Message) -> str:
    return "\n".join(texts_in(message.blocks))


def test_claiming_sends_the_claimer_one_dm_with_priority_due_time_and_buttons(
    slack: SlackDriver,
) -> None:
    card = file_via_modal(slack, values={"priority": "P1"})  # Wed 11/25 10:00: due 14:00
    assert _dms(slack, "U0TARO") == []  # filed into the queue: nobody's yet

    assert_acked(slack.click(card, "esc.claim", user="U0TARO"))

    [dm] = _dms(slack, "U0TARO")
    assert dm.text.startswith("ESC-1 [P1] is yours: ")
    text = _text(dm)
    assert ":inbox_tray: " in text
    assert "is yours" in text
    assert "*Priority*\nP1" in text
    assert "*Due*\ndue Wed 11/25 14:00 · 4h left" in text
    assert "*Status*\n" in text
    assert _buttons(dm) == ["esc.acknowledge", "esc.wait_question"]
    assert [_dms(slack, u) for u in ("U0HANAKO", "U0KENJI", "U0LEAD")] == [[], [], []]


def test_acknowledge_in_the_dm_redraws_it_in_place_and_a_second_press_changes_nothing(
    slack: SlackDriver, db: Database
) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.claim", user="U0TARO")
    [dm] = _dms(slack, "U0TARO")
    as_first_drawn = copy.deepcopy(dm)

    assert_acked(slack.click(dm, "esc.acknowledge", user="U0TARO"))

    assert escalation(db).status == "investigating"
    [redrawn] = _dms(slack, "U0TARO")
    assert redrawn.ts == dm.ts
    assert redrawn.updated_count == 1
    assert "Investigating" in _text(redrawn)
    assert _buttons(redrawn) == ["esc.wait_question"]
    posts = len(slack.standin.calls_to("chat.postMessage"))
    slack.click(as_first_drawn, "esc.acknowledge", user="U0TARO")  # a double click
    assert len(slack.standin.calls_to("chat.postMessage")) == posts
    assert _dms(slack, "U0TARO")[0].updated_count == 1


def test_waiting_on_cs_from_the_dm_pauses_the_clock(slack: SlackDriver, db: Database) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.claim", user="U0TARO")
    [dm] = _dms(slack, "U0TARO")

    assert_acked(wait_on_cs(slack, dm, user="U0TARO"))  # the question modal, submitted

    assert escalation(db).status == "waiting"
    [redrawn] = _dms(slack, "U0TARO")
    assert "paused while waiting" in _text(redrawn)
    assert _buttons(redrawn) == ["esc.resume"]


def test_reassigning_sends_the_new_assignee_a_dm_and_the_old_one_reads_that_it_moved(
    slack: SlackDriver,
) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.claim", user="U0TARO")
    slack.click(card, "esc.reassign", user="U0TARO", selected_user="U0HANAKO")

    [hanako] = _dms(slack, "U0HANAKO")
    assert "is yours" in _text(hanako)
    assert _buttons(hanako) == ["esc.acknowledge", "esc.wait_question"]
    [taro] = _dms(slack, "U0TARO")
    assert "is now with <@U0HANAKO>." in _text(taro)
    assert _buttons(taro) == []


def test_resolving_leaves_the_dm_saying_so_without_buttons(slack: SlackDriver) -> None:
    card = file_via_modal(slack)
    slack.click(card, "esc.claim", user="U0TARO")
    slack.click(card, "esc.acknowledge", user="U0TARO")
    resolve_via_modal(slack, card, user="U0TARO")

    [dm] = _dms(slack, "U0TARO")
    assert ":white_check_mark: " in _text(dm)
    assert "is resolved." in _text(dm)
    assert _buttons(dm) == []


@pytest.mark.parametrize("language", ["ja"])
def test_the_dm_speaks_japanese(slack: SlackDriver) -> None:
    card = file_via_modal(slack, values={"priority": "P1"})
    slack.click(card, "esc.claim", user="U0TARO")

    [dm] = _dms(slack, "U0TARO")
    assert dm.text.startswith("ESC-1 [P1] の担当になりました: ")
    text = _text(dm)
    assert "*優先度*\nP1" in text
    assert "*期限*\n" in text
    labels = [e["text"]["text"] for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["着手する", "CS回答待ちにする"]
