"""Escalations: filing, the status lifecycle, who may do what, and the timeline that records it all.

Every change is committed together with the Slack posts it causes (see `bot.outbox`), and every
change is checked against the row's version so two people acting at once never both win.

- `intake`: the modal's values checked and filed once per intake key; keys and Zendesk tickets.
- `changes`: every verb of the lifecycle (`bot.lifecycle` says what each may do), recorded.
- `queries`: one escalation, the lists and counts people ask for.
- `labels`: the product and category changed after filing, or suggested ones confirmed.
- `timeline`: the append-only record, and the Slack posts each entry promises.
"""

from bot.escalations.changes import (
    ONE_CLICK,
    acknowledge,
    answer_question,
    assign_to,
    check_may,
    claim,
    hand_back,
    question_to_answer,
    reassign,
    record_note_activity,
    record_thread_reply,
    reopen,
    resolve,
    resume,
    snooze,
    still_on_it,
    validate_answer,
    validate_question,
    validate_resolution,
    wait_on_cs,
)
from bot.escalations.intake import (
    EscalationDraft,
    Filed,
    ZendeskTicket,
    file_escalation,
    parse_key,
    parse_zendesk_ticket,
    validate_draft,
)
from bot.escalations.labels import check_may_relabel, relabel, validate_labels
from bot.escalations.queries import (
    Listed,
    count_assigned_to,
    count_unresolved,
    find_by_message,
    get_escalation,
    latest_question,
    list_assigned_to,
    list_filed_by,
    list_in_progress,
    list_unassigned,
    read_escalation,
    read_event,
)
from bot.escalations.timeline import record_activity, record_event, timeline

__all__ = [
    "ONE_CLICK",
    "EscalationDraft",
    "Filed",
    "Listed",
    "ZendeskTicket",
    "acknowledge",
    "answer_question",
    "assign_to",
    "check_may",
    "check_may_relabel",
    "claim",
    "count_assigned_to",
    "count_unresolved",
    "file_escalation",
    "find_by_message",
    "get_escalation",
    "hand_back",
    "latest_question",
    "list_assigned_to",
    "list_filed_by",
    "list_in_progress",
    "list_unassigned",
    "parse_key",
    "parse_zendesk_ticket",
    "question_to_answer",
    "read_escalation",
    "read_event",
    "reassign",
    "record_activity",
    "record_event",
    "record_note_activity",
    "record_thread_reply",
    "relabel",
    "reopen",
    "resolve",
    "resume",
    "snooze",
    "still_on_it",
    "timeline",
    "validate_answer",
    "validate_draft",
    "validate_labels",
    "validate_question",
    "validate_resolution",
    "wait_on_cs",
]
