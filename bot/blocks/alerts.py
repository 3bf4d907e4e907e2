"""Texts of SLO alerts: the breach reply (warnings are drawn in the assignee's DM, `bot.blocks.assignment`)."""

from __future__ import annotations

from datetime import timedelta

from bot.blocks.common import format_local
from bot.blocks.lists import message_url
from bot.durations import format_business_duration
from bot.i18n import t
from bot.models import Escalation
from bot.mrkdwn import escape, escape_truncated, mention, single_line
from bot.policy import Policy
from bot.slo import SloState


def _words(policy: Policy, escalation: Escalation, current: SloState) -> dict[str, str]:
    lang = policy.language
    calendar = policy.business_calendar
    day = calendar.working_day_length()
    when = format_local(current.due_at, calendar.tz, lang) if current.due_at else "?"
    left = format_business_duration(max(current.remaining, timedelta(0)), day_length=day, lang=lang)
    outlook = (
        t("slo.warning.outlook_breached", lang, when=when)
        if current.breached
        else t("slo.warning.outlook", lang, when=when, left=left)
    )
    return {
        "key": escalation.key,
        "summary": escape_truncated(single_line(escalation.summary), 150),
        "target": format_business_duration(current.target, day_length=day, lang=lang),
        "left": left,
        "when": when,
        "outlook": outlook,
        "priority": escape(policy.label("priorities", escalation.priority)),
    }


def key_link(escalation: Escalation, workspace_url: str | None) -> str:
    """The escalation's key, linked to its message when the link is known."""
    url = message_url(workspace_url, escalation.channel_id, escalation.message_ts)
    return f"<{url}|{escalation.key}>" if url else escalation.key


def build_breach(
    *, policy: Policy, escalation: Escalation, current: SloState, mention_lead: bool
) -> str:
    """The breach reply in the escalation's thread (broadcast, mentioning the lead, for P1)."""
    lang = policy.language
    who = (
        t(
            "slo.breach.assigned",
            lang,
            assignee=mention(escalation.assignee_id),
            status=t(f"status.{escalation.status}", lang),
        )
        if escalation.assignee_id
        else t("slo.breach.unassigned", lang)
    )
    return t(
        "slo.breach" if mention_lead else "slo.breach.thread",
        lang,
        lead=mention(policy.roster.lead),
        who=who,
        **_words(policy, escalation, current),
    )
