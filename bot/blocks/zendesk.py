"""What Slack shows of Zendesk: the filer's notice, what a delivery said that was not understood,
notes not yet on the ticket, and the lead's message when a note could not be written."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.common import Block, actions, button, section
from bot.blocks.escalation import filer_text, zendesk_text
from bot.blocks.ids import ActionId
from bot.i18n import t
from bot.models import Escalation, ZendeskWrite
from bot.mrkdwn import channel_link, escape, escape_truncated, mention, single_line
from bot.policy import Policy

_LABELS = {"product": "label.product", "category": "label.category", "priority": "label.priority"}


def build_filed_notice(*, policy: Policy, escalation: Escalation, in_channel: bool) -> str:
    """Told to the Zendesk agent (by DM) or to the CS channel: the escalation exists, and where."""
    lang = policy.language
    where = channel_link(escalation.channel_id)
    who = (
        t("zendesk.filed_notice.assigned", lang, assignee=mention(escalation.assignee_id))
        if escalation.assignee_id
        else t("zendesk.filed_notice.queued", lang)
    )
    params = {
        "ticket": zendesk_text(escalation, lang),
        "key": escalation.key,
        "summary": escape_truncated(single_line(escalation.summary), 150),
        "where": f"{where} · {who}",
        "filer": filer_text(escalation, lang),
    }
    key = "zendesk.filed_notice.channel" if in_channel else "zendesk.filed_notice"
    return t(key, lang, **params)


def unmapped_line(*, policy: Policy, escalation: Escalation) -> str | None:
    """The card's line naming what a Zendesk delivery said that the mapping did not understand, and
    what was filed instead: as suggested, or changed since (`bot.escalations.labels`)."""
    items = escalation.intake_unmapped or []
    if not items:
        return None
    lang = policy.language
    shown = []
    for item in items:
        what = item.get("what", "")
        label = t(_LABELS.get(what, "label.user"), lang)
        used = escape(_used_label(policy, what, item.get("used", "")))
        value = item.get("value") or ""
        key = "zendesk.unmapped.item" if value else "zendesk.unmapped.item_empty"
        now = getattr(escalation, what) if what in ("product", "category") else item.get("used", "")
        if now != item.get("used", ""):  # changed since (`bot.escalations.labels`)
            key += "_changed"
        elif item.get("suggested") and getattr(escalation, f"{what}_suggested", False):
            key += "_suggested"  # from similar resolved escalations, not yet confirmed
        now_label = escape(_used_label(policy, what, now))
        shown.append(t(key, lang, what=label, value=escape(value), used=used, now=now_label))
    return t("zendesk.unmapped", lang, items="; ".join(shown))


def pending_line(
    *, policy: Policy, escalation: Escalation, writes: Sequence[ZendeskWrite]
) -> str | None:
    """`/cre show`'s line for notes and tags not yet on the ticket (pending, or given up on)."""
    if not writes:
        return None
    lang = policy.language
    items = [_write_text(policy, write) for write in writes]
    return t("zendesk.pending", lang, ticket=zendesk_text(escalation, lang), items=", ".join(items))


def build_gave_up(
    *, policy: Policy, escalation: Escalation, write: ZendeskWrite
) -> tuple[str, list[Block]]:
    """The lead's message when a write was given up on, with *Try again*."""
    lang = policy.language
    text = t(
        "zendesk.gave_up",
        lang,
        event=t(f"zendesk.event.{write.event}", lang),
        kind=t(f"zendesk.kind.{write.kind}", lang),
        key=escalation.key,
        ticket=zendesk_text(escalation, lang),
        error=escape(write.last_error or "?"),
    )
    retry = button(t("zendesk.retry", lang), ActionId.ZENDESK_RETRY, str(write.id))
    return text, [section(text), actions(f"zendesk:{write.id}", [retry])]


def retried_text(*, policy: Policy, write: ZendeskWrite | None) -> str:
    """The lead's answer to *Try again*: back in line, or nothing left to try."""
    lang = policy.language
    if write is None:
        return t("zendesk.nothing_to_retry", lang)
    return t(
        "zendesk.retried",
        lang,
        event=t(f"zendesk.event.{write.event}", lang),
        kind=t(f"zendesk.kind.{write.kind}", lang),
        key=f"ESC-{write.escalation_id}",
    )


def delivery_failed_text(*, policy: Policy, ticket_id: int, error: str) -> str:
    """The lead's message when a Zendesk delivery could not be filed at all."""
    return t(
        "zendesk.delivery_failed", policy.language, ticket=f"#{ticket_id}", error=escape(error)
    )


def _write_text(policy: Policy, write: ZendeskWrite) -> str:
    lang = policy.language
    params = {
        "event": t(f"zendesk.event.{write.event}", lang),
        "kind": t(f"zendesk.kind.{write.kind}", lang),
        "error": escape(write.last_error or "?"),
    }
    key = "zendesk.pending.item_failed" if write.status == "failed" else "zendesk.pending.item"
    return t(key, lang, **params)


def _used_label(policy: Policy, what: str, used: str) -> str:
    kinds = {"product": "products", "category": "categories", "priority": "priorities"}
    if what in kinds:
        return policy.label(kinds[what], used)  # type: ignore[arg-type]
    return used
