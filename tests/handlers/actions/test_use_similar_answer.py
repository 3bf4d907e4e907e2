"""The Resolve modal offers the most similar resolved escalation's answer for CS to start from."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.clock import ManualClock
from bot.db import Database
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.workspace.webapi import Message
from tests.support.flows import (
    assert_acked,
    click_in_home,
    escalation,
    file_via_modal,
    opened_view,
    resolve_via_modal,
    texts_in,
)
from tests.support.slack import SlackDriver

PHOTOS = "Photos disappear from the album after restoring a backup"
PHOTOS_AGAIN = "After restoring the backup, photos disappeared from the album"
EARLIER_ANSWER = "Ask them to run the restore again from Settings > Backup; albums come back."


def _block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def _similar_case_then_a_new_one(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> Message:
    first = file_via_modal(slack, summary=PHOTOS)
    assert_acked(resolve_via_modal(slack, first, user="U0LEAD", answer=EARLIER_ANSWER))
    second = file_via_modal(slack, summary=PHOTOS_AGAIN)
    clock.advance(timedelta(minutes=5))
    run_job(runtime=runtime, name="similarity-index", at=clock.now())
    return second


def _open_resolve(slack: SlackDriver, card: Message) -> tuple[dict[str, Any], str]:
    assert_acked(slack.click(card, "esc.resolve", user="U0LEAD"))
    return opened_view(slack)


def test_the_modal_offers_the_answer_and_preselects_no_cause(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    second = _similar_case_then_a_new_one(slack, runtime, clock)
    view, _ = _open_resolve(slack, second)
    [offer] = [b for b in view["blocks"] if b.get("accessory", {}).get("type") == "button"]
    assert offer["accessory"]["text"]["text"] == "Use ESC-1's answer"
    assert offer["accessory"]["value"] == "1"
    assert "A similar escalation was resolved:* ESC-1 (resolved " in offer["text"]["text"]
    assert ">Ask them to run the restore again from Settings &gt; Backup" in offer["text"]["text"]
    assert "initial_option" not in _block(view, "cause")["element"]
    assert "initial_value" not in _block(view, "answer")["element"]


def test_using_it_fills_the_answer_which_is_resolved_as_edited(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, db: Database
) -> None:
    second = _similar_case_then_a_new_one(slack, runtime, clock)
    _, view_id = _open_resolve(slack, second)

    assert_acked(
        click_in_home(slack, slack.standin.views[view_id], "resolve.use_answer", user="U0LEAD")
    )

    [update] = slack.standin.calls_to("views.update")
    assert update.response["ok"]
    filled = slack.standin.views[view_id]
    answer = _block(filled, "answer.1")  # a new block id, so Slack shows the new initial value
    assert answer["element"]["initial_value"] == EARLIER_ANSWER
    assert answer["hint"]["text"] == "Starts from ESC-1's answer: edit it for this case."
    assert not [t for t in texts_in(filled["blocks"]) if "A similar escalation" in t]

    edited = EARLIER_ANSWER + " (Android only.)"
    assert_acked(
        slack.submit(
            filled,
            {"cause": "bug", "answer.1": edited, "note": ""},
            user="U0LEAD",
            view_id=view_id,
        )
    )
    resolved = escalation(db, 2)
    assert resolved.status == "resolved"
    assert resolved.resolution_answer == edited


def test_an_empty_filled_answer_is_refused_on_its_own_field(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, db: Database
) -> None:
    second = _similar_case_then_a_new_one(slack, runtime, clock)
    _, view_id = _open_resolve(slack, second)
    click_in_home(slack, slack.standin.views[view_id], "resolve.use_answer", user="U0LEAD")
    filled = slack.standin.views[view_id]

    response = slack.submit(
        filled, {"cause": "bug", "answer.1": "", "note": ""}, user="U0LEAD", view_id=view_id
    )

    assert response.json()["response_action"] == "errors"
    assert list(response.json()["errors"]) == ["answer.1"]
    assert escalation(db, 2).status != "resolved"


def test_no_offer_while_the_index_is_not_ready(
    slack: SlackDriver,
) -> None:
    first = file_via_modal(slack, summary=PHOTOS)
    assert_acked(resolve_via_modal(slack, first, user="U0LEAD", answer=EARLIER_ANSWER))
    second = file_via_modal(slack, summary=PHOTOS_AGAIN)  # the index was never built
    view, _ = _open_resolve(slack, second)
    assert not [b for b in view["blocks"] if "accessory" in b]
    assert "initial_value" not in _block(view, "answer")["element"]


def test_a_forged_source_is_refused_privately(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    second = _similar_case_then_a_new_one(slack, runtime, clock)
    _, view_id = _open_resolve(slack, second)
    view = slack.standin.views[view_id]
    offer = next(b for b in view["blocks"] if "accessory" in b)
    offer["accessory"]["value"] = "2"  # itself: not resolved

    assert_acked(click_in_home(slack, view, "resolve.use_answer", user="U0LEAD"))

    assert slack.standin.calls_to("views.update") == []
    [told] = [m for m in slack.standin.channel_messages("U0LEAD")]
    assert told.text == "ESC-2 has no answer for CS to start from (it is not resolved)."
