"""Reading what a Zendesk trigger sends: strict JSON, then the text Zendesk substituted as-is."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.zendesk.payload import (
    MAX_BODY_BYTES,
    PayloadError,
    TicketPayload,
    parse_payload,
    repair_quotes,
)

# The body the README tells an admin to paste, with Zendesk's placeholders filled in as text.
TEMPLATE = """{
  "ticket": {
    "id": "%(id)s",
    "link": "https://acme.zendesk.com/agent/tickets/%(id)s",
    "title": "%(title)s",
    "description": "%(description)s",
    "priority": "High",
    "tags": "cre_escalate vip album",
    "escalated_at": "2026-11-25T00:55Z",
    "requester": {"external_id": "u-1001", "email": "taro@example.com", "name": "Taro"},
    "fields": {"product": "album", "category": ""}
  },
  "agent": {"name": "Miki Sato", "email": "miki@example.com"}
}"""


def filled(**values: str) -> bytes:
    defaults = {"id": "4711", "title": "Login fails", "description": "It fails."}
    return (TEMPLATE % {**defaults, **values}).encode("utf-8")


def test_the_readme_template_reads_into_a_ticket() -> None:
    payload = parse_payload(filled())
    assert payload == TicketPayload(
        ticket_id=4711,
        title="Login fails",
        description="It fails.",
        priority="High",
        tags=("cre_escalate", "vip", "album"),
        link="https://acme.zendesk.com/agent/tickets/4711",
        escalated_at=datetime(2026, 11, 25, 0, 55, tzinfo=UTC),
        requester_external_id="u-1001",
        requester_email="taro@example.com",
        requester_name="Taro",
        agent_name="Miki Sato",
        agent_email="miki@example.com",
        fields={"product": "album"},
    )
    assert TicketPayload.from_json(json.loads(json.dumps(payload.to_json()))) == payload


@pytest.mark.parametrize(
    ("title", "description", "expected_title", "expected_description", "repaired"),
    [
        # A description with line breaks and tabs, substituted raw.
        ("Login", "line one\nline two\tand a tab", "Login", "line one\nline two\tand a tab", False),
        # A title with double quotes, not escaped by the template.
        ('The "Save" button', "ok", 'The "Save" button', "ok", True),
        (
            'Says "error", then quits',
            'He wrote "help"',
            'Says "error", then quits',
            'He wrote "help"',
            True,
        ),
        ('Ends with a quote "', "x", 'Ends with a quote "', "x", True),
        ("日本語の件名「ログイン」", "説明", "日本語の件名「ログイン」", "説明", False),
    ],
)
def test_unescaped_text_from_placeholders_is_still_read(
    title: str, description: str, expected_title: str, expected_description: str, repaired: bool
) -> None:
    payload = parse_payload(filled(title=title, description=description))
    assert (payload.title, payload.description, payload.repaired) == (
        expected_title,
        expected_description,
        repaired,
    )
    assert payload.ticket_id == 4711


def test_the_repair_leaves_valid_json_unchanged() -> None:
    text = json.dumps({"a": 'x "y" z', "b": [1, "two", None, True], "c": {"d": "e"}})
    assert json.loads(repair_quotes(text)) == json.loads(text)


def test_a_number_for_the_id_and_a_list_for_tags_are_read_too() -> None:
    body = json.dumps({"ticket": {"id": 99, "tags": ["A", "b", "a"]}}).encode()
    payload = parse_payload(body)
    assert (payload.ticket_id, payload.tags) == (99, ("a", "b"))


def test_placeholders_zendesk_left_unfilled_count_as_empty() -> None:
    body = json.dumps(
        {"ticket": {"id": "5", "title": "{{ticket.title}}", "requester": {"email": " {{x}} "}}}
    ).encode()
    payload = parse_payload(body)
    assert (payload.title, payload.requester_email) == ("", "")


def test_an_unreadable_instant_is_left_out() -> None:
    body = json.dumps({"ticket": {"id": "5", "escalated_at": "November 25"}}).encode()
    assert parse_payload(body).escalated_at is None


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"", 400, "empty"),
        (b"\xff\xfe", 400, "not UTF-8"),
        (b"ticket=4711", 400, "not JSON"),
        (b'{"ticket": {"id": "4711"', 400, "not JSON"),
        (b"[1, 2]", 422, "not a JSON object"),
        (b'"a string"', 422, "not a JSON object"),
        (b"{}", 422, 'no "ticket" object'),
        (b'{"ticket": "4711"}', 422, 'no "ticket" object'),
        (b'{"ticket": {}}', 422, "not a ticket number"),
        (b'{"ticket": {"id": "{{ticket.id}}"}}', 422, "not a ticket number"),
        (b'{"ticket": {"id": "-3"}}', 422, "not a ticket number"),
        (b'{"ticket": {"id": 0}}', 422, "not a ticket number"),
        (b'{"ticket": {"id": true}}', 422, "not a ticket number"),
        (b'{"ticket": {"id": "1e9"}}', 422, "not a ticket number"),
        (b'{"ticket": {"id": "\xef\xbc\x91"}}', 422, "not a ticket number"),  # a full-width 1
        (
            b'{"type": "zen:event-type:ticket.created", "detail": {"id": "5"}}',
            422,
            "event webhooks are not supported",
        ),
    ],
)
def test_anything_that_is_not_a_ticket_delivery_is_refused(
    body: bytes, status: int, reason: str
) -> None:
    with pytest.raises(PayloadError, match=reason) as raised:
        parse_payload(body)
    assert raised.value.status == status


def test_a_body_over_256_kib_is_refused_before_reading_it() -> None:
    with pytest.raises(PayloadError, match="larger than 256 KiB") as raised:
        parse_payload(b" " * (MAX_BODY_BYTES + 1))
    assert raised.value.status == 413
    long_description = "x" * (MAX_BODY_BYTES - 1000)
    assert parse_payload(filled(description=long_description)).ticket_id == 4711


def test_deeply_nested_json_is_refused_not_crashed_on() -> None:
    body = b'{"ticket": {"id": "1", "x": ' + b"[" * 60_000 + b"]" * 60_000 + b"}}"
    assert len(body) < MAX_BODY_BYTES
    with pytest.raises(PayloadError, match="nested too deeply"):
        parse_payload(body)
