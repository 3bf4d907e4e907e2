"""The assignee's DM: the escalation, its priority and due time, and the buttons for what comes next.

Drawn for one person whenever it is sent or redrawn in place (`bot.assignee_dm`): while they
have it, with the SLO warning or breach it has reached; once it moved on (reassigned, back in the
queue, resolved), a line saying so and no buttons.
"""

from __future__ import annotations

from datetime import datetime

from bot import lifecycle, slo
from bot.blocks import slo as slo_words
from bot.blocks.alerts import key_link
from bot.blocks.common import Block, actions, button, context, fields_section, section
from bot.blocks.escalation import asks_question, status_text
from bot.blocks.ids import ActionId
from bot.durations import format_business_duration
from bot.i18n import t
from bot.lifecycle import Control, Verb
from bot.models import Escalation, Status
from bot.mrkdwn import escape, escape_truncated, mention, single_line
from bot.policy import Policy

# The DM offers what its reader does next; Claim, Reassign and Resolve stay on the card.
DM_VERBS = (Verb.ACKNOWLEDGE, Verb.WAIT, Verb.RESUME)


def build_assignment_dm(
    *,
    policy: Policy,
    escalation: Escalation,
    user: str,
    current: slo.SloState,
    now: datetime,
    workspace_url: str | None,
) -> tuple[str, list[Block]]:
    """The DM to `user` about an escalation they were given, as it stands now."""
    lang = policy.language
    link = key_link(escalation, workspace_url)
    summary = escape_truncated(single_line(escalation.summary), 150)
    priority = escape(policy.label("priorities", escalation.priority))
    text = t("dm.assigned.text", lang, key=escalation.key, priority=priority, summary=summary)
    if escalation.status == Status.RESOLVED:
        return text, [section(t("dm.resolved", lang, link=link, summary=summary))]
    if escalation.assignee_id != user:
        moved = (
            t(
                "dm.moved_on",
                lang,
                link=link,
                summary=summary,
                assignee=mention(escalation.assignee_id),
            )
            if escalation.assignee_id
            else t("dm.unassigned", lang, link=link, summary=summary)
        )
        return text, [section(moved)]
    blocks: list[Block] = [
        section(t("dm.assigned.title", lang, link=link, summary=summary)),
        fields_section(
            [
                f"*{t('label.priority', lang)}*\n{priority}",
                f"*{t('dm.label.due', lang)}*\n{slo_words.describe(policy=policy, current=current, now=now)}",
                f"*{t('label.status', lang)}*\n{status_text(escalation.status, lang)}",
            ]
        ),
    ]
    alert = _slo_alert(policy, escalation, current)
    if alert:
        blocks.append(context(alert))
    controls = _controls(policy, escalation)
    if controls:
        blocks.append(actions(f"esc:{escalation.id}", controls))
    return text, blocks


def _slo_alert(policy: Policy, escalation: Escalation, current: slo.SloState) -> str | None:
    """The SLO warning or breach the escalation has reached, if any."""
    lang = policy.language
    day = policy.business_calendar.working_day_length()
    target = format_business_duration(current.target, day_length=day, lang=lang)
    if current.breached:
        return t("dm.slo.breached", lang, target=target)
    levels = slo.thresholds(policy, escalation.priority)[:-1]
    passed = [level for level in levels if current.fraction >= level]
    if not passed:
        return None
    return t("dm.slo.warning", lang, percent=f"{round(passed[-1] * 100)}%", target=target)


def _controls(policy: Policy, escalation: Escalation) -> list[dict[str, object]]:
    lang = policy.language
    elements: list[dict[str, object]] = []
    for move in lifecycle.card_moves(escalation.status):
        if move.verb not in DM_VERBS:
            continue
        action_id: str = move.verb.action_id
        if move.verb is Verb.WAIT and asks_question(policy, escalation):
            action_id = ActionId.WAIT_WITH_QUESTION
        style = "primary" if move.card is Control.PRIMARY else None
        elements.append(
            button(t(f"button.{move.verb}", lang), action_id, str(escalation.id), style=style)
        )
    return elements
