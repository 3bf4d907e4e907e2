"""Reading ids out of Slack payloads, with a clear refusal when a payload is not what Slack sends."""

from __future__ import annotations

from typing import Any

from bot.errors import DomainError
from bot.runtime import Runtime


class PayloadError(DomainError):
    """The request is not shaped like Slack's."""

    message_key = "error.bad_payload"


def runtime_of(context: dict[str, Any]) -> Runtime:
    """The runtime the app factory put into Bolt's context."""
    runtime = context.get("runtime")
    if not isinstance(runtime, Runtime):
        raise PayloadError
    return runtime


def user_id(body: dict[str, Any]) -> str:
    """Who sent the request (slash commands carry user_id, interactions carry user.id)."""
    value = body.get("user_id") or (body.get("user") or {}).get("id")
    if not isinstance(value, str) or not value:
        raise PayloadError
    return value


def trigger_id(body: dict[str, Any]) -> str:
    """The trigger id needed to open a modal."""
    value = body.get("trigger_id")
    if not isinstance(value, str) or not value:
        raise PayloadError
    return value


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    """The action of a block_actions payload."""
    found = body.get("actions")
    if not isinstance(found, list) or not found or not isinstance(found[0], dict):
        raise PayloadError
    return found[0]


def channel_id(body: dict[str, Any]) -> str | None:
    """The conversation a request came from, if the payload names one."""
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
    )
    return channel if isinstance(channel, str) and channel else None
