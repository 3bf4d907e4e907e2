"""The `[zendesk]` table of the team policy: the account, write-back, and how a ticket maps to an escalation.

Each of product, category and priority is read from a custom field the admin's webhook body puts
under `ticket.fields` (priority: Zendesk's own `ticket.priority` unless told otherwise), else from
the ticket's tags, and translated through `map` (a Zendesk value, case-insensitive, to our id; an
id or label of ours is understood as itself). What is not understood is filed with the default and
named on the card.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_TAG = re.compile(r"^[a-z0-9_\-./:]{1,80}$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
URL_PATTERN = re.compile(r"^https://[A-Za-z0-9.-]+/?$")

# Zendesk's four priorities (English and Japanese) for the default priority ids P1-P3.
DEFAULT_PRIORITY_MAP = {
    "urgent": "P1",
    "high": "P2",
    "normal": "P2",
    "low": "P3",
    "緊急": "P1",
    "高": "P2",
    "普通": "P2",
    "低": "P3",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldMapping(_Model):
    """Where one escalation field comes from in a delivery, and how its values translate."""

    field: str = Field(default="", max_length=100)
    tags: bool = True
    tag_prefix: str = Field(default="", max_length=40)
    map: dict[str, str] = Field(default_factory=dict)
    default: str | None = None

    @field_validator("map")
    @classmethod
    def _lower_keys(cls, value: dict[str, str]) -> dict[str, str]:
        lowered: dict[str, str] = {}
        for key, target in value.items():
            if not _ID.match(target):
                raise ValueError(f"{target!r} is not a valid id")
            lowered[key.strip().lower()] = target
        return lowered

    @field_validator("tag_prefix")
    @classmethod
    def _lower_prefix(cls, value: str) -> str:
        return value.strip().lower()


class ZendeskTags(_Model):
    """Tags cre-bot adds to the ticket (never replacing the ticket's others)."""

    escalated: str = "cre_escalated"
    resolved: str = "cre_resolved"

    @field_validator("escalated", "resolved")
    @classmethod
    def _tag(cls, value: str) -> str:
        if not _TAG.match(value):
            raise ValueError(f"{value!r} is not a Zendesk tag (lowercase letters, digits, _ - . /)")
        return value


class ZendeskPolicy(_Model):
    """The Zendesk account, whether to write back to tickets, and the intake mapping."""

    url: str | None = None
    write_back: bool = True
    cs_channel: str | None = None
    status_field: int | None = Field(default=None, ge=1)
    updates_per_minute: int = Field(default=100, ge=1, le=2500)
    tags: ZendeskTags = ZendeskTags()
    product: FieldMapping = FieldMapping(field="product")
    category: FieldMapping = FieldMapping(field="category")
    priority: FieldMapping = FieldMapping(field="", tags=False)

    @model_validator(mode="before")
    @classmethod
    def _field_defaults(cls, data: Any) -> Any:
        # A `[zendesk.product]` table that leaves out `field` still reads `ticket.fields.product`.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name, default_field, default_tags in (
            ("product", "product", True),
            ("category", "category", True),
            ("priority", "", False),
        ):
            table = data.get(name)
            if isinstance(table, dict):
                data[name] = {"field": default_field, "tags": default_tags, **table}
        return data

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not URL_PATTERN.match(value):
            raise ValueError("must look like https://yourcompany.zendesk.com")
        return value.rstrip("/")

    @field_validator("cs_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value and not _CHANNEL.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id (like C0123ABCD)")
        return value or None

    @property
    def host(self) -> str | None:
        """The account's host name (yourco.zendesk.com), if the URL is set."""
        return self.url.removeprefix("https://") if self.url else None

    def ticket_url(self, ticket_id: int) -> str | None:
        """The agent URL of a ticket, if the account URL is known."""
        return f"{self.url}/agent/tickets/{ticket_id}" if self.url else None


def check_mapping(
    mapping: FieldMapping, *, known: Sequence[str], name: str
) -> tuple[str, str] | None:
    """A problem with a mapping's targets as (key, message), or None: every target must be an id."""
    for key, target in mapping.map.items():
        if target not in known:
            return f"map.{key}", f"{target!r} is not a {name} id"
    if mapping.default is not None and mapping.default not in known:
        return "default", f"{mapping.default!r} is not a {name} id"
    return None


def legacy_url(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Policy data with the old top-level `zendesk_url` and `[zendesk] url` agreeing (either may be given)."""
    old = data.get("zendesk_url")
    table = data.get("zendesk")
    if table is not None and not isinstance(table, dict):
        return data
    new = (table or {}).get("url")
    if old and new and str(old).rstrip("/") != str(new).rstrip("/"):
        raise ValueError("zendesk_url and [zendesk] url differ: keep only [zendesk] url")
    url = str(new or old or "").rstrip("/")
    if not url:
        return data
    return {**data, "zendesk_url": url, "zendesk": {**(table or {}), "url": url}}
