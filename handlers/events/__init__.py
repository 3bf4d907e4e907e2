"""Events API listeners."""

from __future__ import annotations

from slack_bolt import App

from bot import reminders
from handlers.events.app_home_opened import app_home_opened
from handlers.events.message import message_posted
from handlers.events.once import once_per_event


def register(app: App) -> None:
    """Register the event listeners."""
    app.event("app_home_opened")(once_per_event(app_home_opened))
    app.event("message")(
        once_per_event(
            message_posted,
            relevant=lambda event, runtime: reminders.is_thread_reply(
                event=event, policy=runtime.policy
            ),
        )
    )
