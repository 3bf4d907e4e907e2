"""The webhook body a Zendesk admin pastes into the trigger (README, `crebot.example.toml`), and how
Zendesk fills it in: each placeholder replaced by its value as plain text, nothing escaped."""

from __future__ import annotations

import re
from collections.abc import Mapping

WEBHOOK_BODY = """{
  "ticket": {
    "id": "{{ticket.id}}",
    "link": "{{ticket.link}}",
    "title": "{{ticket.title}}",
    "description": "{{ticket.description}}",
    "priority": "{{ticket.priority}}",
    "tags": "{{ticket.tags}}",
    "escalated_at": "{{ticket.updated_at_with_timestamp}}",
    "requester": {
      "external_id": "{{ticket.requester.external_id}}",
      "email": "{{ticket.requester.email}}"
    },
    "fields": {
      "product": "{{ticket.ticket_field_360000000001}}",
      "category": "{{ticket.ticket_field_360000000002}}"
    }
  },
  "agent": {
    "name": "{{current_user.name}}",
    "email": "{{current_user.email}}"
  }
}
"""
_PLACEHOLDER = re.compile(r"\{\{([^}]+)\}\}")


def fill(values: Mapping[str, str], template: str = WEBHOOK_BODY) -> bytes:
    """The body Zendesk would send: placeholders replaced as text (an unknown one becomes empty)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template).encode("utf-8")
