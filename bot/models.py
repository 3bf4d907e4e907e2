"""Database tables (SQLModel). Timestamps are UTC-aware; the schema itself is owned by Alembic."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import ClassManager, configure_mappers, make_transient_to_detached
from sqlmodel import Field, SQLModel

from bot.db import UTCDateTime
from bot.limits import END_USER_MAX, SUMMARY_MAX


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


class Status(StrEnum):
    """Lifecycle of an escalation."""

    OPEN = "open"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    WAITING = "waiting"
    RESOLVED = "resolved"


ACTIVE_STATUSES = (Status.ASSIGNED, Status.INVESTIGATING, Status.WAITING)
UNRESOLVED_STATUSES = (Status.OPEN, *ACTIVE_STATUSES)

_escalation_version = sa.Column("version", sa.Integer, nullable=False, server_default="1")


class Escalation(SQLModel, table=True):
    """One escalated inquiry: what it is, who has it, where it lives in Slack, how it ended."""

    __tablename__ = "escalation"
    __table_args__ = (
        sa.Index("ix_escalation_message", "channel_id", "message_ts"),
        sa.Index("ix_escalation_status_assignee", "status", "assignee_id"),
        sa.Index("ix_escalation_status_next_alert", "status", "slo_next_alert_at"),
        # The digest reads a month's resolutions from this index alone (migration 0009).
        sa.Index(
            "ix_escalation_resolved_took", "resolved_at", "slo_target_s", "resolution_business_s"
        ),
    )
    __mapper_args__ = {"version_id_col": _escalation_version}

    id: int | None = Field(default=None, primary_key=True)
    intake_key: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    end_user_id: str = Field(max_length=END_USER_MAX, index=True)
    product: str = Field(max_length=40)
    category: str = Field(max_length=40)
    priority: str = Field(max_length=40)
    summary: str = Field(max_length=SUMMARY_MAX)
    details: str = Field(default="", sa_type=sa.Text)
    zendesk_ticket_id: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    zendesk_url: str | None = Field(default=None, max_length=500)
    source_channel_id: str | None = Field(default=None, max_length=32)
    source_message_ts: str | None = Field(default=None, max_length=32)
    source_permalink: str | None = Field(default=None, max_length=500)
    filed_by: str = Field(
        max_length=32
    )  # a Slack user id ("" when filed by someone Slack does not know)
    # Where it was filed ("slack" or "zendesk"); a Zendesk agent without a Slack match, by name.
    source: str = Field(
        default="slack", max_length=16, sa_column_kwargs={"server_default": "slack"}
    )
    filer_name: str | None = Field(default=None, max_length=120)
    # What a Zendesk delivery said that the mapping did not understand: [{what, value, used}].
    intake_unmapped: list[dict[str, str]] | None = Field(default=None, sa_type=sa.JSON)
    # Product and category filed as suggested by similar resolved escalations and not yet
    # confirmed or changed by a person (`bot.escalations.labels`): no example for suggestions.
    product_suggested: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    category_suggested: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    filed_at: datetime = _ts(nullable=False, index=True)
    status: str = Field(default=Status.OPEN, max_length=20, index=True)
    assignee_id: str | None = Field(default=None, max_length=32)
    assigned_at: datetime | None = _ts()
    channel_id: str = Field(max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    version: int = Field(default=1, sa_column=_escalation_version)
    last_activity_at: datetime = _ts(nullable=False)
    resolved_at: datetime | None = _ts(index=True)
    resolved_by: str | None = Field(default=None, max_length=32)
    resolution_cause: str | None = Field(default=None, max_length=40)
    resolution_note: str | None = Field(default=None, sa_type=sa.Text)
    resolution_answer: str | None = Field(default=None, sa_type=sa.Text)
    # The SLO clock (bot.slo): business seconds used in closed segments plus the running segment.
    slo_target_s: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    slo_consumed_s: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    slo_running_since: datetime | None = _ts()
    slo_due_at: datetime | None = _ts()
    slo_stage: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    slo_next_alert_at: datetime | None = _ts(index=True)
    # When the time left shown on the escalation's message next changes (bot.slo.card_line).
    card_refresh_at: datetime | None = _ts(index=True)
    # SHA-256 of the message as last posted (text and blocks): an update drawing the same is skipped.
    card_digest: str | None = Field(default=None, max_length=64)
    resolution_business_s: int | None = None
    # Stale reminders (bot.reminders): when silence makes it stale, snoozes, unanswered reminders.
    stale_at: datetime | None = _ts(index=True)
    unassigned_alert_at: datetime | None = _ts(index=True)
    snoozed_until: datetime | None = _ts()
    reminders_unanswered: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_reminded_on: date | None = Field(default=None, sa_type=sa.Date)
    lead_told_at: datetime | None = _ts()

    @property
    def key(self) -> str:
        """The human key, e.g. ESC-42."""
        return f"ESC-{self.id}"


class EscalationEvent(SQLModel, table=True):
    """An append-only timeline entry: who did what to an escalation, and when."""

    __tablename__ = "escalation_event"
    __table_args__ = (sa.Index("ix_escalation_event_kind_at", "kind", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    at: datetime = _ts(nullable=False)
    actor_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class EngineerState(SQLModel, table=True):
    """Per-engineer state the roster file cannot hold: availability and when last assigned."""

    __tablename__ = "engineer_state"

    user_id: str = Field(primary_key=True, max_length=32)
    away: bool = False
    away_until: datetime | None = _ts()
    last_assigned_at: datetime | None = _ts()


class OutboxStatus(StrEnum):
    """Delivery state of a Slack post."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"


class Outbox(SQLModel, table=True):
    """A Slack post the database has promised: written with the change, delivered (and retried) after."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_group", "group_key", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    kind: str = Field(max_length=20)
    # Rows of one group (an escalation's message and thread, or one post's thread) go in order.
    group_key: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id", index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: str = Field(default=OutboxStatus.PENDING, max_length=12)
    attempts: int = 0
    created_at: datetime = _ts(nullable=False)
    next_attempt_at: datetime = _ts(nullable=False)
    lease_until: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    last_error: str | None = Field(default=None, max_length=200)
    # The last attempt may have reached Slack (it timed out): look for the post before sending again.
    uncertain: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    result: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class ZendeskDelivery(SQLModel, table=True):
    """A Zendesk webhook delivery: stored before it is answered, processed once afterwards."""

    __tablename__ = "zendesk_delivery"
    __table_args__ = (sa.Index("ix_zendesk_delivery_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # Zendesk's invocation id ("inv:…"), else the ticket and its update time, else the body's hash.
    dedup_key: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    ticket_id: int = Field(sa_type=sa.BigInteger, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: str = Field(default="pending", max_length=12)
    outcome: str = Field(default="", max_length=20)
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id")
    attempts: int = 0
    received_at: datetime = _ts(nullable=False, index=True)
    next_attempt_at: datetime = _ts(nullable=False)
    lease_until: datetime | None = _ts()
    processed_at: datetime | None = _ts()
    last_error: str | None = Field(default=None, max_length=200)


class ZendeskWrite(SQLModel, table=True):
    """A note or tag change owed to a Zendesk ticket: promised with its change, written exactly once."""

    __tablename__ = "zendesk_write"
    __table_args__ = (
        sa.Index("ix_zendesk_write_due", "status", "next_attempt_at"),
        sa.Index("ix_zendesk_write_ticket", "ticket_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    kind: str = Field(max_length=20)
    event: str = Field(max_length=20)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    ticket_id: int = Field(sa_type=sa.BigInteger)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    created_at: datetime = _ts(nullable=False)
    next_attempt_at: datetime = _ts(nullable=False)
    lease_until: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    last_error: str | None = Field(default=None, max_length=200)
    # The last attempt may have reached Zendesk: look for the note's marker before writing again.
    uncertain: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class JobRun(SQLModel, table=True):
    """A claimed run of a scheduled job for one period: a second claimant skips it."""

    __tablename__ = "job_run"
    __table_args__ = (sa.UniqueConstraint("job", "period_key", name="uq_job_run_period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    period_key: str = Field(max_length=60)
    status: str = Field(default="running", max_length=12)
    owner: str = Field(default="", max_length=120)
    started_at: datetime = _ts(nullable=False)
    lease_until: datetime = _ts(nullable=False)
    finished_at: datetime | None = _ts()
    detail: str = Field(default="", max_length=500)


class Lease(SQLModel, table=True):
    """A named role one process holds until `expires_at` (the scheduler's leader), renewed by it."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=40)
    owner: str = Field(max_length=120)
    acquired_at: datetime = _ts(nullable=False)
    renewed_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)


class LastSeen(SQLModel, table=True):
    """When something last happened (`bot.arrivals`): Slack's last event, the server's last start."""

    __tablename__ = "last_seen"

    name: str = Field(primary_key=True, max_length=40)
    at: datetime = _ts(nullable=False)


class ProcessedEvent(SQLModel, table=True):
    """Events API deliveries already handled (Slack retries the same event_id)."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _ts(nullable=False)


class UserNote(SQLModel, table=True):
    """A note someone added to an end user's chart (カルテ), shown by `/lookup`."""

    __tablename__ = "user_note"

    id: int | None = Field(default=None, primary_key=True)
    end_user_id: str = Field(max_length=END_USER_MAX, index=True)
    author_id: str = Field(max_length=32)
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = _ts(nullable=False)


class LookupAudit(SQLModel, table=True):
    """One `/lookup` (or refusal): who, whom (an id or a hash, never an email), when, where, outcome."""

    __tablename__ = "lookup_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False, index=True)
    actor_id: str = Field(max_length=32, index=True)
    channel_id: str | None = Field(default=None, max_length=32)
    query_kind: str | None = Field(default=None, max_length=16)
    query_hash: str | None = Field(default=None, max_length=64, index=True)
    end_user_id: str | None = Field(default=None, max_length=END_USER_MAX, index=True)
    outcome: str = Field(max_length=20)
    fields_shown: list[str] = Field(
        default_factory=list, sa_type=sa.JSON, sa_column_kwargs={"server_default": "[]"}
    )
    revealed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class SimilarityDoc(SQLModel, table=True):
    """One escalation's text as the similarity index stores it (bot.similarity): encoded once,
    re-encoded when its text, status or labels change."""

    __tablename__ = "similarity_doc"

    escalation_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("escalation.id", ondelete="CASCADE"), primary_key=True
        )
    )
    # The escalation's version when last looked at: a different one means "look again".
    escalation_version: int
    scorer: str = Field(max_length=40)
    fingerprint: str = Field(max_length=32)
    # Bumped by each index run that changed documents: a process loads only what is newer.
    generation: int = Field(index=True)
    encoded: bytes = Field(sa_type=sa.LargeBinary)
    indexed_at: datetime = _ts(nullable=False)


class SimilarMatch(SQLModel, table=True):
    """The escalations most similar to one escalation, as its card shows them (bot.similarity):
    found by the similarity-index job after filing, again when its text changes."""

    __tablename__ = "similar_match"

    escalation_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("escalation.id", ondelete="CASCADE"), primary_key=True
        )
    )
    # The escalation's version when last looked at: a different one means "look again".
    escalation_version: int
    # Of the text the matches were found for: unchanged means the matches still hold.
    fingerprint: str = Field(max_length=32)
    # [[escalation id, score], ...], best first (empty when nothing is close).
    matches: list[list[float]] = Field(default_factory=list, sa_type=sa.JSON)
    # The best match's id (None when there is none): its card line shows that one's status, so
    # the cards naming an escalation are found by this index when it is resolved or reopened.
    first_match_id: int | None = Field(default=None, index=True)
    found_at: datetime = _ts(nullable=False)


class SimilarityState(SQLModel, table=True):
    """The similarity index's single row: the latest generation (none before the first run)."""

    __tablename__ = "similarity_state"

    id: int = Field(default=1, primary_key=True)
    generation: int = 0
    updated_at: datetime = _ts(nullable=False)


__all__ = [
    "ACTIVE_STATUSES",
    "UNRESOLVED_STATUSES",
    "EngineerState",
    "Escalation",
    "EscalationEvent",
    "JobRun",
    "Lease",
    "LookupAudit",
    "Outbox",
    "OutboxStatus",
    "ProcessedEvent",
    "SimilarityDoc",
    "SimilarityState",
    "Status",
    "UserNote",
    "ZendeskDelivery",
    "ZendeskWrite",
]


Model = TypeVar("Model", bound=SQLModel)
_MANAGERS: dict[type[SQLModel], ClassManager[Any]] = {}


def loaded(model: type[Model], row: Mapping[Any, Any]) -> Model:
    """An instance of a table model holding `row` (all its columns, read by a Core select), built
    as the ORM's loader builds one and detached: it has its identity, so a session it is added to
    saves what was changed on it, and never INSERTs it again.

    For hot reads by prebuilt statements: a table model's `__init__` sets each field through the
    ORM's instrumentation, several times what the select itself costs.
    """
    manager = _MANAGERS.get(model)
    if manager is None:
        configure_mappers()  # the attributes' instrumentation, as the first ORM query would
        manager = _MANAGERS[model] = sa.inspect(model).class_manager
    instance: Model = manager.new_instance()
    instance.__dict__.update(row)
    make_transient_to_detached(instance)
    return instance
