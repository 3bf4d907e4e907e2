"""The escalation lifecycle as one table: every status, every verb, and what each pair means.

For each status the table lists the verbs it allows, where each leads and how the card offers it;
for each verb, who may use it, the timeline entry it writes, its Slack action id and the event an
outside system (the Zendesk ticket) is told. The domain's checks (`bot.escalations`), the card's
buttons (`bot.blocks.escalation`), the listeners registered for them (`handlers.actions`) and the
lifecycle tests are all read from here, so changing the lifecycle is changing this file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.models import Escalation, Status
from bot.policy import Policy


class Verb(StrEnum):
    """Things people do to an escalation."""

    CLAIM = "claim"
    REASSIGN = "reassign"
    ACKNOWLEDGE = "acknowledge"
    WAIT = "wait"
    RESUME = "resume"
    ANSWER = "answer"  # the filer answers the engineer's question: back to investigating
    RESOLVE = "resolve"
    REOPEN = "reopen"
    HAND_BACK = "hand_back"
    STILL_ON_IT = "still_on_it"
    SNOOZE = "snooze"

    @property
    def action_id(self) -> str:
        """The Slack `action_id` of the control that does it (the contract with posted messages)."""
        return VERBS[self].action_id


class Role(StrEnum):
    """Who someone is to an escalation."""

    ASSIGNEE = "assignee"  # the engineer it is assigned to
    LEAD = "lead"  # a lead named in the policy
    FILER = "filer"  # whoever filed it
    ROSTER = "roster"  # any engineer on the roster


class Control(StrEnum):
    """How the escalation's card offers a verb."""

    PRIMARY = "primary"  # a highlighted button: the next step
    BUTTON = "button"  # a plain button
    PICK_USER = "pick_user"  # a people picker


class WriteBack(StrEnum):
    """What the escalation's ticket in an outside system (Zendesk) is told happened."""

    QUEUED = "queued"  # filed, waiting in the queue for a claim
    ASSIGNED = "assigned"
    WAITING_ON_CS = "waiting_on_cs"
    RESOLVED = "resolved"
    REOPENED = "reopened"


@dataclass(frozen=True)
class Move:
    """One verb allowed from one status: where it leads and how the card offers it (if it does)."""

    verb: Verb
    to: Status
    card: Control | None = None


@dataclass(frozen=True)
class VerbRule:
    """What is true of a verb whatever the status."""

    who: frozenset[Role]
    event: str  # the timeline entry's kind
    action_id: str
    write_back: WriteBack | None = None
    loud: bool = True  # the change is posted (card redrawn, a thread line); else timeline only
    # Statuses in which the verb's result already holds: a repeated click does nothing.
    already: frozenset[Status] = field(default_factory=frozenset)


S = Status
ASSIGNEE, LEAD, FILER, ROSTER = Role.ASSIGNEE, Role.LEAD, Role.FILER, Role.ROSTER
UNRESOLVED = frozenset({S.OPEN, S.ASSIGNED, S.INVESTIGATING, S.WAITING})


def _reminder_answers(status: Status) -> tuple[Move, ...]:
    """The reminder DM's answers and Hand back: allowed while someone has it, never on the card."""
    return (
        Move(Verb.HAND_BACK, S.OPEN),
        Move(Verb.STILL_ON_IT, status),
        Move(Verb.SNOOZE, status),
    )


# status × verb: the moves each status allows, in the order the card shows its controls.
MOVES: dict[Status, tuple[Move, ...]] = {
    S.OPEN: (
        Move(Verb.CLAIM, S.ASSIGNED, Control.PRIMARY),
        Move(Verb.REASSIGN, S.ASSIGNED, Control.PICK_USER),
        Move(Verb.RESOLVE, S.RESOLVED, Control.BUTTON),
    ),
    S.ASSIGNED: (
        Move(Verb.ACKNOWLEDGE, S.INVESTIGATING, Control.PRIMARY),
        Move(Verb.WAIT, S.WAITING, Control.BUTTON),
        Move(Verb.RESOLVE, S.RESOLVED, Control.BUTTON),
        Move(Verb.REASSIGN, S.ASSIGNED, Control.PICK_USER),
        *_reminder_answers(S.ASSIGNED),
    ),
    S.INVESTIGATING: (
        Move(Verb.WAIT, S.WAITING, Control.BUTTON),
        Move(Verb.RESOLVE, S.RESOLVED, Control.PRIMARY),
        Move(Verb.REASSIGN, S.ASSIGNED, Control.PICK_USER),
        *_reminder_answers(S.INVESTIGATING),
    ),
    S.WAITING: (
        Move(Verb.RESUME, S.INVESTIGATING, Control.PRIMARY),
        Move(Verb.ANSWER, S.INVESTIGATING),  # from the filer's DM, not the card
        Move(Verb.RESOLVE, S.RESOLVED, Control.BUTTON),
        Move(Verb.REASSIGN, S.WAITING, Control.PICK_USER),  # still waiting, on a new assignee
        *_reminder_answers(S.WAITING),
    ),
    # Reopen leads back to investigating, or to the open queue when nobody had it.
    S.RESOLVED: (Move(Verb.REOPEN, S.INVESTIGATING, Control.BUTTON),),
}

# verb: who may, what the timeline records, the control's action id, what the ticket is told.
VERBS: dict[Verb, VerbRule] = {
    Verb.CLAIM: VerbRule(
        who=frozenset({ROSTER, LEAD}),
        event="claimed",
        action_id="esc.claim",
        write_back=WriteBack.ASSIGNED,
    ),
    Verb.REASSIGN: VerbRule(
        who=frozenset({ASSIGNEE, LEAD, FILER}),
        event="reassigned",
        action_id="esc.reassign",
        write_back=WriteBack.ASSIGNED,
    ),
    Verb.ACKNOWLEDGE: VerbRule(
        who=frozenset({ASSIGNEE, LEAD}),
        event="acknowledge",
        action_id="esc.acknowledge",
        already=frozenset({S.INVESTIGATING}),
    ),
    Verb.WAIT: VerbRule(
        who=frozenset({ASSIGNEE, LEAD}),
        event="wait",
        action_id="esc.wait",
        write_back=WriteBack.WAITING_ON_CS,
        already=frozenset({S.WAITING}),
    ),
    Verb.RESUME: VerbRule(
        who=frozenset({ASSIGNEE, LEAD}),
        event="resume",
        action_id="esc.resume",
        already=frozenset({S.INVESTIGATING}),
    ),
    Verb.ANSWER: VerbRule(
        who=frozenset({FILER, LEAD}),
        event="answered",
        action_id="esc.answer",
    ),
    Verb.RESOLVE: VerbRule(
        who=frozenset({ASSIGNEE, LEAD}),
        event="resolved",
        action_id="esc.resolve",
        write_back=WriteBack.RESOLVED,
        already=frozenset({S.RESOLVED}),
    ),
    Verb.REOPEN: VerbRule(
        who=frozenset({ASSIGNEE, LEAD, FILER}),
        event="reopened",
        action_id="esc.reopen",
        write_back=WriteBack.REOPENED,
        already=UNRESOLVED,
    ),
    Verb.HAND_BACK: VerbRule(
        who=frozenset({ASSIGNEE, LEAD}), event="handed_back", action_id="esc.hand_back"
    ),
    Verb.STILL_ON_IT: VerbRule(
        who=frozenset({ASSIGNEE, LEAD}),
        event="still_on_it",
        action_id="remind.still_on_it",
        loud=False,
    ),
    Verb.SNOOZE: VerbRule(
        who=frozenset({ASSIGNEE, LEAD}), event="snoozed", action_id="remind.snooze", loud=False
    ),
}

# Timeline entries no verb writes (the system's own), and what the ticket is told of each.
SYSTEM_EVENTS: dict[str, WriteBack | None] = {
    "filed": None,
    "auto_assigned": WriteBack.ASSIGNED,
    "unassigned": WriteBack.QUEUED,  # filed, nobody available (or manual assignment): the queue
    "slo_warning": None,
    "slo_breach": None,
    "thread_reply": None,  # the assignee replied in the thread: activity
    "noted": None,  # the assignee added a note to the end user's chart: activity
    "zendesk_updated": None,  # another delivery from the ticket's Zendesk trigger: a thread line
    # Product or category changed, or suggested ones confirmed (`bot.escalations.labels`), by
    # whoever may change the status (`may_change_status`).
    "relabeled": None,
}


# -- read from the table ----------------------------------------------------------------------


def rule(verb: Verb) -> VerbRule:
    """What is true of `verb` whatever the status."""
    return VERBS[verb]


def move(status: Status | str, verb: Verb) -> Move | None:
    """The move `verb` makes from `status`, or None when the status does not allow it."""
    return next((m for m in MOVES[Status(status)] if m.verb is verb), None)


def allowed_from(verb: Verb) -> frozenset[Status]:
    """The statuses `verb` may start from."""
    return frozenset(status for status in MOVES if move(status, verb) is not None)


def card_moves(status: Status | str) -> tuple[Move, ...]:
    """The moves the card offers in `status`, in the order it shows them."""
    return tuple(m for m in MOVES[Status(status)] if m.card is not None)


def verb_for_action_id(action_id: str) -> Verb | None:
    """The verb a Slack control does, if it is one of the lifecycle's."""
    return next((verb for verb, r in VERBS.items() if r.action_id == action_id), None)


def write_back(event: str) -> WriteBack | None:
    """What the ticket is told when a timeline entry of kind `event` is recorded (None: nothing)."""
    for r in VERBS.values():
        if r.event == event:
            return r.write_back
    return SYSTEM_EVENTS.get(event)


def event_kinds() -> Iterable[str]:
    """Every kind of timeline entry there is."""
    return (*(r.event for r in VERBS.values()), *SYSTEM_EVENTS)


def roles(policy: Policy, escalation: Escalation, actor_id: str) -> frozenset[Role]:
    """Who `actor_id` is to `escalation`."""
    found = set()
    if escalation.assignee_id == actor_id:
        found.add(ASSIGNEE)
    if policy.is_lead(actor_id):
        found.add(LEAD)
    if escalation.filed_by == actor_id:
        found.add(FILER)
    if policy.is_engineer(actor_id):
        found.add(ROSTER)
    return frozenset(found)


def may(policy: Policy, escalation: Escalation, actor_id: str, verb: Verb) -> bool:
    """Whether `actor_id` may do `verb` to `escalation` (whatever its status)."""
    return not VERBS[verb].who.isdisjoint(roles(policy, escalation, actor_id))


def may_change_status(policy: Policy, escalation: Escalation, actor_id: str) -> bool:
    """Whether `actor_id` may press one of the card's status buttons now (one leading to another
    status): the assignee and the leads; while it is open, anyone on the roster (who may claim
    it); once resolved, the filer too (who may reopen it). Reassigning changes who has it, not
    how far it got, so it does not count."""
    status = Status(escalation.status)
    return any(
        m.card in (Control.PRIMARY, Control.BUTTON)
        and m.to != status
        and may(policy, escalation, actor_id, m.verb)
        for m in card_moves(status)
    )
