"""`/lookup`'s domain: who may look users up, the audited look-up with the chart, notes, the audit.

Every look-up writes its audit row and commits it before anything is returned, so nothing is ever
shown that was not recorded. The audit names the end user by id when one is known and otherwise by
a SHA-256 hash of the normalised query: an email address is never stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from bot import escalations, metrics
from bot.errors import DomainError, InvalidInput, NotAllowed
from bot.limits import CHART_NOTE_MAX
from bot.lookup.query import ErrorCode, LookupQuery, LookupQueryError, parse_lookup_query
from bot.lookup.resilience import TTLCache
from bot.lookup.sources import (
    SourceUnavailable,
    UnavailableReason,
    UserSource,
    UserState,
    shared_directory,
)
from bot.models import Escalation, LookupAudit, Status, UserNote
from bot.policy import Policy
from bot.user_text import unstorable_error

log = logging.getLogger(__name__)

Outcome = Literal[
    "shown",
    "unknown",
    "refused",
    "reveal_refused",
    "note_refused",
    "invalid",
    "source_error",
    "revealed",
    "error",
]
OUTCOMES: tuple[Outcome, ...] = (
    "shown",
    "unknown",
    "refused",
    "reveal_refused",
    "note_refused",
    "invalid",
    "source_error",
    "revealed",
    "error",
)
CHART_OPEN_LIMIT = 10
CHART_RESOLVED_LIMIT = 10
CHART_NOTES_LIMIT = 10
NOTE_ATTEMPTS = 8
GROUP_CACHE_TTL = timedelta(minutes=5)


# -- refusals ---------------------------------------------------------------------------------------


class LookupRefused(NotAllowed):
    """The actor may not look end users up (the attempt is audited)."""

    message_key = "error.lookup.not_allowed"


class RevealRefused(NotAllowed):
    """Only the lead may reveal personal data (the attempt is audited)."""

    message_key = "error.lookup.reveal_lead_only"


class AuditRefused(NotAllowed):
    """Only the lead may read the audit."""

    message_key = "error.lookup.audit_lead_only"


class InvalidLookup(DomainError):
    """The text after `/lookup` is not a user id or email; the reply adds the usage line."""

    hint_key = "lookup.usage"

    def __init__(self, code: ErrorCode) -> None:
        super().__init__(f"lookup.invalid.{code}")
        self.code: ErrorCode = code


# -- who may look up ----------------------------------------------------------------------------------


class UserGroupDirectory:
    """Members of Slack user groups by handle (`usergroups.list`, then `usergroups.users.list`).

    Answers are cached for `ttl` per handle. A Slack failure is logged and not cached: the caller
    gets what is still cached (or nobody), so access fails closed.
    """

    def __init__(
        self,
        *,
        list_groups: Callable[[], Sequence[Mapping[str, Any]]],
        list_members: Callable[[str], Sequence[str]],
        ttl: timedelta = GROUP_CACHE_TTL,
    ) -> None:
        self._list_groups = list_groups
        self._list_members = list_members
        self._cache: TTLCache[str, frozenset[str]] = TTLCache(ttl)
        self._refresh_lock = threading.Lock()

    def members(self, handles: Sequence[str], *, now: datetime) -> frozenset[str]:
        """Everyone in any of the groups named by `handles` (without the leading @)."""
        found, missing = self._cached(handles, now)
        if not missing:
            return found
        with self._refresh_lock:  # one refresh at a time; others then find the cache filled
            found, missing = self._cached(handles, now)
            if missing:
                found |= self._fetch(missing, now)
        return found

    def clear(self) -> None:
        """Forget every cached membership."""
        self._cache.clear()

    def _cached(self, handles: Sequence[str], now: datetime) -> tuple[frozenset[str], list[str]]:
        found: set[str] = set()
        missing: list[str] = []
        for handle in handles:
            hit, members = self._cache.get(handle, now)
            if hit and members is not None:
                found |= members
            else:
                missing.append(handle)
        return frozenset(found), missing

    def _fetch(self, handles: Sequence[str], now: datetime) -> frozenset[str]:
        try:
            ids_by_handle = {
                str(group.get("handle") or "").casefold(): str(group.get("id") or "")
                for group in self._list_groups()
            }
            found: set[str] = set()
            for handle in handles:
                group_id = ids_by_handle.get(handle.casefold())
                if not group_id:
                    log.warning("lookup: no Slack user group with the handle @%s", handle)
                members = frozenset(self._list_members(group_id)) if group_id else frozenset()
                self._cache.put(handle, members, now)
                found |= members
            return frozenset(found)
        except Exception as exc:  # Slack being down must refuse, not crash, and not stick
            log.warning("lookup: could not read Slack user groups: %s", type(exc).__name__)
            return frozenset()


def slack_user_groups(client: Any, *, ttl: timedelta = GROUP_CACHE_TTL) -> UserGroupDirectory:
    """A user group directory reading Slack through a WebClient."""

    def list_groups() -> Sequence[Mapping[str, Any]]:
        groups = client.usergroups_list().get("usergroups") or []
        return [group for group in groups if isinstance(group, Mapping)]

    def list_members(group_id: str) -> Sequence[str]:
        users = client.usergroups_users_list(usergroup=group_id).get("users") or []
        return [str(user) for user in users]

    return UserGroupDirectory(list_groups=list_groups, list_members=list_members, ttl=ttl)


def may_look_up(
    *, policy: Policy, actor_id: str, groups: UserGroupDirectory | None, now: datetime
) -> bool:
    """The roster (engineers and lead), `allowed_users`, and members of `allowed_user_groups`."""
    lookup = policy.lookup
    if policy.is_lead(actor_id) or policy.is_engineer(actor_id):
        return True
    if actor_id in lookup.allowed_users:
        return True
    if lookup.allowed_user_groups and groups is not None:
        return actor_id in groups.members(lookup.allowed_user_groups, now=now)
    return False


def may_reveal(*, policy: Policy, actor_id: str) -> bool:
    """Only the lead may see personal data unmasked."""
    return policy.is_lead(actor_id)


def check_may_read_audit(*, policy: Policy, actor_id: str) -> None:
    """Refuse anyone but the lead."""
    if not policy.is_lead(actor_id):
        raise AuditRefused


# -- the chart ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """An end user's chart (カルテ): open escalations, the last resolved ones, and notes."""

    open: Sequence[Escalation]
    open_total: int
    resolved: Sequence[Escalation]
    resolved_total: int
    notes: Sequence[UserNote]
    notes_total: int

    @property
    def empty(self) -> bool:
        """Nothing filed and nothing noted."""
        return not (self.open_total or self.resolved_total or self.notes_total)


def _chart_statements() -> tuple[Any, Any]:
    """The chart's two queries, built once: escalations ranked per group with their totals, notes.

    Window functions (SQLite 3.25+, PostgreSQL) give the newest N open and N resolved escalations
    and both totals in one round trip; a note's `count(*) over ()` is taken before the LIMIT.
    """
    ids: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
    resolved = sa.case((col(Escalation.status) == Status.RESOLVED, 1), else_=0)
    newest_first = (
        sa.func.coalesce(col(Escalation.resolved_at), col(Escalation.filed_at)).desc(),
        col(Escalation.id).desc(),
    )
    ranked = (
        select(
            col(Escalation.id).label("id"),
            resolved.label("resolved"),
            sa.func.row_number().over(partition_by=resolved, order_by=newest_first).label("rank"),
            sa.func.count().over(partition_by=resolved).label("total"),
        )
        .where(col(Escalation.end_user_id).in_(ids))
        .subquery()
    )
    limit = sa.case((ranked.c.resolved == 1, CHART_RESOLVED_LIMIT), else_=CHART_OPEN_LIMIT)
    escalations = (
        select(Escalation, ranked.c.resolved, ranked.c.total)
        .join(ranked, col(Escalation.id) == ranked.c.id)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.resolved, ranked.c.rank)
    )
    notes = (
        select(UserNote, sa.func.count().over().label("total"))
        .where(col(UserNote.end_user_id).in_(ids))
        .order_by(col(UserNote.created_at).desc(), col(UserNote.id).desc())
        .limit(CHART_NOTES_LIMIT)
    )
    return escalations, notes


_CHART_ESCALATIONS, _CHART_NOTES = _chart_statements()


def load_chart(*, session: Session, end_user_ids: Sequence[str]) -> Chart:
    """The chart of whoever is known by any of `end_user_ids` (an id and an email, say)."""
    ids = list(dict.fromkeys(i for i in end_user_ids if i))
    if not ids:
        return Chart((), 0, (), 0, (), 0)
    groups: dict[bool, list[Escalation]] = {False: [], True: []}
    totals = {False: 0, True: 0}
    for escalation, resolved, total in session.execute(_CHART_ESCALATIONS, {"ids": ids}):
        groups[bool(resolved)].append(escalation)
        totals[bool(resolved)] = int(total)
    note_rows = session.execute(_CHART_NOTES, {"ids": ids}).all()
    return Chart(
        open=groups[False],
        open_total=totals[False],
        resolved=groups[True],
        resolved_total=totals[True],
        notes=[note for note, _ in note_rows],
        notes_total=int(note_rows[0][1]) if note_rows else 0,
    )


@dataclass(frozen=True)
class HistorySummary:
    """How many escalations the same end user had before this one, and the last one's cause."""

    count: int
    last_cause: str | None
    last_key: str | None


def end_user_names(*, policy: Policy, end_user_id: str) -> list[str]:
    """`end_user_id` and the other name the user directory knows them by (an id's email, an
    email's id), so history filed under either is found. Only the `directory` source is asked: it
    is a local file; the admin API is never called just to draw a card.
    """
    if policy.lookup.source != "directory":
        return [end_user_id]
    directory = shared_directory(policy.lookup.directory.resolved_path())
    return list(dict.fromkeys([end_user_id, *directory.names_of(end_user_id)]))


def _history_statements(*, before: bool) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """How many escalations a user had (before one), and the last resolved one's cause and id."""
    table = Escalation.__table__  # type: ignore[attr-defined]
    earlier = [table.c.end_user_id.in_(sa.bindparam("names", expanding=True))]
    if before:
        earlier.append(table.c.id < sa.bindparam("before"))
    count = sa.select(sa.func.count()).select_from(table).where(*earlier)
    last = (
        sa.select(table.c.resolution_cause, table.c.id)
        .where(*earlier, table.c.resolution_cause.is_not(None))
        .order_by(table.c.resolved_at.desc(), table.c.id.desc())
        .limit(1)
    )
    return count, last


# Built once: every card drawn asks them (building them per card cost more than running them).
_HISTORY = {before: _history_statements(before=before) for before in (False, True)}


def history_summary(
    *, session: Session, end_user_ids: Sequence[str], exclude_id: int | None
) -> HistorySummary | None:
    """The escalations filed under any of `end_user_ids` before `exclude_id` (all if None), or None."""
    count_of, last_of = _HISTORY[exclude_id is not None]
    params = {"names": list(end_user_ids), "before": exclude_id}
    count = session.execute(count_of, params).scalar_one()
    if not count:
        return None
    last = session.execute(last_of, params).first()
    return HistorySummary(
        count=int(count),
        last_cause=last[0] if last else None,
        last_key=f"ESC-{last[1]}" if last else None,
    )


# -- the look-up ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookupResult:
    """What a look-up found: the state (masked unless revealed), the chart, any source problem."""

    query: LookupQuery
    subject_id: str
    outcome: Outcome
    state: UserState | None
    revealed: bool
    offer_reveal: bool
    problem: UnavailableReason | None
    chart: Chart
    audit_id: int

    @property
    def rerun_query(self) -> str:
        """The query that repeats this look-up: the resolved user id when it is a valid query."""
        if self.subject_id != self.query.value:
            try:
                return parse_lookup_query(self.subject_id).value
            except LookupQueryError:
                pass
        return self.query.value


def query_hash(query: LookupQuery) -> str:
    """SHA-256 of the normalised query ("email:a@b.c"), what the audit keeps instead of the text."""
    kind, value = query.cache_key
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _text_hash(text: str) -> str:
    return hashlib.sha256(f"invalid:{text.strip()}".encode()).hexdigest()


def look_up(
    *,
    session: Session,
    policy: Policy,
    source: UserSource,
    query: str,
    actor_id: str,
    channel_id: str | None,
    now: datetime,
    reveal: bool = False,
    groups: UserGroupDirectory | None = None,
) -> LookupResult:
    """Check access, fetch the user's state, load the chart; audit (committed) before returning.

    Refusals and invalid input are audited too, then raised as DomainErrors. A failing source is not
    an error: the result carries the problem and still has the chart. The source is called before
    the session touches the database, so no transaction (on SQLite: no write lock) waits on it;
    call this with no transaction of your own open.
    """
    parsed: LookupQuery | None = None
    invalid: LookupQueryError | None = None
    try:
        parsed = parse_lookup_query(query)
    except LookupQueryError as exc:
        invalid = exc

    def audit(outcome: Outcome, **values: Any) -> LookupAudit:
        fields: dict[str, Any] = {
            "at": now,
            "actor_id": actor_id,
            "channel_id": channel_id,
            "query_kind": parsed.kind if parsed else None,
            "query_hash": query_hash(parsed) if parsed else _text_hash(query),
            "end_user_id": parsed.value if parsed and parsed.kind == "user_id" else None,
            "outcome": outcome,
        }
        row = LookupAudit(**(fields | values))
        session.add(row)
        session.commit()
        metrics.LOOKUPS.labels(outcome).inc()
        log.info("lookup by %s: %s", actor_id, outcome)
        return row

    if not may_look_up(policy=policy, actor_id=actor_id, groups=groups, now=now):
        audit("refused")
        raise LookupRefused
    if invalid is not None or parsed is None:
        audit("invalid")
        raise InvalidLookup(invalid.code if invalid else "empty")
    if reveal and not may_reveal(policy=policy, actor_id=actor_id):
        audit("reveal_refused")
        raise RevealRefused

    state: UserState | None = None
    problem: UnavailableReason | None = None
    try:
        state = source.fetch(parsed, now=now)
    except SourceUnavailable as exc:
        problem = exc.reason
    except Exception as exc:  # a source's bug must not cost the audit row or the chart
        log.warning("lookup by %s: the source failed: %s", actor_id, type(exc).__name__)
        problem = "error"
    outcome = _outcome(state=state, problem=problem, reveal=reveal)
    shown = state if state is None or reveal else state.masked()
    # The record's own email (unmasked, before masking) finds escalations filed under it.
    names = [state.user_id, state.email] if state else []
    subject_ids = list(dict.fromkeys(name for name in [*names, parsed.value] if name))
    subject = {"end_user_id": state.user_id} if state else {}
    try:
        chart = load_chart(session=session, end_user_ids=subject_ids)
        row = audit(  # commits: the chart's reads and the audit row end together, before any answer
            outcome,
            **subject,
            fields_shown=[field.label for field in shown.fields] if shown else [],
            revealed=outcome == "revealed",
        )
    except Exception:
        _audit_failure(session, lambda: audit("error", **subject), actor_id=actor_id)
        raise
    assert row.id is not None
    return LookupResult(
        query=parsed,
        subject_id=subject_ids[0],
        outcome=outcome,
        state=shown,
        revealed=outcome == "revealed",
        offer_reveal=(
            outcome == "shown"
            and state is not None
            and any(field.pii for field in state.fields)
            and may_reveal(policy=policy, actor_id=actor_id)
        ),
        problem=problem,
        chart=chart,
        audit_id=row.id,
    )


def _audit_failure(session: Session, write: Callable[[], object], *, actor_id: str) -> None:
    """After the chart or the audit failed: record the look-up as an error if the database lets us."""
    try:
        session.rollback()
        write()
    except Exception as exc:  # the database itself is failing; the original error is raised
        with contextlib.suppress(Exception):
            session.rollback()
        log.error("lookup by %s: not audited: %s", actor_id, type(exc).__name__)


def _outcome(
    *, state: UserState | None, problem: UnavailableReason | None, reveal: bool
) -> Outcome:
    if problem is not None:
        return "source_error"
    if state is None:
        return "unknown"
    return "revealed" if reveal else "shown"


def chart_subject(value: str) -> str:
    """The end user a button or modal names, checked like a typed query (InvalidLookup if not)."""
    try:
        return parse_lookup_query(value).value
    except LookupQueryError as exc:
        raise InvalidLookup(exc.code) from None


# -- notes --------------------------------------------------------------------------------------------


def validate_note(text: str) -> str:
    """The note's text, stripped; an empty or overlong note is an InvalidInput on the "note" field."""
    stripped = text.strip()
    if not stripped:
        raise InvalidInput({"note": ("field.required", {})})
    if len(stripped) > CHART_NOTE_MAX:
        raise InvalidInput(
            {"note": ("field.too_long", {"max": CHART_NOTE_MAX, "length": len(stripped)})}
        )
    if unstorable := unstorable_error(stripped):
        raise InvalidInput({"note": unstorable})
    return stripped


def add_note(
    *,
    session: Session,
    policy: Policy,
    end_user_id: str,
    author_id: str,
    text: str,
    now: datetime,
    groups: UserGroupDirectory | None = None,
) -> UserNote:
    """Add a note to an end user's chart (only people who may look users up may add notes).

    A refusal is audited (committed) before it is raised: the refusal says it was recorded.
    """
    subject = chart_subject(end_user_id)
    if not may_look_up(policy=policy, actor_id=author_id, groups=groups, now=now):
        parsed = parse_lookup_query(subject)
        session.add(
            LookupAudit(
                at=now,
                actor_id=author_id,
                query_kind=parsed.kind,
                query_hash=query_hash(parsed),
                end_user_id=parsed.value if parsed.kind == "user_id" else None,
                outcome="note_refused",
            )
        )
        session.commit()
        metrics.LOOKUPS.labels("note_refused").inc()
        log.info("note by %s: note_refused", author_id)
        raise LookupRefused
    subject, stripped = chart_subject(end_user_id), validate_note(text)
    for attempt in range(NOTE_ATTEMPTS):
        # The note, and the activity it is on the author's escalations for that user, together.
        note = UserNote(end_user_id=subject, author_id=author_id, text=stripped, created_at=now)
        session.add(note)
        try:
            escalations.record_note_activity(
                session=session, policy=policy, end_user_id=subject, author_id=author_id, now=now
            )
            session.commit()
            return note
        except StaleDataError:  # one of the escalations changed meanwhile: all again
            session.rollback()
            if attempt == NOTE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
