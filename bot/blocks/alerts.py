"""Texts of SLO alerts: a warning in the thread and to the assignee, a breach to the lead."""

from __future__ import annotations

from collections.abc import Sequence
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


def percent_list(percents: Sequence[int], lang: str) -> str:
    """ "50%", "50% and 80%", "50%, 70% and 80%" (「50%・80%」 in Japanese)."""
    names = [f"{p}%" for p in percents]
    if len(names) < 2:
        return "".join(names)
    head = t("slo.percents.sep", lang).join(names[:-1])
    return t("slo.percents", lang, head=head, last=names[-1])


def _used(percents: Sequence[int], lang: str) -> str:
    """ "used 50%" for one warning; "passed 50% and 80%" when one sweep passed several."""
    key = "slo.warning.used" if len(percents) == 1 else "slo.warning.passed"
    return t(key, lang, percents=percent_list(percents, lang))


def key_link(escalation: Escalation, workspace_url: str | None) -> str:
    """The escalation's key, linked to its message when the link is known."""
    url = message_url(workspace_url, escalation.channel_id, escalation.message_ts)
    return f"<{url}|{escalation.key}>" if url else escalation.key


def build_warning_thread(
    *, policy: Policy, escalation: Escalation, current: SloState, percents: Sequence[int]
) -> str:
    """The thread reply naming the warning thresholds one sweep found crossed (lowest first)."""
    lang = policy.language
    return t(
        "slo.warning.thread",
        lang,
        used=_used(percents, lang),
        **_words(policy, escalation, current),
    )


def build_warning_direct(
    *,
    policy: Policy,
    escalation: Escalation,
    current: SloState,
    percents: Sequence[int],
    workspace_url: str | None,
) -> str:
    """The DM to the assignee (or, when nobody has it, the channel post) for those warnings."""
    lang = policy.language
    key = "slo.warning.dm" if escalation.assignee_id else "slo.warning.unassigned"
    words = _words(policy, escalation, current)
    return t(
        key,
        lang,
        used=_used(percents, lang),
        link=key_link(escalation, workspace_url),
        **words,
    )


def build_breach(*, policy: Policy, escalation: Escalation, current: SloState) -> str:
    """The breach post that mentions the lead."""
    lang = policy.language
    assignee = (
        mention(escalation.assignee_id) if escalation.assignee_id else t("label.unassigned", lang)
    )
    return t(
        "slo.breach",
        lang,
        lead=mention(policy.roster.lead),
        assignee=assignee,
        status=t(f"status.{escalation.status}", lang),
        **_words(policy, escalation, current),
    )
