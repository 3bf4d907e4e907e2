"""Modal submissions."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.blocks.ids import ViewId
from handlers.views.answer_submitted import answer_submitted
from handlers.views.escalation_submitted import escalation_submitted
from handlers.views.note_submitted import note_submitted
from handlers.views.relabel_submitted import relabel_submitted
from handlers.views.resolution_submitted import resolution_submitted
from handlers.views.unknown import unknown_view
from handlers.views.wait_submitted import wait_submitted


def register(app: App) -> None:
    """Register the view listeners; the catch-all goes last."""
    app.view(ViewId.ESCALATE)(escalation_submitted)
    app.view(ViewId.RESOLVE)(resolution_submitted)
    app.view(ViewId.ADD_NOTE)(note_submitted)
    app.view(ViewId.WAIT)(wait_submitted)
    app.view(ViewId.ANSWER)(answer_submitted)
    app.view(ViewId.RELABEL)(relabel_submitted)
    register_late(app)


def register_late(app: App) -> None:
    """The catch-all for modals no listener knows."""
    app.view(re.compile(r".*"))(unknown_view)
