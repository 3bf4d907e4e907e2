"""Changing an escalation: every verb of the lifecycle table (`bot.lifecycle`), checked and recorded.

Each change is checked against the table (may this person, from this status), applied, recorded
on the timeline and committed, and checked against the row's version, so two people acting at
once never both win: the loser is retried against the new state, and is refused or finds its
result already there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from bot import assignment, lifecycle, reminders, slo
from bot.errors import (
    AlreadyClaimed,
    AlreadyResolved,
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
)
from bot.escalations.queries import (
    find_by_message,
    get_escalation,
    latest_question,
    read_escalation,
)
from bot.escalations.timeline import record_event
from bot.lifecycle import Verb
from bot.limits import ANSWER_MAX, RESOLUTION_NOTE_MAX, WAIT_QUESTION_MAX
from bot.models import ACTIVE_STATUSES, Escalation, EscalationEvent, Status
from bot.mrkdwn import mention
from bot.policy import Policy
from bot.similarity import cards
from bot.user_text import unstorable_error


def claim(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, now: datetime
) -> Escalation:
    """Take an unassigned escalation. Of two simultaneous claims exactly one wins."""

    def apply(escalation: Escalation) -> dict[str, Any] | None:
        assign_to(session, escalation, actor_id, now=now)
        return {}

    return _change(session, policy, escalation_id, actor_id, Verb.CLAIM, now, apply)


def reassign(
    *,
    session: Session,
    policy: Policy,
    escalation_id: int,
    actor_id: str,
    assignee_id: str,
    now: datetime,
) -> Escalation:
    """Give the escalation to another roster engineer."""
    if not policy.is_engineer(assignee_id):
        raise NotAllowed("error.assignee_not_on_roster", user=mention(assignee_id))

    def apply(escalation: Escalation) -> dict[str, Any] | None:
        if escalation.assignee_id == assignee_id:
            return None
        previous = escalation.assignee_id
        assign_to(session, escalation, assignee_id, now=now)
        return {"from": previous, "to": assignee_id}

    return _change(session, policy, escalation_id, actor_id, Verb.REASSIGN, now, apply)


def acknowledge(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, now: datetime
) -> Escalation:
    """The assignee starts investigating."""
    return _change(session, policy, escalation_id, actor_id, Verb.ACKNOWLEDGE, now, _no_data)


def wait_on_cs(
    *,
    session: Session,
    policy: Policy,
    escalation_id: int,
    actor_id: str,
    now: datetime,
    question: str = "",
) -> Escalation:
    """Pause: waiting on CS or the end user (with what the engineer asks them, if anything)."""
    asked = validate_question(question)

    def apply(_escalation: Escalation) -> dict[str, Any] | None:
        return {"question": asked} if asked else {}

    return _change(session, policy, escalation_id, actor_id, Verb.WAIT, now, apply)


def validate_question(question: str) -> str:
    """The engineer's question for CS, stripped; too long is reported against its field."""
    asked = question.strip()
    if len(asked) > WAIT_QUESTION_MAX:
        raise InvalidInput(
            {"question": ("field.too_long", {"max": WAIT_QUESTION_MAX, "length": len(asked)})}
        )
    return asked


def resume(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, now: datetime
) -> Escalation:
    """Back to investigating after waiting."""
    return _change(session, policy, escalation_id, actor_id, Verb.RESUME, now, _no_data)


def answer_question(
    *,
    session: Session,
    policy: Policy,
    escalation_id: int,
    actor_id: str,
    answer: str,
    answer_key: str,
    now: datetime,
) -> Escalation:
    """The filer answers the engineer's question: it goes to the thread and the clock runs again.

    Once per `answer_key` (the modal's), however often it is submitted; no longer waiting (the
    engineer resumed first), it is refused, and the modal keeps the text.
    """
    text = validate_answer(answer)
    escalation = get_escalation(session=session, escalation_id=escalation_id)
    if not lifecycle.may(policy, escalation, actor_id, Verb.ANSWER):
        raise NotAllowed(f"error.not_allowed.{Verb.ANSWER}", key=escalation.key)
    if _answered(session, escalation_id, answer_key):
        return escalation
    data = {"answer": text, "answer_key": answer_key}
    return _change(session, policy, escalation_id, actor_id, Verb.ANSWER, now, lambda _e: data)


def question_to_answer(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str
) -> tuple[Escalation, str]:
    """The escalation and the engineer's question, if the actor may answer it now."""
    escalation = check_may(
        session=session,
        policy=policy,
        escalation_id=escalation_id,
        actor_id=actor_id,
        action=Verb.ANSWER,
    )
    return escalation, latest_question(session=session, escalation_id=escalation_id)


def validate_answer(answer: str) -> str:
    """The filer's answer, stripped; empty or too long is reported against its field."""
    text = answer.strip()
    if not text:
        raise InvalidInput({"answer": ("field.required", {})})
    if len(text) > ANSWER_MAX:
        raise InvalidInput({"answer": ("field.too_long", {"max": ANSWER_MAX, "length": len(text)})})
    if unstorable := unstorable_error(text):
        raise InvalidInput({"answer": unstorable})
    return text


def _answered(session: Session, escalation_id: int, answer_key: str) -> bool:
    """Whether the answer of this modal is on the timeline already."""
    events = session.exec(
        select(EscalationEvent).where(
            EscalationEvent.escalation_id == escalation_id,
            EscalationEvent.kind == lifecycle.rule(Verb.ANSWER).event,
        )
    ).all()
    return any((event.data or {}).get("answer_key") == answer_key for event in events)


def resolve(
    *,
    session: Session,
    policy: Policy,
    escalation_id: int,
    actor_id: str,
    cause: str,
    note: str,
    answer: str,
    now: datetime,
) -> Escalation:
    """Close the escalation with its cause, an internal note and the answer for CS."""
    validate_resolution(policy=policy, cause=cause, note=note, answer=answer)

    def apply(escalation: Escalation) -> dict[str, Any] | None:
        escalation.resolved_at = now
        escalation.resolved_by = actor_id
        escalation.resolution_cause = cause
        escalation.resolution_note = note.strip()
        escalation.resolution_answer = answer.strip()
        _redraw_cards_naming(session, escalation, now)
        return {"cause": cause}

    return _change(session, policy, escalation_id, actor_id, Verb.RESOLVE, now, apply)


def still_on_it(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, now: datetime
) -> Escalation:
    """The assignee answers a reminder: still working on it (counts as activity)."""
    return _change(session, policy, escalation_id, actor_id, Verb.STILL_ON_IT, now, _no_data)


def snooze(
    *,
    session: Session,
    policy: Policy,
    escalation_id: int,
    actor_id: str,
    until: datetime,
    now: datetime,
) -> Escalation:
    """No reminders until `until`, then due at once (a press, so it answers the reminders)."""

    def apply(escalation: Escalation) -> dict[str, Any] | None:
        escalation.snoozed_until = until
        return {"until": until.isoformat()}

    return _change(session, policy, escalation_id, actor_id, Verb.SNOOZE, now, apply)


def record_thread_reply(
    *,
    session: Session,
    policy: Policy,
    channel_id: str,
    thread_ts: str,
    user_id: str,
    now: datetime,
) -> Escalation | None:
    """A reply in an escalation's thread by its assignee is activity; other replies change nothing."""
    escalation = find_by_message(session=session, channel_id=channel_id, message_ts=thread_ts)
    if (
        escalation is None
        or escalation.assignee_id != user_id
        or escalation.status == Status.RESOLVED
    ):
        return None
    assert escalation.id is not None
    return _change(
        session,
        policy,
        escalation.id,
        user_id,
        Verb.STILL_ON_IT,
        now,
        _no_data,
        kind="thread_reply",
    )


def record_note_activity(
    *, session: Session, policy: Policy, end_user_id: str, author_id: str, now: datetime
) -> list[int]:
    """A chart note by an engineer is activity on their open escalations for that user; their ids.

    Recorded in the caller's transaction (with the note itself), which the caller commits.
    """
    ids = session.exec(
        select(Escalation.id).where(
            Escalation.end_user_id == end_user_id,
            Escalation.assignee_id == author_id,
            col(Escalation.status).in_(ACTIVE_STATUSES),
        )
    ).all()
    noted = []
    for escalation_id in ids:
        assert escalation_id is not None
        escalation = get_escalation(session=session, escalation_id=escalation_id)
        allowed = lifecycle.may(policy, escalation, author_id, Verb.STILL_ON_IT)
        if allowed and lifecycle.move(escalation.status, Verb.STILL_ON_IT) is not None:
            _apply(session, policy, escalation, author_id, Verb.STILL_ON_IT, now, _no_data, "noted")
            noted.append(escalation_id)
    return noted


def validate_resolution(*, policy: Policy, cause: str, note: str, answer: str) -> None:
    """Check a resolution's fields; problems are reported against each field."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    if cause not in {c.id for c in policy.causes}:
        errors["cause"] = ("field.choose_one", {})
    if not answer.strip():
        errors["answer"] = ("field.required", {})
    for name, value, limit in (("note", note, RESOLUTION_NOTE_MAX), ("answer", answer, ANSWER_MAX)):
        if len(value) > limit:
            errors[name] = ("field.too_long", {"max": limit, "length": len(value)})
        if unstorable := unstorable_error(value):
            errors[name] = unstorable
    if errors:
        raise InvalidInput(errors)


def reopen(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, now: datetime
) -> Escalation:
    """Take a resolved escalation back to investigating (or to the queue if nobody had it)."""

    def apply(escalation: Escalation) -> dict[str, Any] | None:
        if not escalation.assignee_id:
            escalation.status = Status.OPEN  # nobody had it: back to the queue
        escalation.resolved_at = None
        escalation.resolved_by = None
        _redraw_cards_naming(session, escalation, now)
        return {}

    return _change(session, policy, escalation_id, actor_id, Verb.REOPEN, now, apply)


def _redraw_cards_naming(session: Session, escalation: Escalation, now: datetime) -> None:
    """The cards whose similar line shows this escalation as open or resolved: it just changed."""
    assert escalation.id is not None
    cards.redraw_naming(
        session=session, escalation_id=escalation.id, version=escalation.version, now=now
    )


def hand_back(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, now: datetime
) -> Escalation:
    """Unassign: the escalation goes back to the open queue."""

    def apply(escalation: Escalation) -> dict[str, Any] | None:
        previous = escalation.assignee_id
        escalation.assignee_id = None
        escalation.assigned_at = None
        return {"from": previous}

    return _change(session, policy, escalation_id, actor_id, Verb.HAND_BACK, now, apply)


# The verbs one click does (no modal, no choice to make): what their buttons call.
ONE_CLICK: dict[Verb, Callable[..., Escalation]] = {
    Verb.CLAIM: claim,
    Verb.ACKNOWLEDGE: acknowledge,
    Verb.WAIT: wait_on_cs,
    Verb.RESUME: resume,
    Verb.REOPEN: reopen,
    Verb.HAND_BACK: hand_back,
}


def check_may(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, action: Verb
) -> Escalation:
    """The escalation, if the actor may do `action` to it now; otherwise the refusal."""
    escalation = get_escalation(session=session, escalation_id=escalation_id)
    if not lifecycle.may(policy, escalation, actor_id, action):
        raise NotAllowed(f"error.not_allowed.{action}", key=escalation.key)
    if lifecycle.move(escalation.status, action) is None:
        raise InvalidTransition(
            f"error.transition.{action}", key=escalation.key, status=str(escalation.status)
        )
    return escalation


def _no_data(_escalation: Escalation) -> dict[str, Any] | None:
    return {}


_MAX_ATTEMPTS = 8


def _change(
    session: Session,
    policy: Policy,
    escalation_id: int,
    actor_id: str,
    action: Verb,
    now: datetime,
    apply: Callable[[Escalation], dict[str, Any] | None],
    *,
    kind: str | None = None,
) -> Escalation:
    """Check, apply, record and commit one change, retrying when someone else changed the row first.

    The lifecycle table says whether the change is allowed, the status it leads to, its timeline
    entry (unless `kind` names another) and whether it is posted; `apply` does the rest, returning
    the entry's data, or None when there is nothing to change.
    """

    def attempt(escalation: Escalation) -> bool:
        if not lifecycle.may(policy, escalation, actor_id, action):
            raise NotAllowed(f"error.not_allowed.{action}", key=escalation.key)
        if lifecycle.move(escalation.status, action) is None:
            _refuse_transition(escalation, action, actor_id)
            return False  # the target state already holds: a repeated click changes nothing
        return _apply(session, policy, escalation, actor_id, action, now, apply, kind)

    return retried_change(session, escalation_id, attempt)


def retried_change(
    session: Session, escalation_id: int, attempt: Callable[[Escalation], bool]
) -> Escalation:
    """Read the escalation, let `attempt` change, save (`save_escalation`) and record it, and
    commit; False from `attempt` means nothing to change (rolled back). Retried from a new read
    when someone else changed the row first."""
    for _attempt in range(_MAX_ATTEMPTS):
        escalation = _read(session, escalation_id)
        # A row changed by someone else since we read it surfaces as StaleDataError (from the
        # escalation's versioned UPDATE), and the whole change is retried.
        try:
            if not attempt(escalation):
                session.rollback()
                return escalation
            session.commit()
            return escalation
        except StaleDataError:
            session.rollback()
    raise DomainError("error.busy", key=f"ESC-{escalation_id}")


def _apply(
    session: Session,
    policy: Policy,
    escalation: Escalation,
    actor_id: str,
    action: Verb,
    now: datetime,
    apply: Callable[[Escalation], dict[str, Any] | None],
    kind: str | None,
) -> bool:
    """Make an allowed change to a row read in this transaction and record it; False if none."""
    rule = lifecycle.rule(action)
    move = lifecycle.move(escalation.status, action)
    assert move is not None, "checked by the caller"
    previous_status = Status(escalation.status)
    escalation.status = move.to
    data = apply(escalation)
    if data is None:
        return False
    slo.on_status_change(policy=policy, escalation=escalation, previous=previous_status, now=now)
    reminders.touch(policy=policy, escalation=escalation, now=now, snoozed=action is Verb.SNOOZE)
    save_escalation(session, escalation)
    record_event(
        session,
        policy,
        escalation,
        actor_id=actor_id,
        kind=kind or rule.event,
        now=now,
        data=data,
        card=rule.loud,
        thread=rule.loud,
    )
    return True


_ESCALATIONS = Escalation.__table__  # type: ignore[attr-defined]
# The columns to set come with the parameters; the row must still be at the version we read.
_UPDATE_ESCALATION = sa.update(_ESCALATIONS).where(
    _ESCALATIONS.c.id == sa.bindparam("where_id"),
    _ESCALATIONS.c.version == sa.bindparam("where_version"),
)


def _read(session: Session, escalation_id: int) -> Escalation:
    """The escalation as it is now, by one prebuilt SELECT (not an ORM load): a detached row that
    `save_escalation` saves (what `apply` changes on it is tracked)."""
    escalation = read_escalation(session=session, escalation_id=escalation_id)
    if escalation is None:
        raise NotFound("error.not_found", key=f"ESC-{escalation_id}")
    return escalation


def save_escalation(session: Session, escalation: Escalation) -> None:
    """Save what was changed on the escalation: one UPDATE of the changed columns that bumps the
    version and matches only the version read (StaleDataError if someone changed it meanwhile).

    A row loaded into the session by the ORM is flushed by it (with the same version check).
    """
    state = instance_state(escalation)
    if state.session_id is not None:
        session.add(escalation)
        session.flush()
        return
    changed = {
        key: getattr(escalation, key)
        for key, before in state.committed_state.items()
        if getattr(escalation, key) != before
    }
    if not changed:
        return  # as the ORM: nothing to save, no UPDATE (and no version bump)
    version = escalation.version
    changed["version"] = version + 1
    values = {**changed, "where_id": escalation.id, "where_version": version}
    if session.execute(_UPDATE_ESCALATION, values).rowcount != 1:  # type: ignore[attr-defined]
        raise StaleDataError(f"{escalation.key} changed since version {version}")
    assert state.key is not None, "read detached by _read"
    loaded = session.identity_map.get(state.key)  # the caller's copy, if it has one
    for key, value in changed.items():
        set_committed_value(escalation, key, value)
        if loaded is not None:
            set_committed_value(loaded, key, value)


def _refuse_transition(escalation: Escalation, action: Verb, actor_id: str) -> None:
    """Raise unless a repeat of the same action explains the current status."""
    status = Status(escalation.status)
    if action is Verb.CLAIM and escalation.assignee_id and escalation.assignee_id != actor_id:
        raise AlreadyClaimed(key=escalation.key, user=mention(escalation.assignee_id))
    if action is Verb.CLAIM and escalation.assignee_id == actor_id:
        return
    if action is Verb.RESOLVE and escalation.resolved_by not in (None, actor_id):
        raise AlreadyResolved(key=escalation.key, user=mention(escalation.resolved_by))
    if status in lifecycle.rule(action).already:
        return
    raise InvalidTransition(f"error.transition.{action}", key=escalation.key, status=str(status))


def assign_to(session: Session, escalation: Escalation, assignee_id: str, *, now: datetime) -> None:
    escalation.assignee_id = assignee_id
    escalation.assigned_at = now
    assignment.note_assigned(session=session, user_id=assignee_id, now=now)
