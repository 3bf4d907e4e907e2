"""The outbox: Slack posts promised in the same transaction as the change, delivered and retried after.

A change and the posts it causes are committed together, so a crash or a Slack outage can delay a
post but never lose it. Each row has a unique key, so enqueueing twice (a retried request, a second
scheduler) stores it once; a short lease lets exactly one process deliver a row at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.error import URLError

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from bot.db import Database
from bot.models import Escalation, Outbox, OutboxStatus

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)
PERMANENT_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "msg_too_long",
        "no_text",
        "message_not_found",
        "cant_update_message",
        "invalid_attachments",
    }
)


class OutboxKind(StrEnum):
    """What a row asks Slack to do."""

    CARD_POST = "card.post"  # post the escalation's message (rendered from current state)
    CARD_UPDATE = "card.update"  # chat.update that message to current state
    THREAD = "thread"  # a reply in the escalation's thread
    MESSAGE = (
        "message"  # a post to a channel or a DM (channel = user id), maybe in another row's thread
    )
    UPLOAD = "upload"  # a file into a channel or another row's thread


CardRenderer = Callable[[Session, Escalation], tuple[str, list[dict[str, Any]]]]
FileRenderer = Callable[[Session, dict[str, Any]], tuple[str, bytes]]


def insert_ignoring_conflict(
    session: Session, model: type[SQLModel], values: dict[str, Any]
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on either database; True when a row was inserted."""
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert_factory = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING tells inserted from skipped on both databases (rowcount is -1 on PostgreSQL here).
    statement = (
        insert_factory(table)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
    )
    return session.execute(statement).first() is not None


def enqueue(
    session: Session,
    *,
    key: str,
    kind: OutboxKind,
    now: datetime,
    escalation_id: int | None = None,
    payload: dict[str, Any] | None = None,
    status: OutboxStatus = OutboxStatus.PENDING,
) -> bool:
    """Promise a Slack post inside the caller's transaction; a key already promised is ignored."""
    return insert_ignoring_conflict(
        session,
        Outbox,
        {
            "key": key,
            "kind": str(kind),
            "escalation_id": escalation_id,
            "payload": payload or {},
            "status": str(status),
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "result": {},
        },
    )


def enqueue_many(session: Session, rows: Sequence[dict[str, Any]], *, now: datetime) -> None:
    """Promise many posts in one statement (keys already promised are ignored)."""
    if not rows:
        return
    table = Outbox.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert_factory = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = [
        {
            "key": row["key"],
            "kind": str(row["kind"]),
            "escalation_id": row.get("escalation_id"),
            "payload": row.get("payload") or {},
            "status": str(OutboxStatus.PENDING),
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "result": {},
        }
        for row in rows
    ]
    session.connection().execute(insert_factory(table).on_conflict_do_nothing(), values)


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


class _Deferred(Exception):
    """The row cannot go yet (its parent message is not posted); try again later, no attempt used."""


@dataclass
class OutboxDeliverer:
    """Delivers due outbox rows to Slack, one process per row at a time."""

    db: Database
    client: WebClient
    render_card: CardRenderer
    render_file: FileRenderer | None = None
    owner: str = "crebot"

    def deliver_due(
        self, *, now: datetime, escalation_id: int | None = None, limit: int = 500
    ) -> DeliveryReport:
        """Send every due row (optionally only one escalation's), oldest first, keeping thread order."""
        report = DeliveryReport()
        blocked: set[int] = set()
        for row_id, row_escalation in self._due_rows(
            now=now, escalation_id=escalation_id, limit=limit
        ):
            if row_escalation is not None and row_escalation in blocked:
                report.deferred += 1
                continue
            if not self._claim(row_id, now=now):
                continue
            outcome = self._deliver_one(row_id, now=now, report=report)
            if outcome != OutboxStatus.SENT and row_escalation is not None:
                blocked.add(
                    row_escalation
                )  # later rows of this escalation wait, keeping their order
        return report

    # -- steps --------------------------------------------------------------------------------

    def _due_rows(
        self, *, now: datetime, escalation_id: int | None, limit: int
    ) -> Sequence[tuple[int, int | None]]:
        with self.db.session() as session:
            query = (
                select(Outbox.id, Outbox.escalation_id)
                .where(Outbox.status == OutboxStatus.PENDING, Outbox.next_attempt_at <= now)
                .order_by(Outbox.id)  # type: ignore[arg-type]
                .limit(limit)
            )
            if escalation_id is not None:
                query = query.where(Outbox.escalation_id == escalation_id)
            rows = session.exec(query).all()
            session.commit()
            return [(int(r[0]), r[1]) for r in rows if r[0] is not None]

    def _claim(self, row_id: int, *, now: datetime) -> bool:
        table = Outbox.__table__  # type: ignore[attr-defined]
        with self.db.session() as session:
            result = session.execute(
                sa.update(table)
                .where(
                    table.c.id == row_id,
                    table.c.status == OutboxStatus.PENDING,
                    sa.or_(table.c.lease_until.is_(None), table.c.lease_until < now),
                )
                .values(lease_until=now + LEASE)
            )
            session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def _deliver_one(self, row_id: int, *, now: datetime, report: DeliveryReport) -> OutboxStatus:
        # Three short transactions: prepare, call Slack with no transaction open, record the outcome.
        # Holding a transaction across the HTTP call would block every writer on SQLite.
        with self.db.session() as session:
            row = session.get(Outbox, row_id)
            assert row is not None
            kind, key = row.kind, row.key
            try:
                call = self._prepare(session, row)
            except _Deferred:
                row.lease_until = None
                session.add(row)
                session.commit()
                report.deferred += 1
                return OutboxStatus.PENDING
            session.commit()
        try:
            result = call.perform(self.client) if call is not None else {"already": True}
        except (SlackApiError, SlackClientError, URLError, OSError) as exc:
            status = self._record_failure(row_id, exc, now=now)
            report.failed += status == OutboxStatus.FAILED
            report.retrying += status != OutboxStatus.FAILED
            report.errors.append(f"{kind} {key}: {_error_code(exc)}")
            return status
        self._record_success(row_id, call, result, now=now)
        report.sent += 1
        return OutboxStatus.SENT

    def _record_success(
        self, row_id: int, call: _SlackCall | None, result: dict[str, Any], *, now: datetime
    ) -> None:
        with self.db.session() as session:
            if call is not None and call.card_of is not None:
                table = Escalation.__table__  # type: ignore[attr-defined]
                session.execute(
                    sa.update(table)
                    .where(table.c.id == call.card_of, table.c.message_ts.is_(None))
                    .values(message_ts=result["ts"], channel_id=result["channel"])
                )
            row = session.get(Outbox, row_id)
            assert row is not None
            row.status = OutboxStatus.SENT
            row.sent_at = now
            row.lease_until = None
            row.attempts += 1
            row.result = result
            session.add(row)
            session.commit()

    def _record_failure(self, row_id: int, exc: Exception, *, now: datetime) -> OutboxStatus:
        code = _error_code(exc)
        with self.db.session() as session:
            row = session.get(Outbox, row_id)
            assert row is not None
            row.attempts += 1
            row.last_error = code[:200]
            row.lease_until = None
            if code in PERMANENT_ERRORS:
                row.status = OutboxStatus.FAILED
                log.error("outbox %s %s failed permanently: %s", row.kind, row.key, code)
            else:
                backoff = min(timedelta(seconds=30) * 2 ** min(row.attempts - 1, 10), MAX_BACKOFF)
                row.next_attempt_at = now + backoff
                log.warning("outbox %s %s failed (%s); will retry", row.kind, row.key, code)
            session.add(row)
            session.commit()
            return OutboxStatus(row.status)

    def _prepare(self, session: Session, row: Outbox) -> _SlackCall | None:
        kind = OutboxKind(row.kind)
        if kind is OutboxKind.MESSAGE:
            thread_ts = self._parent_ts(session, row.payload.get("thread_of"))
            return _post_call(
                channel=row.payload["channel"], thread_ts=thread_ts, payload=row.payload
            )
        if kind is OutboxKind.UPLOAD:
            return self._upload_call(session, row)
        escalation = session.get(Escalation, row.escalation_id)
        assert escalation is not None
        if kind is OutboxKind.CARD_POST:
            if escalation.message_ts is not None:
                return None
            text, blocks = self.render_card(session, escalation)
            arguments = {"channel": escalation.channel_id, "text": text, "blocks": blocks}
            return _SlackCall(
                "chat_postMessage", {**arguments, **_NO_UNFURL}, card_of=escalation.id
            )
        if escalation.message_ts is None:
            raise _Deferred
        if kind is OutboxKind.CARD_UPDATE:
            text, blocks = self.render_card(session, escalation)
            arguments = {"channel": escalation.channel_id, "ts": escalation.message_ts}
            return _SlackCall("chat_update", {**arguments, "text": text, "blocks": blocks})
        return _post_call(
            channel=escalation.channel_id, thread_ts=escalation.message_ts, payload=row.payload
        )

    def _parent_ts(self, session: Session, parent_key: str | None) -> str | None:
        if not parent_key:
            return None
        parent = session.exec(select(Outbox).where(Outbox.key == parent_key)).first()
        if parent is None or parent.status != OutboxStatus.SENT or "ts" not in parent.result:
            raise _Deferred
        return str(parent.result["ts"])

    def _upload_call(self, session: Session, row: Outbox) -> _SlackCall:
        if self.render_file is None:
            raise _Deferred
        payload = row.payload
        thread_ts = self._parent_ts(session, payload.get("thread_of"))
        filename, content = self.render_file(session, payload)
        arguments = {
            "channel": payload["channel"],
            "thread_ts": thread_ts,
            "filename": filename,
            "title": payload.get("title", filename),
            "content": content,
            "initial_comment": payload.get("comment"),
        }
        return _SlackCall("files_upload_v2", arguments)


_NO_UNFURL = {"unfurl_links": False, "unfurl_media": False}


@dataclass
class _SlackCall:
    """One prepared Web API call and what to remember about it."""

    method: str
    arguments: dict[str, Any]
    card_of: int | None = None  # the escalation whose message this call posts

    def perform(self, client: WebClient) -> dict[str, Any]:
        response = getattr(client, self.method)(**self.arguments)
        if self.method == "files_upload_v2":
            files = response.get("files") or []
            return {"file_ids": [f.get("id") for f in files if isinstance(f, dict)]}
        return {"ts": response.get("ts"), "channel": response.get("channel")}


def _post_call(*, channel: str, thread_ts: str | None, payload: dict[str, Any]) -> _SlackCall:
    arguments: dict[str, Any] = {"channel": channel, "text": payload["text"], **_NO_UNFURL}
    if payload.get("blocks"):
        arguments["blocks"] = payload["blocks"]
    if thread_ts:
        arguments["thread_ts"] = thread_ts
        if payload.get("broadcast"):
            arguments["reply_broadcast"] = True
    return _SlackCall("chat_postMessage", arguments)


def _error_code(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error") if exc.response is not None else None
        status = getattr(exc.response, "status_code", None)
        return str(error or f"http_{status}")
    return exc.__class__.__name__


def pending_count(session: Session) -> int:
    """How many posts are still waiting for delivery."""
    return int(
        session.exec(
            select(sa.func.count()).select_from(Outbox).where(Outbox.status == OutboxStatus.PENDING)
        ).one()
    )
