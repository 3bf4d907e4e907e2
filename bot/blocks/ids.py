"""Action, view and shortcut ids: the contract between builders and handlers."""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    """`action_id`s of interactive elements."""

    CLAIM = "esc.claim"
    REASSIGN = "esc.reassign"
    ACKNOWLEDGE = "esc.acknowledge"
    WAIT = "esc.wait"
    RESUME = "esc.resume"
    RESOLVE = "esc.resolve"
    REOPEN = "esc.reopen"
    HAND_BACK = "esc.hand_back"
    OPEN_ESCALATION_MODAL = "home.escalate"
    STILL_ON_IT = "remind.still_on_it"
    SNOOZE = "remind.snooze"
    SNOOZE_UNTIL = "remind.snooze_until"
    LOOKUP_ESCALATE = "lookup.escalate"
    LOOKUP_ADD_NOTE = "lookup.add_note"
    LOOKUP_REVEAL = "lookup.reveal"


class ViewId(StrEnum):
    """`callback_id`s of modals."""

    ESCALATE = "escalate"
    RESOLVE = "resolve"
    ADD_NOTE = "lookup_note"


class ShortcutId(StrEnum):
    """`callback_id`s of shortcuts."""

    ESCALATE_MESSAGE = "escalate_message"


# Block and action ids of the escalation modal's inputs: the block id is the field name.
INPUT_ACTION = "value"
