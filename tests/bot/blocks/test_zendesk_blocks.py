"""The card's line naming what a Zendesk delivery said that was not understood, and what was
suggested instead, in English and Japanese."""

from __future__ import annotations

from typing import Any

from bot.blocks.zendesk import unmapped_line
from bot.models import Escalation
from bot.policy import Policy
from tests.support.factories import policy_variant

ITEMS = [
    {"what": "product", "value": "space<ship>", "used": "market", "suggested": "1"},
    {"what": "category", "value": "", "used": "login", "suggested": "1"},
    {"what": "priority", "value": "Critical", "used": "P2"},
]


def _escalation(**overrides: Any) -> Escalation:
    values: dict[str, Any] = {
        "end_user_id": "u-1",
        "product": "market",
        "category": "login",
        "priority": "P2",
        "summary": "Login fails",
        "intake_unmapped": ITEMS,
        "product_suggested": True,
        "category_suggested": True,
    }
    return Escalation(**{**values, **overrides})


def test_suggested_labels_are_marked_as_suggested(policy: Policy) -> None:
    line = unmapped_line(policy=policy, escalation=_escalation())
    assert line == (
        ":warning: From Zendesk, not understood: "
        "Product “space&lt;ship&gt;” (filed as Handmade Market, suggested by similar resolved "
        "escalations); Category (none given; filed as Login / account, suggested by similar "
        "resolved escalations); Priority “Critical” (filed as P2)"
    )


def test_in_japanese(policy_text: str) -> None:
    ja = policy_variant(policy_text, ('language = "en"', 'language = "ja"'))
    line = unmapped_line(policy=ja, escalation=_escalation())
    assert line is not None
    product, category = ja.label("products", "market"), ja.label("categories", "login")
    assert f"似た解決済みエスカレーションからの候補 {product} として起票" in line
    assert f"(指定なし、似た解決済みエスカレーションからの候補 {category} として起票)" in line
    assert "suggested" not in line


def test_a_suggestion_confirmed_by_a_person_is_no_longer_marked(policy: Policy) -> None:
    line = unmapped_line(policy=policy, escalation=_escalation(category_suggested=False))
    assert line == (
        ":warning: From Zendesk, not understood: "
        "Product “space&lt;ship&gt;” (filed as Handmade Market, suggested by similar resolved "
        "escalations); Category (none given; filed as Login / account); "
        "Priority “Critical” (filed as P2)"
    )


def test_a_label_changed_since_says_what_it_is_now(policy: Policy) -> None:
    changed = _escalation(
        product="album", category="billing", product_suggested=False, category_suggested=False
    )
    line = unmapped_line(policy=policy, escalation=changed)
    assert line == (
        ":warning: From Zendesk, not understood: "
        "Product “space&lt;ship&gt;” (filed as Handmade Market, changed to Family Album); "
        "Category (none given; filed as Login / account, changed to Purchases / billing); "
        "Priority “Critical” (filed as P2)"
    )


def test_a_changed_label_in_japanese(policy_text: str) -> None:
    ja = policy_variant(policy_text, ('language = "en"', 'language = "ja"'))
    changed = _escalation(category="billing", category_suggested=False)
    line = unmapped_line(policy=ja, escalation=changed)
    assert line is not None
    login, billing = ja.label("categories", "login"), ja.label("categories", "billing")
    assert f"(指定なし、{login} として起票、{billing} に変更済み)" in line
