"""The App Home tab: the viewer's escalations and the queue; Events API retries processed once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot import escalations
from bot.clock import ManualClock
from bot.db import Database
from bot.policy import Policy
from tests.support.flows import (
    assert_acked,
    click_in_home,
    escalation_count,
    file_via_modal,
    opened_view,
    submit_escalation,
    texts_in,
)
from tests.support.slack import SlackDriver


def _home_opened(user: str, *, tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": tab,
        "event_ts": "1795568400.000001",
    }


def _home_text(slack: SlackDriver, user: str) -> str:
    return "\n".join(texts_in(slack.standin.home[user]["blocks"]))


def test_opening_home_publishes_the_viewers_escalations_and_the_queue(
    slack: SlackDriver,
) -> None:
    file_via_modal(slack, summary="Login fails after password reset")  # → U0HANAKO
    file_via_modal(slack, summary="Refund not applied", values={"product": "game"})  # → U0TARO

    response = slack.event(_home_opened("U0HANAKO"))

    assert_acked(response)
    [call] = slack.standin.calls_to("views.publish")
    assert call.args["user_id"] == "U0HANAKO"
    home = slack.standin.home["U0HANAKO"]
    assert home["type"] == "home"
    text = _home_text(slack, "U0HANAKO")
    mine = text.index("Your escalations")
    unassigned = text.index("Unassigned (0)")
    in_progress = text.index("In progress with others (1)")
    assert mine < text.index("Login fails after password reset") < unassigned < in_progress
    assert text.count("Login fails after password reset") == 1  # not again under "In progress"
    assert text.index("Refund not applied") > in_progress
    assert "File an escalation" in text


def test_someone_with_nothing_sees_an_empty_list_of_their_own(slack: SlackDriver) -> None:
    file_via_modal(slack)

    slack.event(_home_opened("U0TARO"))

    text = _home_text(slack, "U0TARO")
    assert "You have no open escalations." in text
    assert "In progress with others (1)" in text
    assert "Team now" not in text  # the team's state is the lead's


def test_an_away_engineer_is_reminded_on_home(slack: SlackDriver) -> None:
    slack.command("/cre", "away until 2026-12-01", user="U0KENJI")

    slack.event(_home_opened("U0KENJI"))

    assert ":palm_tree: You are marked away through 2026-12-01." in _home_text(slack, "U0KENJI")


def test_the_messages_tab_publishes_nothing(slack: SlackDriver) -> None:
    response = slack.event(_home_opened("U0HANAKO", tab="messages"))

    assert_acked(response)
    assert slack.standin.calls_to("views.publish") == []


def test_a_retried_event_is_processed_once(slack: SlackDriver) -> None:
    first = slack.event(_home_opened("U0HANAKO"), event_id="Ev0RETRY01")
    retry = slack.event(_home_opened("U0HANAKO"), event_id="Ev0RETRY01", retry_num=1)

    assert first.status == 200
    assert retry.status == 200
    assert len(slack.standin.calls_to("views.publish")) == 1


def test_different_events_are_each_processed(slack: SlackDriver) -> None:
    slack.event(_home_opened("U0HANAKO"), event_id="Ev0FIRST01")
    slack.event(_home_opened("U0HANAKO"), event_id="Ev0SECOND1")

    assert len(slack.standin.calls_to("views.publish")) == 2


def test_home_shows_the_unassigned_queue(slack: SlackDriver) -> None:
    slack.command("/cre", "away", user="U0HANAKO")
    slack.command("/cre", "away", user="U0KENJI")
    file_via_modal(slack, summary="Waiting for someone")

    slack.event(_home_opened("U0TARO"))

    text = _home_text(slack, "U0TARO")
    assert text.index("Unassigned (1)") < text.index("Waiting for someone")


def test_the_file_button_on_home_opens_the_escalation_modal(
    slack: SlackDriver, db: Database
) -> None:
    slack.event(_home_opened("U0CS"))
    home = slack.standin.home["U0CS"]

    response = click_in_home(slack, home, "home.escalate", user="U0CS")

    assert_acked(response)
    view, _ = opened_view(slack)
    assert view["callback_id"] == "escalate"
    assert_acked(submit_escalation(slack, summary="Filed from home"))
    assert escalation_count(db) == 1


def test_home_lists_are_cut_to_the_view_limit(
    slack: SlackDriver, db: Database, policy: Policy, clock: ManualClock
) -> None:
    with db.session() as session:  # many escalations, filed straight into the database
        for n in range(60):
            escalations.file_escalation(
                session=session,
                policy=policy,
                draft=escalations.EscalationDraft(
                    end_user_id=f"u-{n}",
                    product="album",
                    category="login",
                    priority="P2",
                    summary=f"escalation number {n}",
                ),
                filed_by="U0CS",
                intake_key=f"test:{n}",
                now=clock.now(),
            )

    slack.event(_home_opened("U0HANAKO"))

    home = slack.standin.home["U0HANAKO"]
    assert len(home["blocks"]) <= 100
    assert "more." in _home_text(slack, "U0HANAKO")
    # The stand-in fails the test at teardown if views.publish broke a Block Kit limit.


def test_an_event_is_acked_while_the_database_is_busy_and_handled_after(
    slack: SlackDriver, db: Database
) -> None:
    """De-duplication writes to the database; it happens after the ack, not before it."""
    with db.engine.connect() as blocker:
        transaction = blocker.begin()
        if db.dialect == "postgresql":
            blocker.exec_driver_sql("LOCK TABLE processed_event IN EXCLUSIVE MODE")
        else:  # the engine's BEGIN IMMEDIATE already holds SQLite's write lock
            blocker.exec_driver_sql(
                "INSERT INTO processed_event VALUES ('Ev0BLOCKER', '2026-01-01')"
            )

        response = slack.event(_home_opened("U0HANAKO"), event_id="Ev0BUSY001", drain=False)

        assert_acked(response)
        assert "U0HANAKO" not in slack.standin.home  # still waiting for the database
        transaction.rollback()
    slack.executor.drain()
    assert "U0HANAKO" in slack.standin.home


def test_the_leads_home_starts_with_the_teams_state(slack: SlackDriver, clock: ManualClock) -> None:
    slack.command("/cre", "away", user="U0KENJI")
    slack.command("/cre", "away", user="U0HANAKO")
    file_via_modal(slack, summary="Everyone is locked out", values={"priority": "P1"})  # unclaimed
    file_via_modal(slack, summary="Refund not applied", values={"product": "game"})  # → U0TARO
    clock.advance(timedelta(days=1))  # the P1 (4h) is breached; the P2 (2d) has used half

    slack.event(_home_opened("U0LEAD"))

    text = _home_text(slack, "U0LEAD")
    team = text.index(
        "*Team now:* :rotating_light: 1 breached · :warning: 1 at risk · "
        ":raised_hand: 1 waiting for an assignee"
    )
    assert team < text.index("Unassigned (1)") < text.index("Your escalations")
    assert "Nothing is assigned to you." in text
    assert ":tada:" not in text


def test_a_calm_team_says_so_on_the_leads_home(slack: SlackDriver) -> None:
    slack.event(_home_opened("U0LEAD"))

    text = _home_text(slack, "U0LEAD")
    assert text.index("nothing is breached or at risk") < text.index("Your escalations")
