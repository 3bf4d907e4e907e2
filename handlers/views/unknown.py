"""A modal no listener knows: close it quietly."""

from __future__ import annotations

from slack_bolt import Ack


def unknown_view(ack: Ack) -> None:
    """Acknowledge (which closes the modal) so Slack never shows a connection error."""
    ack()
