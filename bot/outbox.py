"""The outbox: Slack posts promised in the same transaction as the change, delivered and retried after.

A change and the posts it causes are committed together (the rows: `bot.outbox_rows`), so a crash or a Slack outage can delay a
post but never lose it. Each row has a unique key, so enqueueing twice (a retried request, a second
scheduler) stores it once. Rows of one group (an escalation's message and its thread) are sent in
order: only the earliest pending row of a group may go, and the short lease on it lets exactly one
process send it; that process then carries on with the group's next row, including rows committed
while it was sending (their own process found the group busy and left them to it), so a post never
waits for the flush job behind a slow one. Each step reads the clock afresh for the same reason.

A post whose request timed out may have reached Slack, and so may one whose sender died holding its
lease. Such a row is marked uncertain, and before it is sent again the channel is searched for the
post (every post carries its outbox key in Slack's message metadata), so a slow Slack or a crash
does not make a post appear twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.client import HTTPException, IncompleteRead, RemoteDisconnected
from typing import Any
from urllib.error import URLError

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlmodel import Session, col, select

from bot import outbox_keys
from bot.clock import SystemClock
from bot.db import Database
from bot.escalations.queries import read_escalation
from bot.models import Escalation, Outbox, OutboxStatus
from bot.outbox_rows import OutboxKind

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)
SEARCH_PAGES = 50  # at most 10,000 messages read looking for an uncertain post
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
# Refusals only a person can lift (invite the bot, unarchive, grant a scope, allow posting), per
# the chat.postMessage / chat.update / files.completeUploadExternal error lists: retrying changes
# nothing, so the row fails at once and the lead is told, once per channel and error, what to do.
RESTRICTED_ERRORS = frozenset(  # a workspace or channel setting: an admin must allow the bot
    {
        "no_permission",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "posting_to_general_channel_denied",
    }
)
SETUP_ERRORS = RESTRICTED_ERRORS | {
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "missing_scope",
    "team_access_not_granted",
    "ekm_access_denied",
    "cannot_dm_bot",
}
# The token itself is refused: nothing can be posted, the lead's DM included, so it is logged.
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)
PERMANENT_ERRORS = PERMANENT_ERRORS | SETUP_ERRORS | AUTH_ERRORS


@dataclass(frozen=True)
class SetupProblem:
    """Slack refused a post for a reason a person must fix: which error, where, for what call."""

    error: str
    channel: str  # a channel id, or a user id for a DM
    method: str  # the Web API method ("chat.postMessage")
    needed_scopes: tuple[str, ...] = ()  # for missing_scope: what Slack said it needs


SetupProblemNotice = Callable[[Session, SetupProblem, datetime], None]


CardRenderer = Callable[[Session, Escalation], tuple[str, list[dict[str, Any]]]]
FileRenderer = Callable[[Session, dict[str, Any]], tuple[str, bytes]]
LineRenderer = Callable[[Session, Escalation, int], str]  # a timeline entry's thread line
# The assignee's DM about an escalation: (session, escalation, the user it is for) → text, blocks.
DmRenderer = Callable[[Session, Escalation, str], tuple[str, list[dict[str, Any]]]]
# A message drawn when sent from its payload ("render" names what it is, e.g. the unclaimed list).
MessageRenderer = Callable[[Session, dict[str, Any]], tuple[str, list[dict[str, Any]]]]
# A notice or the source thread's reply (the row's payload says which), as text and blocks.
NoticeRenderer = Callable[[Session, Escalation, dict[str, Any]], tuple[str, list[dict[str, Any]]]]


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    deferred: int = 0
    superseded: int = 0
    unchanged: int = 0  # card updates not sent: the message already shows what they would draw
    errors: list[str] = field(default_factory=list)


class _Deferred(Exception):
    """The row cannot go yet (its parent message is not posted); try again later, no attempt used."""


class _Superseded(Exception):
    """A newer card update is queued: this one would only draw an older state."""


class _Unchanged(Exception):
    """The card update would draw exactly what the message already shows."""


# Failures after which the request may have reached Slack (as opposed to a refusal or no connection).
_UNCERTAIN = (
    TimeoutError,
    socket.timeout,
    ConnectionResetError,
    RemoteDisconnected,
    IncompleteRead,
)
OUTBOX_EVENT = "crebot_outbox"


def _is_uncertain(exc: Exception) -> bool:
    reason = exc.reason if isinstance(exc, URLError) else exc
    return isinstance(reason, _UNCERTAIN) or isinstance(exc, _UNCERTAIN)


def _build_statements() -> dict[str, Any]:
    """The deliverer's hot queries, built once (building them per call cost milliseconds)."""
    table = Outbox.__table__  # type: ignore[attr-defined]
    earlier = table.alias("earlier")
    now = sa.bindparam("now", type_=table.c.next_attempt_at.type)
    pending = table.c.status == str(OutboxStatus.PENDING)
    unleased = sa.or_(table.c.lease_until.is_(None), table.c.lease_until < now)
    lease = {
        "lease_until": sa.bindparam("lease_until", type_=table.c.lease_until.type),
        # A lease left behind means its holder died, maybe after Slack took the post.
        "uncertain": sa.or_(table.c.uncertain, table.c.lease_until.is_not(None)),
    }
    heads = (
        sa.select(table.c.id)
        .where(
            pending,
            table.c.next_attempt_at <= now,
            unleased,
            ~sa.exists(
                sa.select(earlier.c.id).where(
                    earlier.c.group_key == table.c.group_key,
                    earlier.c.status == str(OutboxStatus.PENDING),
                    earlier.c.id < table.c.id,
                )
            ),
        )
        .order_by(table.c.id)
        .limit(sa.bindparam("limit"))
    )
    of_escalation = table.c.escalation_id == sa.bindparam("escalation_id")
    still_due = (
        sa.select(sa.func.count()).select_from(table).where(pending, table.c.next_attempt_at <= now)
    )
    claim = sa.update(table).where(table.c.id == sa.bindparam("row_id"), pending, unleased)
    claim = claim.values(**lease)
    group_of_row = (
        sa.select(earlier.c.group_key)
        .where(earlier.c.id == sa.bindparam("row_id"))
        .scalar_subquery()
    )
    later = table.alias("later")
    # A redraw joins no batch: drawn before the calls ahead of it are answered, it would miss
    # the newer redraw a change queues meanwhile (which makes it moot).
    not_a_redraw = (
        # Not NOT IN (…): its list is bound anew at every execution (SQLAlchemy's "expanding").
        table.c.kind != str(OutboxKind.CARD_UPDATE),
        table.c.kind != str(OutboxKind.SOURCE_UPDATE),
        ~table.c.key.contains(outbox_keys.REDRAWN_IN_PLACE),
    )
    # Whether the row pending next in the group (as the claiming statement saw it) may join a
    # batch behind this one: NULL when none is pending, false when it is a redraw. Asked by the
    # statement that claims the row, so a batch does not look for a row it cannot take (a
    # click's batch ends at its thread line, before its DM's redraw, and nothing follows the DM).
    # The redraw rule is `not_a_redraw`'s, written out: SQLAlchemy drops the table names inside
    # a subquery of SQLite's RETURNING.
    card, source = str(OutboxKind.CARD_UPDATE), str(OutboxKind.SOURCE_UPDATE)
    waiting = str(OutboxStatus.PENDING)
    follower_joins: sa.Label[Any] = sa.literal_column(
        f"(SELECT CASE WHEN follower.kind != '{card}' AND follower.kind != '{source}'"  # noqa: S608
        f" AND follower.\"key\" NOT LIKE '%{outbox_keys.REDRAWN_IN_PLACE}%' THEN 1 ELSE 0 END"
        " FROM outbox AS follower WHERE follower.group_key = outbox.group_key"
        f" AND follower.status = '{waiting}' AND follower.id > outbox.id"
        " ORDER BY follower.id LIMIT 1)"
    ).label("follower_joins")
    # Whether a later row of the same kind is pending in the group, as the claiming statement saw
    # it: a newer redraw (card, source thread's reply, DM) that draws the same, newer state. Asked
    # by the claim rather than by a query of its own per redraw (a click's card update and DM).
    newer_of_kind: sa.Label[Any] = sa.literal_column(
        "EXISTS (SELECT 1 FROM outbox AS newer WHERE newer.group_key = outbox.group_key"  # noqa: S608
        f" AND newer.kind = outbox.kind AND newer.status = '{waiting}' AND newer.id > outbox.id)"
    ).label("newer_of_kind")
    # What delivering a claimed row needs of it, returned by the statement that claims it.
    claimed = (
        table.c.id,
        table.c.key,
        table.c.kind,
        table.c.group_key,
        table.c.escalation_id,
        table.c.payload,
        table.c.created_at,
        table.c.uncertain,
        follower_joins,
        newer_of_kind,
    )

    def first_pending(group: Any, *more: Any) -> Any:
        """The id of the earliest pending row of `group` (and `more`), as a scalar subquery."""
        return (
            sa.select(later.c.id)
            .where(later.c.group_key == group, later.c.status == str(OutboxStatus.PENDING), *more)
            .order_by(later.c.id)
            .limit(1)
            .scalar_subquery()
        )

    # A group's earliest pending row, claimed if nobody holds it and it is due: the head of an
    # escalation's group (all its rows share one) when a click delivers its posts.
    head_of_group = first_pending(sa.bindparam("group"))
    claim_head = (
        sa.update(table)
        .where(table.c.id == head_of_group, pending, unleased, table.c.next_attempt_at <= now)
        .values(**lease)
        .returning(*claimed)
    )
    # The group's next row after `row_id` (done in this transaction), claimed if nobody holds it
    # and it may go now: a row never tried goes at once, even if created after `now` by a process
    # whose clock is ahead; a row waiting out its backoff does not.
    next_of_row = first_pending(group_of_row)
    may_go = (pending, unleased, sa.or_(table.c.attempts == 0, table.c.next_attempt_at <= now))
    claim_next = (
        sa.update(table)
        .where(table.c.id == next_of_row, *may_go)
        .values(**lease)
        .returning(*claimed)
    )
    # The same while `row_id` is still pending: the group's next row after it (one batch).
    after_row = first_pending(group_of_row, later.c.id > sa.bindparam("row_id"))
    claim_after = (
        sa.update(table)
        .where(table.c.id == after_row, *may_go, *not_a_redraw)
        .values(**lease)
        .returning(*claimed)
    )
    # A claimed row settled without a call (superseded, already shown) or let go (deferred).
    settle = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(
            status=sa.bindparam("status"),
            lease_until=None,
            sent_at=sa.bindparam("sent_at", type_=table.c.sent_at.type),
            result=sa.bindparam("result", type_=table.c.result.type),
        )
    )
    release = sa.update(table).where(table.c.id == sa.bindparam("row_id")).values(lease_until=None)
    sent = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(
            status=str(OutboxStatus.SENT),
            sent_at=sa.bindparam("sent_at", type_=table.c.sent_at.type),
            lease_until=None,
            uncertain=False,
            attempts=table.c.attempts + 1,
            result=sa.bindparam("result", type_=table.c.result.type),
        )
    )
    escalations = Escalation.__table__  # type: ignore[attr-defined]
    of_card = escalations.c.id == sa.bindparam("escalation_id")
    card_posted = (
        sa.update(escalations)
        .where(of_card, escalations.c.message_ts.is_(None))
        .values(message_ts=sa.bindparam("ts"), channel_id=sa.bindparam("channel"))
    )
    card_drawn = sa.update(escalations).where(of_card).values(card_digest=sa.bindparam("digest"))
    # Later pending rows of a kind in a group (a newer redraw makes this one moot), and a post's
    # row by its key (what an update or a reply needs of the post it follows).
    newer = (
        table.c.group_key == sa.bindparam("group"),
        table.c.kind == sa.bindparam("kind"),
        pending,
        table.c.id > sa.bindparam("row_id"),
    )
    newer_payloads = sa.select(table.c.payload).where(*newer)
    parent = sa.select(table.c.status, table.c.result).where(
        table.c.key == sa.bindparam("parent_key")
    )
    return {
        "newer_payloads": newer_payloads,
        "parent": parent,
        "sent": sent,
        "card_posted": card_posted,
        "card_drawn": card_drawn,
        "heads": heads,
        "heads_of_escalation": heads.where(of_escalation),
        "still_due": still_due,
        "still_due_of_escalation": still_due.where(of_escalation),
        "claim": claim.returning(*claimed),
        "claim_head": claim_head,
        "claim_next": claim_next,
        "claim_after": claim_after,
        "settle": settle,
        "release": release,
    }


_STATEMENTS = _build_statements()
_HEADS = _STATEMENTS["heads"]
_HEADS_OF_ESCALATION = _STATEMENTS["heads_of_escalation"]
_NEWER_PAYLOADS = _STATEMENTS["newer_payloads"]
_PARENT = _STATEMENTS["parent"]
_CARD_POSTED = _STATEMENTS["card_posted"]
_CARD_DRAWN = _STATEMENTS["card_drawn"]
_STILL_DUE = _STATEMENTS["still_due"]
_STILL_DUE_OF_ESCALATION = _STATEMENTS["still_due_of_escalation"]
_CLAIM = _STATEMENTS["claim"]
_SENT = _STATEMENTS["sent"]
_CLAIM_HEAD = _STATEMENTS["claim_head"]
_CLAIM_NEXT = _STATEMENTS["claim_next"]
_CLAIM_AFTER = _STATEMENTS["claim_after"]
_SETTLE = _STATEMENTS["settle"]
_RELEASE = _STATEMENTS["release"]
# At most this many of a group's rows are prepared in one transaction and sent after it.
_BATCH = 8
# Outcomes after which the group's next row may go.
_DONE = frozenset({OutboxStatus.SENT, OutboxStatus.SUPERSEDED})


def _group_of(escalation_id: int) -> str:
    return outbox_keys.group(key="", escalation_id=escalation_id, thread_of=None)


@dataclass(frozen=True)
class _Start:
    """Where a group's delivery starts: a head found by `_heads`, or an escalation's group."""

    row_id: int | None = None
    group_key: str | None = None


@dataclass(frozen=True)
class _ClaimedRow:
    """What delivering a row needs of it (the columns the claiming statement returns)."""

    id: int
    key: str
    kind: str
    group_key: str
    escalation_id: int | None
    payload: dict[str, Any]
    created_at: datetime
    uncertain: bool
    # Whether the row pending next in the group, as the claim saw it, may join a batch behind
    # this one (None: nothing was pending; false: a redraw).
    follower_joins: bool | None = None
    # Whether a later row of the same kind was pending in the group when the row was claimed.
    newer_of_kind: bool = False


@dataclass(frozen=True)
class _Ready:
    """A claimed row's prepared call (None: nothing to send), and the instant it was prepared."""

    row: _ClaimedRow
    call: _SlackCall | None
    now: datetime


@dataclass
class OutboxDeliverer:
    """Delivers due outbox rows to Slack: each group in order, each row by one process."""

    db: Database
    client: WebClient
    render_card: CardRenderer
    render_file: FileRenderer | None = None
    render_line: LineRenderer | None = None
    # Called in the failed row's transaction when Slack refuses it for a setup reason (and the row
    # is not itself such a notice): the wiring promises the lead's DM, keyed once per channel+error.
    tell_setup_problem: SetupProblemNotice | None = None
    render_dm: DmRenderer | None = None
    render_message: MessageRenderer | None = None
    render_notice: NoticeRenderer | None = None
    owner: str = "crebot"
    clock: Callable[[], datetime] = field(default_factory=lambda: SystemClock().now)

    def deliver_due(
        self,
        *,
        now: datetime | None = None,
        escalation_id: int | None = None,
        limit: int = 500,
        count_waiting: bool = True,
    ) -> DeliveryReport:
        """Send what is due, oldest first, keeping each group's order (optionally one escalation's only).

        The clock is read at every step, so a pass that outlives its first instant still sees the
        rows committed after it began. `now` (a job run as of an instant) moves the instant
        forward, never back: leases and backoffs always start from the clock, or processes
        running as of different instants would take each other's leases for expired.
        """

        def clock() -> datetime:
            return self.clock() if now is None else max(now, self.clock())

        report = DeliveryReport()
        attempted = 0
        first = True
        while attempted < limit:
            if escalation_id is not None and first:
                # Most of an escalation's rows are its own group's: its head is claimed by the
                # statement that finds it. The passes after it find the rest (a list's redraw
                # goes with its own group), and rows committed meanwhile by another process.
                groups: list[_Start] = [_Start(group_key=_group_of(escalation_id))]
            else:
                heads = self._heads(
                    now=clock(), escalation_id=escalation_id, limit=min(100, limit - attempted)
                )
                groups = [_Start(row_id=row_id) for row_id in heads]
            progressed = False
            for start in groups:
                room = limit - attempted
                for outcome in self._deliver_group(start, room=room, clock=clock, report=report):
                    attempted += 1
                    progressed |= outcome in _DONE
                    if attempted >= limit:
                        break
                if attempted >= limit:
                    break
            if not progressed and not first:
                break
            first = False
        if count_waiting:
            report.deferred = self._still_due(now=clock(), escalation_id=escalation_id)
        return report

    def _deliver_group(
        self,
        start: _Start,
        *,
        room: int,
        clock: Callable[[], datetime],
        report: DeliveryReport,
    ) -> Iterator[OutboxStatus]:
        """Send a group's head, then each row queued behind it for as long as they go through.

        Another process that found this group busy gave up on it, trusting the holder of its
        earlier row to send what it queued; so whoever finishes a row carries on with the next.
        One transaction claims and prepares the rows that can go (a click's card update, thread
        line and DM, drawn from one read of the escalation); their calls are made in order after
        it, and one transaction records them and claims what queued behind. At most `room` rows
        are tried: none is claimed that the pass would then leave leased.
        """
        with self.db.session() as session:
            now = clock()
            params: dict[str, Any] = {"now": now, "lease_until": now + LEASE}
            if start.row_id is not None:
                claimed = session.execute(_CLAIM, {**params, "row_id": start.row_id}).first()
            else:
                params["group"] = start.group_key
                claimed = session.execute(_CLAIM_HEAD, params).first()
            settled, batch = self._advance(session, claimed, room=room, clock=clock, report=report)
            session.commit()
        while True:
            yield from settled
            room -= len(settled)
            if not batch:
                return
            sent: list[tuple[_Ready, dict[str, Any]]] = []
            failed: tuple[_Ready, Exception] | None = None
            for ready in batch:
                try:
                    sent.append((ready, self._perform(ready.call, key=ready.row.key)))
                except (SlackApiError, SlackClientError, URLError, OSError, HTTPException) as exc:
                    failed = (ready, exc)
                    break
            report.sent += len(sent)
            room -= len(sent)
            with self.db.session() as session:
                self._record_success(session, sent)
                for ready in batch[len(sent) + (failed is not None) :]:
                    session.execute(_RELEASE, {"row_id": ready.row.id})  # never tried: in order
                settled, batch = [], []
                if failed is None and room:
                    last = sent[-1][0].row.id
                    following = self._claim_next(session, last, now=clock())
                    settled, batch = self._advance(
                        session, following, room=room, clock=clock, report=report
                    )
                session.commit()
            yield from [OutboxStatus.SENT] * len(sent)
            if failed is not None:
                ready, error = failed
                row = ready.row
                status = self._record_failure(row.id, error, now=ready.now, call=ready.call)
                report.failed += status == OutboxStatus.FAILED
                report.retrying += status != OutboxStatus.FAILED
                report.errors.append(f"{row.kind} {row.key}: {_error_code(error)}")
                yield status
                return  # to be retried later: what queued behind it waits, in order

    # -- choosing and claiming rows --------------------------------------------------------------

    def _heads(self, *, now: datetime, escalation_id: int | None, limit: int) -> list[int]:
        """Due rows that are the earliest pending row of their group and not leased by anyone."""
        statement = _HEADS if escalation_id is None else _HEADS_OF_ESCALATION
        params = {"now": now, "limit": limit, "escalation_id": escalation_id}
        with self.db.session() as session:
            ids = [int(row[0]) for row in session.execute(statement, params)]
            session.commit()
        return ids

    def _claim_next(
        self, session: Session, row_id: int, *, now: datetime, after: bool = False
    ) -> sa.Row[Any] | None:
        """The earliest pending row of `row_id`'s group, claimed, if nobody holds it and it may go now.

        Asked in the transaction that finished `row_id`, or (`after`) that prepared it and the
        rows before it for one batch: then the first pending row after it. A row never tried goes
        at once, even if created after `now` by a process whose clock is ahead; a row waiting out
        its backoff does not.
        """
        params = {"row_id": row_id, "now": now, "lease_until": now + LEASE}
        return session.execute(_CLAIM_AFTER if after else _CLAIM_NEXT, params).first()

    def _still_due(self, *, now: datetime, escalation_id: int | None) -> int:
        statement = _STILL_DUE if escalation_id is None else _STILL_DUE_OF_ESCALATION
        with self.db.session() as session:
            count = int(
                session.execute(
                    statement, {"now": now, "escalation_id": escalation_id}
                ).scalar_one()
            )
            session.commit()
        return count

    # -- sending one row -----------------------------------------------------------------------

    def _advance(
        self,
        session: Session,
        claimed: sa.Row[Any] | None,
        *,
        room: int,
        clock: Callable[[], datetime],
        report: DeliveryReport,
    ) -> tuple[list[OutboxStatus], list[_Ready]]:
        """Prepare the claimed row's call and claim and prepare the group's next rows, in this
        transaction: rows settled without a call are recorded, and the calls to make returned in
        order, up to a row that cannot go before them (one that needs a post among them).

        Nothing claimed: another process holds the row, and carries on with the group. The calls
        are made after the transaction: holding one across them would block every writer on SQLite.
        """
        settled: list[OutboxStatus] = []
        batch: list[_Ready] = []
        held: dict[int, Escalation] = {}  # escalations read in this transaction, by id
        while claimed is not None:
            row = _ClaimedRow(**claimed._mapping)
            now = clock()
            try:
                call = self._prepare(session, row, held=held)
            except _Deferred:
                session.execute(_RELEASE, {"row_id": row.id})
                if not batch:  # it waits for something not sent: the group stops here
                    settled.append(OutboxStatus.PENDING)
                return settled, batch  # else: prepared again once the batch is recorded
            except _Superseded:
                self._settle(session, row.id, OutboxStatus.SUPERSEDED, now=now, result={})
                report.superseded += 1
                settled.append(OutboxStatus.SUPERSEDED)
            except _Unchanged:
                self._settle(
                    session, row.id, OutboxStatus.SENT, now=now, result={"unchanged": True}
                )
                report.unchanged += 1
                settled.append(OutboxStatus.SENT)
            else:
                batch.append(_Ready(row=row, call=call, now=now))
            if len(settled) + len(batch) >= room or len(batch) >= _BATCH:
                break  # the pass stops here: the next row stays free for the next pass
            if batch and not row.follower_joins:
                # Nothing was pending behind it, or a redraw that joins no batch: the
                # transaction that records the batch claims what follows (or came meanwhile).
                break
            # After a row settled, the group's earliest pending row; after one still to send,
            # the next one behind it.
            claimed = self._claim_next(session, row.id, now=clock(), after=bool(batch))
        return settled, batch

    def _settle(
        self,
        session: Session,
        row_id: int,
        status: OutboxStatus,
        *,
        now: datetime,
        result: dict[str, Any],
    ) -> None:
        params = {"row_id": row_id, "status": str(status), "sent_at": now, "result": result}
        session.execute(_SETTLE, params)

    def _perform(self, call: _SlackCall | None, *, key: str) -> dict[str, Any]:
        if call is None:
            return {"already": True}
        if call.uncertain:
            found = self._find_earlier_post(call, key=key)
            if found is not None:
                return found
        return call.perform(self.client)

    def _find_earlier_post(self, call: _SlackCall, *, key: str) -> dict[str, Any] | None:
        """The post an earlier, timed-out attempt made after all (found by its metadata), if any."""
        if call.method != "chat_postMessage":
            return None
        channel = str(call.arguments["channel"])
        try:
            if channel[:1] in ("U", "W"):  # a DM: history needs the conversation's own id
                channel = str(self.client.conversations_open(users=channel)["channel"]["id"])
            for message in self._messages_since(call, channel=channel):
                metadata = message.get("metadata") or {}
                if (
                    metadata.get("event_type") == OUTBOX_EVENT
                    and (metadata.get("event_payload") or {}).get("key") == key
                ):
                    return {"ts": message.get("ts"), "channel": channel, "found": True}
        except SlackApiError:
            return None  # cannot tell: posting again is the lesser evil than never posting
        return None

    def _messages_since(self, call: _SlackCall, *, channel: str) -> Iterator[dict[str, Any]]:
        """The channel's (or thread's) messages posted since the row was written, page by page.

        Slack pages both methods (and may give fewer than asked for), so an earlier post can be on
        any page; `oldest` (the row's creation, less a minute for clock skew) keeps the pages few.
        """
        oldest = f"{call.created_at.timestamp() - 60:.6f}"
        thread_ts = call.arguments.get("thread_ts")
        cursor = ""
        for _ in range(SEARCH_PAGES):
            if thread_ts:
                response = self.client.conversations_replies(
                    channel=channel,
                    ts=str(thread_ts),
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor or None,
                )
            else:
                response = self.client.conversations_history(
                    channel=channel,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor or None,
                )
            yield from response.get("messages") or []
            cursor = str((response.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return
        log.warning("outbox search stopped after %d pages in %s", SEARCH_PAGES, channel)

    def _record_success(self, session: Session, sent: list[tuple[_Ready, dict[str, Any]]]) -> None:
        """Record the posts as sent (the group's next rows are claimed in the same transaction)."""
        for ready, result in sent:
            call = ready.call
            if call is not None and call.card_of is not None:
                params = {
                    "escalation_id": call.card_of,
                    "ts": result["ts"],
                    "channel": result["channel"],
                }
                session.execute(_CARD_POSTED, params)
            if call is not None and call.drawn is not None:
                escalation_id, digest = call.drawn
                session.execute(_CARD_DRAWN, {"escalation_id": escalation_id, "digest": digest})
        if sent:  # one statement for the batch
            rows = [
                {"row_id": ready.row.id, "sent_at": ready.now, "result": result}
                for ready, result in sent
            ]
            session.execute(_SENT, rows)

    def _record_failure(
        self, row_id: int, exc: Exception, *, now: datetime, call: _SlackCall | None
    ) -> OutboxStatus:
        code = _error_code(exc)
        with self.db.session() as session:
            row = session.get(Outbox, row_id)
            assert row is not None
            row.attempts += 1
            row.last_error = code[:200]
            row.lease_until = None
            row.uncertain = row.uncertain or _is_uncertain(exc)
            if row.kind == OutboxKind.CARD_UPDATE and row.escalation_id is not None:
                # It may have reached Slack: what the message shows is no longer known.
                escalation = session.get(Escalation, row.escalation_id)
                if escalation is not None:
                    escalation.card_digest = None
                    session.add(escalation)
            if code in PERMANENT_ERRORS:
                row.status = OutboxStatus.FAILED
                log.error("outbox %s %s failed permanently: %s", row.kind, row.key, code)
                if code in AUTH_ERRORS:
                    log.error(
                        "Slack refused the bot token (%s): check SLACK_BOT_TOKEN, or reinstall "
                        "the app; then `crebot outbox retry` sends what failed",
                        code,
                    )
                problem = _setup_problem(code, exc, call)
                if (
                    problem is not None
                    and self.tell_setup_problem is not None
                    and not outbox_keys.is_setup_notice(row.key)
                ):
                    self.tell_setup_problem(session, problem, now)
            else:
                backoff = min(timedelta(seconds=30) * 2 ** min(row.attempts - 1, 10), MAX_BACKOFF)
                row.next_attempt_at = now + backoff
                log.warning("outbox %s %s failed (%s); will retry", row.kind, row.key, code)
            session.add(row)
            session.commit()
            return OutboxStatus(row.status)

    # -- what to send -------------------------------------------------------------------------

    def _prepare(
        self, session: Session, row: _ClaimedRow, *, held: dict[int, Escalation] | None = None
    ) -> _SlackCall | None:
        """The row's call, drawn now (None: nothing to send). The escalation read (one prebuilt
        select) is kept in `held`: the rows after it in the same transaction draw from that read."""
        kind = OutboxKind(row.kind)
        if kind is OutboxKind.MESSAGE:
            text, blocks = None, None
            if "render" in row.payload:  # drawn now, from the state it shows
                if self.render_message is None:
                    raise _Deferred
                text, blocks = self.render_message(session, row.payload)
            if row.payload.get("update_of"):
                return self._update_call(session, row, text=text, blocks=blocks)
            thread_ts = self._parent_ts(session, row.payload.get("thread_of"))
            return _post_call(
                row, channel=row.payload["channel"], thread_ts=thread_ts, text=text, blocks=blocks
            )
        if kind is OutboxKind.UPLOAD:
            return self._upload_call(session, row)
        assert row.escalation_id is not None
        escalation = (held or {}).get(row.escalation_id)
        if escalation is None:
            escalation = read_escalation(session=session, escalation_id=row.escalation_id)
            assert escalation is not None
            if held is not None:
                held[row.escalation_id] = escalation
        assert escalation.id is not None
        if kind is OutboxKind.DM:
            return self._dm_call(session, row, escalation)
        if kind is OutboxKind.CARD_POST:
            if escalation.message_ts is not None:
                return None
            text, blocks = self.render_card(session, escalation)
            call = _post_call(
                row, channel=escalation.channel_id, thread_ts=None, text=text, blocks=blocks
            )
            call.card_of = escalation.id
            call.drawn = (escalation.id, card_digest(text, blocks))
            return call
        if escalation.message_ts is None:
            raise _Deferred
        if kind is OutboxKind.CARD_UPDATE:
            if row.newer_of_kind:
                raise _Superseded  # a later update draws the same, newer state
            text, blocks = self.render_card(session, escalation)
            digest = card_digest(text, blocks)
            if digest == escalation.card_digest:
                raise _Unchanged
            arguments = {
                "channel": escalation.channel_id,
                "ts": escalation.message_ts,
                "text": text,
                "blocks": blocks,
            }
            call = _SlackCall("chat_update", arguments, created_at=row.created_at)
            call.drawn = (escalation.id, digest)
            return call
        if kind in (OutboxKind.NOTICE, OutboxKind.SOURCE_POST, OutboxKind.SOURCE_UPDATE):
            return self._loop_call(session, row, escalation)
        line = None
        if "text" not in row.payload:  # a timeline entry's line, worded now
            if self.render_line is None:
                raise _Deferred
            line = self.render_line(session, escalation, int(row.payload["event_id"]))
        return _post_call(
            row, channel=escalation.channel_id, thread_ts=escalation.message_ts, text=line
        )

    def _dm_call(
        self, session: Session, row: _ClaimedRow, escalation: Escalation
    ) -> _SlackCall | None:
        """The assignee's DM, drawn now: posted, or an earlier one changed in place."""
        if self.render_dm is None:
            raise _Deferred
        update_of = row.payload.get("update_of")
        if update_of and self._newer_update(session, row):
            raise _Superseded
        text, blocks = self.render_dm(session, escalation, str(row.payload["user"]))
        if not update_of:
            return _post_call(
                row, channel=row.payload["user"], thread_ts=None, text=text, blocks=blocks
            )
        return self._update_call(session, row, text=text, blocks=blocks)

    def _update_call(
        self,
        session: Session,
        row: _ClaimedRow,
        *,
        text: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> _SlackCall | None:
        """chat.update of the message row `update_of` posted (nothing when it never was).

        A row promised once that post was sent names where it is (`posted`: a sent row's result
        never changes), and the post's row is not read."""
        posted = row.payload.get("posted")
        if not posted:
            parent = session.execute(_PARENT, {"parent_key": row.payload["update_of"]}).first()
            if parent is None or parent.status in (OutboxStatus.FAILED, OutboxStatus.SUPERSEDED):
                return None  # nothing on Slack to change
            if parent.status != OutboxStatus.SENT:
                raise _Deferred
            posted = parent.result or {}
        if "ts" not in posted or "channel" not in posted:
            return None
        arguments = {
            "channel": posted["channel"],
            "ts": posted["ts"],
            "text": text if text is not None else row.payload["text"],
            "blocks": blocks if blocks is not None else row.payload.get("blocks", []),
        }
        return _SlackCall("chat_update", arguments, created_at=row.created_at)

    def _newer_update(self, session: Session, row: _ClaimedRow) -> bool:
        """Whether a later redraw of the same DM is queued (this one would draw an older state).

        Asked only when the claim saw a later DM row pending in the group at all (rarely: a
        click's own redraw is the group's last row), whose payloads then tell which DM it redraws.
        """
        if not row.newer_of_kind:
            return False
        params = {"group": row.group_key, "kind": str(OutboxKind.DM), "row_id": row.id}
        newer = session.execute(_NEWER_PAYLOADS, params).scalars()
        return any(
            (payload or {}).get("update_of") == row.payload["update_of"] for payload in newer
        )

    def _loop_call(
        self, session: Session, row: _ClaimedRow, escalation: Escalation
    ) -> _SlackCall | None:
        """A notice to the filer, or the source thread's reply posted or updated (after the card)."""
        if self.render_notice is None:
            raise _Deferred
        kind = OutboxKind(row.kind)
        if kind is OutboxKind.SOURCE_UPDATE and row.newer_of_kind:
            raise _Superseded  # a later update draws the same, newer state
        text, blocks = self.render_notice(session, escalation, {**row.payload, "kind": row.kind})
        if kind is OutboxKind.NOTICE:
            return _post_call(
                row, channel=row.payload["channel"], thread_ts=None, text=text, blocks=blocks
            )
        if kind is OutboxKind.SOURCE_POST:
            channel, thread_ts = escalation.source_channel_id, escalation.source_message_ts
            assert channel is not None
            assert thread_ts is not None
            return _post_call(row, channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
        return self._update_call(session, row, text=text, blocks=blocks)

    def _parent_ts(self, session: Session, parent_key: str | None) -> str | None:
        if not parent_key:
            return None
        parent = session.execute(_PARENT, {"parent_key": parent_key}).first()
        if (
            parent is None
            or parent.status != OutboxStatus.SENT
            or "ts" not in (parent.result or {})
        ):
            raise _Deferred
        return str(parent.result["ts"])

    def _upload_call(self, session: Session, row: _ClaimedRow) -> _SlackCall:
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
        return _SlackCall("files_upload_v2", arguments, created_at=row.created_at)


_NO_UNFURL = {"unfurl_links": False, "unfurl_media": False}


@dataclass
class _SlackCall:
    """One prepared Web API call and what to remember about it."""

    method: str
    arguments: dict[str, Any]
    created_at: datetime
    card_of: int | None = None  # the escalation whose message this call posts
    drawn: tuple[int, str] | None = None  # (escalation id, card digest) the call puts on Slack
    uncertain: bool = False  # an earlier attempt may have posted it already

    def perform(self, client: WebClient) -> dict[str, Any]:
        response = getattr(client, self.method)(**self.arguments)
        if self.method == "files_upload_v2":
            files = response.get("files") or []
            return {"file_ids": [f.get("id") for f in files if isinstance(f, dict)]}
        return {"ts": response.get("ts"), "channel": response.get("channel")}


def _post_call(
    row: _ClaimedRow,
    *,
    channel: str,
    thread_ts: str | None,
    text: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
) -> _SlackCall:
    payload = row.payload
    arguments: dict[str, Any] = {
        "channel": channel,
        "text": text if text is not None else payload["text"],
        "metadata": {"event_type": OUTBOX_EVENT, "event_payload": {"key": row.key}},
        **_NO_UNFURL,
    }
    if blocks or payload.get("blocks"):
        arguments["blocks"] = blocks if blocks is not None else payload["blocks"]
    if thread_ts:
        arguments["thread_ts"] = thread_ts
        if payload.get("broadcast"):
            arguments["reply_broadcast"] = True
    return _SlackCall(
        "chat_postMessage", arguments, created_at=row.created_at, uncertain=row.uncertain
    )


def card_digest(text: str, blocks: Sequence[Any]) -> str:
    """A fingerprint of a rendered escalation message (equal renderings, equal digests)."""
    canonical = json.dumps(
        [text, blocks], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _setup_problem(code: str, exc: Exception, call: _SlackCall | None) -> SetupProblem | None:
    if code not in SETUP_ERRORS or call is None:
        return None
    channel = call.arguments.get("channel") or call.arguments.get("channel_id") or ""
    method = "files.completeUploadExternal" if call.method == "files_upload_v2" else call.method
    needed = ""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        needed = str(exc.response.get("needed") or "")
    return SetupProblem(
        error=code,
        channel=str(channel),
        method=method.replace("_", "."),
        needed_scopes=tuple(scope for scope in needed.split(",") if scope),
    )


def _error_code(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error") if exc.response is not None else None
        status = getattr(exc.response, "status_code", None)
        return str(error or f"http_{status}")
    if isinstance(exc, URLError) and isinstance(exc.reason, BaseException):
        return exc.reason.__class__.__name__
    return exc.__class__.__name__


def retry_refused(*, session: Session) -> int:
    """Put back in line the posts Slack refused for a setup or token reason (once it is fixed).

    The lead's notices about such refusals stay as they are: the problem they describe is fixed.
    Returns how many rows will be sent again.
    """
    refused = session.exec(
        select(Outbox).where(
            Outbox.status == OutboxStatus.FAILED,
            col(Outbox.last_error).in_(sorted(SETUP_ERRORS | AUTH_ERRORS)),
            ~col(Outbox.key).startswith(outbox_keys.SETUP_NOTICE),
        )
    ).all()
    for row in refused:
        # Due since it was promised: the next flush sends it, in its group's order.
        row.status, row.attempts, row.next_attempt_at = OutboxStatus.PENDING, 0, row.created_at
        session.add(row)
    session.commit()
    return len(refused)


def pending_count(session: Session) -> int:
    """How many posts are still waiting for delivery."""
    return int(
        session.exec(
            select(sa.func.count()).select_from(Outbox).where(Outbox.status == OutboxStatus.PENDING)
        ).one()
    )
