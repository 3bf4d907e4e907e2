"""The webhook body the README and the example policy tell an admin to paste is one body, and reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.policy import parse_policy
from bot.zendesk.mapping import map_ticket
from bot.zendesk.payload import parse_payload
from bot.zendesk.template import WEBHOOK_BODY, fill

REPO = Path(__file__).resolve().parents[3]
# What Zendesk puts in for each placeholder (as text, unescaped, the way Zendesk does).
FILLED = {
    "ticket.id": "4711",
    "ticket.link": "https://example.zendesk.com/agent/tickets/4711",
    "ticket.title": 'Login fails: "invalid token"',
    "ticket.description": "Since the reset\nthe app says the token is invalid.",
    "ticket.priority": "High",
    "ticket.tags": "cre_escalate vip",
    "ticket.updated_at_with_timestamp": "2026-11-25T01:00Z",
    "ticket.requester.external_id": "u-1001",
    "ticket.requester.email": "taro@example.com",
    "ticket.ticket_field_360000000001": "family_album",
    "ticket.ticket_field_360000000002": "login_account",
    "current_user.name": "Miki Sato",
    "current_user.email": "miki@example.com",
}


def readme_body() -> str:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Connect to Zendesk") :]
    block = re.search(r"```json\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return "\n".join(line.strip() for line in block.group(1).splitlines())


def example_policy_body() -> str:
    text = (REPO / "crebot.example.toml").read_text()
    lines = text[text.index("#   {") : text.index("#   }") + 5].splitlines()
    return "\n".join(line.removeprefix("#").strip() for line in lines) + "\n"


def test_the_readme_the_example_policy_and_the_shell_give_the_same_body() -> None:
    assert readme_body() == example_policy_body()
    assert readme_body() == "\n".join(line.strip() for line in WEBHOOK_BODY.splitlines()) + "\n"
    json.loads(readme_body())  # valid JSON as pasted


def test_the_body_filled_in_by_zendesk_maps_to_the_intended_escalation() -> None:
    assert set(re.findall(r"\{\{([^}]+)\}\}", WEBHOOK_BODY)) == set(FILLED)
    payload = parse_payload(fill(FILLED))
    assert payload.repaired  # the quotes in the title needed the repair
    policy = parse_policy((REPO / "crebot.example.toml").read_text(), source="example")
    intake = map_ticket(policy=policy, payload=payload, received_at=payload.escalated_at)  # type: ignore[arg-type]
    draft = intake.draft
    assert (draft.end_user_id, draft.product, draft.category, draft.priority) == (
        "u-1001",
        "album",
        "login",
        "P2",
    )
    assert draft.summary == 'Login fails: "invalid token"'
    assert intake.unmapped == ()
    assert (intake.agent_name, intake.agent_email) == ("Miki Sato", "miki@example.com")
