"""Posts Slack refuses until a person acts (not in the channel, archived, a scope, the token):
failed at once and never retried hourly, the lead told once per channel and error what to do."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from bot import cli
from bot.clock import ManualClock
from bot.models import Outbox, OutboxStatus
from bot.outbox_rows import OutboxRow, enqueue
from bot.runtime import Runtime
from bot.workspace.webapi import SlackStandIn
from tests.conftest import FIXTURES
from tests.support.factories import policy_variant

LEAD = "U0LEAD"
UNTIL_FIXED = (
    "\nPosts Slack refuses this way are not retried. Once it is fixed, `crebot outbox retry`"
    " sends them."
)
MANIFEST_SCOPES = frozenset(
    {"commands", "chat:write", "chat:write.public", "channels:history", "groups:history"}
    | {"im:history", "im:write", "users:read", "users:read.email", "usergroups:read", "files:write"}
)


def promise(runtime: Runtime, key: str, channel: str) -> None:
    with runtime.db.session() as session:
        enqueue(session, OutboxRow.message(key, channel=channel, text="hello"), now=runtime.now())
        session.commit()


def deliver_for_a_day(runtime: Runtime, clock: ManualClock) -> None:
    for _ in range(24):
        runtime.deliverer.deliver_due()
        clock.advance(timedelta(hours=1))


def outcomes(runtime: Runtime) -> dict[str, tuple[str, str | None]]:
    with runtime.db.session() as session:
        rows = session.exec(select(Outbox)).all()
        return {row.key: (row.status, row.last_error) for row in rows}


def test_an_archived_and_a_private_channel_fail_once_and_the_lead_hears_once_of_each(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    standin.add_channel("C0OLD", "old-escalations", is_archived=True)
    standin.add_channel("C0PRIV", "cre-private", is_private=True, is_member=False)
    promise(runtime, "test:1", "C0OLD")
    promise(runtime, "test:2", "C0OLD")
    promise(runtime, "test:3", "C0PRIV")

    deliver_for_a_day(runtime, clock)

    assert outcomes(runtime) == {
        "test:1": (OutboxStatus.FAILED, "is_archived"),
        "test:2": (OutboxStatus.FAILED, "is_archived"),
        "test:3": (OutboxStatus.FAILED, "channel_not_found"),
        "setup:is_archived:C0OLD": (OutboxStatus.SENT, None),
        "setup:channel_not_found:C0PRIV": (OutboxStatus.SENT, None),
    }
    assert len(standin.calls_to("chat.postMessage")) == 5  # each row once, the two notices
    assert [m.text for m in standin.dms(LEAD)] == [
        ":warning: I could not post in <#C0OLD>: it is archived. Unarchive it, or name another"
        " channel in the policy file." + UNTIL_FIXED,
        ":warning: I could not post in channel `C0PRIV`: Slack does not know it, or it is private"
        " and I am not in it. Check the channel id in the policy file, or invite me"
        " (`/invite @cre-bot`) if it is a private channel." + UNTIL_FIXED,
    ]


def test_the_lead_reads_it_in_japanese(
    policy_text: str, runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    runtime.policy = policy_variant(policy_text, ('language = "en"', 'language = "ja"'))
    standin.granted_scopes = MANIFEST_SCOPES - {"chat:write.public"}
    standin.add_channel("C0CS", "cs-support", is_member=False)
    promise(runtime, "test:1", "C0CS")

    deliver_for_a_day(runtime, clock)

    [notice] = standin.dms(LEAD)
    assert notice.text == (
        ":warning: cre-bot が <#C0CS> に参加していないため、投稿できませんでした。<#C0CS> で"
        " `/invite @cre-bot` と入力して招待してください。\n"
        "このように拒否された投稿は再試行しません。修正後に `crebot outbox retry` を実行すると、"
        "まとめて送信します。"
    )


def test_a_missing_scope_is_named_and_a_notice_that_fails_too_is_not_noticed_again(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    standin.granted_scopes = MANIFEST_SCOPES - {"chat:write"}  # nothing can be posted, DMs neither
    promise(runtime, "test:1", "C0ESCALATE")

    deliver_for_a_day(runtime, clock)

    assert outcomes(runtime) == {
        "test:1": (OutboxStatus.FAILED, "missing_scope"),
        "setup:missing_scope:C0ESCALATE": (OutboxStatus.FAILED, "missing_scope"),
    }
    assert len(standin.calls_to("chat.postMessage")) == 2
    with runtime.db.session() as session:
        notice = session.exec(select(Outbox).where(Outbox.key.startswith("setup:"))).one()  # type: ignore[attr-defined]
    assert notice.payload["text"].startswith(
        ":warning: Slack refused `chat.postMessage` (<#C0ESCALATE>): the app lacks the scope"
        " `chat:write`. Add it under *OAuth &amp; Permissions*"
    )


def test_without_slacks_word_on_the_scope_the_method_reference_names_it(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    standin.fail("chat.postMessage", error="missing_scope")  # no "needed" in the answer
    promise(runtime, "test:1", "C0ESCALATE")

    deliver_for_a_day(runtime, clock)

    [notice] = standin.dms(LEAD)
    assert "the app lacks the scope `chat:write`." in notice.text


@pytest.mark.parametrize("error", ["restricted_action", "no_permission"])
def test_a_workspace_restriction_asks_for_an_admin(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn, error: str
) -> None:
    standin.fail("chat.postMessage", error=error)
    promise(runtime, "test:1", "C0ESCALATE")

    deliver_for_a_day(runtime, clock)

    [notice] = standin.dms(LEAD)
    assert notice.text.startswith(
        f":warning: A workspace setting stops me posting in <#C0ESCALATE> (`{error}`). Ask a Slack"
        " admin to let cre-bot post there"
    )


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked", "account_inactive"])
def test_a_refused_token_fails_at_once_and_is_logged_not_dmed(
    runtime: Runtime,
    clock: ManualClock,
    standin: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
    error: str,
) -> None:
    standin.fail("chat.postMessage", error=error)
    promise(runtime, "test:1", "C0ESCALATE")

    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        deliver_for_a_day(runtime, clock)

    assert outcomes(runtime) == {"test:1": (OutboxStatus.FAILED, error)}
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert f"Slack refused the bot token ({error})" in caplog.text


def test_a_temporary_error_is_still_retried(
    runtime: Runtime, clock: ManualClock, standin: SlackStandIn
) -> None:
    standin.fail("chat.postMessage", error="internal_error", times=3)
    promise(runtime, "test:1", "C0ESCALATE")

    deliver_for_a_day(runtime, clock)

    assert outcomes(runtime) == {"test:1": (OutboxStatus.SENT, "internal_error")}
    assert standin.dms(LEAD) == []


def test_crebot_outbox_retry_puts_back_the_refused_posts_only(
    runtime: Runtime,
    clock: ManualClock,
    standin: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    standin.add_channel("C0CS", "cs-support", is_member=False, is_private=True)
    standin.fail("chat.postMessage", error="msg_too_long")
    promise(runtime, "test:long", "C0ESCALATE")
    promise(runtime, "test:cs", "C0CS")
    deliver_for_a_day(runtime, clock)
    standin.channels["C0CS"]["is_member"] = True
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CREBOT_CONFIG", str(FIXTURES / "policy.toml"))

    assert cli.main(["outbox", "retry"]) == 0
    runtime.deliverer.deliver_due(now=clock.now() + timedelta(minutes=1))

    assert "refused posts put back in line: 1 " in capsys.readouterr().out
    assert outcomes(runtime) == {
        "test:long": (OutboxStatus.FAILED, "msg_too_long"),  # a bad post stays failed
        "test:cs": (OutboxStatus.SENT, "channel_not_found"),
        "setup:channel_not_found:C0CS": (OutboxStatus.SENT, None),
    }
    assert [m.text for m in standin.channel_messages("C0CS")] == ["hello"]
