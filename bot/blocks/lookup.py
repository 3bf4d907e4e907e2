"""Block Kit for `/lookup`: the ephemeral answer with the chart, the note modal, the audit list."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks.common import (
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    Block,
    actions,
    button,
    context,
    divider,
    fields_section,
    format_date,
    format_local,
    modal_view,
    plain,
    section,
)
from bot.blocks.escalation import status_text, zendesk_text
from bot.blocks.ids import INPUT_ACTION, ActionId, ViewId
from bot.blocks.lists import message_url
from bot.i18n import t
from bot.limits import CHART_NOTE_MAX
from bot.lookup.audit import AuditRequest
from bot.lookup.service import Chart, HistorySummary, LookupResult
from bot.lookup.sources import FieldValue
from bot.models import Escalation, LookupAudit, UserNote
from bot.mrkdwn import channel_link, escape, escape_truncated, mention, single_line
from bot.policy import Policy

FIELDS_PER_SECTION = 10
VALUE_SHOWN = 300
SUMMARY_SHOWN = 120
NOTE_SHOWN = 600
NOTE_INPUT = "note"
HASH_SHOWN = 8


def build_lookup_answer(
    *, policy: Policy, result: LookupResult, workspace_url: str | None
) -> tuple[str, list[Block]]:
    """The ephemeral answer: the user's state (PII masked unless revealed), then their chart."""
    lang = policy.language
    user = f"`{escape(result.subject_id)}`"
    blocks: list[Block] = [section(t("lookup.title", lang, user=user))]
    if result.state is not None:
        blocks.extend(_state_sections(policy, result.state.fields))
        if any(field.pii for field in result.state.fields):
            blocks.append(
                context(t("lookup.revealed" if result.revealed else "lookup.masked", lang))
            )
    source = t(f"lookup.source.{policy.lookup.source}", lang)
    if result.problem is not None:
        blocks.append(section(t(f"lookup.problem.{result.problem}", lang, source=source)))
    elif result.state is None:
        blocks.append(section(t("lookup.unknown", lang, user=user, source=source)))
    blocks.append(divider())
    blocks.extend(build_chart(policy=policy, chart=result.chart, workspace_url=workspace_url))
    tail = _answer_actions(policy=policy, result=result)
    blocks = [*blocks[: MESSAGE_BLOCKS_MAX - 1], tail]
    return t("lookup.fallback", lang, user=escape(result.subject_id)), blocks


def _state_sections(policy: Policy, fields: Sequence[FieldValue]) -> list[Block]:
    lang = policy.language
    tz = policy.business_calendar.tz
    texts = [
        f"*{escape(policy.lookup.field_label(field.label, lang))}*\n"
        + escape_truncated(single_line(readable_value(field.value, tz, lang)), VALUE_SHOWN)
        for field in fields
    ]
    return [
        fields_section(texts[start : start + FIELDS_PER_SECTION])
        for start in range(0, len(texts), FIELDS_PER_SECTION)
    ]


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
)


def readable_value(value: str, tz: ZoneInfo, lang: str) -> str:
    """A record's value as people read it: an ISO timestamp becomes "2026/03/02 08:41" in the
    team's time zone ("2026-03-02 08:41" in English); anything else is left as it is.

    A timestamp without an offset is taken as already in the team's time zone.
    """
    text = value.strip()
    date_format = "%Y/%m/%d" if lang == "ja" else "%Y-%m-%d"
    try:
        if _ISO_DATETIME.fullmatch(text):
            instant = datetime.fromisoformat(text)
            local = instant.astimezone(tz) if instant.tzinfo else instant
            return local.strftime(f"{date_format} %H:%M")
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text).strftime(date_format)
    except ValueError:
        return value
    return value


def _answer_actions(*, policy: Policy, result: LookupResult) -> Block:
    lang = policy.language
    subject = result.subject_id
    elements = [
        button(t("lookup.button.escalate", lang), ActionId.LOOKUP_ESCALATE, subject),
        button(t("lookup.button.add_note", lang), ActionId.LOOKUP_ADD_NOTE, subject),
    ]
    if result.offer_reveal:
        confirm = {
            "title": plain(t("lookup.reveal.title", lang), 100),
            "text": plain(t("lookup.reveal.text", lang), 300),
            "confirm": plain(t("lookup.reveal.confirm", lang), 30),
            "deny": plain(t("modal.cancel", lang), 30),
        }
        elements.append(
            button(
                t("lookup.button.reveal", lang),
                ActionId.LOOKUP_REVEAL,
                result.rerun_query,
                style="danger",
                confirm=confirm,
            )
        )
    return actions("lookup", elements)


def build_chart(*, policy: Policy, chart: Chart, workspace_url: str | None) -> list[Block]:
    """The chart (カルテ): open escalations, the last resolved ones with cause and note, the notes."""
    lang = policy.language
    blocks: list[Block] = [section(t("lookup.chart.title", lang))]
    if chart.empty:
        blocks.append(context(t("lookup.chart.empty", lang)))
        return blocks
    if chart.open_total:
        lines = [t("lookup.chart.open", lang, count=chart.open_total)]
        lines += [_open_line(policy, e, workspace_url) for e in chart.open]
        if chart.open_total > len(chart.open):
            lines.append(
                t("lookup.chart.more_open", lang, count=chart.open_total - len(chart.open))
            )
        blocks.append(section(_fit_lines(lines)))
    if chart.resolved_total:
        blocks.append(
            section(
                t(
                    "lookup.chart.resolved",
                    lang,
                    shown=len(chart.resolved),
                    count=chart.resolved_total,
                )
            )
        )
        blocks += [section(_resolved_text(policy, e, workspace_url)) for e in chart.resolved]
    if chart.notes_total:
        blocks.append(
            section(t("lookup.chart.notes", lang, shown=len(chart.notes), count=chart.notes_total))
        )
        blocks += [section(note_text(policy=policy, note=note)) for note in chart.notes]
    return blocks


def _key_link(escalation: Escalation, workspace_url: str | None) -> str:
    url = message_url(workspace_url, escalation.channel_id, escalation.message_ts)
    return f"<{url}|{escalation.key}>" if url else escalation.key


def _open_line(policy: Policy, escalation: Escalation, workspace_url: str | None) -> str:
    lang = policy.language
    filed = format_date(escalation.filed_at, policy.business_calendar.tz, lang)
    who = f" · {mention(escalation.assignee_id)}" if escalation.assignee_id else ""
    return (
        f"• *{_key_link(escalation, workspace_url)}*{_ticket(escalation, lang)} · "
        f"{escape_truncated(single_line(escalation.summary), SUMMARY_SHOWN)} · "
        f"{status_text(escalation.status, lang)}{who} · {t('lookup.chart.filed', lang, date=filed)}"
    )


def _ticket(escalation: Escalation, lang: str) -> str:
    """ " · Zendesk #4711" (linked) for an escalation with a ticket; nothing otherwise."""
    if escalation.zendesk_ticket_id is None:
        return ""
    return f" · {t('label.zendesk', lang)} {zendesk_text(escalation, lang)}"


def _resolved_text(policy: Policy, escalation: Escalation, workspace_url: str | None) -> str:
    lang = policy.language
    tz = policy.business_calendar.tz
    filed = format_date(escalation.filed_at, tz, lang)
    resolved = format_date(escalation.resolved_at, tz, lang) if escalation.resolved_at else "—"
    cause = escape(policy.label("causes", escalation.resolution_cause or "unknown"))
    lines = [
        f"*{_key_link(escalation, workspace_url)}*{_ticket(escalation, lang)} · "
        f"{escape_truncated(single_line(escalation.summary), SUMMARY_SHOWN)}",
        f"{t('lookup.chart.filed', lang, date=filed)} · "
        f"{t('lookup.chart.resolved_on', lang, date=resolved, cause=cause)}",
    ]
    if escalation.resolution_note:
        lines.append(_quoted(escalation.resolution_note))
    return "\n".join(lines)


def note_text(*, policy: Policy, note: UserNote) -> str:
    """A chart note: its author and date, then the text quoted."""
    when = format_date(note.created_at, policy.business_calendar.tz, policy.language)
    return f"{mention(note.author_id)} · {when}\n{_quoted(note.text)}"


def _quoted(text: str) -> str:
    body = escape_truncated(text.strip(), NOTE_SHOWN)
    return "\n".join(f">{line}" for line in body.splitlines()) or ">"


def _fit_lines(lines: Sequence[str]) -> str:
    """Join lines, dropping whole lines at the end rather than cutting one in the middle."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > SECTION_TEXT_MAX:
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


# -- the note modal ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSubmission:
    """What the note modal sends back: whose chart, the text, where to confirm."""

    end_user_id: str
    text: str
    response_url: str | None


def build_note_modal(
    *, policy: Policy, end_user_id: str, response_url: str | None
) -> dict[str, Any]:
    """The modal for adding a note to an end user's chart."""
    lang = policy.language
    metadata = {"user": end_user_id, "response_url": response_url}
    return modal_view(
        callback_id=ViewId.ADD_NOTE,
        title=t("lookup.note.title", lang),
        submit=t("lookup.note.submit", lang),
        lang=lang,
        metadata=metadata,
        blocks=[
            {
                "type": "input",
                "block_id": NOTE_INPUT,
                "label": plain(t("lookup.note.label", lang, user=end_user_id), 2000),
                "hint": plain(t("lookup.note.hint", lang), 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_ACTION,
                    "multiline": True,
                    "max_length": CHART_NOTE_MAX,
                    "placeholder": plain(t("lookup.note.placeholder", lang), 150),
                },
            }
        ],
    )


def read_note_submission(view: dict[str, Any]) -> NoteSubmission | None:
    """The submitted note modal's values, None if the view is not shaped like ours."""
    try:
        metadata = json.loads((view or {}).get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("user"), str):
        return None
    values = ((view.get("state") or {}).get("values") or {}).get(NOTE_INPUT) or {}
    element = values.get(INPUT_ACTION) if isinstance(values, dict) else None
    text = element.get("value") if isinstance(element, dict) else None
    response_url = metadata.get("response_url")
    return NoteSubmission(
        end_user_id=metadata["user"],
        text=text if isinstance(text, str) else "",
        response_url=response_url if isinstance(response_url, str) and response_url else None,
    )


def build_note_saved(
    *, policy: Policy, end_user_id: str, note: UserNote
) -> tuple[str, list[Block]]:
    """The confirmation shown to whoever saved a note."""
    text = t("lookup.note.saved", policy.language, user=f"`{escape(end_user_id)}`")
    return text, [section(text), section(note_text(policy=policy, note=note))]


# -- the audit --------------------------------------------------------------------------------------


def build_audit_list(
    *, policy: Policy, entries: Sequence[LookupAudit], request: AuditRequest, limit: int
) -> tuple[str, list[Block]]:
    """`/cre audit`: the newest look-ups first, one line each, within a message's limits."""
    lang = policy.language
    title = [t("audit.title", lang, count=len(entries))]
    if request.subject:
        title.append(t("audit.filter.subject", lang, subject=f"`{escape(request.subject)}`"))
    if request.since_date:
        title.append(t("audit.filter.since", lang, date=request.since_date.isoformat()))
    blocks: list[Block] = [section(" · ".join(title))]
    if not entries:
        blocks.append(context(t("audit.empty", lang)))
        return t("audit.empty", lang), blocks
    lines = [audit_line(policy=policy, entry=entry) for entry in entries]
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > SECTION_TEXT_MAX:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if len(entries) >= limit:
        blocks.append(context(t("audit.more", lang)))
    return title[0].replace("*", ""), blocks[:MESSAGE_BLOCKS_MAX]


def audit_line(*, policy: Policy, entry: LookupAudit) -> str:
    """One audit row: when, who, outcome, whom (id or hash), where, which fields."""
    lang = policy.language
    when = format_local(entry.at, policy.business_calendar.tz, lang)
    if entry.end_user_id:
        subject = f"`{escape(entry.end_user_id)}`"
    else:
        subject = t("audit.hash", lang, hash=(entry.query_hash or "")[:HASH_SHOWN])
    parts = [
        f"`{when}`",
        mention(entry.actor_id),
        t(f"audit.outcome.{entry.outcome}", lang),
        subject,
    ]
    if entry.channel_id:
        parts.append(channel_link(entry.channel_id))
    if entry.fields_shown:
        names = [policy.lookup.field_label(label, lang) for label in entry.fields_shown]
        fields = escape_truncated(("、" if lang == "ja" else ", ").join(names), 200)
        parts.append(t("audit.fields", lang, fields=fields))
    return " · ".join(parts)


# -- the escalation card ----------------------------------------------------------------------------


def history_line(*, policy: Policy, summary: HistorySummary) -> str:
    """ "3 earlier escalations for this user · last cause: Bug", for the card and `/cre show`."""
    lang = policy.language
    one = summary.count == 1
    if summary.last_cause is None:
        key = "history.earlier_one_open" if one else "history.earlier_open"
        return t(key, lang, count=summary.count)
    cause = escape(policy.label("causes", summary.last_cause))
    key = "history.earlier_one" if one else "history.earlier"
    return t(key, lang, count=summary.count, cause=cause)
