"""The App Home tab was opened: publish the viewer's queue."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot import presenter
from handlers.request import request_context


def app_home_opened(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
    """Publish the Home tab for the viewer (the Messages tab needs nothing)."""
    if event.get("tab") not in (None, "home"):
        return
    viewer = event.get("user")
    if not isinstance(viewer, str) or not viewer:
        return
    with request_context(context, {}, actor_id=viewer) as request:
        view = presenter.home_view(
            session=request.session,
            policy=request.policy,
            user_id=request.actor_id,
            now=request.now,
            workspace_url=request.runtime.workspace_url(),
        )
    client.views_publish(user_id=viewer, view=view)
