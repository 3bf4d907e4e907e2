"""The /lookup domain: access, the audit of every outcome, masking and reveal, the chart, notes."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import escalations
from bot.blocks.errors import error_text
from bot.db import Database
from bot.errors import DomainError, InvalidInput
from bot.lookup import audit, service
from bot.lookup.config import LookupField
from bot.lookup.query import LookupQuery
from bot.lookup.sources import DirectorySource, SourceUnavailable, UserState
from bot.models import LookupAudit, UserNote
from bot.policy import Policy, parse_policy
from bot.runtime import Runtime
from bot.workspace.webapi import SlackStandIn
from tests.conftest import START, TOKYO
from tests.support.db import table_missing
from tests.support.factories import file_one

FIELDS = (
    LookupField(label="Status", path="status"),
    LookupField(label="Plan", path="plan"),
    LookupField(label="Email", path="email", pii=True),
    LookupField(label="Phone", path="phone", pii=True),
)
TARO = {
    "id": "u-1001",
    "status": "locked",
    "plan": "family",
    "email": "taro.yamada@example.jp",
    "phone": "090-1234-5678",
}
NO_PII = {"id": "u-2002", "status": "active", "plan": "free"}


class CountingSource:
    """A directory source that counts fetches (to show refused look-ups never reach it)."""

    def __init__(self) -> None:
        self.inner = DirectorySource.from_records([TARO, NO_PII], fields=FIELDS)
        self.fetches = 0

    def fetch(self, query: LookupQuery, *, now: datetime) -> UserState | None:
        self.fetches += 1
        return self.inner.fetch(query, now=now)


class FailingSource:
    """A source whose backend is down."""

    def fetch(self, query: LookupQuery, *, now: datetime) -> UserState | None:
        raise SourceUnavailable("timeout", "the admin API did not answer in time")


@pytest.fixture
def source() -> CountingSource:
    return CountingSource()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as session:
        yield session


def _look_up(
    session: Session, policy: Policy, source: Any, query: str, actor: str = "U0HANAKO", **kw: Any
) -> service.LookupResult:
    return service.look_up(
        session=session,
        policy=policy,
        source=source,
        query=query,
        actor_id=actor,
        channel_id="C0SUPPORT",
        now=START,
        **kw,
    )


def _audit_rows(db: Database) -> list[LookupAudit]:
    """The audit as another connection sees it (so only committed rows count)."""
    with db.session() as other:
        return list(other.exec(select(LookupAudit).order_by(col(LookupAudit.id))).all())


def _with_lookup(policy_text: str, table: str) -> Policy:
    return parse_policy(policy_text + "\n[lookup]\n" + table)


# -- who may look up ------------------------------------------------------------------------------


def test_the_roster_may_look_up_and_others_may_not(policy: Policy) -> None:
    for user in ("U0LEAD", "U0HANAKO", "U0TARO", "U0KENJI"):
        assert service.may_look_up(policy=policy, actor_id=user, groups=None, now=START)
    for user in ("U0CS", "U0OTHER"):
        assert not service.may_look_up(policy=policy, actor_id=user, groups=None, now=START)


def test_allowed_users_may_look_up(policy_text: str) -> None:
    policy = _with_lookup(policy_text, 'allowed_users = ["U0CS"]')

    assert service.may_look_up(policy=policy, actor_id="U0CS", groups=None, now=START)
    assert not service.may_look_up(policy=policy, actor_id="U0OTHER", groups=None, now=START)


def test_members_of_allowed_user_groups_may_look_up_resolved_through_slack(
    policy_text: str, runtime: Runtime, standin: SlackStandIn
) -> None:
    policy = _with_lookup(policy_text, 'allowed_user_groups = ["cs-team"]')
    standin.add_usergroup("cs-team", ["U0CS"], group_id="S0CSTEAM")
    standin.add_usergroup("marketing", ["U0OTHER"], group_id="S0MARKET")
    groups = service.slack_user_groups(runtime.client)

    assert service.may_look_up(policy=policy, actor_id="U0CS", groups=groups, now=START)
    assert not service.may_look_up(policy=policy, actor_id="U0OTHER", groups=groups, now=START)
    [listed] = standin.calls_to("usergroups.users.list")
    assert listed.args["usergroup"] == "S0CSTEAM"


def test_group_membership_is_cached_for_five_minutes(
    policy_text: str, runtime: Runtime, standin: SlackStandIn
) -> None:
    policy = _with_lookup(policy_text, 'allowed_user_groups = ["@cs-team"]')
    standin.add_usergroup("cs-team", ["U0CS"], group_id="S0CSTEAM")
    groups = service.slack_user_groups(runtime.client)
    assert service.may_look_up(policy=policy, actor_id="U0CS", groups=groups, now=START)

    standin.add_usergroup("cs-team", ["U0OTHER"], group_id="S0CSTEAM")  # U0CS leaves the group
    later = START + timedelta(minutes=4)
    assert service.may_look_up(policy=policy, actor_id="U0CS", groups=groups, now=later)
    assert len(standin.calls_to("usergroups.users.list")) == 1

    expired = START + timedelta(minutes=5, seconds=1)
    assert not service.may_look_up(policy=policy, actor_id="U0CS", groups=groups, now=expired)
    assert service.may_look_up(policy=policy, actor_id="U0OTHER", groups=groups, now=expired)
    assert len(standin.calls_to("usergroups.users.list")) == 2


def test_slack_failing_to_list_groups_refuses_and_is_not_remembered(
    policy_text: str, runtime: Runtime, standin: SlackStandIn
) -> None:
    policy = _with_lookup(policy_text, 'allowed_user_groups = ["cs-team"]')
    standin.add_usergroup("cs-team", ["U0CS"])
    standin.fail("usergroups.list", error="missing_scope")
    groups = service.slack_user_groups(runtime.client)

    assert not service.may_look_up(policy=policy, actor_id="U0CS", groups=groups, now=START)
    assert service.may_look_up(policy=policy, actor_id="U0CS", groups=groups, now=START)


def test_an_unknown_group_handle_lets_nobody_in(
    policy_text: str, runtime: Runtime, standin: SlackStandIn
) -> None:
    policy = _with_lookup(policy_text, 'allowed_user_groups = ["no-such-team"]')
    groups = service.slack_user_groups(runtime.client)

    assert not service.may_look_up(policy=policy, actor_id="U0CS", groups=groups, now=START)
    assert standin.calls_to("usergroups.users.list") == []


# -- the audit: a row for every outcome, committed before the result is returned -------------------


def test_a_shown_look_up_is_audited_with_the_fields_shown(
    db: Database, session: Session, policy: Policy, source: CountingSource
) -> None:
    result = _look_up(session, policy, source, "u-1001")

    assert result.outcome == "shown"
    [row] = _audit_rows(db)
    assert row.id == result.audit_id
    assert (row.actor_id, row.channel_id, row.at) == ("U0HANAKO", "C0SUPPORT", START)
    assert (row.query_kind, row.end_user_id, row.outcome) == ("user_id", "u-1001", "shown")
    assert row.fields_shown == ["Status", "Plan", "Email", "Phone"]
    assert row.revealed is False
    assert row.query_hash == hashlib.sha256(b"user_id:u-1001").hexdigest()


def test_a_look_up_by_email_stores_its_hash_and_the_resolved_id_never_the_address(
    db: Database, session: Session, policy: Policy, source: CountingSource
) -> None:
    result = _look_up(session, policy, source, "Taro.Yamada@Example.jp")

    assert result.subject_id == "u-1001"
    [row] = _audit_rows(db)
    assert row.query_kind == "email"
    assert row.end_user_id == "u-1001"
    assert row.query_hash == hashlib.sha256(b"email:taro.yamada@example.jp").hexdigest()
    stored = " ".join(str(value) for value in row.model_dump().values()).lower()
    assert "taro.yamada" not in stored


def test_an_unknown_email_is_audited_by_hash_only(
    db: Database, session: Session, policy: Policy, source: CountingSource
) -> None:
    result = _look_up(session, policy, source, "nobody@example.com")

    assert result.outcome == "unknown"
    assert result.state is None
    [row] = _audit_rows(db)
    assert (row.outcome, row.end_user_id, row.fields_shown) == ("unknown", None, [])
    assert "nobody" not in " ".join(str(value) for value in row.model_dump().values())


def test_an_unknown_id_is_audited_under_that_id(
    db: Database, session: Session, policy: Policy, source: CountingSource
) -> None:
    assert _look_up(session, policy, source, "u-9999").outcome == "unknown"

    [row] = _audit_rows(db)
    assert (row.outcome, row.end_user_id) == ("unknown", "u-9999")


def test_a_refusal_is_audited_and_never_reaches_the_source(
    db: Database, session: Session, policy: Policy, source: CountingSource
) -> None:
    with pytest.raises(service.LookupRefused):
        _look_up(session, policy, source, "u-1001", actor="U0CS")

    assert source.fetches == 0
    [row] = _audit_rows(db)
    assert (row.actor_id, row.outcome, row.end_user_id) == ("U0CS", "refused", "u-1001")
    assert row.fields_shown == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("../etc/passwd", "forbidden_characters"),
        ("u-1001?admin=1", "forbidden_characters"),
        ("u-1001#x", "forbidden_characters"),
        ("a/b", "forbidden_characters"),
        ("x" * 300, "too_long"),
        ("taro@", "invalid_email"),
        ("<@U0TARO>", "invalid_user_id"),
    ],
)
def test_invalid_input_is_audited_refused_with_usage_and_never_fetched(
    db: Database, session: Session, policy: Policy, source: CountingSource, text: str, code: str
) -> None:
    with pytest.raises(service.InvalidLookup) as raised:
        _look_up(session, policy, source, text)

    assert raised.value.code == code
    assert "/lookup &lt;user id | email&gt;" in error_text(raised.value, "en")
    assert source.fetches == 0
    [row] = _audit_rows(db)
    assert (row.outcome, row.query_kind, row.end_user_id) == ("invalid", None, None)
    assert len(row.query_hash or "") == 64


def test_a_failing_source_is_audited_and_the_chart_is_still_there(
    db: Database, session: Session, policy: Policy
) -> None:
    file_one(session, policy, START, end_user_id="u-1001")

    result = _look_up(session, policy, FailingSource(), "u-1001")

    assert (result.outcome, result.problem, result.state) == ("source_error", "timeout", None)
    assert result.chart.open_total == 1
    [row] = _audit_rows(db)
    assert (row.outcome, row.end_user_id, row.fields_shown) == ("source_error", "u-1001", [])


# -- masking and reveal ---------------------------------------------------------------------------------


def _values(result: service.LookupResult) -> dict[str, str]:
    assert result.state is not None
    return {field.label: field.value for field in result.state.fields}


def test_personal_data_is_masked_by_default_even_for_the_lead(
    session: Session, policy: Policy, source: CountingSource
) -> None:
    result = _look_up(session, policy, source, "u-1001", actor="U0LEAD")

    values = _values(result)
    assert values["Email"] == "t***@example.jp"
    assert values["Phone"] == "***-****-5678"
    assert values["Status"] == "locked"
    assert result.offer_reveal is True
    assert result.revealed is False


def test_the_reveal_is_offered_only_to_the_lead_and_only_when_there_is_personal_data(
    session: Session, policy: Policy, source: CountingSource
) -> None:
    assert _look_up(session, policy, source, "u-1001", actor="U0HANAKO").offer_reveal is False
    assert _look_up(session, policy, source, "u-2002", actor="U0LEAD").offer_reveal is False


def test_the_lead_reveals_personal_data_and_that_is_audited_separately(
    db: Database, session: Session, policy: Policy, source: CountingSource
) -> None:
    _look_up(session, policy, source, "u-1001", actor="U0LEAD")
    result = _look_up(session, policy, source, "u-1001", actor="U0LEAD", reveal=True)

    assert _values(result)["Email"] == "taro.yamada@example.jp"
    assert result.revealed is True
    assert result.offer_reveal is False
    first, second = _audit_rows(db)
    assert (first.outcome, first.revealed) == ("shown", False)
    assert (second.outcome, second.revealed) == ("revealed", True)
    assert second.fields_shown == ["Status", "Plan", "Email", "Phone"]


def test_a_reveal_by_anyone_else_is_refused_audited_and_never_fetched(
    db: Database, session: Session, policy: Policy, source: CountingSource
) -> None:
    with pytest.raises(service.RevealRefused):
        _look_up(session, policy, source, "u-1001", actor="U0HANAKO", reveal=True)

    assert source.fetches == 0
    [row] = _audit_rows(db)
    assert (row.outcome, row.revealed) == ("reveal_refused", False)


def test_rerunning_a_look_up_by_email_uses_the_resolved_id(
    session: Session, policy: Policy, source: CountingSource
) -> None:
    result = _look_up(session, policy, source, "taro.yamada@example.jp", actor="U0LEAD")

    assert result.rerun_query == "u-1001"


# -- the chart -------------------------------------------------------------------------------------


def _resolve(
    session: Session, policy: Policy, escalation_id: int, *, cause: str, note: str, at: datetime
) -> None:
    escalations.resolve(
        session=session,
        policy=policy,
        escalation_id=escalation_id,
        actor_id="U0LEAD",
        cause=cause,
        note=note,
        answer="Answered.",
        now=at,
    )


def test_the_chart_has_open_escalations_the_last_ten_resolved_and_notes(
    session: Session, policy: Policy, source: CountingSource
) -> None:
    resolved_ids = []
    for n in range(12):
        at = START + timedelta(hours=n)
        escalation = file_one(session, policy, at, end_user_id="u-1001", summary=f"case {n}")
        assert escalation.id is not None
        _resolve(session, policy, escalation.id, cause="bug", note=f"why {n}", at=at)
        resolved_ids.append(escalation.id)
    still_open = file_one(session, policy, START + timedelta(days=1), end_user_id="u-1001")
    file_one(session, policy, START, end_user_id="u-2002")  # someone else's
    service.add_note(
        session=session,
        policy=policy,
        end_user_id="u-1001",
        author_id="U0TARO",
        text="Uses two devices; the old iPad keeps the session alive.",
        now=START,
    )

    chart = _look_up(session, policy, source, "u-1001").chart

    assert [e.id for e in chart.open] == [still_open.id]
    assert chart.open_total == 1
    assert chart.resolved_total == 12
    assert [e.id for e in chart.resolved] == resolved_ids[::-1][:10]
    assert chart.resolved[0].resolution_note == "why 11"
    assert [n.text for n in chart.notes] == [
        "Uses two devices; the old iPad keeps the session alive."
    ]


def test_the_chart_of_an_email_look_up_includes_escalations_filed_under_the_id_or_the_email(
    session: Session, policy: Policy, source: CountingSource
) -> None:
    by_id = file_one(session, policy, START, end_user_id="u-1001")
    by_email = file_one(session, policy, START, end_user_id="taro.yamada@example.jp")

    chart = _look_up(session, policy, source, "taro.yamada@example.jp").chart

    assert {e.id for e in chart.open} == {by_id.id, by_email.id}


def test_an_unknown_user_still_gets_their_history(
    session: Session, policy: Policy, source: CountingSource
) -> None:
    file_one(session, policy, START, end_user_id="u-9999")

    result = _look_up(session, policy, source, "u-9999")

    assert result.outcome == "unknown"
    assert result.chart.open_total == 1


# -- notes ------------------------------------------------------------------------------------------


def test_notes_are_saved_by_people_who_may_look_up(session: Session, policy: Policy) -> None:
    note = service.add_note(
        session=session,
        policy=policy,
        end_user_id="u-1001",
        author_id="U0KENJI",
        text="  Refund already issued on 11/02.  ",
        now=START,
    )

    assert (note.end_user_id, note.author_id, note.text) == (
        "u-1001",
        "U0KENJI",
        "Refund already issued on 11/02.",
    )
    with pytest.raises(service.LookupRefused):
        service.add_note(
            session=session,
            policy=policy,
            end_user_id="u-1001",
            author_id="U0OTHER",
            text="x",
            now=START,
        )
    assert len(session.exec(select(UserNote)).all()) == 1


def test_a_note_by_the_assignee_is_activity_on_their_escalations_for_that_user(
    session: Session, policy: Policy
) -> None:
    mine = file_one(session, policy, START, end_user_id="u-1001")
    assert mine.assignee_id is not None
    assert mine.id is not None
    later = START + timedelta(hours=1)

    service.add_note(
        session=session,
        policy=policy,
        end_user_id="u-1001",
        author_id=mine.assignee_id,
        text="Asked for a screenshot.",
        now=later,
    )

    timeline = escalations.timeline(session=session, escalation_id=mine.id)
    assert (timeline[-1].kind, timeline[-1].actor_id) == ("noted", mine.assignee_id)
    assert (
        escalations.get_escalation(session=session, escalation_id=mine.id).last_activity_at == later
    )


def test_a_note_and_the_activity_it_records_are_one_transaction(
    session: Session, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = file_one(session, policy, START, end_user_id="u-1001")
    assert mine.assignee_id is not None

    def fails(**_kwargs: Any) -> list[int]:
        raise RuntimeError("the database went away mid-way")

    monkeypatch.setattr(escalations, "record_note_activity", fails)
    with pytest.raises(RuntimeError):
        service.add_note(
            session=session,
            policy=policy,
            end_user_id="u-1001",
            author_id=mine.assignee_id,
            text="Asked for a screenshot.",
            now=START,
        )
    session.rollback()
    assert session.exec(select(UserNote)).all() == []


@pytest.mark.parametrize(
    ("text", "key"), [("   ", "field.required"), ("x" * 3001, "field.too_long")]
)
def test_an_empty_or_overlong_note_is_refused_on_its_field(text: str, key: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        service.validate_note(text)

    assert raised.value.fields["note"][0] == key


def test_a_note_for_a_malformed_user_id_is_refused(session: Session, policy: Policy) -> None:
    with pytest.raises(service.InvalidLookup):
        service.add_note(
            session=session,
            policy=policy,
            end_user_id="../admin",
            author_id="U0KENJI",
            text="x",
            now=START,
        )


# -- the history summary on the card ----------------------------------------------------------------


def test_history_summary_counts_earlier_escalations_and_names_the_last_cause(
    session: Session, policy: Policy
) -> None:
    first = file_one(session, policy, START, end_user_id="u-1001")
    second = file_one(session, policy, START + timedelta(hours=1), end_user_id="u-1001")
    file_one(session, policy, START + timedelta(hours=2), end_user_id="u-1001")
    assert first.id
    assert second.id
    _resolve(session, policy, second.id, cause="spec", note="", at=START + timedelta(hours=3))
    _resolve(session, policy, first.id, cause="bug", note="", at=START + timedelta(hours=4))
    current = file_one(session, policy, START + timedelta(hours=5), end_user_id="u-1001")
    file_one(session, policy, START + timedelta(hours=6), end_user_id="u-1001")  # a later one

    summary = service.history_summary(
        session=session, end_user_ids=["u-1001"], exclude_id=current.id
    )

    assert summary == service.HistorySummary(count=3, last_cause="bug", last_key=first.key)
    assert (
        service.history_summary(session=session, end_user_ids=["u-1001"], exclude_id=first.id)
        is None
    )


def test_history_summary_without_any_resolved_escalation_has_no_cause(
    session: Session, policy: Policy
) -> None:
    file_one(session, policy, START, end_user_id="u-1001")
    current = file_one(session, policy, START, end_user_id="u-1001")

    summary = service.history_summary(
        session=session, end_user_ids=["u-1001"], exclude_id=current.id
    )

    assert summary == service.HistorySummary(count=1, last_cause=None, last_key=None)


# -- reading and exporting the audit ------------------------------------------------------------------


def _audit_some(session: Session, policy: Policy, source: CountingSource) -> None:
    _look_up(session, policy, source, "u-1001", actor="U0HANAKO")
    with pytest.raises(service.LookupRefused):
        _look_up(session, policy, source, "u-2002", actor="U0CS")
    service.look_up(
        session=session,
        policy=policy,
        source=source,
        query="taro.yamada@example.jp",
        actor_id="U0TARO",
        channel_id=None,
        now=START + timedelta(days=2),
    )


def test_audit_entries_by_actor_subject_email_and_date(
    session: Session, policy: Policy, source: CountingSource
) -> None:
    _audit_some(session, policy, source)

    def outcomes(subject: str | None, since: datetime | None = None) -> list[tuple[str, str]]:
        rows = audit.audit_entries(session=session, actor_or_subject=subject, since=since)
        return [(row.actor_id, row.outcome) for row in rows]

    assert outcomes(None) == [("U0TARO", "shown"), ("U0CS", "refused"), ("U0HANAKO", "shown")]
    assert outcomes("U0CS") == [("U0CS", "refused")]
    assert outcomes("u-1001") == [("U0TARO", "shown"), ("U0HANAKO", "shown")]
    assert outcomes("TARO.YAMADA@example.jp") == [("U0TARO", "shown")]
    assert outcomes(None, since=START + timedelta(days=1)) == [("U0TARO", "shown")]


def test_the_audit_export_is_csv_with_every_column_and_no_email(
    session: Session, policy: Policy, source: CountingSource
) -> None:
    _audit_some(session, policy, source)
    out = io.StringIO()

    count = audit.export_audit_csv(session=session, since=START - timedelta(days=1), out=out)

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert count == len(rows) == 3
    assert list(rows[0]) == list(audit.CSV_COLUMNS)
    assert [r["outcome"] for r in rows] == ["shown", "refused", "shown"]
    assert rows[0]["fields_shown"] == "Status;Plan;Email;Phone"
    assert rows[0]["at"] == START.astimezone(UTC).isoformat()
    assert rows[2]["query_kind"] == "email"
    assert "taro.yamada" not in out.getvalue()


def test_the_audit_export_keeps_spreadsheet_formulas_inert(
    session: Session, policy: Policy, source: CountingSource
) -> None:
    _look_up(session, policy, source, "-cmd")  # a valid (unknown) user id, a formula in Excel
    out = io.StringIO()

    audit.export_audit_csv(session=session, since=START, out=out)

    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["end_user_id"] == "'-cmd"


def test_parse_audit_request(policy: Policy) -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO)

    def parse(text: str) -> audit.AuditRequest:
        return audit.parse_audit_request(args=text.split(), policy=policy, now=now)

    assert parse("") == audit.AuditRequest(None, None, None)
    assert parse("<@U0CS|cs-agent>").subject == "U0CS"
    assert parse("u-1001 since 2026-11-01").since == datetime(2026, 11, 1, tzinfo=TOKYO)
    assert parse("since 12/24").since_date == datetime(2025, 12, 24).date()
    assert parse("since 11/25").since_date == now.date()
    with pytest.raises(DomainError):
        parse("u-1 u-2")
    with pytest.raises(DomainError):
        parse("since yesterday")


def test_an_at_name_in_the_audit_request_is_resolved(policy: Policy) -> None:
    people = {"hanako": ["U0HANAKO"], "taro": ["U0TARO1", "U0TARO2"]}

    def parse(text: str) -> audit.AuditRequest:
        return audit.parse_audit_request(
            args=text.split(), policy=policy, now=START, find_person=lambda n: people.get(n, [])
        )

    assert parse("@hanako").subject == "U0HANAKO"
    assert parse("<mailto:a@example.jp|a@example.jp>").subject == "a@example.jp"
    with pytest.raises(DomainError) as ambiguous:
        parse("@taro")
    assert ambiguous.value.key == "audit.ambiguous_person"
    assert parse("@U0TARO").subject == "U0TARO"
    with pytest.raises(DomainError) as raised:
        parse("@<!channel>")
    assert "<!channel>" not in error_text(raised.value, "en")


def test_slack_user_id_by_name_matches_handle_display_and_real_name(
    runtime: Runtime, standin: SlackStandIn
) -> None:
    standin.add_user("U0YAMADA", "yamada", real_name="山田 太郎")
    standin.add_user("U0GONE", "gone", deleted=True)

    standin.add_user("U0TARO2", "taro.kato", display_name="yamada")

    assert audit.slack_user_ids_by_name(runtime.client, "YAMADA") == ["U0YAMADA", "U0TARO2"]
    assert audit.slack_user_ids_by_name(runtime.client, "山田 太郎") == ["U0YAMADA"]
    assert audit.slack_user_ids_by_name(runtime.client, "taro.kato") == ["U0TARO2"]
    assert audit.slack_user_ids_by_name(runtime.client, "gone") == []
    assert audit.slack_user_ids_by_name(runtime.client, "nobody") == []


def test_only_the_lead_reads_the_audit(policy: Policy) -> None:
    service.check_may_read_audit(policy=policy, actor_id="U0LEAD")
    with pytest.raises(service.AuditRefused):
        service.check_may_read_audit(policy=policy, actor_id="U0HANAKO")


def test_every_outcome_has_a_label(policy: Policy) -> None:
    from bot.i18n import CATALOG

    for outcome in service.OUTCOMES:
        assert f"audit.outcome.{outcome}" in CATALOG


# -- failures inside the look-up ------------------------------------------------------------------


class BrokenSource:
    """A source with a bug: it raises something other than SourceUnavailable."""

    def fetch(self, query: LookupQuery, *, now: datetime) -> UserState | None:
        raise RuntimeError("u-1001 taro.yamada@example.jp 090-1234-5678")


def test_a_source_failing_unexpectedly_is_a_source_error_with_the_chart_and_the_audit(
    db: Database, session: Session, policy: Policy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    file_one(session, policy, START, end_user_id="u-1001")

    result = _look_up(session, policy, BrokenSource(), "u-1001")

    assert (result.outcome, result.problem, result.state) == ("source_error", "error", None)
    assert result.chart.open_total == 1
    [row] = _audit_rows(db)
    assert (row.outcome, row.end_user_id) == ("source_error", "u-1001")
    assert "the source failed: RuntimeError" in caplog.text
    assert "taro.yamada" not in caplog.text
    assert "090-1234-5678" not in caplog.text


def test_a_chart_that_cannot_be_read_is_audited_as_an_error(
    db: Database, session: Session, policy: Policy, source: CountingSource
) -> None:
    with table_missing(db.engine, "escalation"), pytest.raises(sa.exc.DBAPIError):
        _look_up(session, policy, source, "u-1001")

    [row] = _audit_rows(db)
    assert (row.outcome, row.end_user_id, row.fields_shown) == ("error", "u-1001", [])
    assert row.actor_id == "U0HANAKO"


def test_when_the_audit_cannot_be_written_the_look_up_fails_and_the_error_hides_the_values(
    db: Database,
    session: Session,
    policy: Policy,
    source: CountingSource,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with table_missing(db.engine, "lookup_audit"), pytest.raises(sa.exc.DBAPIError) as raised:
        _look_up(session, policy, source, "u-1001")

    assert "u-1001" not in str(raised.value)  # no "[parameters: (...)]" in the error's text
    assert "lookup by U0HANAKO: not audited:" in caplog.text
    assert "u-1001" not in caplog.text
    assert _audit_rows(db) == []


# -- one user, two names -----------------------------------------------------------------------------


def test_the_chart_of_an_id_look_up_includes_escalations_filed_under_the_records_email(
    session: Session, policy: Policy
) -> None:
    # Email is not even a shown field: the chart still uses the record's address.
    source = DirectorySource.from_records([TARO], fields=FIELDS[:1])
    by_id = file_one(session, policy, START, end_user_id="u-1001")
    by_email = file_one(session, policy, START, end_user_id="taro.yamada@example.jp")
    service.add_note(
        session=session,
        policy=policy,
        end_user_id="taro.yamada@example.jp",
        author_id="U0TARO",
        text="Wrote in from the family account.",
        now=START,
    )

    result = _look_up(session, policy, source, "u-1001")

    assert {e.id for e in result.chart.open} == {by_id.id, by_email.id}
    assert [n.text for n in result.chart.notes] == ["Wrote in from the family account."]
    assert result.subject_id == "u-1001"


def test_the_card_history_counts_escalations_filed_under_the_users_id_or_email(
    session: Session, policy: Policy, policy_text: str
) -> None:
    file_one(session, policy, START, end_user_id="u-1001")
    file_one(session, policy, START, end_user_id="taro.yamada@example.jp")
    current = file_one(session, policy, START, end_user_id="u-1001")

    names = service.end_user_names(policy=policy, end_user_id="u-1001")  # the demo directory
    summary = service.history_summary(session=session, end_user_ids=names, exclude_id=current.id)

    assert names == ["u-1001", "taro.yamada@example.jp"]
    assert service.end_user_names(policy=policy, end_user_id="taro.yamada@example.jp") == [
        "taro.yamada@example.jp",
        "u-1001",
    ]
    assert summary is not None
    assert summary.count == 2
    assert service.end_user_names(policy=policy, end_user_id="u-9999") == ["u-9999"]
    http = _with_lookup(
        policy_text, 'source = "http"\n[lookup.http]\nuser_url = "https://admin.internal/{user_id}"'
    )
    assert service.end_user_names(policy=http, end_user_id="u-1001") == ["u-1001"]


# -- the refused reveal and the since date in the audit -------------------------------------------------


def test_a_refused_reveal_is_its_own_outcome_in_the_audit_and_the_export(
    session: Session, policy: Policy, source: CountingSource
) -> None:
    with pytest.raises(service.LookupRefused):
        _look_up(session, policy, source, "u-1001", actor="U0CS")
    with pytest.raises(service.RevealRefused):
        _look_up(session, policy, source, "u-1001", actor="U0HANAKO", reveal=True)
    out = io.StringIO()

    audit.export_audit_csv(session=session, since=START, out=out)

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["actor_id"], r["outcome"]) for r in rows] == [
        ("U0CS", "refused"),
        ("U0HANAKO", "reveal_refused"),
    ]


def test_since_a_month_day_is_its_latest_occurrence_and_a_future_full_date_is_refused(
    policy: Policy,
) -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO)

    def since(text: str) -> date | None:
        return audit.parse_audit_request(args=["since", text], policy=policy, now=now).since_date

    assert since("02-29") == date(2024, 2, 29)
    assert since("2/29") == date(2024, 2, 29)
    assert since("11/26") == date(2025, 11, 26)
    assert since("11/25") == date(2026, 11, 25)
    assert since("2026-11-25") == date(2026, 11, 25)
    assert since("2025-12-31") == date(2025, 12, 31)
    for future in ("2027-01-01", "2026-11-26"):
        with pytest.raises(DomainError) as raised:
            since(future)
        assert raised.value.key == "audit.since_future"
        assert future in error_text(raised.value, "en")
    with pytest.raises(DomainError) as raised:
        since("2026-02-29")
    assert raised.value.key == "error.bad_date"
