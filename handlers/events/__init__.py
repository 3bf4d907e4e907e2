"""Events API listeners."""

from __future__ import annotations

from slack_bolt import App

from handlers.events.app_home_opened import app_home_opened


def register(app: App) -> None:
    """Register the event listeners."""
    app.event("app_home_opened")(app_home_opened)
