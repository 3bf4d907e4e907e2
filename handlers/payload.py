"""Reading ids out of Slack payloads, with a clear refusal when a payload is not what Slack sends."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from bot.blocks.escalation import escalation_id_from_action, read_private_metadata
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


# Where Slack's response URLs live (commercial and GovSlack workspaces).
SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})


def slack_response_url(value: object, *, api_url: str | None) -> str | None:
    """`value` if it is a response URL on Slack's hooks host, else None.

    With SLACK_API_URL set (a proxy, or Slack's stand-in in tests), URLs on that host count too.
    A URL carried through `private_metadata` is checked before anything is posted to it, so no
    request can make the bot send a user's text anywhere but back to Slack.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        url = urlsplit(value)
        port = url.port
    except ValueError:
        return None
    if url.username is not None or url.password is not None:
        return None
    if url.scheme == "https" and url.hostname in SLACK_HOOK_HOSTS and port in (None, 443):
        return value
    if api_url:
        api = urlsplit(api_url)
        if (url.scheme, url.hostname, port) == (api.scheme, api.hostname, api.port):
            return value
    return None


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    """The action of a block_actions payload."""
    found = body.get("actions")
    if not isinstance(found, list) or not found or not isinstance(found[0], dict):
        raise PayloadError
    return found[0]


def clicked_escalation_id(body: dict[str, Any]) -> int:
    """The escalation whose card (or message) the action was taken in."""
    escalation_id = escalation_id_from_action(first_action(body))
    if escalation_id is None:
        raise PayloadError
    return escalation_id


def modal_escalation_id(view: dict[str, Any]) -> int:
    """The escalation a modal was opened for, from its private metadata."""
    escalation_id = read_private_metadata(view).get("escalation_id")
    if not isinstance(escalation_id, int):
        raise PayloadError
    return escalation_id


def channel_id(body: dict[str, Any]) -> str | None:
    """The conversation a request came from, if the payload names one."""
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
    )
    return channel if isinstance(channel, str) and channel else None


# What Slack always sends with each kind of request: a body missing any of it is not Slack's.
_COMMAND_FIELDS = ("command", "user_id", "team_id", "channel_id", "response_url", "trigger_id")
_INTERACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "block_actions": ("actions",),
    "block_suggestion": ("action_id",),
    "view_submission": ("view",),
    "view_closed": ("view",),
    "shortcut": ("callback_id", "trigger_id"),
    "message_action": ("callback_id", "trigger_id", "channel", "message"),
}


def is_slack_shaped(body: object) -> bool:
    """A command, an event envelope or an interaction with the fields Slack always sends."""
    if not isinstance(body, dict):
        return False
    if body.get("ssl_check"):
        return True
    if "command" in body:
        return all(_present(body.get(name)) for name in _COMMAND_FIELDS)
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and _present(event.get("type"))
    if kind == "url_verification":
        return _present(body.get("challenge"))
    if kind in _INTERACTION_FIELDS:
        user = body.get("user")
        if not isinstance(user, dict) or not _present(user.get("id")):
            return False
        if not all(body.get(name) for name in _INTERACTION_FIELDS[kind]):
            return False
        actions = body.get("actions")
        return kind != "block_actions" or (
            isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
        )
    return _present(kind)


def _present(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())
