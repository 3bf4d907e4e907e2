"""From a ticket to an escalation: what maps, what defaults, and what the card will call not understood."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.escalations import ZendeskTicket
from bot.policy import Policy, parse_policy
from bot.zendesk.mapping import (
    TicketIntake,
    Unmapped,
    escalated_at,
    map_ticket,
    placeholder_user,
    with_suggestions,
)
from bot.zendesk.payload import TicketPayload

RECEIVED = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
MAPPING = """
[zendesk]
url = "https://acme.zendesk.com"

[zendesk.product]
field = "product"
map = { "family_album" = "album", "puzzle" = "game" }

[zendesk.category]
tag_prefix = "cat_"
default = "other"

[zendesk.priority]
map = { "high" = "P1" }
"""


def map_known_user(policy: Policy, values: dict[str, object]) -> TicketIntake:
    """The intake of a ticket from a known end user with these values."""
    payload = ticket(requester_external_id="u-1", **values)
    return map_ticket(policy=policy, payload=payload, received_at=RECEIVED)


@pytest.fixture
def mapped_policy(policy_text: str) -> Policy:
    text = policy_text.replace('zendesk_url = "https://acme.zendesk.com"\n', "") + MAPPING
    return parse_policy(text, source="mapped.toml")


def ticket(**values: object) -> TicketPayload:
    base: dict[str, object] = {"ticket_id": 4711, "title": "Login fails"}
    return TicketPayload(**{**base, **values})  # type: ignore[arg-type]


def test_a_fully_mapped_ticket_files_without_notes(mapped_policy: Policy) -> None:
    intake = map_ticket(
        policy=mapped_policy,
        payload=ticket(
            requester_external_id="u-1001",
            requester_email="taro@example.com",
            fields={"product": "Family_Album"},
            tags=("vip", "cat_billing"),
            priority="High",
            description="It fails after the reset.",
            agent_name="Miki  Sato",
            agent_email="Miki@Example.com",
        ),
        received_at=RECEIVED,
    )
    draft = intake.draft
    assert (draft.end_user_id, draft.product, draft.category, draft.priority) == (
        "u-1001",
        "album",
        "billing",
        "P1",  # the team's map wins over Zendesk's default High → P2
    )
    assert (draft.summary, draft.details) == ("Login fails", "It fails after the reset.")
    assert draft.zendesk == ZendeskTicket(4711, "https://acme.zendesk.com/agent/tickets/4711")
    assert intake.unmapped == ()
    assert (intake.agent_name, intake.agent_email) == ("Miki Sato", "miki@example.com")


@pytest.mark.parametrize(
    ("values", "expected", "unmapped"),
    [
        # Our own ids and labels are understood as themselves, in any case.
        ({"fields": {"product": "GAME"}}, ("game", "other", "P2"), ()),
        ({"fields": {"product": "Puzzle Game"}}, ("game", "other", "P2"), ()),
        # A tag names the product when the field is empty; the category needs its prefix.
        ({"tags": ("market", "data")}, ("market", "other", "P2"), ()),
        ({"tags": ("cat_data",)}, ("album", "data", "P2"), ()),
        # Zendesk's priorities map to P1-P3 by default, in English and Japanese.
        ({"priority": "Urgent"}, ("album", "other", "P1"), ()),
        ({"priority": "normal"}, ("album", "other", "P2"), ()),
        ({"priority": "低"}, ("album", "other", "P3"), ()),
        # What does not map gets the default, and is named.
        (
            {"fields": {"product": "spaceship"}},
            ("album", "other", "P2"),
            (Unmapped("product", "spaceship", "album"),),
        ),
        (
            {"fields": {"product": "spaceship"}, "tags": ("game",)},
            ("game", "other", "P2"),
            (),  # a tag that maps settles it
        ),
        (
            {"priority": "Critical!!", "tags": ("cat_nothing",)},
            ("album", "other", "P2"),
            (Unmapped("priority", "Critical!!", "P2"),),
        ),
        # Nothing given is not "not understood": the defaults apply quietly.
        ({}, ("album", "other", "P2"), ()),
    ],
)
def test_product_category_and_priority(
    mapped_policy: Policy,
    values: dict[str, object],
    expected: tuple[str, str, str],
    unmapped: tuple[Unmapped, ...],
) -> None:
    intake = map_known_user(mapped_policy, values)
    assert (intake.draft.product, intake.draft.category, intake.draft.priority) == expected
    assert intake.unmapped == unmapped


@pytest.mark.parametrize(
    ("external_id", "email", "expected", "unmapped"),
    [
        ("u-1001", "taro@example.com", "u-1001", False),
        ("", "Taro@Example.com", "taro@example.com", False),
        ("has spaces in it", "taro@example.com", "taro@example.com", False),
        ("", "", placeholder_user(4711), True),
        ("a/b", "not-an-email@", placeholder_user(4711), True),
    ],
)
def test_the_end_user_is_the_external_id_else_the_email(
    policy: Policy, external_id: str, email: str, expected: str, unmapped: bool
) -> None:
    intake = map_ticket(
        policy=policy,
        payload=ticket(requester_external_id=external_id, requester_email=email),
        received_at=RECEIVED,
    )
    assert intake.draft.end_user_id == expected
    assert [u.what for u in intake.unmapped] == (["end_user"] if unmapped else [])


def test_without_a_mapping_the_first_choices_and_the_middle_priority_are_used(
    policy: Policy,
) -> None:
    intake = map_ticket(
        policy=policy, payload=ticket(requester_external_id="u-1"), received_at=RECEIVED
    )
    assert (intake.draft.product, intake.draft.category, intake.draft.priority) == (
        "album",
        "other",
        "P2",
    )


def test_a_long_title_is_cut_to_the_summary_and_an_empty_one_is_the_ticket_number(
    policy: Policy,
) -> None:
    long = map_ticket(policy=policy, payload=ticket(title="x " * 200), received_at=RECEIVED)
    assert len(long.draft.summary) == 150
    assert long.draft.summary.endswith("…")
    empty = map_ticket(policy=policy, payload=ticket(title="  "), received_at=RECEIVED)
    assert empty.draft.summary == "Zendesk #4711"


def test_the_ticket_link_comes_from_the_account_url_or_a_matching_payload_link(
    policy_text: str,
) -> None:
    no_url = parse_policy(
        policy_text.replace('zendesk_url = "https://acme.zendesk.com"\n', ""), source="x.toml"
    )
    link = "https://Acme.zendesk.com/agent/tickets/4711"
    assert map_ticket(
        policy=no_url, payload=ticket(link=link), received_at=RECEIVED
    ).draft.zendesk == ZendeskTicket(4711, "https://acme.zendesk.com/agent/tickets/4711")
    for wrong in (
        "https://evil.example/agent/tickets/4711",
        "https://acme.zendesk.com/agent/tickets/1",
    ):
        assert map_ticket(
            policy=no_url, payload=ticket(link=wrong), received_at=RECEIVED
        ).draft.zendesk == ZendeskTicket(4711, None)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (RECEIVED - timedelta(minutes=5), RECEIVED - timedelta(minutes=5)),
        (RECEIVED - timedelta(hours=23), RECEIVED - timedelta(hours=23)),
        (RECEIVED - timedelta(days=2), RECEIVED),  # not believable: the arrival counts
        (RECEIVED + timedelta(minutes=1), RECEIVED),  # in the future: the arrival counts
        (None, RECEIVED),
    ],
)
def test_the_slo_starts_at_the_tickets_escalation_instant_when_believable(
    given: datetime | None, expected: datetime
) -> None:
    assert escalated_at(ticket(escalated_at=given), received_at=RECEIVED) == expected


def test_a_mapping_to_an_unknown_id_is_refused_at_load(policy_text: str) -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=r"zendesk\.product\.map\.x: 'nope' is not a product id"):
        parse_policy(policy_text + '\n[zendesk.product]\nmap = { x = "nope" }\n', source="p.toml")


@pytest.mark.parametrize(
    ("values", "guessable"),
    [
        ({"fields": {"product": "puzzle"}, "tags": ("cat_billing",)}, frozenset()),
        ({"fields": {"product": "spaceship"}, "tags": ("cat_billing",)}, {"product"}),
        ({"fields": {"product": "puzzle"}}, {"category"}),  # none given: the default is a guess
        ({"tags": ("cat_nothing",)}, {"product", "category"}),
        # The priority is never guessed.
        ({"priority": "Critical!!", "fields": {"product": "puzzle"}}, {"category"}),
    ],
)
def test_what_the_mapping_did_not_find_may_be_suggested(
    mapped_policy: Policy, values: dict[str, object], guessable: frozenset[str]
) -> None:
    intake = map_ticket(policy=mapped_policy, payload=ticket(**values), received_at=RECEIVED)
    assert intake.guessable == guessable


@pytest.mark.parametrize(
    ("values", "guesses", "expected", "unmapped"),
    [
        # Not understood, then suggested: the value Zendesk sent is kept beside the suggestion.
        (
            {"fields": {"product": "spaceship"}, "tags": ("cat_billing",)},
            ("market", "login"),
            ("market", "billing"),  # the category mapped: not replaced
            (Unmapped("product", "spaceship", "market", suggested=True),),
        ),
        # Not given, then suggested.
        (
            {"fields": {"product": "puzzle"}},
            ("market", "login"),
            ("game", "login"),
            (Unmapped("category", "", "login", suggested=True),),
        ),
        # Nothing confident: the defaults, as before.
        (
            {"fields": {"product": "spaceship"}, "priority": "Critical!!"},
            (None, None),
            ("album", "other"),
            (Unmapped("product", "spaceship", "album"), Unmapped("priority", "Critical!!", "P2")),
        ),
        # One of two: the other keeps its default; priority stays as mapped.
        (
            {"priority": "Critical!!"},
            (None, "login"),
            ("album", "login"),
            (
                Unmapped("category", "", "login", suggested=True),
                Unmapped("priority", "Critical!!", "P2"),
            ),
        ),
    ],
)
def test_suggestions_replace_only_what_the_mapping_did_not_find(
    mapped_policy: Policy,
    values: dict[str, object],
    guesses: tuple[str | None, str | None],
    expected: tuple[str, str],
    unmapped: tuple[Unmapped, ...],
) -> None:
    intake = map_known_user(mapped_policy, values)
    product, category = guesses
    suggested = with_suggestions(intake, product=product, category=category)
    assert (suggested.draft.product, suggested.draft.category) == expected
    assert suggested.draft.priority == intake.draft.priority
    assert suggested.unmapped == unmapped
    stored = [u.to_json() for u in suggested.unmapped]
    assert [u.get("suggested") for u in stored] == ["1" if u.suggested else None for u in unmapped]
