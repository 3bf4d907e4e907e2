"""Buttons and selects on escalation messages, App Home, reminders and look-ups."""

from __future__ import annotations

import re
from collections.abc import Callable

from slack_bolt import App

from bot.blocks.ids import ActionId
from bot.lifecycle import Verb
from handlers.actions.answer import answer_clicked
from handlers.actions.lookup_add_note import lookup_add_note_clicked
from handlers.actions.lookup_escalate import lookup_escalate_clicked
from handlers.actions.lookup_reveal import lookup_reveal_clicked
from handlers.actions.open_escalation_modal import open_escalation_modal
from handlers.actions.reassign import reassign_selected
from handlers.actions.relabel import relabel_chosen
from handlers.actions.resolve import resolve_clicked
from handlers.actions.snooze import snooze_chosen
from handlers.actions.status_change import STATUS_ACTIONS, status_button
from handlers.actions.still_on_it import still_on_it_clicked
from handlers.actions.unknown import unknown_action
from handlers.actions.use_similar_answer import use_similar_answer_clicked
from handlers.actions.wait_with_question import wait_with_question_clicked
from handlers.actions.zendesk_retry import zendesk_retry_clicked

# Buttons whose listener opens a modal: Slack's trigger id for it is valid for 3 seconds, so they
# run in the urgent lane (bot.listener_pool). Declared here, where they are registered.
MODAL_OPENERS: dict[str, Callable[..., None]] = {
    Verb.RESOLVE.action_id: resolve_clicked,
    ActionId.OPEN_ESCALATION_MODAL: open_escalation_modal,
    ActionId.LOOKUP_ESCALATE: lookup_escalate_clicked,
    ActionId.LOOKUP_ADD_NOTE: lookup_add_note_clicked,
    ActionId.WAIT_WITH_QUESTION: wait_with_question_clicked,
    Verb.ANSWER.action_id: answer_clicked,
    ActionId.RELABEL: relabel_chosen,
}
OPENS_MODAL = frozenset(MODAL_OPENERS)


def register(app: App) -> None:
    """Register the action listeners; the catch-all goes last so it only gets unknown ids."""
    for action_id in STATUS_ACTIONS:
        app.action(action_id)(status_button)
    for action_id, opens_modal in MODAL_OPENERS.items():
        app.action(action_id)(opens_modal)
    app.action(Verb.REASSIGN.action_id)(reassign_selected)
    app.action(Verb.STILL_ON_IT.action_id)(still_on_it_clicked)
    app.action(Verb.SNOOZE.action_id)(snooze_chosen)
    app.action(ActionId.SNOOZE_UNTIL)(snooze_chosen)
    app.action(ActionId.LOOKUP_REVEAL)(lookup_reveal_clicked)
    app.action(ActionId.ZENDESK_RETRY)(zendesk_retry_clicked)
    app.action(ActionId.USE_SIMILAR_ANSWER)(use_similar_answer_clicked)
    register_late(app)


def register_late(app: App) -> None:
    """The catch-all for action ids no listener knows (stale or forged buttons)."""
    app.action(re.compile(r".*"))(unknown_action)
