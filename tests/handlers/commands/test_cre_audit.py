"""`/cre audit`: the lead reads who looked up whom; everyone else is refused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.blocks.ids import ActionId
from bot.clock import ManualClock
from bot.workspace.webapi import SlackStandIn
from tests.support.slack import SlackDriver


def _last_reply(slack: SlackDriver) -> str:
    _, payload = slack.standin.responses[-1]
    assert payload["response_type"] == "ephemeral"
    return payload["text"] + json.dumps(payload.get("blocks") or [], ensure_ascii=False)


def test_the_lead_lists_look_ups_and_filters_by_person_user_and_date(
    slack: SlackDriver, clock: ManualClock
) -> None:
    slack.command("/lookup", "u-1001", user="U0HANAKO")
    slack.command("/lookup", "u-1002", user="U0CS")  # refused
    clock.advance(timedelta(days=3))
    slack.command("/lookup", "taro.yamada@example.jp", user="U0KENJI")

    slack.command("/cre", "audit", user="U0LEAD")
    everything = _last_reply(slack)
    assert "3 shown" in everything
    assert "<@U0HANAKO> · shown · `u-1001`" in everything
    assert "<@U0CS> · :no_entry: refused · `u-1002`" in everything
    assert "<@U0KENJI> · shown · `u-1001`" in everything
    assert "taro.yamada" not in everything

    slack.command("/cre", "audit <@U0CS|cs-agent>", user="U0LEAD")
    assert "1 shown" in _last_reply(slack)
    slack.command("/cre", "audit u-1001", user="U0LEAD")
    assert "2 shown" in _last_reply(slack)
    slack.command("/cre", "audit taro.yamada@example.jp", user="U0LEAD")
    assert "1 shown" in _last_reply(slack)
    since = (clock.now() - timedelta(days=1)).date().isoformat()
    slack.command("/cre", f"audit since {since}", user="U0LEAD")
    assert "1 shown" in _last_reply(slack)
    assert f"since {since}" in _last_reply(slack)


def test_the_audit_is_only_for_the_lead(slack: SlackDriver) -> None:
    slack.command("/lookup", "u-1001", user="U0HANAKO")

    slack.command("/cre", "audit", user="U0HANAKO")

    reply = _last_reply(slack)
    assert "Only the lead can read the look-up audit." in reply
    assert "u-1001" not in reply


def test_a_bad_date_is_explained(slack: SlackDriver) -> None:
    slack.command("/cre", "audit since someday", user="U0LEAD")

    assert "is not a date" in _last_reply(slack)


@pytest.mark.parametrize("day", ["0001-01-01", "1969-12-31", "1999-12-31"])
def test_a_date_before_the_audit_could_exist_says_what_is_allowed(
    slack: SlackDriver, day: str
) -> None:
    slack.command("/cre", f"audit since {day}", user="U0LEAD")

    assert _last_reply(slack).startswith(
        f"“{day}” is too long ago: give a date from 2000-01-01 up to today."
    )


def test_the_earliest_date_allowed_is_accepted(slack: SlackDriver) -> None:
    slack.command("/lookup", "u-1001", user="U0HANAKO")

    slack.command("/cre", "audit since 2000-01-01", user="U0LEAD")

    assert "1 shown" in _last_reply(slack)


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1900-02"])
def test_a_report_for_a_month_out_of_range_is_refused_not_an_error(
    slack: SlackDriver, month: str
) -> None:
    slack.command("/cre", f"report {month}", user="U0LEAD")

    reply = _last_reply(slack)
    assert "went wrong" not in reply


def test_a_plain_at_name_is_resolved_through_the_workspace_members(slack: SlackDriver) -> None:
    """A typed `@hanako` that Slack did not turn into a mention is looked up by name."""
    slack.command("/lookup", "u-1001", user="U0HANAKO")
    slack.command("/lookup", "u-1002", user="U0KENJI")

    slack.command("/cre", "audit @hanako", user="U0LEAD")

    reply = _last_reply(slack)
    assert "1 shown" in reply
    assert "<@U0HANAKO> · shown · `u-1001`" in reply


def test_an_unknown_at_name_is_explained(slack: SlackDriver) -> None:
    slack.command("/cre", "audit @nobody-here", user="U0LEAD")

    assert "There is no one called @nobody-here in this workspace." in _last_reply(slack)


def test_a_refused_reveal_is_listed_apart_from_an_ordinary_refusal(slack: SlackDriver) -> None:
    slack.command("/lookup", "u-1001", user="U0CS")  # may not look up at all
    slack.command("/lookup", "u-1001", user="U0LEAD")
    [lead_answer] = [
        m
        for m in slack.standin.channel_messages("C0SUPPORT", visible_to="U0LEAD")
        if m.ephemeral_for == "U0LEAD"
    ]
    slack.click(lead_answer, ActionId.LOOKUP_REVEAL, user="U0HANAKO")  # a forwarded button

    slack.command("/cre", "audit", user="U0LEAD")

    reply = _last_reply(slack)
    assert "<@U0HANAKO> · :no_entry: reveal refused · `u-1001`" in reply
    assert "<@U0CS> · :no_entry: refused · `u-1001`" in reply


def test_a_full_date_after_today_is_refused_and_a_leap_day_is_the_last_one(
    slack: SlackDriver,
) -> None:
    slack.command("/lookup", "u-1001", user="U0HANAKO")

    slack.command("/cre", "audit since 2027-01-01", user="U0LEAD")
    assert "“2027-01-01” is after today" in _last_reply(slack)

    slack.command("/cre", "audit since 02-29", user="U0LEAD")
    reply = _last_reply(slack)
    assert "since 2024-02-29" in reply
    assert "1 shown" in reply


def test_an_escaped_mention_with_spaces_in_the_name_is_one_person(
    slack: SlackDriver, standin: SlackStandIn
) -> None:
    """manifest.yml escapes /cre: Slack sends `<@U…|Hanako Yamada>`, spaces and all."""
    standin.add_user("U0YAMADA", "hanako.yamada", display_name="Hanako Yamada")
    slack.command("/lookup", "u-1001", user="U0HANAKO")
    slack.command("/lookup", "u-1002", user="U0YAMADA")

    slack.command("/cre", "audit <@U0YAMADA|Hanako Yamada> since 2000-01-01", user="U0LEAD")

    reply = _last_reply(slack)
    assert "1 shown" in reply
    assert "<@U0YAMADA> · :no_entry: refused · `u-1002`" in reply  # not on the CRE roster
    assert "u-1001" not in reply


def test_two_people_with_one_display_name_are_told_apart_by_their_mentions(
    slack: SlackDriver, standin: SlackStandIn
) -> None:
    standin.add_user("U0SATO1", "taro.sato", display_name="Sato")
    standin.add_user("U0SATO2", "jiro.sato", display_name="Sato")
    slack.command("/lookup", "u-1001", user="U0SATO1")
    slack.command("/lookup", "u-1002", user="U0SATO2")

    slack.command("/cre", "audit <@U0SATO2|Sato>", user="U0LEAD")
    second = _last_reply(slack)
    slack.command("/cre", "audit <@U0SATO1|Sato>", user="U0LEAD")
    first = _last_reply(slack)
    slack.command("/cre", "audit @Sato", user="U0LEAD")
    typed = _last_reply(slack)

    assert "<@U0SATO2> · :no_entry: refused · `u-1002`" in second
    assert "u-1001" not in second
    assert "<@U0SATO1> · :no_entry: refused · `u-1001`" in first
    assert "u-1002" not in first
    assert typed.startswith("2 people are called @Sato. Pick the person from Slack's suggestions")
    assert "u-100" not in typed


def test_an_escaped_email_address_filters_by_the_person_looked_up(slack: SlackDriver) -> None:
    slack.command("/lookup", "taro.yamada@example.jp", user="U0KENJI")
    slack.command("/lookup", "u-1002", user="U0KENJI")

    slack.command(
        "/cre", "audit <mailto:taro.yamada@example.jp|taro.yamada@example.jp>", user="U0LEAD"
    )

    reply = _last_reply(slack)
    assert "1 shown" in reply
    assert "u-1001" in reply
    assert "u-1002" not in reply
    assert "for `taro.yamada@example.jp`" in reply
    assert "mailto" not in reply
