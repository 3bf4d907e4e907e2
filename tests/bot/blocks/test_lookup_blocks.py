"""The /lookup builders: what the answer, the chart, the note modal and the audit list say and fit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.blocks.ids import ActionId, ViewId
from bot.blocks.lookup import (
    build_audit_list,
    build_lookup_answer,
    build_note_modal,
    build_note_saved,
    history_line,
    read_note_submission,
)
from bot.lookup.audit import AuditRequest
from bot.lookup.query import LookupQuery
from bot.lookup.service import Chart, HistorySummary, LookupResult
from bot.lookup.sources import FieldValue, UserState
from bot.models import Escalation, LookupAudit, Status, UserNote
from bot.policy import Policy, parse_policy
from bot.workspace.checks import check_blocks, check_view

AT = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
EMPTY_CHART = Chart((), 0, (), 0, (), 0)
TARO = UserState(
    user_id="u-1001",
    fields=(
        FieldValue("Status", "locked", pii=False),
        FieldValue("Email", "taro.yamada@example.jp", pii=True),
    ),
)


def _result(**overrides: Any) -> LookupResult:
    values: dict[str, Any] = {
        "query": LookupQuery(kind="user_id", value="u-1001"),
        "subject_id": "u-1001",
        "outcome": "shown",
        "state": TARO.masked(),
        "revealed": False,
        "offer_reveal": False,
        "problem": None,
        "chart": EMPTY_CHART,
        "audit_id": 1,
    }
    values.update(overrides)
    return LookupResult(**values)


def _escalation(n: int, *, status: Status = Status.RESOLVED, **overrides: Any) -> Escalation:
    values: dict[str, Any] = {
        "id": n,
        "intake_key": f"k{n}",
        "end_user_id": "u-1001",
        "product": "album",
        "category": "login",
        "priority": "P2",
        "summary": f"case {n}",
        "filed_by": "U0CS",
        "filed_at": AT - timedelta(days=30 - n),
        "status": status,
        "channel_id": "C0ESCALATE",
        "message_ts": f"1700000000.{n:06d}",
        "last_activity_at": AT,
    }
    if status == Status.RESOLVED:
        values |= {"resolved_at": AT, "resolution_cause": "bug", "resolution_note": "why"}
    values.update(overrides)
    return Escalation(**values)


def _text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    [row] = [b for b in blocks if b["type"] == "actions"]
    return {element["action_id"]: element for element in row["elements"]}


def test_the_answer_shows_the_state_with_personal_data_masked(policy: Policy) -> None:
    text, blocks = build_lookup_answer(policy=policy, result=_result(), workspace_url=None)

    shown = _text(blocks)
    assert "u-1001" in text
    assert "locked" in shown
    assert "t***@example.jp" in shown
    assert "taro.yamada" not in shown
    assert "Personal data is masked" in shown
    assert check_blocks(blocks, surface="message") == []


def test_the_buttons_escalate_and_note_for_the_user_and_reveal_only_when_offered(
    policy: Policy,
) -> None:
    _, plain = build_lookup_answer(policy=policy, result=_result(), workspace_url=None)
    _, lead = build_lookup_answer(
        policy=policy, result=_result(offer_reveal=True), workspace_url=None
    )

    buttons = _buttons(plain)
    assert set(buttons) == {ActionId.LOOKUP_ESCALATE, ActionId.LOOKUP_ADD_NOTE}
    assert buttons[ActionId.LOOKUP_ESCALATE]["value"] == "u-1001"
    assert buttons[ActionId.LOOKUP_ADD_NOTE]["value"] == "u-1001"
    reveal = _buttons(lead)[ActionId.LOOKUP_REVEAL]
    assert reveal["value"] == "u-1001"
    assert "confirm" in reveal
    assert check_blocks(lead, surface="message") == []


def test_a_revealed_answer_says_so(policy: Policy) -> None:
    _, blocks = build_lookup_answer(
        policy=policy, result=_result(state=TARO, revealed=True), workspace_url=None
    )

    assert "taro.yamada@example.jp" in _text(blocks)
    assert "shown for this look-up only" in _text(blocks)


def test_an_unknown_user_is_said_to_be_unknown_and_the_chart_still_shown(policy: Policy) -> None:
    chart = Chart((_escalation(1, status=Status.INVESTIGATING),), 1, (), 0, (), 0)
    _, blocks = build_lookup_answer(
        policy=policy,
        result=_result(outcome="unknown", state=None, subject_id="u-9999", chart=chart),
        workspace_url="https://crebot.slack.com/",
    )

    shown = _text(blocks)
    assert "`u-9999` is not a known user in the user directory" in shown
    assert "<https://crebot.slack.com/archives/C0ESCALATE/p1700000000000001|ESC-1>" in shown
    assert "Investigating" in shown


def test_a_failed_source_is_one_line_and_the_chart_follows(policy: Policy) -> None:
    chart = Chart((), 0, (_escalation(3),), 1, (), 0)
    _, blocks = build_lookup_answer(
        policy=policy,
        result=_result(outcome="source_error", state=None, problem="timeout", chart=chart),
        workspace_url=None,
    )

    problem_lines = [b for b in blocks if "unavailable" in json.dumps(b)]
    assert len(problem_lines) == 1
    assert "did not answer in time" in _text(problem_lines)
    assert "is not a known user" not in _text(blocks)
    assert "ESC-3" in _text(blocks)
    assert "cause: Bug" in _text(blocks)


def test_an_empty_chart_says_so(policy: Policy) -> None:
    _, blocks = build_lookup_answer(policy=policy, result=_result(), workspace_url=None)

    assert "No escalations or notes for this user yet." in _text(blocks)


def test_user_and_admin_text_is_escaped(policy: Policy) -> None:
    state = UserState("u-1", (FieldValue("Status <b>", "<!channel> & <@U0LEAD>", pii=False),))
    note = UserNote(id=1, end_user_id="u-1", author_id="U0TARO", text="<!here> ping", created_at=AT)
    chart = Chart(
        (_escalation(2, status=Status.OPEN, summary="<!channel> help"),), 1, (), 0, (note,), 1
    )
    _, blocks = build_lookup_answer(
        policy=policy, result=_result(state=state, chart=chart), workspace_url=None
    )

    shown = _text(blocks)
    assert "<!channel>" not in shown
    assert "<!here>" not in shown
    assert "<@U0LEAD>" not in shown
    assert "&lt;!channel&gt; &amp; &lt;@U0LEAD&gt;" in shown
    assert "<@U0TARO>" in shown  # the note's author is a real mention


def test_the_largest_answer_fits_slacks_limits(policy_text: str) -> None:
    fields = "\n".join(
        f'[[lookup.fields]]\nlabel = "Field {n}"\npath = "f{n}"\npii = {str(n % 2 == 0).lower()}'
        for n in range(40)
    )
    policy = parse_policy(policy_text + "\n" + fields)
    state = UserState(
        "u-1", tuple(FieldValue(f"Field {n}", "v" * 500, n % 2 == 0) for n in range(40))
    )
    long_note = "line\n" * 1000
    resolved = tuple(
        _escalation(n, resolution_note=long_note, summary="s" * 150) for n in range(10)
    )
    opened = tuple(_escalation(20 + n, status=Status.OPEN, summary="o" * 150) for n in range(10))
    notes = tuple(
        UserNote(id=n, end_user_id="u-1", author_id="U0TARO", text=long_note, created_at=AT)
        for n in range(10)
    )
    chart = Chart(opened, 35, resolved, 60, notes, 14)

    _, blocks = build_lookup_answer(
        policy=policy,
        result=_result(state=state, chart=chart, offer_reveal=True),
        workspace_url="https://crebot.slack.com/",
    )

    assert check_blocks(blocks, surface="message") == []
    assert len(blocks) <= 50
    assert blocks[-1]["type"] == "actions"
    assert "…and 25 more open." in _text(blocks)
    assert "the last 10 of 60" in _text(blocks)


def test_the_note_modal_round_trips_its_user_and_response_url(policy: Policy) -> None:
    modal = build_note_modal(
        policy=policy, end_user_id="u-1001", response_url="https://hooks.slack.com/x"
    )

    assert check_view(modal) == []
    assert modal["callback_id"] == ViewId.ADD_NOTE
    [note_input] = modal["blocks"]
    assert note_input["element"]["max_length"] == 3000
    submitted = {**modal, "state": {"values": {"note": {"value": {"value": "Two devices."}}}}}
    read = read_note_submission(submitted)
    assert read is not None
    assert (read.end_user_id, read.text, read.response_url) == (
        "u-1001",
        "Two devices.",
        "https://hooks.slack.com/x",
    )


def test_a_view_that_is_not_our_note_modal_reads_as_nothing() -> None:
    assert read_note_submission({"private_metadata": "not json"}) is None
    assert read_note_submission({"private_metadata": "{}"}) is None


def test_the_saved_note_is_shown_back(policy: Policy) -> None:
    note = UserNote(
        id=1, end_user_id="u-1001", author_id="U0TARO", text="Two devices.", created_at=AT
    )

    text, blocks = build_note_saved(policy=policy, end_user_id="u-1001", note=note)

    assert "Note saved to the chart of `u-1001`" in text
    assert ">Two devices." in _text(blocks)
    assert check_blocks(blocks, surface="message") == []


def _entry(n: int, **overrides: Any) -> LookupAudit:
    values: dict[str, Any] = {
        "id": n,
        "at": AT - timedelta(minutes=n),
        "actor_id": "U0HANAKO",
        "channel_id": "C0SUPPORT",
        "query_kind": "user_id",
        "query_hash": "ab" * 32,
        "end_user_id": "u-1001",
        "outcome": "shown",
        "fields_shown": ["Status", "Email"],
        "revealed": False,
    }
    values.update(overrides)
    return LookupAudit(**values)


def test_the_audit_list_names_who_whom_when_where_and_what(policy: Policy) -> None:
    entries = [
        _entry(1),
        _entry(2, actor_id="U0CS", outcome="refused", fields_shown=[]),
        _entry(3, query_kind="email", end_user_id=None, outcome="unknown", fields_shown=[]),
    ]

    _, blocks = build_audit_list(
        policy=policy, entries=entries, request=AuditRequest(None, None, None), limit=40
    )

    shown = _text(blocks)
    assert "<@U0HANAKO> · shown · `u-1001` · <#C0SUPPORT> · fields: Status, Email" in shown
    assert "<@U0CS> · :no_entry: refused" in shown
    assert "query #abababab" in shown
    assert "`Wed 11/25 09:59`" in shown  # local time
    assert check_blocks(blocks, surface="message") == []


def test_a_full_audit_list_fits_and_points_to_the_export(policy: Policy) -> None:
    entries = [_entry(n, fields_shown=[f"Field {i}" for i in range(40)]) for n in range(40)]

    _, blocks = build_audit_list(
        policy=policy,
        entries=entries,
        request=AuditRequest("u-1001", AT, AT.date()),
        limit=40,
    )

    assert check_blocks(blocks, surface="message") == []
    assert "crebot audit export" in _text(blocks)
    assert "for `u-1001`" in _text(blocks)


def test_an_empty_audit_list(policy: Policy) -> None:
    text, blocks = build_audit_list(
        policy=policy, entries=[], request=AuditRequest(None, None, None), limit=40
    )

    assert text == "No look-ups recorded."
    assert check_blocks(blocks, surface="message") == []


def test_history_lines(policy: Policy) -> None:
    assert (
        history_line(policy=policy, summary=HistorySummary(3, "bug", "ESC-1"))
        == ":card_index: 3 earlier escalations for this user · last cause: Bug"
    )
    assert "1 earlier escalation for this user · last cause: Working as designed" in history_line(
        policy=policy, summary=HistorySummary(1, "spec", "ESC-1")
    )
    assert "(none resolved yet)" in history_line(
        policy=policy, summary=HistorySummary(2, None, None)
    )


def test_japanese_answer(policy_text: str) -> None:
    policy = parse_policy(policy_text.replace('language = "en"', 'language = "ja"'))

    _, blocks = build_lookup_answer(policy=policy, result=_result(), workspace_url=None)

    assert "個人情報はマスクしています" in _text(blocks)
    assert "カルテ" in _text(blocks)


def test_a_japanese_answer_labels_fields_in_japanese_and_reads_timestamps(
    policy_text: str,
) -> None:
    policy = parse_policy(policy_text.replace('language = "en"', 'language = "ja"'))
    state = UserState(
        user_id="u-1001",
        fields=(
            FieldValue("Status", "locked", pii=False),
            FieldValue("Last sign-in", "2026-03-02T08:41:27+09:00", pii=False),
            FieldValue("Signed up", "2025-12-01T03:00:00Z", pii=False),
        ),
    )
    _, blocks = build_lookup_answer(policy=policy, result=_result(state=state), workspace_url=None)
    shown = _text(blocks)
    assert "*ステータス*\\nlocked" in shown
    assert "*最終ログイン*\\n2026/03/02 08:41" in shown
    assert "*登録日*\\n2025/12/01 12:00" in shown  # 03:00 UTC is noon in Tokyo
    assert "Last sign-in" not in shown
    assert "+09:00" not in shown
    _, audit = build_audit_list(
        policy=policy,
        entries=[_entry(1, fields_shown=["Status", "Last sign-in", "Email"])],
        request=AuditRequest(None, None, None),
        limit=40,
    )
    assert "表示項目: ステータス、最終ログイン、メールアドレス" in _text(audit)


def test_an_english_answer_reads_timestamps_in_the_teams_time_zone(policy: Policy) -> None:
    state = UserState("u-1001", (FieldValue("Last sign-in", "2026-03-01T23:41:27Z", False),))
    _, blocks = build_lookup_answer(policy=policy, result=_result(state=state), workspace_url=None)
    assert "*Last sign-in*\\n2026-03-02 08:41" in _text(blocks)


def test_a_failed_source_is_named_as_the_source_the_policy_uses(policy_text: str) -> None:
    directory = parse_policy(policy_text)
    http = parse_policy(
        policy_text
        + '\n[lookup]\nsource = "http"\n[lookup.http]\nuser_url = "https://a.b/{user_id}"'
    )
    failed = _result(outcome="source_error", state=None, problem="error")

    _, from_directory = build_lookup_answer(policy=directory, result=failed, workspace_url=None)
    _, from_http = build_lookup_answer(policy=http, result=failed, workspace_url=None)
    japanese = parse_policy(policy_text.replace('language = "en"', 'language = "ja"'))
    _, in_japanese = build_lookup_answer(policy=japanese, result=failed, workspace_url=None)

    assert "the user directory failed" in _text(from_directory)
    assert "admin API" not in _text(from_directory)
    assert "the admin API failed" in _text(from_http)
    assert "ユーザーディレクトリでエラーが発生しました" in _text(in_japanese)


def test_a_refused_reveal_and_a_failed_look_up_have_their_own_audit_labels(policy: Policy) -> None:
    entries = [
        _entry(1, outcome="reveal_refused", fields_shown=[]),
        _entry(2, outcome="error", fields_shown=[]),
        _entry(3, outcome="refused", fields_shown=[]),
    ]

    _, blocks = build_audit_list(
        policy=policy, entries=entries, request=AuditRequest(None, None, None), limit=40
    )

    shown = _text(blocks)
    assert "<@U0HANAKO> · :no_entry: reveal refused · `u-1001`" in shown
    assert "<@U0HANAKO> · :x: failed (nothing shown) · `u-1001`" in shown
    assert "<@U0HANAKO> · :no_entry: refused · `u-1001`" in shown


def test_the_chart_shows_each_escalations_zendesk_ticket(policy: Policy) -> None:
    url = "https://acme.zendesk.com/agent/tickets/"
    chart = Chart(
        (
            _escalation(
                1, status=Status.INVESTIGATING, zendesk_ticket_id=4711, zendesk_url=url + "4711"
            ),
        ),
        1,
        (_escalation(2, zendesk_ticket_id=4712, zendesk_url=None), _escalation(3)),
        2,
        (),
        0,
    )
    text = _text(
        build_lookup_answer(policy=policy, result=_result(chart=chart), workspace_url=None)
    )
    assert f"*ESC-1* · Zendesk <{url}4711|#4711> · case 1" in text
    assert "*ESC-2* · Zendesk #4712 · case 2" in text
    assert "*ESC-3* · case 3" in text  # filed without a ticket: nothing added
