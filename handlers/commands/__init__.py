"""Slash commands: /escalate, /cre and /lookup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from handlers.commands.cre import READ_ONLY, cre_command
from handlers.commands.escalate import escalate_command
from handlers.commands.lookup import lookup_command

# Commands whose listener opens a modal: Slack's trigger id for it is valid for 3 seconds, so they
# run in the urgent lane (bot.listener_pool). Declared here, where they are registered.
MODAL_OPENERS: dict[str, Callable[..., None]] = {"/escalate": escalate_command}
OPENS_MODAL = frozenset(MODAL_OPENERS)
COMMANDS = frozenset({*MODAL_OPENERS, "/cre", "/lookup"})


def is_read_only(body: dict[str, Any]) -> bool:
    """Whether the command only reads (`/cre queue`, `/cre mine`, …): safe to refuse when busy."""
    if body.get("command") != "/cre":
        return False
    words = str(body.get("text") or "").split()
    return (words[0].lower() if words else "help") in READ_ONLY


def register(app: App) -> None:
    """Register the slash command listeners."""
    for command, opens_modal in MODAL_OPENERS.items():
        app.command(command)(opens_modal)
    app.command("/cre")(cre_command)
    app.command("/lookup")(lookup_command)
