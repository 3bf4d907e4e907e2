"""Action, view and shortcut ids: the contract between builders and handlers."""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    """`action_id`s of interactive elements that are not a lifecycle verb's.

    A verb's control has the id the lifecycle table gives it: `Verb.CLAIM.action_id` (`bot.lifecycle`).
    """

    OPEN_ESCALATION_MODAL = "home.escalate"
    SNOOZE_UNTIL = "remind.snooze_until"
    LOOKUP_ESCALATE = "lookup.escalate"
    LOOKUP_ADD_NOTE = "lookup.add_note"
    LOOKUP_REVEAL = "lookup.reveal"
    ZENDESK_RETRY = "zendesk.retry"
    # Waiting on CS when the escalation has a Zendesk ticket: a modal asks the question first
    # (it is written to the ticket); the verb is still the lifecycle's Wait.
    WAIT_WITH_QUESTION = "esc.wait_question"
    # In the Resolve modal: start the answer for CS from a similar resolved escalation's.
    USE_SIMILAR_ANSWER = "resolve.use_answer"
    # The card's "⋯" menu: change the product or category (`bot.escalations.labels`).
    RELABEL = "esc.relabel"


class ViewId(StrEnum):
    """`callback_id`s of modals."""

    ESCALATE = "escalate"
    RESOLVE = "resolve"
    ADD_NOTE = "lookup_note"
    WAIT = "wait_question"
    ANSWER = "answer_question"  # the filer answers the engineer's question
    RELABEL = "relabel"  # the product and category changed after filing


class ShortcutId(StrEnum):
    """`callback_id`s of shortcuts."""

    ESCALATE_MESSAGE = "escalate_message"


# Block and action ids of the escalation modal's inputs: the block id is the field name.
INPUT_ACTION = "value"
