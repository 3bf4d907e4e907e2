"""Slash commands: /escalate, /cre and /lookup."""

from __future__ import annotations

from slack_bolt import App

from handlers.commands.cre import cre_command
from handlers.commands.escalate import escalate_command
from handlers.commands.lookup import lookup_command

# Commands whose listener opens a modal: Slack's trigger id for it is valid for 3 seconds.
OPENS_MODAL = frozenset({"/escalate"})


def register(app: App) -> None:
    """Register the slash command listeners."""
    app.command("/escalate")(escalate_command)
    app.command("/cre")(cre_command)
    app.command("/lookup")(lookup_command)
