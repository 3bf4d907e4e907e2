"""Events API listeners."""

from __future__ import annotations

from slack_bolt import App

from handlers.events.app_home_opened import app_home_opened
from handlers.events.message import message_posted


def register(app: App) -> None:
    """Register the event listeners."""
    app.event("app_home_opened")(app_home_opened)
    app.event("message")(message_posted)
