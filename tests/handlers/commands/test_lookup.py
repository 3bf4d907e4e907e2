"""`/lookup` end to end with the demo directory: the answer, refusals, bad input, the audit first."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import col, select

from bot.db import Database
from bot.models import LookupAudit
from bot.runtime import Runtime
from tests.support.db import table_missing
from tests.support.factories import file_one
from tests.support.slack import SlackDriver


def _audit(db: Database) -> list[LookupAudit]:
    with db.session() as session:
        return list(session.exec(select(LookupAudit).order_by(col(LookupAudit.id))).all())


def _reply(slack: SlackDriver) -> dict[str, Any]:
    """The one reply to the command, checked to be ephemeral."""
    [(_, payload)] = slack.standin.responses
    assert payload.get("response_type") == "ephemeral", payload
    return payload


def _shown(payload: dict[str, Any]) -> str:
    return str(payload.get("text", "")) + json.dumps(
        payload.get("blocks") or [], ensure_ascii=False
    )


def test_lookup_shows_the_demo_users_state_masked_and_their_chart(
    slack: SlackDriver, runtime: Runtime
) -> None:
    response = slack.command("/lookup", "u-1001", user="U0HANAKO")

    assert response.status == 200
    assert response.body == ""  # a bare ack: the answer comes through the response_url
    shown = _shown(_reply(slack))
    assert "locked" in shown
    assert "too many failed sign-ins right after a password reset" in shown
    assert "t***@example.jp" in shown
    assert "***-****-5678" in shown
    assert "taro.yamada@example.jp" not in shown
    assert "090-1234-5678" not in shown
    assert "No escalations or notes for this user yet." in shown
    [row] = _audit(runtime.db)
    assert (row.actor_id, row.channel_id, row.outcome) == ("U0HANAKO", "C0SUPPORT", "shown")
    assert row.end_user_id == "u-1001"
    assert "Email" in row.fields_shown


def test_lookup_by_email_finds_the_same_user(slack: SlackDriver) -> None:
    slack.command(
        "/lookup", "<mailto:hanako.sato@example.jp|hanako.sato@example.jp>", user="U0KENJI"
    )

    shown = _shown(_reply(slack))
    assert "u-1002" in shown
    assert "h***@example.jp" in shown


def test_an_unknown_user_is_said_to_be_unknown_and_their_history_is_shown(
    slack: SlackDriver, runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        file_one(
            session, runtime.policy, runtime.now(), end_user_id="u-9999", summary="Lost photos"
        )
    runtime.deliver()

    slack.command("/lookup", "u-9999", user="U0TARO")

    shown = _shown(_reply(slack))
    assert "`u-9999` is not a known user in the user directory" in shown
    assert "ESC-1" in shown
    assert "Lost photos" in shown
    assert _audit(runtime.db)[-1].outcome == "unknown"


def test_someone_not_allowed_is_refused_and_the_refusal_is_audited(
    slack: SlackDriver, runtime: Runtime
) -> None:
    slack.command("/lookup", "u-1001", user="U0CS")

    shown = _shown(_reply(slack))
    assert "not allowed to look up end users" in shown
    assert "locked" not in shown
    [row] = _audit(runtime.db)
    assert (row.actor_id, row.outcome) == ("U0CS", "refused")


def test_a_path_in_the_id_is_refused_with_the_usage_line(
    slack: SlackDriver, runtime: Runtime
) -> None:
    slack.command("/lookup", "../x", user="U0HANAKO")

    shown = _shown(_reply(slack))
    assert "must not contain" in shown
    assert "Usage: `/lookup &lt;user id | email&gt;`" in shown
    assert _audit(runtime.db)[-1].outcome == "invalid"


def test_an_empty_lookup_gets_the_usage_line(slack: SlackDriver) -> None:
    slack.command("/lookup", "", user="U0HANAKO")

    assert "Usage: `/lookup &lt;user id | email&gt;`" in _shown(_reply(slack))


def test_the_audit_row_is_written_even_when_the_answer_cannot_be_delivered(
    slack: SlackDriver, runtime: Runtime
) -> None:
    slack.standin.fail("response_url", status=500, times=3)

    slack.command("/lookup", "u-1001", user="U0HANAKO")

    assert slack.standin.responses == []  # the user never saw an answer …
    [row] = _audit(runtime.db)  # … and the look-up is on record all the same
    assert (row.outcome, row.end_user_id) == ("shown", "u-1001")


def test_a_database_error_during_a_look_up_logs_no_end_user(
    slack: SlackDriver, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")  # the default LOG_LEVEL

    with table_missing(runtime.db.engine, "lookup_audit"):
        slack.command("/lookup", "taro.yamada@example.jp", user="U0HANAKO")
        slack.command("/lookup", "u-1001", user="U0HANAKO")

    assert all("something went wrong" in text for text in slack.responses_text())
    logged = caplog.text  # with the tracebacks and the database's error text
    assert "lookup_audit" in logged
    assert "error handling command" in logged
    for personal in ("u-1001", "taro.yamada"):
        assert personal not in logged
