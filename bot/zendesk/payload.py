"""The JSON a Zendesk trigger sends, read defensively into a `TicketPayload`.

The admin writes the body as a template (README, "Connect to Zendesk") and Zendesk substitutes its
placeholders as plain text. A description with a line break or a title with a double quote can
therefore arrive as JSON that is not quite valid. Strict JSON is tried first, then JSON with raw
control characters allowed, then one repair: a quote inside a string that is not followed by
what may follow a string's end is taken to be part of the text. Anything still unreadable, or any
JSON without a ticket id, is refused with a one-line reason: nothing of it is stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_BODY_BYTES = 256 * 1024
MAX_TICKET_ID = 10**15
_PLACEHOLDER = re.compile(r"^\s*\{\{.*\}\}\s*$", re.DOTALL)
_TEXT_MAX = 20_000  # longer values are cut: nothing downstream shows more


class PayloadError(Exception):
    """The body is not a ticket delivery; the message is the one-line reason given to Zendesk."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class TicketPayload:
    """What one delivery says about a ticket, as text; mapping to an escalation comes later."""

    ticket_id: int
    title: str = ""
    description: str = ""
    priority: str = ""
    tags: tuple[str, ...] = ()
    link: str = ""
    escalated_at: datetime | None = None
    requester_external_id: str = ""
    requester_email: str = ""
    requester_name: str = ""
    agent_name: str = ""
    agent_email: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    repaired: bool = False  # the JSON needed the quote repair to be read

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (stored with the delivery)."""
        return {
            "ticket_id": self.ticket_id,
            "title": self.title,
            "description": self.description,
            "priority": self.priority,
            "tags": list(self.tags),
            "link": self.link,
            "escalated_at": self.escalated_at.isoformat() if self.escalated_at else None,
            "requester_external_id": self.requester_external_id,
            "requester_email": self.requester_email,
            "requester_name": self.requester_name,
            "agent_name": self.agent_name,
            "agent_email": self.agent_email,
            "fields": dict(self.fields),
            "repaired": self.repaired,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TicketPayload:
        """The inverse of `to_json`."""
        at = data.get("escalated_at")
        return cls(
            ticket_id=int(data["ticket_id"]),
            title=str(data.get("title") or ""),
            description=str(data.get("description") or ""),
            priority=str(data.get("priority") or ""),
            tags=tuple(str(t) for t in data.get("tags") or ()),
            link=str(data.get("link") or ""),
            escalated_at=datetime.fromisoformat(at) if isinstance(at, str) and at else None,
            requester_external_id=str(data.get("requester_external_id") or ""),
            requester_email=str(data.get("requester_email") or ""),
            requester_name=str(data.get("requester_name") or ""),
            agent_name=str(data.get("agent_name") or ""),
            agent_email=str(data.get("agent_email") or ""),
            fields={str(k): str(v) for k, v in (data.get("fields") or {}).items()},
            repaired=bool(data.get("repaired")),
        )


def parse_payload(body: bytes) -> TicketPayload:
    """Read a delivery's body; PayloadError (400 unreadable, 413 too large, 422 not a ticket) if not."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadError("the body is larger than 256 KiB", status=413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("the body is not UTF-8 text") from None
    data, repaired = load_lenient(text)
    return read_ticket(data, repaired=repaired)


def load_lenient(text: str) -> tuple[Any, bool]:
    """JSON from a template Zendesk filled in: (value, whether the quote repair was needed)."""
    if not text.strip():
        raise PayloadError("the body is empty")
    try:
        return json.loads(text), False
    except RecursionError:
        raise PayloadError("the body is JSON nested too deeply") from None
    except ValueError:
        pass
    try:
        return json.loads(text, strict=False), False  # raw line breaks and tabs inside strings
    except RecursionError:
        raise PayloadError("the body is JSON nested too deeply") from None
    except ValueError:
        pass
    try:
        return json.loads(repair_quotes(text), strict=False), True
    except (ValueError, RecursionError) as exc:
        where = ""
        if isinstance(exc, json.JSONDecodeError):
            where = f" (line {exc.lineno}, column {exc.colno})"
        raise PayloadError(f"the body is not JSON{where}") from None


_LITERALS = ("true", "false", "null")


def repair_quotes(text: str) -> str:
    """Escape the double quotes inside strings that cannot be a string's end.

    A string may end only before `,` `:` `}` `]` or the end of the text; after a `,` the next value
    must start like JSON does. Any other `"` met inside a string (a quote in a ticket's title) is
    kept as text. Control characters inside strings are escaped on the way.
    """
    out: list[str] = []
    in_string = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if not in_string:
            out.append(ch)
            in_string = ch == '"'
            i += 1
            continue
        if ch == "\\" and i + 1 < n:
            out.append(text[i : i + 2])
            i += 2
            continue
        if ch == '"':
            if _ends_string(text, i + 1):
                out.append(ch)
                in_string = False
            else:
                out.append('\\"')
        elif ch < " ":
            out.append(json.dumps(ch)[1:-1])
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _ends_string(text: str, start: int) -> bool:
    j = _skip_spaces(text, start)
    if j >= len(text):
        return True
    if text[j] in ":}]":
        return True
    if text[j] != ",":
        return False
    k = _skip_spaces(text, j + 1)
    if k >= len(text):
        return False
    nxt = text[k]
    return nxt in '"{[-' or nxt.isdigit() or text.startswith(_LITERALS, k)


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def read_ticket(data: Any, *, repaired: bool = False) -> TicketPayload:
    """The ticket in a parsed body, or PayloadError(422) naming what is missing."""
    if not isinstance(data, dict):
        raise PayloadError("the body is not a JSON object", status=422)
    if isinstance(data.get("type"), str) and data["type"].startswith("zen:event-type:"):
        raise PayloadError(
            "Zendesk event webhooks are not supported: connect the webhook to a trigger",
            status=422,
        )
    ticket = data.get("ticket")
    if not isinstance(ticket, dict):
        raise PayloadError('no "ticket" object (see the body to paste in the README)', status=422)
    ticket_id = _ticket_id(ticket.get("id"))
    requester = _object(ticket.get("requester"))
    agent = _object(data.get("agent"))
    fields = _object(ticket.get("fields"))
    return TicketPayload(
        ticket_id=ticket_id,
        title=_text(ticket.get("title")),
        description=_text(ticket.get("description")),
        priority=_text(ticket.get("priority")),
        tags=_tags(ticket.get("tags")),
        link=_text(ticket.get("link") or ticket.get("url")),
        escalated_at=_instant(ticket.get("escalated_at")),
        requester_external_id=_text(requester.get("external_id")),
        requester_email=_text(requester.get("email")),
        requester_name=_text(requester.get("name")),
        agent_name=_text(agent.get("name")),
        agent_email=_text(agent.get("email")),
        fields={str(k)[:100]: _text(v) for k, v in list(fields.items())[:50] if _text(v)},
        repaired=repaired,
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ticket_id(value: Any) -> int:
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 < value < MAX_TICKET_ID:
        raise PayloadError('"ticket.id" is not a ticket number', status=422)
    return value


def _text(value: Any) -> str:
    """A value as stripped text: numbers become text, placeholders Zendesk left alone are empty."""
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    text = str(value).strip()
    if _PLACEHOLDER.match(text):
        return ""
    return text[:_TEXT_MAX]


def _tags(value: Any) -> tuple[str, ...]:
    """`{{ticket.tags}}` is one space-separated string; a JSON list is read too."""
    items = value if isinstance(value, list) else _text(value).split()
    tags = [_text(item).lower() for item in items[:200]]
    return tuple(dict.fromkeys(tag for tag in tags if tag and len(tag) <= 80))


def _instant(value: Any) -> datetime | None:
    """`{{ticket.updated_at_with_timestamp}}` (2026-11-25T01:05Z); None if absent or unreadable."""
    text = _text(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None
