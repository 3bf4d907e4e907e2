"""The words of an internal note on a Zendesk ticket, in the team's language, ending with its marker.

Notes are plain text for support agents: people by name (the roster's, else Slack's), the priority
and cause by their labels, the answer for CS as the engineer wrote it, and a link to the escalation
in Slack. They are drawn when written (from facts stored when the change happened).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.blocks.common import format_local
from bot.i18n import t
from bot.models import Escalation, ZendeskWrite
from bot.policy import Policy

NameOf = Callable[[str | None], str | None]
NOTE_MAX = 60_000  # well under Zendesk's comment size


def render_note(
    *,
    policy: Policy,
    write: ZendeskWrite,
    escalation: Escalation,
    name_of: NameOf,
    slack_url: str | None,
) -> str:
    """The note's body: what happened, then the Slack link, then the marker."""
    lang = policy.language
    facts: dict[str, Any] = write.payload or {}
    event = str(facts.get("event") or write.event)
    key = str(facts.get("key") or escalation.key)
    actor = _name(policy, name_of, facts.get("actor"))
    lines: list[str] = []
    if event in ("queued", "assigned") and facts.get("at_filing"):
        due = _when(policy, facts.get("due_at"))
        priority = policy.label("priorities", str(facts.get("priority") or escalation.priority))
        if event == "queued":
            lines.append(t("zendesk.note.queued", lang, key=key, priority=priority, due=due))
        else:
            assignee = _name(policy, name_of, facts.get("assignee"))
            lines.append(
                t(
                    "zendesk.note.assigned_at_filing",
                    lang,
                    key=key,
                    priority=priority,
                    due=due,
                    assignee=assignee,
                )
            )
    elif event == "assigned":
        assignee = _name(
            policy, name_of, facts.get("to") or facts.get("assignee") or facts.get("actor")
        )
        lines.append(t("zendesk.note.assigned", lang, key=key, assignee=assignee))
    elif event == "waiting_on_cs":
        lines.append(t("zendesk.note.waiting_on_cs", lang, key=key, actor=actor))
        question = str(facts.get("question") or "").strip()
        if question:
            lines += ["", t("zendesk.note.question", lang), question]
    elif event == "resolved":
        cause = policy.label("causes", str(facts.get("cause") or "unknown"))
        lines.append(t("zendesk.note.resolved", lang, key=key, actor=actor, cause=cause))
        answer = str(facts.get("answer") or "").strip()
        if answer:
            lines += ["", t("zendesk.note.answer", lang), answer]
    else:
        lines.append(t("zendesk.note.reopened", lang, key=key, actor=actor))
    if slack_url:
        lines += ["", t("zendesk.note.slack", lang, url=slack_url)]
    body = "\n".join(lines)[: NOTE_MAX - 100]
    return f"{body}\n{facts.get('marker', '')}".rstrip()


def _name(policy: Policy, name_of: NameOf, user_id: Any) -> str:
    if not isinstance(user_id, str) or not user_id:
        return t("zendesk.someone", policy.language)
    engineer = policy.engineer(user_id)
    if engineer is not None and engineer.name:
        return engineer.name
    return name_of(user_id) or t("zendesk.someone", policy.language)


def _when(policy: Policy, value: Any) -> str:
    if not isinstance(value, str) or not value:
        return "—"
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return "—"
    return format_local(instant, policy.business_calendar.tz, policy.language)
