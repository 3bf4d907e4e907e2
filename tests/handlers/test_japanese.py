"""A team with `language = "ja"`: everything a person reads, refusals included, is Japanese."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.policy import Policy
from bot.runtime import Runtime
from bot.scheduler import run_job
from tests.conftest import TOKYO
from tests.support.factories import file_one, policy_variant
from tests.support.flows import (
    assert_acked,
    block_action,
    card_field,
    ephemeral_replies,
    file_via_modal,
    opened_view,
    resolve_via_modal,
    texts_in,
    thread_lines,
    wait_on_cs,
)
from tests.support.slack import SlackDriver


@pytest.fixture
def policy(policy_text: str) -> Policy:
    return policy_variant(policy_text, ('language = "en"', 'language = "ja"'))


def test_filing_claiming_refusing_and_resolving_read_in_japanese(slack: SlackDriver) -> None:
    card = file_via_modal(slack, user="U0CS")  # assigned to U0HANAKO
    assert card_field(slack.channel("C0ESCALATE")[0], "ステータス").endswith("割り当て済み")

    assert_acked(slack.click(card, "esc.acknowledge", user="U0TARO"))
    assert_acked(slack.click(card, "esc.acknowledge", user="U0HANAKO"))
    assert_acked(wait_on_cs(slack, card, user="U0HANAKO"))
    stale = {"type": "button", "action_id": "esc.acknowledge", "value": "1", "block_id": "esc:1"}
    assert_acked(block_action(slack, card, stale, user="U0HANAKO"))

    not_allowed, wrong_status = ephemeral_replies(slack)[-2:]
    assert not_allowed == "ESC-1 に着手できるのは担当者かリーダーだけです。"
    assert wrong_status == "ESC-1 は「CS回答待ち」です。着手できるのは割り当て済みのものだけです。"
    assert "waiting" not in wrong_status

    assert_acked(resolve_via_modal(slack, card, user="U0HANAKO", cause="bug"))
    lines = thread_lines(slack, card)
    assert any(
        line.startswith(
            ":white_check_mark: <@U0CS> さん、<@U0HANAKO> さんが ESC-1 を解決しました(原因: "
        )
        for line in lines
    ), lines


def test_a_second_resolution_is_refused_naming_who_resolved_it(slack: SlackDriver) -> None:
    card = file_via_modal(slack, user="U0CS")
    assert_acked(slack.click(card, "esc.resolve", user="U0HANAKO"))
    hanako_view, hanako_view_id = opened_view(slack)
    assert_acked(resolve_via_modal(slack, card, user="U0LEAD", answer="リーダーが回答しました。"))

    late = slack.submit(
        hanako_view,
        {"cause": "bug", "answer": "担当者の回答", "note": ""},
        user="U0HANAKO",
        view_id=hanako_view_id,
    )

    assert_acked(late)
    assert any(
        "ESC-1 はすでに <@U0LEAD> さんが解決したため" in text
        for text in _dms_and_replies(slack, "U0HANAKO")
    )
    assert not any("担当者の回答" in line for line in thread_lines(slack, card))


def _dms_and_replies(slack: SlackDriver, user: str) -> list[str]:
    return [m.text for m in slack.standin.dms(user)] + ephemeral_replies(slack)


def test_a_mid_month_report_with_nothing_resolved_and_breaches_does_not_celebrate(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    filed_at = datetime(2026, 11, 16, 10, tzinfo=TOKYO)
    with runtime.db.session() as session:
        for _ in range(3):
            file_one(session, runtime.policy, filed_at, priority="P1")  # due 4h on
        session.commit()
    run_job(runtime=runtime, name="slo-sweep", at=clock.now())  # the clock says 11/25
    runtime.deliver()

    slack.command("/cre", "report 2026-11", user="U0LEAD")
    slack.executor.drain()

    [(_, payload)] = [r for r in slack.standin.responses if "blocks" in r[1]]
    text = str(payload["blocks"])
    assert (
        payload["blocks"][0]["text"]["text"] == "エスカレーション月次レポート: 2026年11月(途中経過)"
    )
    assert payload["blocks"][-1]["text"]["text"] == (
        "2026年11月に解決したエスカレーションは、まだありません。\n"
        ":warning: 2026年11月は3件がSLO目標を超過しました。"
    )
    assert ":tada:" not in text
    assert "*現在未解決*\\n3" in text


def test_business_time_reads_as_business_days_and_hours_on_the_card_and_in_the_dm(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    file_via_modal(slack, user="U0CS", values={"priority": "P2"})  # 2 business days
    slo_line = card_field(slack.channel("C0ESCALATE")[0], "SLO")
    assert slo_line.endswith("残り2営業日"), slo_line  # not 「残り2日」, read as calendar days
    clock.set(datetime(2026, 11, 26, 10, tzinfo=TOKYO))  # 9h on: 50% of the SLO
    run_job(runtime=runtime, name="slo-sweep", at=clock.now())
    [dm] = slack.standin.dms("U0HANAKO")  # her assignment DM, redrawn with the warning
    warning = "\n".join(texts_in(dm.blocks))
    assert "SLO(2営業日)の50%を経過しています。" in warning, warning
    assert "残り9時間" in warning


def test_an_audit_name_two_people_share_asks_for_a_mention_in_japanese(
    slack: SlackDriver,
) -> None:
    slack.standin.add_user("U0TARO1", "taro.sato", display_name="たろう")
    slack.standin.add_user("U0TARO2", "taro.kato", display_name="たろう")

    slack.command("/cre", "audit @たろう", user="U0LEAD")

    assert ephemeral_replies(slack)[-1] == (
        "@たろう という名前のメンバーが2人います。"
        "@ を入力したときに表示される候補から選んで、どなたか指定してください。"
    )


def test_the_leads_home_reads_the_teams_state_in_japanese(
    slack: SlackDriver, clock: ManualClock
) -> None:
    slack.command("/cre", "away", user="U0KENJI")
    slack.command("/cre", "away", user="U0HANAKO")
    file_via_modal(slack, summary="全員ログインできない", values={"priority": "P1"})
    clock.advance(timedelta(days=1))

    slack.event(
        {
            "type": "app_home_opened",
            "user": "U0LEAD",
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": "1795568400.000001",
        }
    )

    text = "\n".join(texts_in(slack.standin.home["U0LEAD"]["blocks"]))
    assert text.startswith("cre-bot\n")
    assert (
        "*チームの状況:* :rotating_light: SLO超過 1件 · :warning: 期限間近 0件 · "
        ":raised_hand: 担当者待ち 1件"
    ) in text
    assert "担当者待ち(1件)" in text
    assert "あなたが担当しているエスカレーションはありません。" in text
    assert "SLO超過" in text
    assert "未割り当て" not in text
