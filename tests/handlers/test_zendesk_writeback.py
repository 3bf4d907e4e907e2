"""A ticket's whole story: filed from Zendesk, worked in Slack, and every step written back once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.db import Database
from bot.runtime import Runtime
from bot.settings import Settings
from bot.workspace.zendesk import (
    ADD_TAGS,
    LIST_COMMENTS,
    UPDATE_TICKET,
    RunningZendesk,
    ZendeskStandIn,
)
from tests.conftest import ZENDESK_EMAIL, ZENDESK_TOKEN
from tests.support.flows import (
    ESCALATION_CHANNEL,
    card_actions,
    file_via_modal,
    opened_view,
    resolve_via_modal,
    thread_lines,
    wait_on_cs,
)
from tests.support.slack import SlackDriver
from tests.support.zendesk import deliver, ticket_body, writer_on_test_time, zendesk_settings


@pytest.fixture
def settings(settings: Settings, zendesk_server: RunningZendesk) -> Settings:
    return zendesk_settings(
        settings, api_url=zendesk_server.url, email=ZENDESK_EMAIL, token=ZENDESK_TOKEN
    )


@pytest.fixture
def slack(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, zendesk_server: RunningZendesk
) -> SlackDriver:
    writer_on_test_time(runtime, clock, api_url=zendesk_server.url, timeout=0.5)
    return slack


def first_lines(zendesk: ZendeskStandIn, ticket: int = 4711) -> list[str]:
    return [note.splitlines()[0] for note in zendesk.ticket(ticket).notes()]


def card(slack: SlackDriver):  # type: ignore[no-untyped-def]
    [found] = slack.channel(ESCALATION_CHANNEL)
    return found


def wait_with(slack: SlackDriver, question: str, *, user: str = "U0HANAKO") -> None:
    slack.click(card(slack), "esc.wait_question", user=user)
    view, view_id = opened_view(slack)
    assert view["callback_id"] == "wait_question"
    slack.submit(view, {"question": question}, user=user, view_id=view_id)


def test_a_ticket_from_filing_to_resolution_gets_each_note_and_tag_once(
    slack: SlackDriver, zendesk: ZendeskStandIn, clock: ManualClock
) -> None:
    deliver(slack, ticket_body(), at=clock.now())
    assert first_lines(zendesk) == [
        "Escalated to CRE as ESC-1 (P2, SLO due Fri 11/27 10:00). Assigned to hanako."
    ]
    assert zendesk.ticket(4711).tags == ["vip", "cre_escalated"]
    slack.click(card(slack), "esc.acknowledge", user="U0HANAKO")
    assert len(first_lines(zendesk)) == 1  # acknowledging is not news for the ticket
    # With a ticket, Waiting on CS asks the question first; the ticket gets it.
    assert "esc.wait_question" in card_actions(card(slack))
    wait_with(slack, "Which app version is the user on?")
    [_, waiting] = zendesk.ticket(4711).notes()
    assert "hanako needs something from CS" in waiting
    assert "Question:\nWhich app version is the user on?" in waiting
    assert (
        "*Question for CS:*\n>Which app version is the user on?"
        in thread_lines(slack, card(slack))[-1]
    )
    # The agent, a Slack user by their email, is asked too, by DM with a button to answer.
    told, asked = slack.standin.dms("U0CS")
    assert told.text.startswith(":inbox_tray: You escalated Zendesk ticket")  # as before
    assert asked.text.endswith("\n>Which app version is the user on?")
    buttons = [e for b in asked.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in buttons] == ["esc.answer"]
    slack.click(card(slack), "esc.resume", user="U0HANAKO")
    resolve_via_modal(slack, card(slack), user="U0HANAKO", answer="Update to 5.2, then sign in.")
    # The agent hears of it in Slack as a Slack filer would: mentioned with the answer.
    resolved = thread_lines(slack, card(slack))[-1]
    assert resolved.startswith(":white_check_mark: <@U0CS> ESC-1 was resolved by <@U0HANAKO>")
    assert "Update to 5.2, then sign in." in resolved
    slack.click(card(slack), "esc.reopen", user="U0CS")
    assert first_lines(zendesk)[2:] == [
        "ESC-1 was resolved by hanako. Cause: Bug.",
        "ESC-1 was reopened by cs-agent: CRE is looking at it again.",
    ]
    assert "Answer for CS:\nUpdate to 5.2, then sign in." in zendesk.ticket(4711).notes()[2]
    assert zendesk.ticket(4711).tags == ["vip", "cre_escalated"]
    # Every note carries its marker, and no request was made twice.
    markers = [note.splitlines()[-1] for note in zendesk.ticket(4711).notes()]
    assert markers == [
        "[cre-bot:ESC-1:assigned:2]",
        "[cre-bot:ESC-1:waiting_on_cs:4]",
        "[cre-bot:ESC-1:resolved:6]",
        "[cre-bot:ESC-1:reopened:7]",
    ]
    assert len(zendesk.calls_to(UPDATE_TICKET)) == 4
    assert len(zendesk.calls_to(ADD_TAGS)) == 2


def test_an_escalation_filed_in_slack_with_a_ticket_is_written_back_the_same(
    slack: SlackDriver, zendesk: ZendeskStandIn
) -> None:
    filed = file_via_modal(slack, values={"zendesk": "https://acme.zendesk.com/agent/tickets/4711"})
    assert first_lines(zendesk) == [
        "Escalated to CRE as ESC-1 (P2, SLO due Fri 11/27 10:00). Assigned to hanako."
    ]
    resolve_via_modal(slack, filed, user="U0HANAKO")
    assert first_lines(zendesk)[1] == "ESC-1 was resolved by hanako. Cause: Bug."


def test_without_a_ticket_nothing_is_written_and_the_question_goes_to_the_filer_only(
    slack: SlackDriver, zendesk: ZendeskStandIn, db: Database
) -> None:
    filed = file_via_modal(slack)
    assert "esc.wait_question" in card_actions(filed)
    wait_on_cs(slack, filed, user="U0HANAKO", question="Which app version?")
    assert slack.standin.dms("U0CS")[-1].text.endswith(">Which app version?")
    assert zendesk.calls == []


@pytest.mark.allow_zendesk_problems
def test_a_note_zendesk_refuses_is_shown_pending_the_lead_is_told_and_can_try_again(
    slack: SlackDriver, zendesk: ZendeskStandIn, clock: ManualClock
) -> None:
    zendesk.ticket(4711).status = "closed"
    deliver(slack, ticket_body(), at=clock.now())
    assert zendesk.ticket(4711).notes() == []
    told = slack.standin.dms("U0LEAD")
    assert any("could not write the assignment note for ESC-1" in m.text for m in told)
    slack.command("/cre", "show ESC-1", user="U0LEAD")
    shown = slack.standin.responses[-1][1]
    assert "Not yet on Zendesk ticket" in str(shown)
    assert "the assignment note (gave up: http_422)" in str(shown)
    # Zendesk takes it again (the ticket was reopened there); the lead presses Try again.
    zendesk.ticket(4711).status = "open"
    message = next(m for m in told if "assignment note" in m.text)
    slack.click(message, "zendesk.retry", user="U0HANAKO")  # not the lead: refused
    assert zendesk.ticket(4711).notes() == []
    slack.click(message, "zendesk.retry", user="U0LEAD")
    assert first_lines(zendesk) == [
        "Escalated to CRE as ESC-1 (P2, SLO due Fri 11/27 10:00). Assigned to hanako."
    ]


@pytest.mark.allow_zendesk_problems
def test_a_burst_of_429s_and_a_timeout_still_write_every_note_once(
    slack: SlackDriver, zendesk: ZendeskStandIn, runtime: Runtime, clock: ManualClock
) -> None:
    zendesk.fail(UPDATE_TICKET, status=429, retry_after=20, times=2)
    deliver(slack, ticket_body(), at=clock.now())
    assert len(zendesk.ticket(4711).notes()) == 1  # after waiting out 2 x 20 s on test time
    zendesk.fail(UPDATE_TICKET, delay=1.0, applied=True)
    slack.click(card(slack), "esc.acknowledge", user="U0HANAKO")
    wait_with(slack, "Which version?")
    assert len(zendesk.ticket(4711).notes()) == 2  # it landed, though the writer timed out
    clock.advance(timedelta(minutes=2))
    runtime.zendesk.write_due()  # the retry reads the ticket first and finds its marker
    assert len(zendesk.ticket(4711).notes()) == 2
    assert len(zendesk.calls_to(LIST_COMMENTS)) == 1
