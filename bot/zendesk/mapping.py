"""From a ticket delivery to an escalation draft, by the policy's `[zendesk]` mapping.

A value that does not map is not a failure: the field gets its default and the escalation records
what was not understood, which its card then shows. A product or category the mapping did not find
(not understood, or not given) may instead be suggested from the ticket's text by the team's
resolved escalations (`with_suggestions`); the card says so. The priority is never guessed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.escalations import EscalationDraft, ZendeskTicket
from bot.limits import DETAILS_MAX, END_USER_MAX, SUMMARY_MAX
from bot.lookup.query import LookupQueryError, parse_lookup_query
from bot.mrkdwn import single_line, truncate
from bot.policy import Choice, Policy, Priority
from bot.zendesk.config import DEFAULT_PRIORITY_MAP, FieldMapping
from bot.zendesk.payload import TicketPayload

# How far before its arrival a delivery's escalation instant is believed (else: the arrival).
BELIEVED_FOR = timedelta(days=1)
_SHOWN = 80


@dataclass(frozen=True)
class Unmapped:
    """One value Zendesk sent that the mapping did not understand, and what was filed instead."""

    what: str  # end_user, product, category or priority
    value: str
    used: str
    suggested: bool = False  # `used` was suggested by similar resolved escalations

    def to_json(self) -> dict[str, str]:
        """A JSON-ready dict (stored on the escalation)."""
        found = {"what": self.what, "value": self.value, "used": self.used}
        return {**found, "suggested": "1"} if self.suggested else found


@dataclass(frozen=True)
class TicketIntake:
    """An escalation draft from a ticket, with what was not understood and who escalated it."""

    draft: EscalationDraft
    unmapped: tuple[Unmapped, ...]
    agent_name: str
    agent_email: str
    escalated_at: datetime
    guessable: frozenset[str] = frozenset()  # product and category when the mapping found neither

    @property
    def text(self) -> str:
        """What a suggestion reads: the ticket's title and description."""
        return f"{self.draft.summary}\n{self.draft.details}".strip()


def map_ticket(*, policy: Policy, payload: TicketPayload, received_at: datetime) -> TicketIntake:
    """The escalation a delivery asks for (never fails: defaults fill what is missing)."""
    unmapped: list[Unmapped] = []
    found: set[str] = set()
    end_user = _end_user(payload, unmapped)
    zendesk = policy.zendesk
    product = _choose(
        "product",
        zendesk.product,
        payload,
        policy.products,
        fallback=policy.products[0].id,
        unmapped=unmapped,
        found=found,
    )
    category = _choose(
        "category",
        zendesk.category,
        payload,
        policy.categories,
        fallback=_other_or_first(policy.categories),
        unmapped=unmapped,
        found=found,
    )
    priority = _choose(
        "priority",
        _with_default_priorities(zendesk.priority, policy.priorities),
        payload,
        policy.priorities,
        fallback=policy.fallback_priority,
        unmapped=unmapped,
        found=found,
    )
    draft = EscalationDraft(
        end_user_id=end_user,
        product=product,
        category=category,
        priority=priority,
        summary=summary_of(payload),
        details=truncate(payload.description, DETAILS_MAX),
        zendesk=ZendeskTicket(payload.ticket_id, _ticket_url(policy, payload)),
    )
    return TicketIntake(
        draft=draft,
        unmapped=tuple(unmapped),
        agent_name=single_line(payload.agent_name)[:120],
        agent_email=payload.agent_email.strip().lower()[:254],
        escalated_at=escalated_at(payload, received_at=received_at),
        guessable=frozenset({"product", "category"} - found),
    )


def with_suggestions(
    intake: TicketIntake, *, product: str | None, category: str | None
) -> TicketIntake:
    """The intake with suggested labels in place of those the mapping did not find (each
    recorded as suggested, for the card to say so); the others are left as mapped."""
    guesses = {"product": product, "category": category}
    chosen = {w: g for w, g in guesses.items() if g is not None and w in intake.guessable}
    if not chosen:
        return intake
    unmapped = [u for u in intake.unmapped if u.what not in chosen]
    for what, guess in chosen.items():
        given = next((u.value for u in intake.unmapped if u.what == what), "")
        unmapped.append(Unmapped(what, given, guess, suggested=True))
    order = ("end_user", "product", "category", "priority")
    unmapped.sort(key=lambda u: order.index(u.what) if u.what in order else len(order))
    draft = dataclasses.replace(
        intake.draft,
        product=chosen.get("product", intake.draft.product),
        category=chosen.get("category", intake.draft.category),
    )
    return dataclasses.replace(intake, draft=draft, unmapped=tuple(unmapped))


def summary_of(payload: TicketPayload) -> str:
    """The ticket's title on one line, cut to the summary's length (its number if it has none)."""
    title = single_line(payload.title)
    return truncate(title, SUMMARY_MAX) if title else f"Zendesk #{payload.ticket_id}"


def escalated_at(payload: TicketPayload, *, received_at: datetime) -> datetime:
    """When the ticket was escalated (the SLO starts there): the payload's instant if believable."""
    at = payload.escalated_at
    if at is None or at > received_at or at < received_at - BELIEVED_FOR:
        return received_at
    return at


def placeholder_user(ticket_id: int) -> str:
    """The end user of a ticket whose requester has neither a usable external id nor an email."""
    return f"zendesk-ticket-{ticket_id}"


def _end_user(payload: TicketPayload, unmapped: list[Unmapped]) -> str:
    for value in (payload.requester_external_id, payload.requester_email):
        if not value:
            continue
        try:
            parsed = parse_lookup_query(value).value
        except LookupQueryError:
            continue
        if len(parsed) <= END_USER_MAX:
            return parsed
    used = placeholder_user(payload.ticket_id)
    given = payload.requester_external_id or payload.requester_email
    unmapped.append(Unmapped("end_user", _shown(given), used))
    return used


def _choose(
    what: str,
    mapping: FieldMapping,
    payload: TicketPayload,
    choices: Sequence[Choice | Priority],
    *,
    fallback: str,
    unmapped: list[Unmapped],
    found: set[str],
) -> str:
    value = payload.fields.get(mapping.field, "") if mapping.field else ""
    if what == "priority" and not mapping.field:
        value = payload.priority
    if value:
        translated = _translate(value, mapping, choices)
        if translated is not None:
            found.add(what)
            return translated
    if mapping.tags:
        for tag in payload.tags:
            if mapping.tag_prefix and not tag.startswith(mapping.tag_prefix):
                continue
            translated = _translate(tag.removeprefix(mapping.tag_prefix), mapping, choices)
            if translated is not None:
                found.add(what)
                return translated
    chosen = mapping.default or fallback
    if value:
        unmapped.append(Unmapped(what, _shown(value), chosen))
    return chosen


def _translate(
    value: str, mapping: FieldMapping, choices: Sequence[Choice | Priority]
) -> str | None:
    wanted = value.strip().lower()
    if wanted in mapping.map:
        return mapping.map[wanted]
    for choice in choices:
        labels = (choice.label, choice.label_ja)
        if wanted == choice.id.lower() or wanted in {
            label.strip().lower() for label in labels if label
        }:
            return choice.id
    return None


def _with_default_priorities(mapping: FieldMapping, priorities: Sequence[Priority]) -> FieldMapping:
    """Zendesk's Urgent/High/Normal/Low understood for P1-P3 (the team's own map wins)."""
    ids = {p.id for p in priorities}
    defaults = {k: v for k, v in DEFAULT_PRIORITY_MAP.items() if v in ids}
    return mapping.model_copy(update={"map": {**defaults, **mapping.map}})


def _other_or_first(categories: Sequence[Choice]) -> str:
    return next((c.id for c in categories if c.id == "other"), categories[0].id)


def _ticket_url(policy: Policy, payload: TicketPayload) -> str | None:
    known = policy.zendesk.ticket_url(payload.ticket_id)
    if known:
        return known
    match = re.fullmatch(
        r"https://([A-Za-z0-9.-]+\.zendesk\.com)/agent/tickets/(\d+)", payload.link
    )
    if match and int(match.group(2)) == payload.ticket_id:
        return f"https://{match.group(1).lower()}/agent/tickets/{payload.ticket_id}"
    return None


def _shown(value: str) -> str:
    return truncate(single_line(value), _SHOWN)
