"""Reading the look-up audit: the lead's `/cre audit` (who looked up whom, since when) and the CSV export.

Each look-up writes its audit row itself (`bot.lookup.service.look_up`); this is the reading side.
"""

from __future__ import annotations

import contextlib
import csv
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TextIO

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.dates import parse_user_date
from bot.errors import DomainError
from bot.lookup.query import LookupQueryError, parse_lookup_query
from bot.lookup.service import query_hash
from bot.models import LookupAudit
from bot.mrkdwn import escape, is_user_id
from bot.policy import Policy

log = logging.getLogger(__name__)

AUDIT_LIST_LIMIT = 40
CSV_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "channel_id",
    "query_kind",
    "query_hash",
    "end_user_id",
    "outcome",
    "fields_shown",
    "revealed",
)
_CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditRequest:
    """`/cre audit [@person | user id | email] [since DATE]`, parsed."""

    subject: str | None
    since: datetime | None
    since_date: date | None


def parse_audit_request(
    *,
    args: Sequence[str],
    policy: Policy,
    now: datetime,
    find_person: Callable[[str], Sequence[str]] | None = None,
) -> AuditRequest:
    """Read the words after `/cre audit`; `@name` is resolved to a Slack id through `find_person`.

    Slack escapes /cre (manifest.yml), so a person chosen from its suggestions arrives as
    `<@U123|Hanako Yamada>` and an address as `<mailto:a@b.jp|a@b.jp>`; a typed `@name` that Slack
    did not turn into a mention is looked up, and refused when two people share it.

    A month/day date means the last such day (`since 12/24` in November is last December's,
    `since 2/29` the last leap day); a full date after today is refused.
    """
    words = list(args)
    since_date: date | None = None
    subject: str | None = None
    tz = policy.business_calendar.tz
    today = now.astimezone(tz).date()
    index = 0
    while index < len(words):
        word = words[index]
        if word.casefold() in ("since", "から", "以降") and index + 1 < len(words):
            since_date = _since_date(words[index + 1], today=today)
            index += 2
            continue
        if subject is not None:
            raise DomainError("audit.usage")
        subject = _audit_subject(word, find_person)
        index += 1
    since = datetime.combine(since_date, time(0), tzinfo=tz) if since_date else None
    return AuditRequest(subject=subject, since=since, since_date=since_date)


AUDIT_EARLIEST = date(2000, 1, 1)  # no look-up is older: `since` before it is a typo


def _since_date(text: str, *, today: date) -> date:
    """The day `since` names, on or before today: a month/day is its latest occurrence."""
    day = parse_user_date(text, today=today, latest=True)
    if day > today:  # only a full date can be in the future
        raise DomainError("audit.since_future", text=escape(text.strip()[:40]))
    if day < AUDIT_EARLIEST:
        raise DomainError(
            "audit.since_too_early",
            text=escape(text.strip()[:40]),
            earliest=AUDIT_EARLIEST.isoformat(),
        )
    return day


def _audit_subject(word: str, find_person: Callable[[str], Sequence[str]] | None) -> str:
    """`<@U123|name>` and `@U123` give the id, `<mailto:a@b|a@b>` the address; `@name` is looked up."""
    if word.startswith("<@") and word.endswith(">"):
        return word[2:-1].split("|", 1)[0]
    if word.lower().startswith("<mailto:") and word.endswith(">"):
        return word[len("<mailto:") : -1].split("|", 1)[0]
    if not word.startswith("@"):
        return word
    name = word[1:]
    if is_user_id(name):
        return name
    found = list(find_person(name)) if find_person is not None and name else []
    if not found:
        raise DomainError("audit.no_such_person", name=escape(name[:80]))
    if len(found) > 1:
        raise DomainError("audit.ambiguous_person", name=escape(name[:80]), count=len(found))
    return found[0]


def slack_user_ids_by_name(client: Any, name: str) -> list[str]:
    """The ids of the workspace members whose handle, display name or real name is `name`."""
    wanted = name.casefold()
    found: list[str] = []
    for page in client.users_list(limit=200):
        for member in page.get("members") or []:
            if not isinstance(member, Mapping) or member.get("deleted"):
                continue
            profile = member.get("profile") or {}
            names = (
                member.get("name"),
                member.get("real_name"),
                profile.get("display_name"),
                profile.get("display_name_normalized"),
                profile.get("real_name"),
            )
            if any(isinstance(n, str) and n.casefold() == wanted for n in names):
                found.append(str(member.get("id")))
    return found


def audit_entries(
    *,
    session: Session,
    actor_or_subject: str | None,
    since: datetime | None,
    limit: int = AUDIT_LIST_LIMIT,
) -> Sequence[LookupAudit]:
    """Audit rows, newest first: by who looked (Slack id), whom (user id), or the email's hash."""
    statement = select(LookupAudit)
    if actor_or_subject:
        matches: list[sa.ColumnElement[bool]] = [
            col(LookupAudit.actor_id) == actor_or_subject,
            col(LookupAudit.end_user_id) == actor_or_subject,
        ]
        with contextlib.suppress(LookupQueryError):
            hashed = query_hash(parse_lookup_query(actor_or_subject))
            matches.append(col(LookupAudit.query_hash) == hashed)
        statement = statement.where(sa.or_(*matches))
    if since is not None:
        statement = statement.where(col(LookupAudit.at) >= since)
    statement = statement.order_by(col(LookupAudit.at).desc(), col(LookupAudit.id).desc())
    return session.exec(statement.limit(limit)).all()


def export_audit_csv(*, session: Session, since: datetime, out: TextIO) -> int:
    """Write every audit row since `since` as CSV (oldest first, UTC timestamps); returns the count."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    rows = session.exec(
        select(LookupAudit)
        .where(col(LookupAudit.at) >= since)
        .order_by(col(LookupAudit.at), col(LookupAudit.id))
        .execution_options(yield_per=500)
    )
    count = 0
    for row in rows:
        writer.writerow(_csv_row(row))
        count += 1
    return count


def _csv_row(row: LookupAudit) -> list[str]:
    values: Iterable[Any] = (
        row.id,
        row.at.isoformat(),
        row.actor_id,
        row.channel_id or "",
        row.query_kind or "",
        row.query_hash or "",
        row.end_user_id or "",
        row.outcome,
        ";".join(row.fields_shown or []),
        "true" if row.revealed else "false",
    )
    return [_csv_safe(str(value)) for value in values]


def _csv_safe(text: str) -> str:
    """Keep spreadsheet programs from reading a cell (a user id like "-1+1") as a formula."""
    return f"'{text}" if text.startswith(_CSV_FORMULA_STARTS) else text
