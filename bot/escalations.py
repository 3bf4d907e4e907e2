"""Escalations: filing, the status lifecycle, who may do what, and the timeline that records it all.

Every change is committed together with the Slack posts it causes (see `bot.outbox`), and every
change is checked against the row's version so two people acting at once never both win.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from bot import assignment, lifecycle, outbox_keys, reminders, slo
from bot.errors import (
    AlreadyClaimed,
    AlreadyResolved,
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
)
from bot.lifecycle import Verb
from bot.limits import ANSWER_MAX, DETAILS_MAX, END_USER_MAX, RESOLUTION_NOTE_MAX, SUMMARY_MAX
from bot.lookup.query import LookupQueryError, parse_lookup_query
from bot.models import ACTIVE_STATUSES, UNRESOLVED_STATUSES, Escalation, EscalationEvent, Status
from bot.mrkdwn import escape, mention
from bot.outbox import OutboxRow, enqueue
from bot.policy import Policy

_KEY = re.compile(r"^\s*(?:ESC-?|#)?(\d{1,9})\s*$", re.IGNORECASE)


# -- input ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZendeskTicket:
    """A Zendesk ticket, normalised to its number and its agent URL (when the host is known)."""

    ticket_id: int
    url: str | None


_TICKET_URL = re.compile(
    r"^https://(?P<host>[A-Za-z0-9.-]+)/(?:agent/tickets|tickets|hc/(?:[a-z-]+/)?requests)/(?P<id>\d{1,12})(?:[/?#].*)?$"
)


def parse_zendesk_ticket(text: str, *, base_url: str | None) -> ZendeskTicket | None:
    """Parse "12345", "#12345" or a ticket URL; empty gives None, anything else raises ValueError."""
    value = text.strip()
    if not value:
        return None
    number = re.fullmatch(r"#?(\d{1,12})", value)
    base = base_url.rstrip("/") if base_url else None
    if number:
        ticket_id = int(number.group(1))
        return ZendeskTicket(ticket_id, f"{base}/agent/tickets/{ticket_id}" if base else None)
    match = _TICKET_URL.match(value)
    if not match:
        raise ValueError("not a ticket")
    host = match.group("host").lower()
    if base and host != base.removeprefix("https://").lower():
        raise ValueError("other host")
    if not base and not host.endswith(".zendesk.com"):
        raise ValueError("other host")
    ticket_id = int(match.group("id"))
    return ZendeskTicket(ticket_id, f"https://{host}/agent/tickets/{ticket_id}")


@dataclass(frozen=True)
class EscalationDraft:
    """A validated escalation, ready to be filed."""

    end_user_id: str
    product: str
    category: str
    priority: str
    summary: str
    details: str = ""
    zendesk: ZendeskTicket | None = None
    source_channel_id: str | None = None
    source_message_ts: str | None = None
    source_permalink: str | None = None


def validate_draft(
    *,
    policy: Policy,
    values: Mapping[str, str | None],
    source: Mapping[str, str | None] | None = None,
) -> EscalationDraft:
    """Check the modal's values; every problem is reported against its field, all at once."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}

    def text(name: str) -> str:
        return (values.get(name) or "").strip()

    end_user = text("end_user_id")
    if not end_user:
        errors["end_user_id"] = ("field.required", {})
    else:
        try:
            end_user = parse_lookup_query(end_user).value
        except LookupQueryError:
            errors["end_user_id"] = ("field.end_user_invalid", {})
        else:
            if len(end_user) > END_USER_MAX:  # an email may be longer than the column holds
                errors["end_user_id"] = (
                    "field.too_long",
                    {"max": END_USER_MAX, "length": len(end_user)},
                )
    for name, kind in (
        ("product", "products"),
        ("category", "categories"),
        ("priority", "priorities"),
    ):
        if text(name) not in {c.id for c in getattr(policy, kind)}:
            errors[name] = ("field.choose_one", {})
    summary = " ".join(text("summary").split())
    if not summary:
        errors["summary"] = ("field.required", {})
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = ("field.too_long", {"max": SUMMARY_MAX, "length": len(summary)})
    details = text("details")
    if len(details) > DETAILS_MAX:
        errors["details"] = ("field.too_long", {"max": DETAILS_MAX, "length": len(details)})
    zendesk = None
    try:
        zendesk = parse_zendesk_ticket(text("zendesk"), base_url=policy.zendesk_url)
    except ValueError:
        errors["zendesk"] = ("field.zendesk_invalid", {})
    if errors:
        raise InvalidInput(errors)
    source = source or {}
    return EscalationDraft(
        end_user_id=end_user,
        product=text("product"),
        category=text("category"),
        priority=text("priority"),
        summary=summary,
        details=details,
        zendesk=zendesk,
        source_channel_id=source.get("channel_id"),
        source_message_ts=source.get("message_ts"),
        source_permalink=source.get("permalink"),
    )


def parse_key(text: str) -> int:
    """The escalation id in "ESC-42", "esc42", "#42" or "42"; anything else is NotFound."""
    if not (text or "").strip():
        raise NotFound("error.key_missing")
    match = _KEY.match(text or "")
    if not match:
        raise NotFound("error.bad_key", key=escape((text or "").strip()[:40]))
    return int(match.group(1))


# -- reading --------------------------------------------------------------------------------------


def get_escalation(*, session: Session, escalation_id: int) -> Escalation:
    """One escalation by id, or NotFound."""
    escalation = session.get(Escalation, escalation_id, populate_existing=True)
    if escalation is None:
        raise NotFound("error.not_found", key=f"ESC-{escalation_id}")
    return escalation


def find_by_message(*, session: Session, channel_id: str, message_ts: str) -> Escalation | None:
    """The escalation whose Slack message is (channel, ts), if any."""
    return session.exec(
        select(Escalation).where(
            Escalation.channel_id == channel_id, Escalation.message_ts == message_ts
        )
    ).first()


def _most_urgent(session: Session, *conditions: Any, limit: int) -> Sequence[Escalation]:
    """Escalations matching `conditions`: running clocks by due time, then paused ones, then by age."""
    return session.exec(
        select(Escalation)
        .where(*conditions)
        .order_by(
            col(Escalation.slo_due_at).is_(None),
            col(Escalation.slo_due_at),
            col(Escalation.filed_at),
        )
        .limit(limit)
    ).all()


def list_assigned_to(*, session: Session, user_id: str, limit: int = 100) -> Sequence[Escalation]:
    """A person's unresolved escalations, most urgent first."""
    return _most_urgent(
        session,
        Escalation.assignee_id == user_id,
        col(Escalation.status).in_(UNRESOLVED_STATUSES),
        limit=limit,
    )


def list_unassigned(*, session: Session, limit: int = 100) -> Sequence[Escalation]:
    """The open queue (nobody assigned), most urgent first."""
    return _most_urgent(session, Escalation.status == Status.OPEN, limit=limit)


def list_in_progress(*, session: Session, limit: int = 100) -> Sequence[Escalation]:
    """Assigned, unresolved escalations, most urgent first."""
    return _most_urgent(session, col(Escalation.status).in_(ACTIVE_STATUSES), limit=limit)


def count_unresolved(*, session: Session) -> dict[str, int]:
    """Unresolved escalations by status."""
    rows = session.exec(
        select(Escalation.status, sa.func.count())
        .where(col(Escalation.status).in_(UNRESOLVED_STATUSES))
        .group_by(col(Escalation.status))
    ).all()
    return {status: int(n) for status, n in rows}


def timeline(*, session: Session, escalation_id: int) -> Sequence[EscalationEvent]:
    """An escalation's events, in order."""
    return session.exec(
        select(EscalationEvent)
        .where(EscalationEvent.escalation_id == escalation_id)
        .order_by(col(EscalationEvent.id))
    ).all()


# -- filing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filed:
    """The outcome of filing: the escalation, and whether this call created it."""

    escalation: Escalation
    created: bool


def file_escalation(
    *,
    session: Session,
    policy: Policy,
    draft: EscalationDraft,
    filed_by: str,
    intake_key: str,
    now: datetime,
) -> Filed:
    """File an escalation once per intake key (a resubmitted modal returns the first one)."""
    if session.get_bind().dialect.name == "postgresql":
        # Simultaneous submissions of one modal wait for each other here, so the second finds
        # the first instead of failing its INSERT; a failed INSERT would burn an id (ESC-1, ESC-3).
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": intake_key}
        )
    existing = _by_intake_key(session, intake_key)
    if existing is not None:
        return Filed(existing, created=False)
    escalation = Escalation(
        intake_key=intake_key,
        end_user_id=draft.end_user_id,
        product=draft.product,
        category=draft.category,
        priority=draft.priority,
        summary=draft.summary,
        details=draft.details,
        zendesk_ticket_id=draft.zendesk.ticket_id if draft.zendesk else None,
        zendesk_url=draft.zendesk.url if draft.zendesk else None,
        source_channel_id=draft.source_channel_id,
        source_message_ts=draft.source_message_ts,
        source_permalink=draft.source_permalink,
        filed_by=filed_by,
        filed_at=now,
        status=Status.OPEN,
        channel_id=policy.escalation_channel,
        last_activity_at=now,
    )
    slo.start(policy=policy, escalation=escalation, now=now)
    session.add(escalation)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = _by_intake_key(session, intake_key)
        if existing is None:
            raise
        return Filed(existing, created=False)
    assert escalation.id is not None
    post = outbox_keys.card_post(escalation.id)
    enqueue(session, OutboxRow.card_post(post, escalation_id=escalation.id), now=now)
    _record(
        session,
        policy,
        escalation,
        actor_id=filed_by,
        kind="filed",
        now=now,
        card=False,
        thread=False,
    )
    assignee = assignment.pick_assignee(
        session=session, policy=policy, product=draft.product, category=draft.category, now=now
    )
    if assignee is not None:
        escalation.status = Status.ASSIGNED
        _assign(session, escalation, assignee, now=now)
        kind, data = "auto_assigned", {"assignee": assignee}
    else:
        reason = "manual" if policy.assignment.strategy == "manual" else "nobody_available"
        kind, data = "unassigned", {"reason": reason}
    _record(session, policy, escalation, actor_id=None, kind=kind, now=now, data=data, card=False)
    reminders.on_filed(policy=policy, escalation=escalation)
    session.commit()
    return Filed(escalation, created=True)


def _by_intake_key(session: Session, intake_key: str) -> Escalation | None:
    return session.exec(select(Escalation).where(Escalation.intake_key == intake_key)).first()


# -- the lifecycle --------------------------------------------------------------------------------


def claim(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, now: datetime
) -> Escalation:
    """Take an unassigned escalation. Of two simultaneous claims exactly one wins."""

    def apply(escalation: Escalation) -> dict[str, Any] | None:
        _assign(session, escalation, actor_id, now=now)
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
        _assign(session, escalation, assignee_id, now=now)
        return {"from": previous, "to": assignee_id}

    return _change(session, policy, escalation_id, actor_id, Verb.REASSIGN, now, apply)


def acknowledge(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, now: datetime
) -> Escalation:
    """The assignee starts investigating."""
    return _change(session, policy, escalation_id, actor_id, Verb.ACKNOWLEDGE, now, _no_data)


def wait_on_cs(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, now: datetime
) -> Escalation:
    """Pause: waiting on CS or the end user."""
    return _change(session, policy, escalation_id, actor_id, Verb.WAIT, now, _no_data)


def resume(
    *, session: Session, policy: Policy, escalation_id: int, actor_id: str, now: datetime
) -> Escalation:
    """Back to investigating after waiting."""
    return _change(session, policy, escalation_id, actor_id, Verb.RESUME, now, _no_data)


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
        return {}

    return _change(session, policy, escalation_id, actor_id, Verb.REOPEN, now, apply)


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
    for _attempt in range(_MAX_ATTEMPTS):
        escalation = get_escalation(session=session, escalation_id=escalation_id)
        if not lifecycle.may(policy, escalation, actor_id, action):
            raise NotAllowed(f"error.not_allowed.{action}", key=escalation.key)
        move = lifecycle.move(escalation.status, action)
        if move is None:
            _refuse_transition(escalation, action, actor_id)
            session.rollback()
            return escalation  # the target state already holds: a repeated click changes nothing
        # Everything from here may flush (autoflush too): a row changed by someone else since we
        # read it surfaces as StaleDataError anywhere below, and the whole change is retried.
        try:
            if not _apply(session, policy, escalation, actor_id, action, now, apply, kind):
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
    session.add(escalation)
    session.flush()
    _record(
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


def _assign(session: Session, escalation: Escalation, assignee_id: str, *, now: datetime) -> None:
    escalation.assignee_id = assignee_id
    escalation.assigned_at = now
    assignment.note_assigned(session=session, user_id=assignee_id, now=now)


def _record(
    session: Session,
    policy: Policy,
    escalation: Escalation,
    *,
    actor_id: str | None,
    kind: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    card: bool = True,
    thread: bool = True,
) -> EscalationEvent:
    """Append the event to the timeline and promise its Slack posts (card refresh, thread line)."""
    assert escalation.id is not None
    event = EscalationEvent(
        escalation_id=escalation.id, at=now, actor_id=actor_id, kind=kind, data=data or {}
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    if card:
        key = outbox_keys.card_update(escalation.id, event.id)
        enqueue(session, OutboxRow.card_update(key, escalation_id=escalation.id), now=now)
    if thread:
        key = outbox_keys.thread_line(escalation.id, event.id)
        line = OutboxRow.timeline_line(key, escalation_id=escalation.id, event_id=event.id)
        enqueue(session, line, now=now)
    return event


def record_activity(
    *,
    session: Session,
    policy: Policy,
    escalation: Escalation,
    actor_id: str,
    kind: str,
    now: datetime,
    data: dict[str, Any] | None = None,
    thread: bool = False,
) -> EscalationEvent:
    """Record a non-status event (a thread reply, a note) in the timeline, within the caller's transaction."""
    return _record(
        session,
        policy,
        escalation,
        actor_id=actor_id,
        kind=kind,
        now=now,
        data=data,
        card=False,
        thread=thread,
    )
