"""What Slack is told about Zendesk, as outbox rows in the team's language (presentation).

The intake and the writer are domain code and word nothing: the wiring hands them these.
"""

from __future__ import annotations

from datetime import datetime

from bot import outbox_keys
from bot.blocks.zendesk import build_filed_notice, build_gave_up, delivery_failed_text
from bot.models import Escalation, ZendeskWrite
from bot.outbox_rows import OutboxRow
from bot.policy import Policy


def filed_notice(policy: Policy, escalation: Escalation) -> OutboxRow | None:
    """Whoever filed from Zendesk hears it was filed: by DM, else in the CS channel, else nobody.

    Keyed once per escalation, and sent after the card (the escalation's own order), so any other
    intake can tell its filer the same way.
    """
    assert escalation.id is not None
    if escalation.filed_by:
        channel, in_channel = escalation.filed_by, False
    elif policy.zendesk.cs_channel:
        channel, in_channel = policy.zendesk.cs_channel, True
    else:
        return None
    text = build_filed_notice(policy=policy, escalation=escalation, in_channel=in_channel)
    return OutboxRow.message(
        outbox_keys.filer_told(escalation.id),
        channel=channel,
        text=text,
        escalation_id=escalation.id,
    )


def delivery_failed_notice(
    policy: Policy, delivery_id: int, ticket_id: int, error: str
) -> OutboxRow:
    """The lead hears a Zendesk delivery could not be filed (and should be filed by hand)."""
    return OutboxRow.message(
        outbox_keys.zendesk_delivery_failed(delivery_id),
        channel=policy.roster.lead,
        text=delivery_failed_text(policy=policy, ticket_id=ticket_id, error=error),
    )


def gave_up_notice(
    policy: Policy, escalation: Escalation, write: ZendeskWrite, now: datetime
) -> OutboxRow:
    """The lead hears a note or tag change was given up on, with *Try again*."""
    assert write.id is not None
    text, blocks = build_gave_up(policy=policy, escalation=escalation, write=write)
    return OutboxRow.message(
        outbox_keys.zendesk_gave_up(write.id, now),
        channel=policy.roster.lead,
        text=text,
        blocks=blocks,
    )
