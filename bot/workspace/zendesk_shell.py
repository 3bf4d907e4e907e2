"""The local shell's Zendesk: play a trigger's delivery, and show what cre-bot writes to tickets.

    zendesk ticket 4711 "Login fails" external_id=u-1001 priority=high

builds the body the README tells an admin to paste, fills it in as Zendesk would for that ticket
(the agent is whoever you are in the shell), signs it, and sends it to `POST /zendesk/webhook`.
The notes and tags cre-bot then writes land on the Zendesk stand-in and are shown as they are.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.workspace.zendesk import ADD_TAGS, REMOVE_TAGS, UPDATE_TICKET, ZendeskCall
from bot.zendesk.template import fill

USAGE = 'zendesk ticket 4711 "Title" [external_id=… email=… priority=… product=… category=… tags=… description=…]'
FIELDS = {
    "external_id": "ticket.requester.external_id",
    "email": "ticket.requester.email",
    "priority": "ticket.priority",
    "product": "ticket.ticket_field_360000000001",
    "category": "ticket.ticket_field_360000000002",
    "tags": "ticket.tags",
    "description": "ticket.description",
    "agent": "current_user.name",
    "agent_email": "current_user.email",
}


class CommandError(ValueError):
    """What is wrong with a `zendesk` line, in words for the person at the shell."""


@dataclass(frozen=True)
class Delivery:
    """One ticket delivery to play: its ticket and the body Zendesk would send."""

    ticket_id: int
    body: bytes


def parse_ticket_command(
    rest: str,
    *,
    now: datetime,
    account_url: str,
    agent_name: str,
    agent_email: str,
) -> Delivery:
    """`ticket 4711 "Title" key=value …` → the delivery (CommandError for anything else)."""
    try:
        words = shlex.split(rest)
    except ValueError as exc:
        raise CommandError(f"{exc}. Try: {USAGE}") from None
    if len(words) < 2 or words[0] != "ticket" or not words[1].isdigit():
        raise CommandError(f"Try: {USAGE}")
    ticket_id = int(words[1])
    title_words = [w for w in words[2:] if "=" not in w]
    values = {
        "ticket.id": str(ticket_id),
        "ticket.link": f"{account_url}/agent/tickets/{ticket_id}",
        "ticket.title": " ".join(title_words),
        "ticket.priority": "Normal",
        "ticket.tags": "cre_escalate",
        "ticket.updated_at_with_timestamp": now.strftime("%Y-%m-%dT%H:%MZ"),
        "current_user.name": agent_name,
        "current_user.email": agent_email,
    }
    for word in words[2:]:
        if "=" not in word:
            continue
        key, _, value = word.partition("=")
        if key not in FIELDS:
            raise CommandError(f"Unknown field {key!r}: one of {', '.join(FIELDS)}.")
        values[FIELDS[key]] = value
    return Delivery(ticket_id, fill(values))


def ticket_changes(calls: list[ZendeskCall]) -> Iterator[tuple[int, str, list[str]]]:
    """What cre-bot changed on tickets, from the stand-in's calls: (ticket, heading, lines)."""
    for call in calls:
        if call.status != 200:
            continue
        ticket = int(call.path.split("/")[4].split(".")[0])
        body: Mapping[str, object] = call.body if isinstance(call.body, dict) else {}
        if call.route == UPDATE_TICKET:
            update = body.get("ticket")
            comment = update.get("comment") if isinstance(update, dict) else None
            if isinstance(comment, dict):
                yield ticket, "internal note", str(comment.get("body", "")).splitlines()
        elif call.route in (ADD_TAGS, REMOVE_TAGS):
            sign = "+" if call.route == ADD_TAGS else "−"
            tags = body.get("tags")
            shown = " ".join(f"{sign}{tag}" for tag in tags) if isinstance(tags, list) else ""
            yield ticket, "tags", [shown]
