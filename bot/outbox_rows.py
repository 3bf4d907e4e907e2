"""Outbox rows as producers make them: one typed row per promised post, stored in the caller's transaction.

Every producer (filing and the timeline, the SLO sweep, card refresh, reminders, the digest) builds
`OutboxRow`s, keyed by `bot.outbox_keys`, and promises them with `enqueue` or `enqueue_many`; a key
already promised is ignored, which is what makes a retried request or a second scheduler harmless.
Delivery is `bot.outbox`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from bot import outbox_keys
from bot.models import Outbox, OutboxStatus


class OutboxKind(StrEnum):
    """What a row asks Slack to do."""

    CARD_POST = "card.post"  # post the escalation's message (rendered from current state)
    CARD_UPDATE = "card.update"  # chat.update that message to current state
    THREAD = "thread"  # a reply in the escalation's thread (its text, or a timeline entry's id)
    MESSAGE = (
        "message"  # a post to a channel or a DM (channel = user id), maybe in another row's thread
    )
    UPLOAD = "upload"  # a file into a channel or another row's thread
    DM = "dm"  # the assignee's DM about an escalation, drawn when sent; or that DM redrawn
    NOTICE = "notice"  # a DM about an escalation (channel = user id), worded when sent
    SOURCE_POST = "source.post"  # the reply in the thread of the message it was filed from
    SOURCE_UPDATE = "source.update"  # chat.update that reply to the escalation's current state


@dataclass(frozen=True)
class OutboxRow:
    """One promised Slack post, as a producer builds it (its key from `bot.outbox_keys`).

    Build rows with the constructors, which say what each kind's payload holds; the payload is
    stored as JSON and read back by the deliverer.
    """

    key: str
    kind: OutboxKind
    escalation_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    status: OutboxStatus = OutboxStatus.PENDING
    group: str | None = None  # the rows it goes in order with, when not those of its escalation

    @classmethod
    def card_post(cls, key: str, *, escalation_id: int) -> OutboxRow:
        """Post the escalation's message, drawn from its state when sent."""
        return cls(key, OutboxKind.CARD_POST, escalation_id)

    @classmethod
    def card_update(cls, key: str, *, escalation_id: int) -> OutboxRow:
        """Redraw the escalation's message to its state when sent."""
        return cls(key, OutboxKind.CARD_UPDATE, escalation_id)

    @classmethod
    def thread(
        cls, key: str, *, escalation_id: int, text: str, broadcast: bool = False
    ) -> OutboxRow:
        """A reply in the escalation's thread (also shown in the channel when `broadcast`)."""
        payload: dict[str, Any] = {"text": text}
        if broadcast:
            payload["broadcast"] = True
        return cls(key, OutboxKind.THREAD, escalation_id, payload)

    @classmethod
    def timeline_line(cls, key: str, *, escalation_id: int, event_id: int) -> OutboxRow:
        """A timeline entry's line in the escalation's thread, worded when sent (like the card)."""
        return cls(key, OutboxKind.THREAD, escalation_id, {"event_id": event_id})

    @classmethod
    def message(
        cls,
        key: str,
        *,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_of: str | None = None,
        escalation_id: int | None = None,
    ) -> OutboxRow:
        """A post to a channel or a DM (`channel` a user id), maybe in row `thread_of`'s thread."""
        payload: dict[str, Any] = {"channel": channel, "text": text}
        if blocks is not None:
            payload["blocks"] = blocks
        if thread_of is not None:
            payload["thread_of"] = thread_of
        return cls(key, OutboxKind.MESSAGE, escalation_id, payload)

    @classmethod
    def assignment_dm(
        cls,
        key: str,
        *,
        escalation_id: int,
        user: str,
        update_of: str | None = None,
        posted: dict[str, str] | None = None,
    ) -> OutboxRow:
        """The DM telling `user` the escalation is theirs, drawn from its state when sent; with
        `update_of`, that earlier DM (the row with that key) redrawn in place, and `posted`, where
        Slack put it (its row was sent already: the redraw need not read it)."""
        payload: dict[str, Any] = {"user": user}
        if update_of is not None:
            payload["update_of"] = update_of
            if posted is not None:
                payload["posted"] = {"channel": posted["channel"], "ts": posted["ts"]}
        return cls(key, OutboxKind.DM, escalation_id, payload)

    @classmethod
    def drawn(
        cls,
        key: str,
        *,
        channel: str,
        render: str,
        update_of: str | None = None,
        about: int | None = None,
        **params: Any,
    ) -> OutboxRow:
        """A channel post drawn when sent by the renderer `render` from `params` (JSON values);
        with `update_of`, that earlier post (the row with that key) redrawn in place.

        `about` is the escalation whose change the redraw shows: the row goes out with that
        escalation's posts (the click that changed it delivers it), still in order with the
        post's other redraws.
        """
        payload: dict[str, Any] = {"channel": channel, "render": render, **params}
        if update_of is not None:
            payload["update_of"] = update_of
        group = None
        if about is not None:
            group = outbox_keys.group(key=key, escalation_id=None, thread_of=update_of)
        return cls(key, OutboxKind.MESSAGE, about, payload, group=group)

    @classmethod
    def notice(cls, key: str, *, escalation_id: int, to: str, what: str, **data: Any) -> OutboxRow:
        """A DM to `to` about the escalation, worded when sent (`what` names the notice)."""
        payload = {"channel": to, "notice": what, **data}
        return cls(key, OutboxKind.NOTICE, escalation_id, payload)

    @classmethod
    def source_post(cls, key: str, *, escalation_id: int) -> OutboxRow:
        """Reply in the source message's thread with the escalation's state when sent."""
        return cls(key, OutboxKind.SOURCE_POST, escalation_id)

    @classmethod
    def source_update(cls, key: str, *, escalation_id: int, post: str) -> OutboxRow:
        """Update the reply row `post` made to the escalation's state when sent."""
        return cls(key, OutboxKind.SOURCE_UPDATE, escalation_id, {"update_of": post})

    @classmethod
    def upload(
        cls, key: str, *, channel: str, thread_of: str | None, file: str, title: str, **extra: Any
    ) -> OutboxRow:
        """A file rendered when sent (`file` names its renderer; `extra` is the renderer's input)."""
        payload = {"channel": channel, "thread_of": thread_of, "file": file, "title": title}
        return cls(key, OutboxKind.UPLOAD, None, {**payload, **extra})

    def merged_into(self, key: str, carrier: str) -> OutboxRow:
        """This kind of row claiming `key` without posting: `carrier`'s post speaks for it."""
        return OutboxRow(
            key,
            self.kind,
            self.escalation_id,
            {"merged_into": carrier},
            OutboxStatus.SUPERSEDED,
            group=self.group,
        )

    def values(self, *, now: datetime) -> dict[str, Any]:
        """The row's column values for an INSERT."""
        # An update goes after the post it changes (`thread_of` does the same for a reply).
        thread_of = self.payload.get("thread_of") or self.payload.get("update_of")
        return {
            "key": self.key,
            "kind": str(self.kind),
            "group_key": (
                self.group
                or outbox_keys.group(
                    key=self.key, escalation_id=self.escalation_id, thread_of=thread_of
                )
            )[:200],
            "escalation_id": self.escalation_id,
            "payload": self.payload,
            "status": str(self.status),
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "uncertain": False,
            "result": {},
        }


def insert_ignoring_conflict(
    session: Session, model: type[SQLModel], values: dict[str, Any]
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on either database; True when a row was inserted."""
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    statement = _INSERTS_IGNORING_CONFLICT.get((dialect, table.name))
    if statement is None:
        insert_factory = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # RETURNING tells inserted from skipped on both databases (rowcount is -1 on PostgreSQL).
        statement = (
            insert_factory(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
        )
        _INSERTS_IGNORING_CONFLICT[(dialect, table.name)] = statement
    # The values as parameters: one statement per table, compiled once (building one per row cost
    # a large share of a status click's CPU).
    return session.execute(statement, values).first() is not None


# (dialect, table) → its INSERT … ON CONFLICT DO NOTHING RETURNING <primary key>, built once.
_INSERTS_IGNORING_CONFLICT: dict[tuple[str, str], Any] = {}


def enqueue(session: Session, row: OutboxRow, *, now: datetime) -> bool:
    """Promise a Slack post inside the caller's transaction; a key already promised is ignored."""
    return insert_ignoring_conflict(session, Outbox, row.values(now=now))


# dialect → INSERT INTO outbox … ON CONFLICT DO NOTHING, built once.
_ENQUEUE_MANY: dict[str, Any] = {}


def enqueue_many(
    session: Session, rows: Sequence[OutboxRow], *, now: datetime, returning: bool = False
) -> set[str]:
    """Promise many posts in one statement (keys already promised are ignored).

    With `returning`, the keys this call inserted are returned (an empty set otherwise).
    """
    if not rows:
        return set()
    table = Outbox.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    statement = _ENQUEUE_MANY.get(dialect)
    if statement is None:  # built once per dialect (every change promises its rows with it)
        insert_factory = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _ENQUEUE_MANY[dialect] = insert_factory(table).on_conflict_do_nothing()
    values = [row.values(now=now) for row in rows]
    if not returning:
        session.connection().execute(statement, values)
        return set()
    inserted = session.connection().execute(statement.returning(table.c.key), values)
    return {str(key) for key in inserted.scalars()}
