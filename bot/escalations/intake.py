"""Filing an escalation: the modal's values checked field by field, the draft filed once per intake key.

Also the other input people type: escalation keys ("ESC-42") and Zendesk tickets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import assignment, outbox_keys, reminders, slo
from bot.errors import (
    InvalidInput,
    NotFound,
)
from bot.escalations import loop
from bot.escalations.changes import assign_to
from bot.escalations.queries import by_intake_key
from bot.escalations.timeline import record_event
from bot.limits import DETAILS_MAX, END_USER_MAX, SUMMARY_MAX
from bot.lookup.query import LookupQueryError, parse_lookup_query
from bot.models import Escalation, Status
from bot.mrkdwn import escape
from bot.outbox_rows import OutboxRow, enqueue
from bot.policy import Policy
from bot.user_text import unstorable_error

_KEY = re.compile(r"^\s*(?:ESC-?|#)?(\d{1,9})\s*$", re.IGNORECASE)


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
    # Filed from Zendesk: by whom (when Slack does not know them), and what was not understood.
    source: str = "slack"
    filer_name: str | None = None
    unmapped: tuple[dict[str, str], ...] = ()

    @property
    def suggested(self) -> frozenset[str]:
        """The fields (product, category) filed as suggested by similar resolved escalations."""
        return frozenset(u.get("what", "") for u in self.unmapped if u.get("suggested"))


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
    for name in ("end_user_id", "summary", "details", "zendesk"):
        if unstorable := unstorable_error(values.get(name)):
            errors[name] = unstorable
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


# PostgreSQL: the lock of an intake key, taken by whoever files it and shared by whoever waits for it.
_TRY_TO_FILE = sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:key))")
_TO_FILE = sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))")
_WAIT_FOR_FILER = sa.text("SELECT pg_advisory_xact_lock_shared(hashtext(:key))")


def _filed_or_ours_to_file(session: Session, intake_key: str) -> Escalation | None:
    """The escalation filed under `intake_key`, or None: this transaction files it.

    On PostgreSQL simultaneous submissions of one modal meet at the key's lock, so the others
    find the one filed instead of failing their INSERT (a failed INSERT burns an id: ESC-1,
    ESC-3). Only the filer holds it alone; the others wait for it sharing the lock, so they wait
    for the filing only and not for each other: in turn, ten submissions at once made the last
    wait out nine transactions, past a submission's budget on a loaded machine.
    """
    existing = by_intake_key(session, intake_key)
    if existing is not None or session.get_bind().dialect.name != "postgresql":
        return existing
    key = {"key": intake_key}
    if session.execute(_TRY_TO_FILE, key).scalar_one():
        return by_intake_key(session, intake_key)  # filed since the look above
    waiting = session.begin_nested()  # rolled back, it lets go of the shared lock
    session.execute(_WAIT_FOR_FILER, key)
    existing = by_intake_key(session, intake_key)
    if existing is not None:
        waiting.commit()
        return existing
    # The filer gave up: file it here, once no longer sharing the lock (two waiters taking it
    # alone while both still share it would deadlock).
    waiting.rollback()
    session.execute(_TO_FILE, key)
    return by_intake_key(session, intake_key)


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
    existing = _filed_or_ours_to_file(session, intake_key)
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
        source=draft.source,
        filer_name=draft.filer_name,
        intake_unmapped=list(draft.unmapped) or None,
        product_suggested="product" in draft.suggested,
        category_suggested="category" in draft.suggested,
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
        existing = by_intake_key(session, intake_key)
        if existing is None:
            raise
        return Filed(existing, created=False)
    assert escalation.id is not None
    post = outbox_keys.card_post(escalation.id)
    enqueue(session, OutboxRow.card_post(post, escalation_id=escalation.id), now=now)
    record_event(
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
        assign_to(session, escalation, assignee, now=now)
        kind, data = "auto_assigned", {"assignee": assignee}
    else:
        reason = "manual" if policy.assignment.strategy == "manual" else "nobody_available"
        kind, data = "unassigned", {"reason": reason}
    record_event(
        session, policy, escalation, actor_id=None, kind=kind, now=now, data=data, card=False
    )
    reminders.on_filed(policy=policy, escalation=escalation)
    loop.on_filed(session=session, escalation=escalation, now=now)
    session.commit()
    return Filed(escalation, created=True)
