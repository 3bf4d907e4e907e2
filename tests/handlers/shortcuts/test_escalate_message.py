"""The "Escalate to CRE" message shortcut: the modal prefilled from a message, linked back to it."""

from __future__ import annotations

import json
from typing import Any

from bot.db import Database
from bot.workspace.webapi import Message
from tests.support.flows import (
    DEFAULT_VALUES,
    assert_acked,
    card_texts,
    escalation,
    file_via_modal,
    opened_view,
    record_requests,
    submit_escalation,
)
from tests.support.slack import SlackDriver

REPORT = "User u-2002 can't restore their album\nThey tried twice from the app; error E42."


def _input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def _support_message(slack: SlackDriver, text: str = REPORT) -> Message:
    return slack.standin.add_message("C0SUPPORT", user="U0CS", text=text)


def test_the_shortcut_opens_the_modal_prefilled_from_the_message(slack: SlackDriver) -> None:
    message = _support_message(slack)
    requests = record_requests(slack)

    response = slack.message_shortcut(message, user="U0CS")

    assert_acked(response)
    [call] = slack.standin.calls_to("views.open")
    assert call.args["trigger_id"] == requests.last_body()["trigger_id"]
    view, _ = opened_view(slack)
    assert view["callback_id"] == "escalate"
    assert _input(view, "summary")["element"]["initial_value"] == (
        "User u-2002 can't restore their album"
    )
    # The first line is the summary, the rest the details: the card says each once.
    assert _input(view, "details")["element"]["initial_value"] == (
        "They tried twice from the app; error E42."
    )
    assert json.loads(view["private_metadata"]) == {
        "src": ["C0SUPPORT", message.ts],
        "link": f"https://crebot.slack.com/archives/C0SUPPORT/p{message.ts.replace('.', '')}",
    }


def test_the_card_links_to_the_message_it_came_from(slack: SlackDriver, db: Database) -> None:
    message = _support_message(slack)
    slack.message_shortcut(message, user="U0CS")
    expected = f"https://crebot.slack.com/archives/C0SUPPORT/p{message.ts.replace('.', '')}"
    view, _ = opened_view(slack)
    assert f"<{expected}|From this message>" in json.dumps(view["blocks"][0])

    assert_acked(submit_escalation(slack, values={"end_user_id": "u-2002", "category": "data"}))

    assert slack.standin.calls_to("chat.getPermalink") == []  # built, not asked for
    [card] = slack.channel("C0ESCALATE")
    assert f"<{expected}|From a message>" in card_texts(card)
    row = escalation(db)
    assert (row.source_channel_id, row.source_message_ts) == ("C0SUPPORT", message.ts)
    assert row.source_permalink == expected
    assert row.details == "They tried twice from the app; error E42."


def test_a_reply_in_a_thread_links_to_the_thread(slack: SlackDriver, db: Database) -> None:
    parent = _support_message(slack, text="Album export question")
    reply = slack.standin.add_message(
        "C0SUPPORT", user="U0CS", text="Same for u-2002", thread_ts=parent.ts
    )
    slack.message_shortcut(reply, user="U0CS")

    assert_acked(submit_escalation(slack))

    assert escalation(db).source_permalink == (
        f"https://crebot.slack.com/archives/C0SUPPORT/p{reply.ts.replace('.', '')}"
        f"?thread_ts={parent.ts}&cid=C0SUPPORT"
    )


def test_a_card_filed_without_a_message_has_no_source_link(slack: SlackDriver) -> None:
    card = file_via_modal(slack)

    assert not any("From a message" in text for text in card_texts(card))


def test_a_forged_source_link_is_not_kept(slack: SlackDriver, db: Database) -> None:
    message = _support_message(slack)
    slack.message_shortcut(message, user="U0CS")
    view, view_id = opened_view(slack)
    forged = {
        **view,
        "private_metadata": json.dumps(
            {"src": ["C0SUPPORT", message.ts], "link": "javascript:alert(1)"}
        ),
    }

    assert_acked(
        slack.submit(
            forged, {**DEFAULT_VALUES, "end_user_id": "u-2002"}, user="U0CS", view_id=view_id
        )
    )

    row = escalation(db)
    assert row.source_channel_id == "C0SUPPORT"
    assert row.source_permalink is None


def test_a_long_message_fits_the_modal_instead_of_failing_views_open(
    slack: SlackDriver,
) -> None:
    message = _support_message(slack, text="very long first line " * 20 + "\n" + "x" * 5000)

    assert_acked(slack.message_shortcut(message, user="U0CS"))

    view, _ = opened_view(slack)
    assert len(_input(view, "summary")["element"]["initial_value"]) <= 150
    assert len(_input(view, "details")["element"]["initial_value"]) <= 3000
    # The stand-in fails the test at teardown if views.open broke a Block Kit limit.


def test_a_message_with_mentions_is_prefilled_readable_and_pings_no_one(
    slack: SlackDriver,
) -> None:
    message = _support_message(
        slack, text="<!here> <@U0LEAD> photos gone &amp; <https://status.example|status> &lt;3"
    )
    slack.message_shortcut(message, user="U0CS")
    view, _ = opened_view(slack)
    assert _input(view, "summary")["element"]["initial_value"] == (
        "@here @U0LEAD photos gone & status (https://status.example) <3"
    )

    submit_escalation(slack)

    [card] = slack.channel("C0ESCALATE")
    title = card.blocks[0]["text"]["text"]
    assert title.startswith("*ESC-1* · @here @U0LEAD photos gone &amp; status")
    assert "<!" not in title
    assert "<@" not in title
    assert "&lt;3" in title
