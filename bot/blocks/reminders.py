"""Block Kit for reminders: one DM per engineer, a post for the lead, a post for the unclaimed queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.blocks.common import (
    MESSAGE_BLOCKS_MAX,
    Block,
    button,
    context,
    format_day,
    format_local,
    option,
    plain,
    section,
)
from bot.blocks.ids import ActionId
from bot.blocks.lists import message_url
from bot.durations import format_business_duration
from bot.i18n import t
from bot.lifecycle import Verb
from bot.models import Escalation, Status
from bot.mrkdwn import escape_truncated, mention, single_line
from bot.policy import Policy

REMINDER_BLOCK_PREFIX = "remind:"  # the actions block of an item still waiting for an answer
ITEM_BLOCK_PREFIX = "remind-item:"  # every item's section, answered or not
LEAD_DM_PREFIX = "remind-lead:"  # the lead's DM: its outbox key, the intro's block id
BLOCKS_PER_ITEM = 2
ITEMS_PER_DM = (MESSAGE_BLOCKS_MAX - 2) // BLOCKS_PER_ITEM  # the intro and "…and N more" take two


@dataclass(frozen=True)
class ReminderItem:
    """One escalation in a reminder: its age, how long it has been quiet, its SLO line, any answer.

    `age` and `idle` are business time: since filing, and since the last activity.
    """

    escalation: Escalation
    idle: timedelta
    slo_line: str
    age: timedelta
    outcome: str | None = None


def _title(escalation: Escalation, workspace_url: str | None) -> str:
    url = message_url(workspace_url, escalation.channel_id, escalation.message_ts)
    key = f"<{url}|{escalation.key}>" if url else escalation.key
    return f"*{key}* · {escape_truncated(single_line(escalation.summary), 150)}"


def _duration(policy: Policy, value: timedelta) -> str:
    day = policy.business_calendar.working_day_length()
    return format_business_duration(value, day_length=day, lang=policy.language)


def _setting(policy: Policy, text: str) -> str:
    """A business duration from the policy file ("2d", "4h") as the team reads it ("2日")."""
    return _duration(policy, policy.business_duration(text))


def build_reminder_dm(
    *,
    policy: Policy,
    items: Sequence[ReminderItem],
    workspace_url: str | None,
    total: int | None = None,
) -> tuple[str, list[Block]]:
    """The daily DM to one engineer: their stale escalations (the first `ITEMS_PER_DM` with buttons).

    `total` is how many are stale when only the first few were turned into items.
    """
    lang = policy.language
    count = max(total or 0, len(items))
    text = t("remind.dm.text", lang, count=count)
    shown = items[:ITEMS_PER_DM]
    blocks: list[Block] = [
        section(t("remind.dm.intro", lang, count=count, idle=_quiet_for(policy, shown)))
    ]
    for item in shown:
        blocks.extend(_item_blocks(policy, item, workspace_url))
    if count > len(shown):
        blocks.append(context(t("remind.dm.more", lang, count=count - len(shown))))
    return text, blocks


def _quiet_for(policy: Policy, items: Sequence[ReminderItem]) -> str:
    """How long the quietest listed escalation has been quiet, so the intro agrees with each item
    (a snooze that ended makes one due before `stale_after` has passed)."""
    if not items:
        return _setting(policy, policy.reminders.stale_after)
    return _duration(policy, min(item.idle for item in items))


def _outcome(policy: Policy, item: ReminderItem) -> str:
    """What answered this item; a snooze says until which day."""
    lang = policy.language
    until = item.escalation.snoozed_until
    if item.outcome == "snoozed" and until is not None:
        tz = policy.business_calendar.tz
        return t("remind.outcome.snoozed_until", lang, day=format_day(until, tz, lang))
    return t(f"remind.outcome.{item.outcome}", lang)


def _item_blocks(policy: Policy, item: ReminderItem, workspace_url: str | None) -> list[Block]:
    lang = policy.language
    escalation = item.escalation
    item_id = f"{ITEM_BLOCK_PREFIX}{escalation.id}"
    if item.outcome is not None:  # answered: what happened replaces the facts and the buttons
        title = section(_title(escalation, workspace_url), block_id=item_id)
        return [title, context(_outcome(policy, item))]
    facts = " · ".join(
        (
            t("remind.age", lang, age=_duration(policy, item.age)),
            t("remind.idle", lang, idle=_duration(policy, item.idle)),
            item.slo_line,
        )
    )
    head = section(f"{_title(escalation, workspace_url)}\n{facts}", block_id=item_id)
    value = str(escalation.id)
    snooze_options = [option(t(f"remind.snooze.days.{n}", lang), f"{value}:{n}") for n in (1, 3)]
    elements: list[dict[str, Any]] = [
        button(
            t("remind.button.still_on_it", lang), Verb.STILL_ON_IT.action_id, value, style="primary"
        ),
        {
            "type": "static_select",
            "action_id": Verb.SNOOZE.action_id,
            "placeholder": plain(t("remind.snooze.placeholder", lang), 150),
            "options": snooze_options,
        },
        {
            "type": "datepicker",
            "action_id": ActionId.SNOOZE_UNTIL,
            "placeholder": plain(t("remind.snooze.until", lang), 150),
        },
        button(t("button.resolve", lang), Verb.RESOLVE.action_id, value),
        button(
            t("remind.button.hand_back", lang),
            Verb.HAND_BACK.action_id,
            value,
            confirm={
                "title": plain(t("remind.hand_back.title", lang), 100),
                "text": plain(t("remind.hand_back.text", lang, key=escalation.key), 300),
                "confirm": plain(t("remind.hand_back.confirm", lang), 30),
                "deny": plain(t("modal.cancel", lang), 30),
            },
        ),
    ]
    return [
        head,
        {"type": "actions", "block_id": f"{REMINDER_BLOCK_PREFIX}{value}", "elements": elements},
    ]


def reminded_ids(blocks: Sequence[dict[str, Any]]) -> list[int]:
    """The escalations a reminder message lists (from its blocks, in order)."""
    ids = []
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        suffix = block_id.removeprefix(ITEM_BLOCK_PREFIX)
        if suffix != block_id and suffix.isdigit():
            ids.append(int(suffix))
    return ids


def build_lead_dm(
    *,
    policy: Policy,
    items: Sequence[ReminderItem],
    slo_lines: dict[int, str],
    workspace_url: str | None,
    post: str | None = None,
) -> tuple[str, list[Block]]:
    """The lead's DM about escalations whose reminders went unanswered: each with its assignee,
    how long it has been quiet, its SLO, and a picker to give it to someone else.

    Drawn when sent and redrawn after a reassign from it: an item whose `outcome` is set (someone
    has it now, it is back in the queue, or resolved) says so, without the picker. `post` (the
    DM's outbox key) is the intro's block id, so a pick in it names the DM to redraw.
    """
    lang = policy.language
    count = policy.reminders.escalate_after
    intro = t("remind.lead.dm.intro", lang, reminders=count, count=len(items))
    blocks: list[Block] = [section(intro, block_id=post) if post else section(intro)]
    room = MESSAGE_BLOCKS_MAX - 2
    for item in items[:room]:
        escalation = item.escalation
        if item.outcome is not None:
            title = f"~{_title(escalation, workspace_url)}~\n{_lead_outcome(policy, item)}"
            blocks.append(section(title, block_id=f"esc:{escalation.id}"))
            continue
        line = (
            f"{_title(escalation, workspace_url)}\n{mention(escalation.assignee_id)} · "
            + t("remind.idle", lang, idle=_duration(policy, item.idle))
            + f" · {slo_lines.get(escalation.id or 0, '')}"
        )
        picker = {
            "type": "users_select",
            "action_id": Verb.REASSIGN.action_id,
            "placeholder": plain(t("remind.lead.reassign", lang), 150),
        }
        blocks.append(section(line, block_id=f"esc:{escalation.id}", accessory=picker))
    if len(items) > room:
        blocks.append(context(t("reply.more", lang, count=len(items) - room)))
    return t("remind.lead.text", lang, count=len(items)), blocks


def _lead_outcome(policy: Policy, item: ReminderItem) -> str:
    lang = policy.language
    if item.outcome == "taken":
        return t("remind.unassigned.taken", lang, user=mention(item.escalation.assignee_id))
    return t(f"remind.outcome.{item.outcome}", lang)


def lead_dm_post(message: dict[str, Any] | None) -> str | None:
    """The outbox key of the lead's DM a click came from (its intro's block id), if it did."""
    blocks = (message or {}).get("blocks") or []
    first = blocks[0] if blocks and isinstance(blocks[0], dict) else {}
    block_id = str(first.get("block_id") or "")
    return block_id if block_id.startswith(LEAD_DM_PREFIX) else None


def build_unassigned_post(
    *,
    policy: Policy,
    escalations: Sequence[Escalation],
    slo_lines: dict[int, str],
    workspace_url: str | None,
) -> tuple[str, list[Block]]:
    """The day's channel post listing escalations nobody claimed in time, each with Claim.

    Drawn when sent and redrawn as they move: one claimed since reads who has it, without a button.
    """
    lang = policy.language
    tz = policy.business_calendar.tz
    intro = t(
        "remind.unassigned.intro",
        lang,
        count=len(escalations),
        after=_setting(policy, policy.reminders.unassigned_after),
    )
    blocks: list[Block] = [section(intro)]
    room = MESSAGE_BLOCKS_MAX - 2
    for e in escalations[:room]:
        title = _title(e, workspace_url)
        if e.status != Status.OPEN:
            taken = (
                t("remind.unassigned.taken", lang, user=mention(e.assignee_id))
                if e.assignee_id
                else t(f"status.{e.status}", lang)
            )
            blocks.append(section(f"~{title}~\n{taken}", block_id=f"unclaimed:{e.id}"))
            continue
        line = (
            f"{title}\n"
            + t("remind.unassigned.filed", lang, when=format_local(e.filed_at, tz, lang))
            + f" · {slo_lines.get(e.id or 0, '')}"
        )
        claim = button(t("button.claim", lang), Verb.CLAIM.action_id, str(e.id), style="primary")
        blocks.append(section(line, block_id=f"unclaimed:{e.id}", accessory=claim))
    if len(escalations) > room:
        blocks.append(context(t("reply.more", lang, count=len(escalations) - room)))
    return t("remind.unassigned.text", lang, count=len(escalations)), blocks


def reminded_at_of(message_ts: str | None) -> datetime | None:
    """When a reminder message was posted (its Slack ts is an epoch time)."""
    from datetime import UTC

    try:
        return datetime.fromtimestamp(float(message_ts or ""), tz=UTC)
    except ValueError:
        return None
