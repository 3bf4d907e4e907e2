"""`/lookup` against the admin API (a real local HTTP server): found, failing, slow, never misled."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import col, select

from bot import listener_pool
from bot.db import Database
from bot.models import LookupAudit
from bot.policy import Policy, parse_policy
from bot.runtime import Runtime
from bot.workspace.webapi import RunningServer, SlackStandIn
from tests.conftest import drive_app
from tests.support.admin_api import USERS, AdminApi
from tests.support.factories import file_one
from tests.support.slack import SlackDriver, TrackingExecutor

TOKEN = "admin-token-5ecret"


@pytest.fixture
def admin_api() -> Iterator[AdminApi]:
    api = AdminApi()
    yield api
    api.stop()


@pytest.fixture
def admin_timeout() -> float:
    """`[lookup.http] timeout` (a test may parametrize it)."""
    return 1.0


@pytest.fixture
def policy(
    policy_text: str, admin_api: AdminApi, admin_timeout: float, monkeypatch: pytest.MonkeyPatch
) -> Policy:
    """The test policy reading user state from the local admin API, with a 1 s timeout."""
    monkeypatch.setenv("CREBOT_TEST_ADMIN_TOKEN", TOKEN)
    return parse_policy(
        policy_text
        + f"""
[lookup]
source = "http"

[lookup.http]
user_url = "{admin_api.user_url()}"
token_env = "CREBOT_TEST_ADMIN_TOKEN"
timeout = {admin_timeout}
cache_ttl = 60
"""
    )


def _answer(slack: SlackDriver) -> str:
    [(_, payload)] = slack.standin.responses
    assert payload["response_type"] == "ephemeral"
    return payload["text"] + json.dumps(payload.get("blocks") or [], ensure_ascii=False)


def _outcomes(db: Database) -> list[str]:
    with db.session() as session:
        rows = session.exec(select(LookupAudit).order_by(col(LookupAudit.id))).all()
        return [row.outcome for row in rows]


def _file_for(runtime: Runtime, end_user_id: str, summary: str) -> None:
    with runtime.db.session() as session:
        file_one(session, runtime.policy, runtime.now(), end_user_id=end_user_id, summary=summary)
    runtime.deliver()


def test_the_user_is_fetched_with_the_bearer_token_and_shown_masked(
    slack: SlackDriver, admin_api: AdminApi, runtime: Runtime
) -> None:
    slack.command("/lookup", "u-1001", user="U0HANAKO")

    shown = _answer(slack)
    assert "locked" in shown
    assert "t***@example.jp" in shown
    assert admin_api.paths == ["/users/u-1001"]
    assert admin_api.authorizations == [f"Bearer {TOKEN}"]
    assert TOKEN not in shown
    assert _outcomes(runtime.db) == ["shown"]


def test_a_failing_admin_api_is_one_line_and_the_chart_is_still_shown(
    slack: SlackDriver, runtime: Runtime
) -> None:
    _file_for(runtime, "u-500", "Purchase vanished")

    slack.command("/lookup", "u-500", user="U0HANAKO")

    shown = _answer(slack)
    assert "the admin API failed" in shown
    assert "ESC-1" in shown
    assert "Purchase vanished" in shown
    assert _outcomes(runtime.db) == ["source_error"]


def test_a_slow_admin_api_times_out_and_the_chart_is_still_shown(
    slack: SlackDriver, runtime: Runtime
) -> None:
    _file_for(runtime, "u-slow", "Cannot sign in")

    slack.command("/lookup", "u-slow", user="U0HANAKO")

    shown = _answer(slack)
    assert "did not answer in time" in shown
    assert "Cannot sign in" in shown
    assert _outcomes(runtime.db) == ["source_error"]


def test_the_command_is_acked_before_the_admin_api_answers(
    slack: SlackDriver, admin_api: AdminApi
) -> None:
    response = slack.command("/lookup", "u-slow", user="U0HANAKO", drain=False)

    assert response.status == 200  # Slack has its ack …
    assert admin_api.received.wait(timeout=10)  # … while the admin API is still being asked
    assert slack.standin.responses == []
    admin_api.release.set()
    slack.executor.drain()
    assert len(slack.standin.responses) == 1


def test_path_and_query_characters_never_reach_the_admin_api(
    slack: SlackDriver, admin_api: AdminApi, runtime: Runtime
) -> None:
    for text in ("../admin", "u-1?x=1", "u-1#frag", "a/b"):
        slack.command("/lookup", text, user="U0HANAKO")

    assert admin_api.paths == []
    assert _outcomes(runtime.db) == ["invalid"] * 4
    assert all("Usage" in text for text in slack.responses_text())


def test_an_unknown_user_answered_404_is_unknown(
    slack: SlackDriver, admin_api: AdminApi, runtime: Runtime
) -> None:
    slack.command("/lookup", "u-4040", user="U0HANAKO")

    assert "`u-4040` is not a known user in the admin API" in _answer(slack)
    assert _outcomes(runtime.db) == ["unknown"]


def test_the_second_look_up_is_served_from_the_cache_and_audited_again(
    slack: SlackDriver, admin_api: AdminApi, runtime: Runtime
) -> None:
    slack.command("/lookup", "u-1001", user="U0HANAKO")
    slack.command("/lookup", "u-1001", user="U0KENJI")

    assert admin_api.paths == ["/users/u-1001"]
    assert _outcomes(runtime.db) == ["shown", "shown"]


def test_no_token_and_no_personal_data_in_the_logs(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")  # the default LOG_LEVEL

    slack.command("/lookup", "u-1001", user="U0LEAD")
    slack.command("/lookup", "taro.yamada@example.jp", user="U0LEAD")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (TOKEN, "taro.yamada", "090-1234-5678", "山田"):
        assert secret not in logged
    assert "lookup by U0LEAD: shown" in logged


@pytest.mark.parametrize("admin_timeout", [30.0])  # the API stays slow until the test lets it go
def test_more_slow_look_ups_than_listener_threads_are_all_acked_at_once_and_so_is_the_next_command(
    runtime: Runtime, standin: SlackStandIn, slack_server: RunningServer, admin_api: AdminApi
) -> None:
    workers = listener_pool.WORKERS
    executor = TrackingExecutor(max_workers=workers)  # the production pool's size
    slack = drive_app(runtime, standin=standin, server=slack_server, executor=executor)
    try:
        acks = [
            slack.command("/lookup", f"u-slow-{n}", user="U0HANAKO", drain=False)
            for n in range(workers + 1)
        ]
        assert admin_api.wait_for_requests(workers)  # every listener thread is held by the API
        help_ack = slack.command("/cre", "help", user="U0HANAKO", drain=False)

        assert [(ack.status, ack.body) for ack in [*acks, help_ack]] == [(200, "")] * (workers + 2)
        assert help_ack.seconds < 1.0
        assert standin.responses == []  # the acks all came back before any look-up finished
        assert len(admin_api.paths) == workers  # one look-up (and the help) still wait for a thread

        admin_api.release.set()
        executor.drain()
    finally:
        admin_api.release.set()
        executor.shutdown(wait=True)

    answers = [payload["text"] for _, payload in standin.responses]
    assert len(answers) == workers + 2
    assert sum(text.startswith("Look-up of ") for text in answers) == workers + 1
    assert _outcomes(runtime.db) == ["shown"] * (workers + 1)


def test_a_malformed_id_from_the_admin_api_never_reaches_the_buttons_or_the_audit(
    slack: SlackDriver, admin_api: AdminApi, runtime: Runtime
) -> None:
    hostile = "../../admin?drop=1#" + "x" * 5000
    admin_api.users["u-2001"] = {**USERS["u-1001"], "id": hostile}

    slack.command("/lookup", "u-2001", user="U0HANAKO")

    shown = _answer(slack)
    assert "../../admin" not in shown
    [(_, payload)] = slack.standin.responses
    values = [
        element["value"]
        for block in payload["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert len(values) >= 2
    assert set(values) == {"u-2001"}
    with runtime.db.session() as session:
        [row] = session.exec(select(LookupAudit)).all()
    assert (row.outcome, row.end_user_id) == ("shown", "u-2001")


def test_the_chart_includes_escalations_filed_under_the_email_the_admin_api_knows(
    slack: SlackDriver, runtime: Runtime
) -> None:
    _file_for(runtime, "taro.yamada@example.jp", "Wrote in from the family account")
    _file_for(runtime, "u-1001", "Locked after a password reset")

    slack.command("/lookup", "u-1001", user="U0HANAKO")

    shown = _answer(slack)
    assert "Wrote in from the family account" in shown
    assert "Locked after a password reset" in shown
    assert "taro.yamada@example.jp" not in shown  # used for the chart, still masked in the answer
