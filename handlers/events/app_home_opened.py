"""The App Home tab was opened: publish the viewer's queue."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot import presenter
from handlers.payload import runtime_of


def app_home_opened(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
    """Publish the Home tab for the viewer (the Messages tab needs nothing)."""
    if event.get("tab") not in (None, "home"):
        return
    viewer = event.get("user")
    if not isinstance(viewer, str) or not viewer:
        return
    runtime = runtime_of(context)
    with runtime.db.session() as session:
        view = presenter.home_view(
            session=session,
            policy=runtime.policy,
            user_id=viewer,
            now=runtime.now(),
            workspace_url=runtime.workspace_url(),
        )
    client.views_publish(user_id=viewer, view=view)
