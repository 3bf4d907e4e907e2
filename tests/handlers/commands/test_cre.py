"""`/cre mine|queue|show|away|back|help`: everyday questions, answered only to the caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.db import Database
from bot.models import EngineerState
from tests.support.flows import (
    assert_acked,
    card_field,
    file_via_modal,
    resolve_via_modal,
    texts_in,
)
from tests.support.slack import SlackDriver

HELP_LINES = ("`/cre mine`", "`/cre queue`", "`/cre show ESC-42`", "`/cre away", "`/cre help`")


def _reply(slack: SlackDriver) -> dict[str, Any]:
    """The one reply the command got, checked to be ephemeral."""
    assert slack.standin.responses, "the command got no reply"
    _, payload = slack.standin.responses[-1]
    assert payload.get("response_type") == "ephemeral", payload
    return payload


def _reply_text(slack: SlackDriver) -> str:
    """The reply's text and every text in its blocks."""
    payload = _reply(slack)
    return "\n".join([str(payload.get("text", "")), *texts_in(payload.get("blocks") or [])])


def _away_state(db: Database, user: str) -> EngineerState | None:
    with db.session() as session:
        return session.exec(select(EngineerState).where(EngineerState.user_id == user)).first()


# -- lists ----------------------------------------------------------------------------------------


def test_mine_lists_the_callers_escalations(slack: SlackDriver) -> None:
    file_via_modal(slack, summary="Login fails after password reset")

    assert_acked(slack.command("/cre", "mine", user="U0HANAKO"))

    text = _reply_text(slack)
    assert "Your escalations (1)" in text
    assert "ESC-1" in text
    assert "Login fails after password reset" in text
    assert "https://crebot.slack.com/archives/C0ESCALATE/p" in text  # the key links to the card


def test_mine_for_someone_with_nothing(slack: SlackDriver) -> None:
    file_via_modal(slack)

    slack.command("/cre", "mine", user="U0TARO")

    text = _reply_text(slack)
    assert "You have no open escalations." in text
    assert "ESC-1" not in text


def test_mine_leaves_out_resolved_escalations(slack: SlackDriver) -> None:
    card = file_via_modal(slack, summary="first")
    file_via_modal(slack, summary="second", values={"product": "album", "category": "data"})
    resolve_via_modal(slack, card, user="U0HANAKO")

    slack.command("/cre", "mine", user="U0HANAKO")

    text = _reply_text(slack)
    assert "ESC-1" not in text


def test_queue_shows_unassigned_and_in_progress(slack: SlackDriver) -> None:
    file_via_modal(slack, summary="assigned one")
    slack.command("/cre", "away", user="U0HANAKO")
    slack.command("/cre", "away", user="U0KENJI")
    file_via_modal(slack, summary="nobody can take this")

    assert_acked(slack.command("/cre", "queue", user="U0CS"))

    text = _reply_text(slack)
    assert "Unassigned (1)" in text
    assert "In progress (1)" in text
    unassigned, in_progress = text.index("Unassigned (1)"), text.index("In progress (1)")
    assert unassigned < text.index("ESC-2") < in_progress < text.index("ESC-1")
    assert "nobody can take this" in text


def test_queue_when_empty(slack: SlackDriver) -> None:
    slack.command("/cre", "queue", user="U0CS")

    text = _reply_text(slack)
    assert "Unassigned (0)" in text
    assert "In progress (0)" in text
    assert "Nothing here." in text


# -- show -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["ESC-1", "esc-1", "#1", "1"])
def test_show_gives_the_card_and_its_timeline(slack: SlackDriver, key: str) -> None:
    card = file_via_modal(slack, summary="Login fails after password reset")
    slack.click(card, "esc.acknowledge", user="U0HANAKO")

    assert_acked(slack.command("/cre", f"show {key}", user="U0CS"))

    payload = _reply(slack)
    text = _reply_text(slack)
    assert "*ESC-1* · Login fails after password reset" in text
    assert "*Status*\n:mag: Investigating" in text
    assert "Timeline" in text
    filed = text.index("<@U0CS> filed ESC-1.")
    assigned = text.index("Assigned to <@U0HANAKO>")
    acknowledged = text.index("<@U0HANAKO> is investigating.")
    assert filed < assigned < acknowledged
    assert "ESC-1" in payload["text"]


@pytest.mark.parametrize(
    ("words", "answer"),
    [
        ("show nope", "“nope” is not an escalation key; use one like ESC-42."),
        ("show", "Which escalation? Give its key, e.g. `/cre show ESC-42`."),
        ("show ESC-999", "There is no escalation ESC-999."),
        ("show ESC-1 extra words", "There is no escalation ESC-1."),
    ],
)
def test_show_something_that_is_not_there_gets_a_clear_ephemeral(
    slack: SlackDriver, words: str, answer: str
) -> None:
    response = slack.command("/cre", words, user="U0CS")

    assert_acked(response)
    assert _reply(slack)["text"] == answer


def test_show_with_mrkdwn_in_the_key_is_echoed_escaped(slack: SlackDriver) -> None:
    slack.command("/cre", "show <!channel>", user="U0CS")

    text = _reply(slack)["text"]
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text


# -- help and unknown subcommands ----------------------------------------------------------------


@pytest.mark.parametrize("words", ["help", "", "HELP"])
def test_help_lists_every_subcommand(slack: SlackDriver, words: str) -> None:
    assert_acked(slack.command("/cre", words, user="U0CS"))

    text = _reply(slack)["text"]
    for line in HELP_LINES:
        assert line in text


def test_an_unknown_subcommand_is_named_and_followed_by_help(slack: SlackDriver) -> None:
    assert_acked(slack.command("/cre", "bogus stuff", user="U0CS"))

    text = _reply(slack)["text"]
    assert text.startswith("I don't know `bogus`. Try `/cre help`.")
    for line in HELP_LINES:
        assert line in text


def test_an_unknown_subcommand_with_mrkdwn_is_escaped_and_cut(slack: SlackDriver) -> None:
    slack.command("/cre", "<!here>" + "x" * 100, user="U0CS")

    text = _reply(slack)["text"]
    assert "<!here>" not in text
    assert "&lt;!here&gt;" in text
    assert "x" * 40 not in text


# -- away and back ------------------------------------------------------------------------------


def test_away_until_a_date_skips_that_engineer_when_filing(
    slack: SlackDriver, db: Database
) -> None:
    assert_acked(slack.command("/cre", "away until 2026-12-01", user="U0HANAKO"))

    assert _reply(slack)["text"].startswith(":palm_tree: You are away through 2026-12-01.")
    state = _away_state(db, "U0HANAKO")
    assert state is not None
    assert state.away
    assert state.away_until == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Dec 2 00:00 in Tokyo
    card = file_via_modal(slack)  # album / login: hanako's skills, but she is away
    assert card_field(card, "Assignee") == "<@U0KENJI>"


def test_away_ends_after_the_date(slack: SlackDriver, clock: ManualClock) -> None:
    slack.command("/cre", "away until 2026-11-26", user="U0HANAKO")
    clock.advance(timedelta(days=2))  # Friday 27th

    card = file_via_modal(slack)

    assert card_field(card, "Assignee") == "<@U0HANAKO>"


def test_back_makes_the_engineer_assignable_again(slack: SlackDriver, db: Database) -> None:
    slack.command("/cre", "away", user="U0HANAKO")
    assert "You are away." in _reply(slack)["text"]
    first = file_via_modal(slack, summary="while away")

    assert_acked(slack.command("/cre", "back", user="U0HANAKO"))

    assert _reply(slack)["text"].startswith(":wave: Welcome back")
    state = _away_state(db, "U0HANAKO")
    assert state is not None
    assert not state.away
    second = file_via_modal(slack, summary="after coming back")
    assert card_field(first, "Assignee") == "<@U0KENJI>"
    assert card_field(second, "Assignee") == "<@U0HANAKO>"


def test_everyone_who_covers_it_away_leaves_it_in_the_queue(slack: SlackDriver) -> None:
    slack.command("/cre", "away", user="U0HANAKO")
    slack.command("/cre", "away", user="U0KENJI")

    card = file_via_modal(slack)

    assert card_field(card, "Assignee") == "Unassigned"
    assert card_field(card, "Status") == ":large_blue_circle: Open"
    assert "esc.claim" in str(card.blocks)


@pytest.mark.parametrize("words", ["away", "away until 2026-12-01", "back"])
def test_away_or_back_by_someone_off_the_roster_is_refused(
    slack: SlackDriver, db: Database, words: str
) -> None:
    response = slack.command("/cre", words, user="U0CS")

    assert_acked(response)
    assert _reply(slack)["text"] == "Only engineers on the roster can do that."
    assert _away_state(db, "U0CS") is None


@pytest.mark.parametrize(
    ("words", "answer"),
    [
        ("away until 2026-11-01", "2026-11-01 is in the past."),
        ("away until someday", "“someday” is not a date; use 2026-12-24 or 12/24."),
        ("away until 2026-02-30", "“2026-02-30” is not a date; use 2026-12-24 or 12/24."),
        ("away until 0001-01-01", "0001-01-01 is in the past."),
        (
            "away until 9999-12-31",
            "9999-12-31 is too far ahead: give a date up to 2028-11-24 (two years from today).",
        ),
        (
            "away until 2028-11-25",
            "2028-11-25 is too far ahead: give a date up to 2028-11-24 (two years from today).",
        ),
    ],
)
def test_away_with_a_bad_date_is_refused_and_changes_nothing(
    slack: SlackDriver, db: Database, words: str, answer: str
) -> None:
    slack.command("/cre", words, user="U0HANAKO")

    assert _reply(slack)["text"] == answer
    assert _away_state(db, "U0HANAKO") is None


def test_away_with_mrkdwn_instead_of_a_date_is_echoed_escaped(slack: SlackDriver) -> None:
    slack.command("/cre", "away until <@U0LEAD>", user="U0HANAKO")

    text = _reply(slack)["text"]
    assert "<@U0LEAD>" not in text
    assert "&lt;@U0LEAD&gt;" in text


def test_away_as_far_ahead_as_allowed_is_accepted(slack: SlackDriver) -> None:
    slack.command("/cre", "away until 2028-11-24", user="U0HANAKO")

    assert "through 2028-11-24" in _reply(slack)["text"]


def test_away_with_a_short_date_means_the_next_such_day(slack: SlackDriver) -> None:
    slack.command("/cre", "away until 12/24", user="U0HANAKO")

    assert "through 2026-12-24" in _reply(slack)["text"]


def test_replies_never_reach_the_channel(slack: SlackDriver) -> None:
    card = file_via_modal(slack)
    for words in ("mine", "queue", "show ESC-1", "help", "away", "back", "bogus"):
        slack.command("/cre", words, user="U0HANAKO")

    assert len(slack.standin.responses) == 7
    assert all(p.get("response_type") == "ephemeral" for _, p in slack.standin.responses)
    visible = slack.standin.channel_messages("C0SUPPORT", visible_to="U0CS")
    assert visible == []
    assert card.updated_count == 0  # listing never touches the card
