"""A Zendesk ticket whose fields do not give the product or category: the team's resolved
escalations suggest them from its text, the card says so, and the priority is never guessed."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.db import Database
from bot.runtime import Runtime
from bot.settings import Settings
from bot.workspace.zendesk import RunningZendesk
from tests.conftest import ZENDESK_EMAIL, ZENDESK_TOKEN
from tests.support.flows import (
    ESCALATION_CHANNEL,
    assert_acked,
    assert_updated_in_place_once,
    card_texts,
    escalation,
    escalation_count,
    opened_view,
    watch,
)
from tests.support.similar import LOGIN, resolved_history
from tests.support.slack import SlackDriver
from tests.support.zendesk import deliver, ticket_body, zendesk_settings

LIKE_LOGIN = "Customer can't log in to the market app after a password change"
SUGGESTED = "suggested by similar resolved escalations"


@pytest.fixture
def settings(settings: Settings, zendesk_server: RunningZendesk) -> Settings:
    return zendesk_settings(
        settings, api_url=zendesk_server.url, email=ZENDESK_EMAIL, token=ZENDESK_TOKEN
    )


def _not_understood(slack: SlackDriver) -> str:
    card = slack.channel(ESCALATION_CHANNEL)[-1]  # the ticket's (after the history's)
    lines = [text for text in card_texts(card) if "not understood" in text]
    assert len(lines) == 1, card_texts(card)
    return lines[0]


def test_a_ticket_without_product_or_category_gets_them_suggested_and_the_card_says_so(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, db: Database
) -> None:
    resolved_history(runtime, clock)
    body = ticket_body(
        title=LIKE_LOGIN,
        description="She reset it twice and still gets 'wrong password'.",
        product="spaceship",  # given but not understood
        category="",  # not given
        priority="Critical",  # not understood either: the default, never a guess
    )
    response = deliver(slack, body, at=clock.now())
    assert response.status == 202

    filed = escalation(db, escalation_count(db))
    assert (filed.source, filed.product, filed.category) == ("zendesk", "market", "login")
    assert filed.priority == runtime.policy.fallback_priority
    assert (filed.product_suggested, filed.category_suggested) == (True, True)
    line = _not_understood(slack)
    assert f"Product “spaceship” (filed as Handmade Market, {SUGGESTED})" in line
    assert f"Category (none given; filed as Login / account, {SUGGESTED})" in line
    assert "Priority “Critical” (filed as P2)" in line


def test_what_the_fields_give_is_kept_whatever_the_text_resembles(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, db: Database
) -> None:
    resolved_history(runtime, clock)
    deliver(
        slack,
        ticket_body(title=LIKE_LOGIN, product="game", category="billing"),
        at=clock.now(),
    )
    filed = escalation(db, escalation_count(db))
    assert (filed.product, filed.category) == ("game", "billing")
    assert (filed.product_suggested, filed.category_suggested) == (False, False)
    card = slack.channel(ESCALATION_CHANNEL)[-1]
    assert card.text.startswith(f"ESC-{filed.id} ")
    assert not any("not understood" in text for text in card_texts(card))


def test_before_the_index_exists_the_defaults_are_filed_as_before(
    slack: SlackDriver, clock: ManualClock, db: Database
) -> None:
    deliver(slack, ticket_body(title=LIKE_LOGIN, product="spaceship"), at=clock.now())
    filed = escalation(db)
    assert filed.product == "album"  # the first product: nobody was waited for
    line = _not_understood(slack)
    assert "Product “spaceship” (filed as Family Album)" in line
    assert SUGGESTED not in line


def test_a_label_the_team_resolved_fewer_than_five_times_is_not_suggested(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, db: Database
) -> None:
    resolved_history(runtime, clock, login=LOGIN[:4])
    deliver(slack, ticket_body(title=LIKE_LOGIN, product="", category="??"), at=clock.now())
    filed = escalation(db, escalation_count(db))
    assert (filed.product, filed.category) == ("album", "other")
    line = _not_understood(slack)
    assert "Category “??” (filed as Other)" in line
    assert SUGGESTED not in line


def test_suggested_labels_are_changed_or_confirmed_from_the_card(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock, db: Database
) -> None:
    resolved_history(runtime, clock)
    deliver(slack, ticket_body(title=LIKE_LOGIN, product="spaceship", category=""), at=clock.now())
    filed = escalation(db, escalation_count(db))
    card = slack.channel(ESCALATION_CHANNEL)[-1]

    assert_acked(slack.click(card, "esc.relabel", user="U0LEAD", selected_value=str(filed.id)))
    view, view_id = opened_view(slack)
    hints = {b["block_id"]: b.get("hint", {}).get("text", "") for b in view["blocks"][1:]}
    assert all(
        hint.startswith("Suggested by similar resolved escalations") for hint in hints.values()
    )
    before = watch(slack, card)
    values: dict[str, str | None] = {"product": "market", "category": "billing"}
    assert_acked(slack.submit(view, values, user="U0LEAD", view_id=view_id))

    line = assert_updated_in_place_once(slack, card, before)
    assert line == "<@U0LEAD> changed category: Login / account → Purchases / billing."
    relabeled = escalation(db, filed.id or 0)
    assert (relabeled.product, relabeled.category) == ("market", "billing")
    # Both were looked at: the kept product is confirmed, the category changed.
    assert (relabeled.product_suggested, relabeled.category_suggested) == (False, False)
    not_understood = _not_understood(slack)
    assert SUGGESTED not in not_understood
    assert "Product “spaceship” (filed as Handmade Market)" in not_understood
    assert (
        "Category (none given; filed as Login / account, changed to Purchases / billing)"
        in not_understood
    )
