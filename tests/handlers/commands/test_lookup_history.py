"""The escalation card and `/cre show` tell the next engineer about the user's earlier escalations."""

from __future__ import annotations

import json

from bot import escalations
from bot.runtime import Runtime
from tests.support.factories import file_one
from tests.support.slack import SlackDriver


def _file(runtime: Runtime, end_user_id: str) -> int:
    with runtime.db.session() as session:
        escalation = file_one(session, runtime.policy, runtime.now(), end_user_id=end_user_id)
    runtime.deliver()
    assert escalation.id is not None
    return escalation.id


def _card_text(slack: SlackDriver, key: str) -> str:
    cards = [m for m in slack.channel("C0ESCALATE") if key in json.dumps(m.blocks)]
    assert cards, f"no card for {key}"
    return json.dumps(cards[-1].blocks, ensure_ascii=False)


def test_the_card_and_show_name_earlier_escalations_and_the_last_cause(
    slack: SlackDriver, runtime: Runtime
) -> None:
    first = _file(runtime, "u-1001")
    _file(runtime, "u-1001")
    with runtime.db.session() as session:
        escalations.resolve(
            session=session,
            policy=runtime.policy,
            escalation_id=first,
            actor_id="U0LEAD",
            cause="bug",
            note="Token refresh race",
            answer="Fixed.",
            now=runtime.now(),
        )
    runtime.deliver()
    third = _file(runtime, "u-1001")
    _file(runtime, "u-2002")

    assert "2 earlier escalations for this user · last cause: Bug" in _card_text(
        slack, f"ESC-{third}"
    )
    assert "earlier escalation" not in _card_text(slack, f"ESC-{first}")
    assert "earlier escalation" not in _card_text(slack, "ESC-4")

    slack.command("/cre", f"show ESC-{third}", user="U0HANAKO")
    _, shown = slack.standin.responses[-1]
    assert "2 earlier escalations for this user · last cause: Bug" in json.dumps(
        shown["blocks"], ensure_ascii=False
    )


def test_the_card_counts_escalations_filed_under_the_users_email_too(
    slack: SlackDriver, runtime: Runtime
) -> None:
    """The demo directory knows u-1001 as taro.yamada@example.jp."""
    _file(runtime, "taro.yamada@example.jp")
    by_id = _file(runtime, "u-1001")
    _file(runtime, "u-1002")

    assert "1 earlier escalation for this user" in _card_text(slack, f"ESC-{by_id}")
    assert "earlier escalation" not in _card_text(slack, "ESC-3")

    slack.command("/cre", f"show ESC-{by_id}", user="U0HANAKO")
    _, shown = slack.standin.responses[-1]
    assert "1 earlier escalation for this user" in json.dumps(shown["blocks"], ensure_ascii=False)
