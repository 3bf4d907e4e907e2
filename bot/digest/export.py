"""The digest's CSV: every escalation of the month, one row each, headed in the team's language.

Streamed from the database in batches, so a month of any size is written in flat memory; user
text is made safe for spreadsheets (a leading `=`, `+`, `-` or `@` would run as a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.digest.figures import (
    _FORMULA_START,
    CSV_BATCH,
    Month,
    _columns,
    _in,
    month_bounds,
)
from bot.i18n import t
from bot.models import Status
from bot.mrkdwn import message_permalink
from bot.policy import Policy

CSV_COLUMNS = (
    "key",
    "link",
    "filed_at",
    "resolved_at",
    "status",
    "priority",
    "product",
    "category",
    "end_user",
    "zendesk",
    "assignee",
    "business_hours",
    "target_hours",
    "on_target",
    "cause",
    "summary",
)


def csv_header(lang: str) -> list[str]:
    """The CSV's column titles in the team's language."""
    return [t(f"digest.csv.{column}", lang) for column in CSV_COLUMNS]


def _spreadsheet_safe(text: str) -> str:
    """User text that a spreadsheet will not run as a formula (OWASP: prefix with a quote)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _hours(seconds: int | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def _labels(choices: Sequence[Any], lang: str) -> dict[str, str]:
    return {choice.id: _spreadsheet_safe(choice.label_in(lang)) for choice in choices}


def _csv_rows(
    session: Session, policy: Policy, month: Month, workspace_url: str | None
) -> Iterator[list[str]]:
    start, end = month_bounds(policy, month)
    tz = policy.business_calendar.tz
    lang = policy.language
    c = _columns()
    # Labels and names looked up once: this loop runs for every escalation of the month.
    products, categories = _labels(policy.products, lang), _labels(policy.categories, lang)
    priorities, causes = _labels(policy.priorities, lang), _labels(policy.causes, lang)
    statuses = {status: t(f"status.{status}", lang) for status in Status}
    on_target = {True: t("digest.csv.yes", lang), False: t("digest.csv.no", lang)}
    names = {e.user: e.name for e in policy.roster.engineers if e.name}

    def local(instant: datetime | None) -> str:
        return "" if instant is None else instant.astimezone(tz).isoformat(" ", "minutes")[:16]

    def link(channel_id: str, message_ts: str | None) -> str:
        if not workspace_url or not message_ts:
            return ""
        return message_permalink(workspace_url, channel_id=channel_id, message_ts=message_ts)

    statement = (
        sa.select(
            c.id,
            c.channel_id,
            c.message_ts,
            c.filed_at,
            c.resolved_at,
            c.status,
            c.priority,
            c.product,
            c.category,
            c.end_user_id,
            c.zendesk_ticket_id,
            c.zendesk_url,
            c.assignee_id,
            c.resolution_business_s,
            c.slo_target_s,
            c.resolution_cause,
            c.summary,
        )
        .where(sa.or_(_in(c.filed_at, start, end), _in(c.resolved_at, start, end)))
        .order_by(c.id)
        .execution_options(yield_per=CSV_BATCH)
    )
    for row in session.execute(statement):
        key, channel_id, message_ts, filed, resolved, status, priority, product = row[:8]
        category, end_user, ticket, ticket_url, assignee, took, target, cause, summary = row[8:]
        yield [
            f"ESC-{key}",
            link(channel_id, message_ts),
            local(filed),
            local(resolved),
            statuses.get(status, status),
            priorities.get(priority) or _spreadsheet_safe(priority),
            products.get(product) or _spreadsheet_safe(product),
            categories.get(category) or _spreadsheet_safe(category),
            _spreadsheet_safe(end_user),
            ticket_url or ("" if ticket is None else f"#{ticket}"),
            names.get(assignee) or assignee or "",
            _hours(took),
            _hours(target or None),
            "" if took is None or not target else on_target[took <= target],
            (causes.get(cause) or _spreadsheet_safe(cause)) if cause else "",
            _spreadsheet_safe(summary),
        ]


def month_csv(
    *, session: Session, policy: Policy, month: Month, workspace_url: str | None = None
) -> bytes:
    """Every escalation filed or resolved in the month, as UTF-8 CSV with a BOM (Excel reads it).

    Headers and labels are in the team's language; with the workspace's URL, each row links to
    its escalation's message.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_header(policy.language))
    writer.writerows(_csv_rows(session, policy, month, workspace_url))
    return buffer.getvalue().encode("utf-8-sig")


def csv_filename(month: Month) -> str:
    """The CSV's file name."""
    return f"escalations-{month}.csv"


def render_csv_file(session: Session, policy: Policy, payload: dict[str, Any]) -> tuple[str, bytes]:
    """The outbox file renderer "digest-csv": payload["month"] (YYYY-MM), ["workspace_url"]."""
    month = Month.parse(payload["month"])
    csv_bytes = month_csv(
        session=session, policy=policy, month=month, workspace_url=payload.get("workspace_url")
    )
    return csv_filename(month), csv_bytes
