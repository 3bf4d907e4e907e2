"""Global and message shortcuts."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.blocks.ids import ShortcutId
from handlers.shortcuts.escalate_message import escalate_message
from handlers.shortcuts.unknown import unknown_shortcut


def register(app: App) -> None:
    """Register the shortcut listeners; the catch-all goes last."""
    app.shortcut(ShortcutId.ESCALATE_MESSAGE)(escalate_message)
    app.shortcut(re.compile(r".*"))(unknown_shortcut)
