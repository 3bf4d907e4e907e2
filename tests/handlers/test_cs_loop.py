"""The CS loop: the filer hears what happened to what they filed, in private and in their thread."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.db import Database
from bot.policy import Policy
from bot.workspace.webapi import Message
from tests.support.factories import policy_variant
from tests.support.flows import (
    ESCALATION_CHANNEL,
    assert_acked,
    card_texts,
    escalation,
    event_kinds,
    everything_posted,
    file_via_modal,
    opened_view,
    outbox_rows,
    resolve_via_modal,
    submit_escalation,
    texts_in,
    thread_lines,
)
from tests.support.slack import Response, SlackDriver

WORDS = {
    "en": {
        "filed": ":inbox_tray: You filed *ESC-1* · Login fails after password reset\n",
        "see": "|See it> in <#C0ESCALATE>",
        "assigned": "assigned to <@U0HANAKO>",
        "queued": "waiting for an engineer to take it",
        "due": "due Fri 11/27 10:00 · 2 business days left",
    },
    "ja": {
        "filed": ":inbox_tray: エスカレーションを起票しました: *ESC-1* · Login fails after password reset\n",
        "see": "<#C0ESCALATE> の<https://",
        "assigned": "担当: <@U0HANAKO> さん",
        "queued": "担当者待ち",
        "due": "期限 11/27(金) 10:00",
    },
}


@pytest.fixture(params=["en", "ja"])
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def strategy() -> str:
    return "least-loaded"


@pytest.fixture
def policy(policy_text: str, lang: str, strategy: str) -> Policy:
    """The test policy in `lang` (a test may parametrize `strategy`: "manual" queues everything)."""
    return policy_variant(
        policy_text,
        ('language = "en"', f'language = "{lang}"'),
        ('strategy = "least-loaded"', f'strategy = "{strategy}"'),
    )


def _permalink(ts: str) -> str:
    return f"https://crebot.slack.com/archives/{ESCALATION_CHANNEL}/p{ts.replace('.', '')}"


def test_the_filer_gets_a_private_confirmation_with_key_link_assignee_and_due_time(
    slack: SlackDriver, lang: str
) -> None:
    card = file_via_modal(slack, summary="Login fails after password reset", user="U0CS")

    [dm] = slack.standin.dms("U0CS")
    words = WORDS[lang]
    assert dm.text.startswith(words["filed"])
    assert f"<{_permalink(card.ts)}|" in dm.text  # a link to the card itself
    assert words["see"] in dm.text
    assert words["assigned"] in dm.text
    assert words["due"] in dm.text  # filed Wed 10:00 Tokyo, P2: two business days
    # Only the filer hears it (the assignee has their own assignment DM).
    assert not any(m.text.startswith(words["filed"]) for m in slack.standin.dms("U0HANAKO"))


@pytest.mark.parametrize("strategy", ["manual"])
def test_a_queued_escalation_says_it_waits_for_an_engineer(slack: SlackDriver, lang: str) -> None:
    file_via_modal(slack, summary="Login fails after password reset", user="U0CS")

    [dm] = slack.standin.dms("U0CS")
    assert WORDS[lang]["queued"] in dm.text
    assert WORDS[lang]["assigned"] not in dm.text


def test_submitting_the_modal_twice_confirms_once(slack: SlackDriver, db: Database) -> None:
    assert_acked(slack.command("/escalate", "Login fails", user="U0CS"))
    assert_acked(submit_escalation(slack, user="U0CS"))
    assert_acked(submit_escalation(slack, user="U0CS"))  # a retried submission of the same view

    assert len(slack.standin.dms("U0CS")) == 1
    assert [r.key for r in outbox_rows(db) if r.key.startswith("esc:1:filer")] == [
        "esc:1:filer:filed"
    ]


# -- filed from a message: one reply in its thread, updated in place ---------------------------------

SOURCE = {
    "en": {
        "head": ":inbox_tray: Escalated to CRE: *ESC-1* · User u-2002 can't restore their album · <https://",
        "assigned": ":bust_in_silhouette: Assigned to <@U0HANAKO> · due Fri 11/27 10:00",
        "investigating": ":mag: <@U0HANAKO> is investigating · due Fri 11/27 10:00",
        "resolved": ":white_check_mark: Resolved by <@U0HANAKO>.\n*Answer for CS:*\n",
    },
    "ja": {
        "head": ":inbox_tray: CRE にエスカレーションしました: *ESC-1* · User u-2002 can't restore their album · <#C0ESCALATE> の<https://",
        "assigned": ":bust_in_silhouette: <@U0HANAKO> さんが担当します · 期限 11/27(金) 10:00",
        "investigating": ":mag: <@U0HANAKO> さんが調査しています · 期限 11/27(金) 10:00",
        "resolved": ":white_check_mark: <@U0HANAKO> さんが解決しました。\n*CSへの回答:*\n",
    },
}
REPORT = "User u-2002 can't restore their album\nThey tried twice from the app; error E42."


def _file_from_message(slack: SlackDriver) -> Message:
    message = slack.standin.add_message("C0SUPPORT", user="U0CS", text=REPORT)
    assert_acked(slack.message_shortcut(message, user="U0CS"))
    assert_acked(submit_escalation(slack, values={"end_user_id": "u-2002"}))
    return message


def _replies(slack: SlackDriver, message: Message) -> list[Message]:
    return [m for m in slack.standin.thread("C0SUPPORT", message.ts) if m.ts != message.ts]


def test_the_shortcut_puts_the_message_on_the_card_once(slack: SlackDriver, db: Database) -> None:
    _file_from_message(slack)

    [card] = slack.channel(ESCALATION_CHANNEL)
    shown = "\n".join(card_texts(card))
    assert shown.count("can't restore their album") == 1
    assert shown.count("error E42") == 1
    row = escalation(db)
    assert row.summary == "User u-2002 can't restore their album"
    assert row.details == "They tried twice from the app; error E42."


def test_the_source_thread_gets_one_reply_updated_in_place_until_resolved(
    slack: SlackDriver, lang: str
) -> None:
    message = _file_from_message(slack)
    [card] = slack.channel(ESCALATION_CHANNEL)
    [reply] = _replies(slack, message)
    words = SOURCE[lang]
    assert reply.text.startswith(words["head"])
    assert f"<{_permalink(card.ts)}|" in reply.text
    assert words["assigned"] in reply.text
    assert [dm.text.split("\n")[0] for dm in slack.standin.dms("U0CS")] == [
        WORDS[lang]["filed"]
        .replace("Login fails after password reset", REPORT.split("\n")[0])
        .rstrip("\n")
    ]  # the filer's confirmation too

    assert_acked(slack.click(card, "esc.acknowledge", user="U0HANAKO"))
    [reply] = _replies(slack, message)
    assert words["investigating"] in reply.text

    assert_acked(
        resolve_via_modal(
            slack,
            slack.channel(ESCALATION_CHANNEL)[0],
            user="U0HANAKO",
            answer="Restore from the web.",
        )
    )
    [reply] = _replies(slack, message)
    assert words["resolved"] in reply.text
    assert reply.text.endswith(">Restore from the web.")
    updates = [c for c in slack.standin.calls_to("chat.update") if c.args["ts"] == reply.ts]
    assert len(updates) == 2  # acknowledged, resolved: the same message each time
    assert reply.updated_count == 2


# -- /cre mine: what I filed as well as what I own ---------------------------------------------------

MINE = {
    "en": ("Filed by you (3)", "Your escalations (", "Nothing you filed is open."),
    "ja": (
        "あなたが起票したもの(3件)",
        "あなたの担当 (",
        "起票したもので未解決のエスカレーションはありません。",
    ),
}


def _mine(slack: SlackDriver, user: str) -> str:
    assert_acked(slack.command("/cre", "mine", user=user))
    payload = slack.standin.responses[-1][1]
    return "\n".join([str(payload.get("text", "")), *texts_in(payload.get("blocks") or [])])


def test_a_cs_agent_who_filed_three_sees_three(slack: SlackDriver, lang: str) -> None:
    for summary in ("first problem", "second problem", "third problem"):
        file_via_modal(slack, summary=summary, user="U0CS")

    shown = _mine(slack, "U0CS")

    filed, owned, _ = MINE[lang]
    assert filed in shown
    assert owned not in shown  # a CS agent owns nothing: no empty "yours" section
    for key, summary in (("ESC-1", "first"), ("ESC-2", "second"), ("ESC-3", "third")):
        assert key in shown
        assert f"{summary} problem" in shown


def test_an_engineer_sees_what_they_own_and_what_they_filed(slack: SlackDriver, lang: str) -> None:
    file_via_modal(slack, summary="assigned to hanako", user="U0CS")  # least loaded: U0HANAKO
    file_via_modal(slack, summary="hanako asks for help", user="U0HANAKO")  # goes to someone else

    shown = _mine(slack, "U0HANAKO")

    titles = {
        "en": ("Your escalations (1)", "Filed by you (1)"),
        "ja": ("あなたの担当(1件)", "あなたが起票したもの(1件)"),
    }
    owned, filed = shown.split(titles[lang][1])
    assert titles[lang][0] in owned
    assert "assigned to hanako" in owned
    assert "hanako asks for help" in filed


def test_what_i_filed_leaves_out_resolved_ones(slack: SlackDriver, lang: str) -> None:
    card = file_via_modal(slack, summary="fixed soon", user="U0CS")
    resolve_via_modal(slack, card, user="U0HANAKO")

    shown = _mine(slack, "U0CS")

    assert MINE[lang][2] in shown
    assert "fixed soon" not in shown


# -- waiting on CS: the filer is asked, answers from the DM, and the clock runs again ----------------

ASKED = {
    "en": (
        ":hourglass_flowing_sand: <@U0HANAKO> needs your answer on *ESC-1* · "
        "User u-2002 can't restore their album · <https://"
    ),
    "ja": (
        ":hourglass_flowing_sand: <@U0HANAKO> さんが *ESC-1* · "
        "User u-2002 can't restore their album について回答を待っています · <#C0ESCALATE> の<https://"
    ),
}
ANSWERED = {
    "en": ":speech_balloon: <@U0CS> answered. The SLO clock is running again.\n>",
    "ja": ":speech_balloon: <@U0CS> さんが回答しました。SLO の計測を再開します。\n>",
}
WAITING_REPLY = {
    "en": ":hourglass_flowing_sand: <@U0HANAKO> is waiting on CS. <@U0CS>, please answer",
    "ja": ":hourglass_flowing_sand: <@U0HANAKO> さんが CS回答待ちにしました。<@U0CS> さん、",
}


def _wait_on_cs(slack: SlackDriver, card: Message, *, user: str, question: str) -> None:
    assert_acked(slack.click(card, "esc.wait_question", user=user))
    view, view_id = opened_view(slack)
    assert view["callback_id"] == "wait_question"
    assert_acked(slack.submit(view, {"question": question}, user=user, view_id=view_id))


def _answer(slack: SlackDriver, dm: Message, *, user: str, answer: str) -> Response:
    assert_acked(slack.click(dm, "esc.answer", user=user))
    view, view_id = opened_view(slack)
    assert view["callback_id"] == "answer_question"
    return slack.submit(view, {"answer": answer}, user=user, view_id=view_id)


def test_the_filer_is_asked_answers_in_the_thread_and_the_clock_runs_again(
    slack: SlackDriver, db: Database, clock: ManualClock, lang: str
) -> None:
    message = _file_from_message(slack)
    [card] = slack.channel(ESCALATION_CHANNEL)
    assert_acked(slack.click(card, "esc.acknowledge", user="U0HANAKO"))
    _wait_on_cs(
        slack, slack.channel(ESCALATION_CHANNEL)[0], user="U0HANAKO", question="Which app version?"
    )

    _, asked = slack.standin.dms("U0CS")  # after the confirmation
    assert asked.text.startswith(ASKED[lang])
    assert asked.text.endswith("\n>Which app version?")
    assert "esc.answer" in [
        e["action_id"] for b in asked.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    [reply] = _replies(slack, message)
    assert WAITING_REPLY[lang] in reply.text
    assert reply.text.endswith("\n>Which app version?")
    assert escalation(db).status == "waiting"
    assert escalation(db).slo_running_since is None  # the clock is paused

    clock.advance(timedelta(minutes=30))
    assert_acked(_answer(slack, asked, user="U0CS", answer="4.2.1 on iOS 18"))

    assert thread_lines(slack, card)[-1] == ANSWERED[lang] + "4.2.1 on iOS 18"
    row = escalation(db)
    assert row.status == "investigating"
    assert row.slo_running_since == clock.now()  # running again from the answer
    [reply] = _replies(slack, message)  # the same reply, redrawn once more
    # Due 30 minutes later than before: the clock stood still while it waited on CS.
    assert SOURCE[lang]["investigating"].replace("10:00", "10:30") in reply.text
    assert reply.updated_count == 3  # acknowledged, waiting, answered


def test_answering_twice_from_one_modal_posts_once(slack: SlackDriver, db: Database) -> None:
    card = file_via_modal(slack, user="U0CS")
    _wait_on_cs(slack, card, user="U0HANAKO", question="Which app version?")
    _, asked = slack.standin.dms("U0CS")
    assert_acked(slack.click(asked, "esc.answer", user="U0CS"))
    view, view_id = opened_view(slack)

    for _ in range(2):
        assert_acked(slack.submit(view, {"answer": "4.2.1"}, user="U0CS", view_id=view_id))

    assert event_kinds(db).count("answered") == 1
    assert sum("4.2.1" in line for line in thread_lines(slack, card)) == 1


REFUSED = {
    "en": "Only whoever filed ESC-1 or the lead can answer its question.",
    "ja": "ESC-1 の質問に回答できるのは、起票した方かリーダーだけです。",
}
NO_LONGER = {"en": "no longer waiting on CS", "ja": "もう CS回答待ちではありません"}


def test_someone_else_cannot_answer(slack: SlackDriver, db: Database, lang: str) -> None:
    card = file_via_modal(slack, user="U0CS")
    _wait_on_cs(slack, card, user="U0HANAKO", question="Which app version?")
    _, asked = slack.standin.dms("U0CS")

    assert_acked(slack.click(asked, "esc.answer", user="U0TARO"))

    assert slack.standin.calls_to("views.open")[-1].args["view"]["callback_id"] != "answer_question"
    assert REFUSED[lang] in everything_posted(slack)
    assert escalation(db).status == "waiting"


def test_an_answer_after_the_engineer_resumed_stays_in_the_modal(
    slack: SlackDriver, db: Database, lang: str
) -> None:
    card = file_via_modal(slack, user="U0CS")
    _wait_on_cs(slack, card, user="U0HANAKO", question="Which app version?")
    _, asked = slack.standin.dms("U0CS")
    assert_acked(slack.click(asked, "esc.answer", user="U0CS"))
    view, view_id = opened_view(slack)
    assert_acked(slack.click(slack.channel(ESCALATION_CHANNEL)[0], "esc.resume", user="U0HANAKO"))

    response = slack.submit(view, {"answer": "4.2.1"}, user="U0CS", view_id=view_id)

    assert response.json()["response_action"] == "errors"
    assert NO_LONGER[lang] in response.json()["errors"]["answer"]
    assert "answered" not in event_kinds(db)
