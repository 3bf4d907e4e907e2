"""Block Kit for one escalation: the card, its thread lines and its modals, built without Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.blocks.escalation import (
    ANSWER_SHOWN,
    DETAILS_SHOWN,
    EscalationPrefill,
    build_card_actions,
    build_escalation_card,
    build_escalation_modal,
    build_relabel_modal,
    build_resolve_modal,
    build_thread_line,
    escalation_id_from_action,
    read_input_values,
    read_private_metadata,
    timeline_line,
)
from bot.models import EscalationEvent, Status
from bot.mrkdwn import ELLIPSIS
from bot.policy import Policy
from bot.workspace.checks import check_blocks, check_message, check_view
from tests.support.factories import make_escalation, policy_variant

HOSTILE = "<!channel> <@U123> <https://evil.example|click>"
CARD_BUTTONS = {
    Status.OPEN: ["esc.claim", "esc.reassign", "esc.resolve"],
    # Waiting on CS asks the question for the filer first (a modal).
    Status.ASSIGNED: ["esc.acknowledge", "esc.wait_question", "esc.resolve", "esc.reassign"],
    Status.INVESTIGATING: ["esc.wait_question", "esc.resolve", "esc.reassign"],
    Status.WAITING: ["esc.resume", "esc.resolve", "esc.reassign"],
    Status.RESOLVED: ["esc.reopen"],
}


@pytest.fixture
def japanese(policy_text: str) -> Policy:
    return policy_variant(policy_text, ('language = "en"', 'language = "ja"'))


@pytest.fixture
def long_labels(policy_text: str) -> Policy:
    """Every label at its 75-character maximum, and Japanese (wider) text."""
    label = "長" * 75
    return policy_variant(
        policy_text,
        ('language = "en"', 'language = "ja"'),
        ('label = "Family Album"', f'label = "{label}"'),
        ('label = "Login / account"', f'label = "{label}"'),
        ("[calendar]", f'[[priorities]]\nid = "P2"\nlabel = "{label}"\n\n[calendar]'),
    )


def card_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def actions_block(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    found = [b for b in blocks if b["type"] == "actions"]
    assert len(found) == 1
    return found[0]


def fields_of(blocks: list[dict[str, Any]]) -> list[str]:
    return [f["text"] for f in blocks[1]["fields"]]


def details_shown(blocks: list[dict[str, Any]]) -> str:
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    found = [text for text in texts if text.startswith("*Details*\n")]
    assert len(found) == 1
    return found[0].removeprefix("*Details*\n")


def event(kind: str, actor: str | None = "U0HANAKO", **data: Any) -> EscalationEvent:
    return EscalationEvent(
        id=7,
        escalation_id=42,
        at=datetime(2026, 11, 25, 5, 0, tzinfo=UTC),
        actor_id=actor,
        kind=kind,
        data=data,
    )


# -- the card ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_the_card_offers_the_buttons_for_its_status(policy: Policy, status: Status) -> None:
    assignee = None if status is Status.OPEN else "U0HANAKO"
    escalation = make_escalation(status=status, assignee_id=assignee, resolution_cause="bug")
    text, blocks = build_escalation_card(policy=policy, escalation=escalation)
    block = actions_block(blocks)
    assert [e["action_id"] for e in block["elements"]] == CARD_BUTTONS[status]
    assert block["block_id"] == "esc:42"
    for element in block["elements"]:
        assert escalation_id_from_action({**element, "block_id": block["block_id"]}) == 42
        if element["type"] == "button":
            assert element["value"] == "42"
    assert check_message({"text": text, "blocks": blocks}) == []


def test_the_card_shows_every_fact(policy: Policy) -> None:
    escalation = make_escalation(
        zendesk_ticket_id=5, zendesk_url="https://acme.zendesk.com/agent/tickets/5"
    )
    text, blocks = build_escalation_card(policy=policy, escalation=escalation)
    assert blocks[0]["text"]["text"] == "*ESC-42* · Login fails after password reset"
    assert fields_of(blocks) == [
        "*End user*\n`u-1001`",
        "*Priority*\nP2",
        "*Product*\nFamily Album",
        "*Category*\nLogin / account",
        "*Status*\n:bust_in_silhouette: Assigned",
        "*Assignee*\n<@U0HANAKO>",
        "*Filed by*\n<@U0CS> · Wed 11/25 10:00",  # 01:00 UTC in Tokyo
        "*Zendesk*\n<https://acme.zendesk.com/agent/tickets/5|#5>",
    ]
    assert text == "ESC-42 [P2] Login fails after password reset — Assigned"


def test_an_open_card_says_unassigned_and_no_ticket(policy: Policy) -> None:
    _text, blocks = build_escalation_card(
        policy=policy, escalation=make_escalation(status=Status.OPEN, assignee_id=None)
    )
    fields = fields_of(blocks)
    assert "*Assignee*\nUnassigned" in fields
    assert "*Zendesk*\n—" in fields
    assert "*Status*\n:large_blue_circle: Open" in fields


def test_a_resolved_card_shows_the_cause(policy: Policy) -> None:
    escalation = make_escalation(status=Status.RESOLVED, resolution_cause="user-operation")
    _text, blocks = build_escalation_card(policy=policy, escalation=escalation)
    assert {"type": "mrkdwn", "text": "*Cause:* User operation"} in [
        element for b in blocks if b["type"] == "context" for element in b["elements"]
    ]


def test_the_card_speaks_japanese(japanese: Policy) -> None:
    text, blocks = build_escalation_card(
        policy=japanese, escalation=make_escalation(status=Status.INVESTIGATING)
    )
    fields = fields_of(blocks)
    assert "*ステータス*\n:mag: 調査中" in fields
    assert "*起票者*\n<@U0CS> · 11/25(水) 10:00" in fields
    assert [
        e["text"]["text"] for e in actions_block(blocks)["elements"] if e["type"] == "button"
    ] == [
        "CS回答待ちにする",
        "解決する",
    ]
    assert text.endswith("— 調査中")


def test_a_ticket_without_a_url_shows_its_number(policy: Policy) -> None:
    _text, blocks = build_escalation_card(
        policy=policy, escalation=make_escalation(zendesk_ticket_id=77, zendesk_url=None)
    )
    assert "*Zendesk*\n#77" in fields_of(blocks)


def test_hostile_text_is_shown_literally_and_pings_no_one(policy: Policy) -> None:
    escalation = make_escalation(
        summary=HOSTILE,
        details=f"details {HOSTILE}",
        end_user_id="<!here>",
        source_permalink="https://acme.slack.com/archives/C0SUPPORT/p1",
    )
    text, blocks = build_escalation_card(policy=policy, escalation=escalation)
    rendered = card_text(blocks) + text
    for dangerous in ("<!channel>", "<@U123>", "<https://evil.example", "<!here>"):
        assert dangerous not in rendered
    assert blocks[0]["text"]["text"] == (
        "*ESC-42* · &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt;"
    )
    assert "&lt;!channel&gt;" in text
    assert "`&lt;!here&gt;`" in fields_of(blocks)[0]
    assert "<@U0HANAKO>" in rendered  # real mentions still work
    assert "<https://acme.slack.com/archives/C0SUPPORT/p1|From a message>" in rendered


def test_an_unsafe_source_link_degrades_to_its_label(policy: Policy) -> None:
    escalation = make_escalation(source_permalink="javascript:alert(1)")
    _text, blocks = build_escalation_card(policy=policy, escalation=escalation)
    assert "javascript" not in card_text(blocks)
    assert "From a message" in card_text(blocks)


def test_long_details_are_cut_with_an_ellipsis(policy: Policy) -> None:
    escalation = make_escalation(details="d" * 3000)
    _text, blocks = build_escalation_card(policy=policy, escalation=escalation)
    shown = details_shown(blocks)
    assert shown.endswith(ELLIPSIS)
    assert len(shown) == DETAILS_SHOWN
    assert check_blocks(blocks, surface="message") == []


def test_details_full_of_ampersands_are_cut_between_entities(policy: Policy) -> None:
    escalation = make_escalation(details="&" * 3000)
    _text, blocks = build_escalation_card(policy=policy, escalation=escalation)
    shown = details_shown(blocks)
    assert len(shown) <= DETAILS_SHOWN
    assert shown.removesuffix(ELLIPSIS).replace("&amp;", "") == ""


def test_the_largest_card_stays_within_block_kit_limits(long_labels: Policy) -> None:
    escalation = make_escalation(
        id=999_999_999,
        summary="&<" * 75,  # 150 characters that escape to 600
        details="<&>" * 1000,
        end_user_id="u" * 128,
        zendesk_ticket_id=999_999_999_999,
        zendesk_url="https://acme.zendesk.com/agent/tickets/999999999999",
        source_permalink="https://acme.slack.com/archives/C0SUPPORT/p" + "1" * 16,
        status=Status.RESOLVED,
        resolution_cause="bug",
    )
    extra = [f"*SLO*\n:red_circle: breached {'x' * 3000} ago"]  # a runaway fact is cut too
    text, blocks = build_escalation_card(
        policy=long_labels, escalation=escalation, extra_fields=extra, context_lines=["ctx " * 900]
    )
    assert check_message({"text": text, "blocks": blocks}) == []
    for status in Status:
        text, blocks = build_escalation_card(
            policy=long_labels, escalation=make_escalation(summary="&<" * 75, status=status)
        )
        assert check_message({"text": text, "blocks": blocks}) == []


def test_more_than_ten_fields_are_cut_to_ten(policy: Policy) -> None:
    _text, blocks = build_escalation_card(
        policy=policy, escalation=make_escalation(), extra_fields=["a", "b", "c", "d"]
    )
    assert len(blocks[1]["fields"]) == 10
    assert check_blocks(blocks, surface="message") == []


def test_build_card_actions_alone(policy: Policy) -> None:
    block = build_card_actions(policy=policy, escalation=make_escalation(status=Status.WAITING))
    assert check_blocks([block], surface="message") == []
    assert block["elements"][0]["style"] == "primary"


# -- escalation_id_from_action ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ({"value": "42"}, 42),
        ({"value": "", "block_id": "esc:7"}, 7),
        ({"block_id": "esc:7", "selected_user": "U0TARO"}, 7),
        ({"block_id": "x", "selected_option": {"value": "42"}}, 42),  # the card's "⋯" menu
        ({"selected_option": {"value": "x"}}, None),
        ({"selected_option": "42"}, None),
        ({"value": "x", "block_id": "esc:x"}, None),
        ({"value": "1234567890"}, None),
        ({"value": "-1"}, None),
        ({"value": " 42"}, None),
        ({"block_id": "other:7"}, None),
        ({}, None),
    ],
)
def test_escalation_id_from_action(action: dict[str, Any], expected: int | None) -> None:
    assert escalation_id_from_action(action) == expected


@pytest.mark.parametrize("value", [42, "²", ["42"]])
def test_escalation_id_from_action_on_garbage_values(value: Any) -> None:
    assert escalation_id_from_action({"value": value, "block_id": "esc:9"}) in (None, 9, 42)


# -- thread lines -----------------------------------------------------------------------------

EVENTS = [
    event("filed", "U0CS"),
    event("auto_assigned", None, assignee="U0HANAKO"),
    event("unassigned", None, reason="manual"),
    event("unassigned", None, reason="nobody_available"),
    event("claimed"),
    event("reassigned", "U0LEAD", **{"from": "U0HANAKO", "to": "U0TARO"}),
    event("acknowledge"),
    event("wait"),
    event("resume"),
    event("resolved", cause="bug"),
    event("reopened", "U0CS"),
    event("handed_back", "U0LEAD", **{"from": "U0HANAKO"}),
    event("still_on_it"),
    event("snoozed", until="2026-11-30T00:00:00+00:00"),
    event("thread_reply"),
    event("slo_warning", None, stage=1, percent=50),
    event("slo_breach", None, stage=3, percent=100),
    event("relabeled", changed={"category": ["login", "billing"]}, confirmed=[]),
    event("relabeled", changed={"product": ["album", "game"], "category": ["login", "data"]}),
    event("relabeled", changed={}, confirmed=["category"]),
]


@pytest.mark.parametrize("recorded", EVENTS, ids=lambda e: f"{e.kind}-{e.data.get('reason', '')}")
def test_every_event_kind_has_a_thread_line_in_both_languages(
    policy: Policy, japanese: Policy, recorded: EscalationEvent
) -> None:
    escalation = make_escalation(
        status=Status.RESOLVED, resolution_cause="bug", resolution_answer="Fixed."
    )
    english = build_thread_line(policy=policy, escalation=escalation, event=recorded)
    in_japanese = build_thread_line(policy=japanese, escalation=escalation, event=recorded)
    for line in (english, in_japanese):
        assert line.strip()
        assert not line.startswith("event.")  # the catalog had it
        assert "{" not in line  # every placeholder filled
        assert check_message({"text": line}) == []
    assert english != in_japanese
    if recorded.actor_id:
        assert f"<@{recorded.actor_id}>" in english
        assert f"<@{recorded.actor_id}>" in in_japanese


def test_thread_lines_name_the_people_concerned(policy: Policy) -> None:
    escalation = make_escalation()
    assign = build_thread_line(policy=policy, escalation=escalation, event=EVENTS[1])
    assert "<@U0HANAKO>" in assign
    reassign = build_thread_line(policy=policy, escalation=escalation, event=EVENTS[5])
    assert reassign == "<@U0LEAD> reassigned this to <@U0TARO>."
    system = build_thread_line(
        policy=policy, escalation=escalation, event=event("slo_breach", None)
    )
    assert system == ":rotating_light: SLO breached."


def test_the_resolved_line_tells_the_filer_and_quotes_the_answer_safely(policy: Policy) -> None:
    escalation = make_escalation(
        status=Status.RESOLVED,
        resolution_cause="data-fix",
        resolution_answer=f"Restored.\n{HOSTILE}\n\nTell the user to log in again.",
    )
    line = build_thread_line(policy=policy, escalation=escalation, event=event("resolved"))
    assert line.startswith(":white_check_mark: <@U0CS> ESC-42 was resolved by <@U0HANAKO>")
    assert "(cause: Data fix)" in line
    answer = line.split("*Answer for CS:*\n", 1)[1]
    assert answer.splitlines() == [
        ">Restored.",
        ">&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt;",
        ">",
        ">Tell the user to log in again.",
    ]


def test_a_long_answer_is_cut_in_the_thread(policy: Policy) -> None:
    escalation = make_escalation(
        status=Status.RESOLVED, resolution_cause="bug", resolution_answer="a" * 10_000
    )
    line = build_thread_line(policy=policy, escalation=escalation, event=event("resolved"))
    answer = line.split("\n>", 1)[1]
    assert len(answer) == ANSWER_SHOWN
    assert answer.endswith(ELLIPSIS)


def test_timeline_line_starts_with_the_local_time(policy: Policy, japanese: Policy) -> None:
    escalation = make_escalation()
    assert timeline_line(policy=policy, escalation=escalation, event=EVENTS[0]) == (
        "`Wed 11/25 14:00` <@U0CS> filed ESC-42."
    )
    resolved = make_escalation(
        status=Status.RESOLVED, resolution_cause="bug", resolution_answer="x\ny"
    )
    line = timeline_line(policy=japanese, escalation=resolved, event=event("resolved"))
    assert line.startswith("`11/25(水) 14:00` :white_check_mark:")
    assert "\n" not in line


# -- modals -----------------------------------------------------------------------------------


def modal_input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_a_huge_prefill_is_cut_to_the_inputs_limits(policy: Policy) -> None:
    message = ("A long message from CS.\n" * 300)[:5000]
    view = build_escalation_modal(
        policy=policy, prefill=EscalationPrefill(summary=message, details=message)
    )
    summary = modal_input(view, "summary")["element"]["initial_value"]
    details = modal_input(view, "details")["element"]["initial_value"]
    assert len(summary) == 150
    assert "\n" not in summary
    assert summary.endswith(ELLIPSIS)
    assert len(details) == 3000
    assert details.endswith(ELLIPSIS)
    assert check_view(view) == []


def test_the_empty_modal_preselects_the_fallback_priority(policy: Policy, japanese: Policy) -> None:
    for each in (policy, japanese):
        view = build_escalation_modal(policy=each, prefill=EscalationPrefill())
        assert check_view(view) == []
        assert "initial_value" not in modal_input(view, "summary")["element"]
        assert modal_input(view, "priority")["element"]["initial_option"]["value"] == "P2"
        assert "initial_option" not in modal_input(view, "product")["element"]
        assert read_private_metadata(view) == {}
    assert build_escalation_modal(policy=japanese, prefill=EscalationPrefill())["title"][
        "text"
    ] == ("CREへエスカレーション")


def test_the_modal_remembers_its_source_message(policy: Policy) -> None:
    view = build_escalation_modal(
        policy=policy,
        prefill=EscalationPrefill(
            summary="hi", source_channel_id="C0SUPPORT", source_message_ts="1764032400.000100"
        ),
    )
    assert read_private_metadata(view) == {"src": ["C0SUPPORT", "1764032400.000100"]}


def test_the_modal_with_long_labels_is_valid(long_labels: Policy) -> None:
    view = build_escalation_modal(
        policy=long_labels, prefill=EscalationPrefill(summary="&" * 500, end_user_id="u" * 400)
    )
    assert check_view(view) == []
    assert len(modal_input(view, "end_user_id")["element"]["initial_value"]) == 128


def test_the_resolve_modal_is_valid_for_the_longest_key(
    long_labels: Policy, policy: Policy
) -> None:
    escalation = make_escalation(id=999_999_999, summary="&<" * 75)
    for each in (policy, long_labels):
        view = build_resolve_modal(policy=each, escalation=escalation)
        assert check_view(view) == []
        assert read_private_metadata(view) == {"escalation_id": 999_999_999}
        causes = [o["value"] for o in modal_input(view, "cause")["element"]["options"]]
        assert causes == [c.id for c in each.causes]
        assert "&lt;&amp;" in view["blocks"][0]["text"]["text"]


def test_the_card_menu_beside_the_fields_changes_product_or_category(
    policy: Policy, japanese: Policy
) -> None:
    for status in Status:
        _, blocks = build_escalation_card(policy=policy, escalation=make_escalation(status=status))
        menu = blocks[1]["accessory"]
        assert (menu["type"], menu["action_id"]) == ("overflow", "esc.relabel")
        assert [(o["text"]["text"], o["value"]) for o in menu["options"]] == [
            ("Change product or category", "42")
        ]
    _, blocks = build_escalation_card(policy=japanese, escalation=make_escalation())
    assert blocks[1]["accessory"]["options"][0]["text"]["text"] == "プロダクト・カテゴリを変更"


def test_the_relabel_modal_starts_from_the_labels_as_they_are(policy: Policy) -> None:
    escalation = make_escalation(product="game", category="billing", category_suggested=True)
    view = build_relabel_modal(policy=policy, escalation=escalation)
    assert check_view(view) == []
    assert view["callback_id"] == "relabel"
    assert read_private_metadata(view) == {"escalation_id": 42}
    product, category = modal_input(view, "product"), modal_input(view, "category")
    assert [o["value"] for o in product["element"]["options"]] == [p.id for p in policy.products]
    assert [o["value"] for o in category["element"]["options"]] == [c.id for c in policy.categories]
    assert product["element"]["initial_option"]["value"] == "game"
    assert category["element"]["initial_option"]["value"] == "billing"
    assert "hint" not in product  # chosen by a person
    assert category["hint"]["text"].startswith("Suggested by similar resolved escalations")


def test_the_relabel_modal_with_long_labels_and_a_label_the_policy_dropped(
    long_labels: Policy,
) -> None:
    escalation = make_escalation(id=999_999_999, summary="&<" * 75, category="gone")
    view = build_relabel_modal(policy=long_labels, escalation=escalation)
    assert check_view(view) == []
    assert "initial_option" not in modal_input(view, "category")["element"]  # to choose anew
    assert view["title"]["text"] == "プロダクトとカテゴリ"


def submitted(values: dict[str, Any]) -> dict[str, Any]:
    return {"state": {"values": values}}


def test_read_input_values_reads_each_kind_of_input() -> None:
    view = submitted(
        {
            "summary": {"value": {"type": "plain_text_input", "value": "It broke"}},
            "details": {"value": {"type": "plain_text_input", "value": None}},
            "product": {"value": {"type": "static_select", "selected_option": {"value": "album"}}},
            "priority": {"value": {"type": "static_select", "selected_option": None}},
            "assignee": {"value": {"type": "users_select", "selected_user": "U0TARO"}},
            "until": {"value": {"type": "datepicker", "selected_date": "2026-12-24"}},
            "legacy": {"other_action": {"type": "plain_text_input", "value": "first element"}},
        }
    )
    assert read_input_values(view) == {
        "summary": "It broke",
        "details": None,
        "product": "album",
        "priority": None,
        "assignee": "U0TARO",
        "until": "2026-12-24",
        "legacy": "first element",
    }


@pytest.mark.parametrize(
    "view",
    [
        None,
        {},
        {"state": None},
        pytest.param(
            {"state": "values"},
        ),
        {"state": {"values": None}},
        {"state": {"values": ["summary"]}},
        {"state": {"values": "summary=x"}},
        submitted({"summary": "x"}),
        submitted({"summary": {}}),
        submitted({"summary": {"value": "x"}}),
        submitted({"summary": {"value": {"value": 5}}}),
        submitted({"summary": {"value": {"selected_option": "album"}}}),
        submitted({"summary": {"value": {"selected_option": {"value": None}}}}),
    ],
)
def test_read_input_values_survives_garbage(view: Any) -> None:
    values = read_input_values(view)
    assert isinstance(values, dict)
    assert all(v is None or isinstance(v, str) for v in values.values())


@pytest.mark.parametrize(
    "metadata", [None, "", "not json", "[1, 2]", "null", "5", '"text"', 5, ["x"], "{bad"]
)
def test_read_private_metadata_survives_garbage(metadata: Any) -> None:
    assert read_private_metadata({"private_metadata": metadata}) == {}


def test_read_private_metadata_without_a_view() -> None:
    assert read_private_metadata(None) == {}  # type: ignore[arg-type]
    assert read_private_metadata({}) == {}
