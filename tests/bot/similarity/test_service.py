"""Similar escalations, suggestions and recurring groups, as the domain answers them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlmodel import Session

from bot import escalations
from bot.clock import ManualClock
from bot.db import Database
from bot.errors import NotFound
from bot.policy import Policy
from bot.similarity import service
from bot.similarity.index import SimilarityIndex, SimilarityNotReady
from bot.similarity.service import CHANNEL, Audience, Suggestion
from bot.similarity.suggest import Guess
from tests.conftest import START, TOKYO
from tests.support.factories import LEAD
from tests.support.similar import file_text, inline_index, sync_all

RESET = (
    "bug",
    "The mail provider bounced our reset mails.",
    "Fixed: ask the user to request it again.",
)
LOOKER = Audience(may_look_up=True)

RESET_TEXTS = [
    ("Password reset email never arrives", "User asked for a reset three times, nothing in spam."),
    ("Reset password mail not received", "Customer says the password reset email doesn't come."),
    ("パスワード再設定メールが届かない", "何度送信しても再設定のメールが来ないとのこと。"),
]
SYNC_TEXTS = [
    ("Photos not syncing between iPhone and iPad", "New photos appear on one device only."),
    ("iPad doesn't show photos added on my phone", "Sync seems stuck on the iPad."),
]
GEM_TEXTS = [
    ("購入したジェムが反映されない", "App Storeで購入したがジェムが増えていない。"),
    ("課金したのにジェムが増えてない", "課金完了の画面は出たのにジェムが0のまま。"),
    ("ジェム未付与（Google Play）", "Google Playで購入済み。ゲーム内に反映されず。"),
    ("ｼﾞｪﾑを買ったのに反映されません", "ｼﾞｪﾑを1000個買ったのに反映されてない。"),
    ("有償ジェムが付与されていない", "購入処理中に通信が切れ、ジェムが付与されていない。"),
    ("ジェムが届かない", "購入履歴にはあるがジェムが反映されない。"),
]


@pytest.fixture
def long_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cards show matches from the threshold of a long history (these corpora are a dozen)."""
    monkeypatch.setattr(service, "CARD_THRESHOLDS", ((0, service.SIMILAR_THRESHOLD),))


def _indexed(db: Database, clock: ManualClock) -> SimilarityIndex:
    idx = inline_index(db, clock)
    sync_all(db, idx, clock.now())
    clock.advance(idx.check_every)
    idx.snapshot()
    return idx


@pytest.fixture
def corpus(db: Database, policy: Policy, clock: ManualClock) -> dict[str, list[int]]:
    """Resolved and open escalations in three groups."""
    ids: dict[str, list[int]] = {"reset": [], "sync": [], "gems": []}
    with db.session() as session:
        for n, (summary, details) in enumerate(RESET_TEXTS):
            e = file_text(
                session, policy, clock.now(), summary, details, resolved=RESET if n == 0 else None
            )
            ids["reset"].append(e.id or 0)
        for summary, details in SYNC_TEXTS:
            ids["sync"].append(file_text(session, policy, clock.now(), summary, details).id or 0)
        for summary, details in GEM_TEXTS:
            e = file_text(
                session,
                policy,
                clock.now(),
                summary,
                details,
                product="game",
                category="billing",
                resolved=("bug", "レシート検証の再試行漏れ", "付与しました。"),
            )
            ids["gems"].append(e.id or 0)
    return ids


@pytest.mark.usefixtures("long_history")
def test_similar_to_finds_the_same_problem_best_first_and_never_itself(
    db: Database, clock: ManualClock, corpus: dict[str, list[int]]
) -> None:
    idx = _indexed(db, clock)
    with db.session() as session:
        matches = service.similar_to(
            session=session, index=idx, escalation_id=corpus["reset"][1], audience=LOOKER
        )
    assert [m.escalation_id for m in matches][:1] == [corpus["reset"][0]]
    assert corpus["reset"][1] not in [m.escalation_id for m in matches]
    assert all(m.escalation_id in corpus["reset"] for m in matches)
    assert all(m.score >= service.SIMILAR_THRESHOLD for m in matches)
    assert matches == sorted(matches, key=lambda m: -m.score)
    first = matches[0]
    assert first.resolved
    assert first.cause == "bug"
    assert first.answer == RESET[2]
    assert first.key == f"ESC-{corpus['reset'][0]}"


@pytest.mark.parametrize(
    ("size", "threshold"),
    [
        (0, 0.6),
        (5, 0.6),
        (19, 0.6),
        (20, 0.45),
        (29, 0.45),
        (30, 0.425),
        (74, 0.425),
        (75, 0.4),
        (99, 0.4),
        (100, 0.375),
        (199, 0.375),
        (200, 0.35),
        (249, 0.35),
        (250, 0.325),
        (314, 0.325),
        (315, 0.225),
        (100_000, 0.225),
    ],
)
def test_the_card_threshold_falls_as_the_history_grows(size: int, threshold: float) -> None:
    assert service.card_threshold(size) == threshold


def test_a_short_history_shows_only_close_matches(
    db: Database, clock: ManualClock, corpus: dict[str, list[int]]
) -> None:
    idx = _indexed(db, clock)
    assert idx.snapshot().size == 11
    asked = corpus["reset"][1]
    with db.session() as session:
        at_315 = {"min_score": service.SIMILAR_THRESHOLD}
        weak, shown = (
            service.similar_to(
                session=session, index=idx, escalation_id=asked, audience=CHANNEL, **kwargs
            )
            for kwargs in (at_315, {})
        )
    # The same problem told in other words: found at a long history's threshold, not at 0.6.
    assert [m.escalation_id for m in weak][:1] == [corpus["reset"][0]]
    assert weak[0].score < 0.6
    assert [m for m in weak if m.score >= 0.6] == shown


def test_nothing_close_means_no_matches(
    db: Database, policy: Policy, clock: ManualClock, corpus: dict[str, list[int]]
) -> None:
    with db.session() as session:
        lonely = file_text(session, policy, clock.now(), "Shop banner shows yesterday's sale")
        assert lonely.id is not None
    idx = _indexed(db, clock)
    with db.session() as session:
        assert (
            service.similar_to(
                session=session, index=idx, escalation_id=lonely.id, audience=CHANNEL
            )
            == []
        )


def test_similar_to_an_unknown_escalation_is_not_found(
    db: Database, clock: ManualClock, corpus: dict[str, list[int]]
) -> None:
    idx = _indexed(db, clock)
    with db.session() as session, pytest.raises(NotFound):
        service.similar_to(session=session, index=idx, escalation_id=99_999, audience=CHANNEL)


def test_without_an_index_the_answer_is_not_ready(
    db: Database, clock: ManualClock, corpus: dict[str, list[int]]
) -> None:
    idx = inline_index(db, clock)
    with db.session() as session, pytest.raises(SimilarityNotReady):
        service.similar_to_text(session=session, index=idx, text="reset mail", audience=CHANNEL)
    with pytest.raises(SimilarityNotReady):
        service.suggest(index=idx, policy=_policy_of(db), text="reset mail")


def test_search_tells_the_card_threshold_of_the_index_it_searched(
    db: Database, policy: Policy, clock: ManualClock, corpus: dict[str, list[int]]
) -> None:
    """Escalations indexed while a search runs change neither its matches nor the threshold it
    tells: both are of the index as the search found it (11 escalations: cards show from 0.6)."""
    idx = _indexed(db, clock)
    assert idx.snapshot().size == 11
    meanwhile: list[bool] = []

    def nine_more_indexed(conn: Any, statement: Any, *_args: Any) -> None:
        """When the search reads its matches' rows, nine more escalations are filed and indexed."""
        if meanwhile or not isinstance(statement, sa.Select) or conn is not session.connection():
            return
        meanwhile.append(True)
        with db.session() as other:
            for n in range(9):
                file_text(other, policy, clock.now(), f"Shop banner {n} shows yesterday's sale")
        clock.advance(idx.check_every)
        sync_all(db, idx, clock.now())

    with db.session(read_only=True) as session:
        sa_event.listen(db.engine, "before_execute", nine_more_indexed)
        try:
            result = service.search(
                session=session, index=idx, query=RESET_TEXTS[1][0], audience=CHANNEL
            )
        finally:
            sa_event.remove(db.engine, "before_execute", nine_more_indexed)
    assert meanwhile == [True]
    assert {m.escalation_id for m in result.matches} >= {corpus["reset"][0]}
    assert result.card_threshold == 0.6
    assert idx.snapshot().size == 20  # cards show from 0.45 from now on


def _policy_of(_: Database) -> Policy:
    from bot.policy import parse_policy
    from tests.conftest import FIXTURES

    return parse_policy((FIXTURES / "policy.toml").read_text(), source="policy.toml")


@pytest.mark.parametrize(
    ("query", "group"),
    [
        ("password reset mail doesn't arrive", "reset"),
        ("ﾊﾟｽﾜｰﾄﾞ再設定ﾒｰﾙがとどかない", "reset"),
        ("ＰＡＳＳＷＯＲＤ ＲＥＳＥＴ ＥＭＡＩＬ not arriving", "reset"),
        ("photos do not sync to my ipad", "sync"),
        ("ジェムが反映されない", "gems"),
    ],
)
def test_similar_to_text_across_writing_styles(
    db: Database, clock: ManualClock, corpus: dict[str, list[int]], query: str, group: str
) -> None:
    idx = _indexed(db, clock)
    with db.session() as session:
        matches = service.similar_to_text(session=session, index=idx, text=query, audience=CHANNEL)
    assert matches
    assert matches[0].escalation_id in corpus[group]


@pytest.mark.usefixtures("long_history")
def test_resolved_only_and_the_answer_to_reuse(
    db: Database, clock: ManualClock, corpus: dict[str, list[int]]
) -> None:
    idx = _indexed(db, clock)
    with db.session() as session:
        resolved = service.similar_to(
            session=session,
            index=idx,
            escalation_id=corpus["reset"][2],
            audience=CHANNEL,
            resolved_only=True,
            min_score=0.0,
        )
        reuse = service.answer_to_reuse(
            session=session, index=idx, escalation_id=corpus["reset"][1], audience=CHANNEL
        )
        none_to_reuse = service.answer_to_reuse(
            session=session, index=idx, escalation_id=corpus["sync"][0], audience=CHANNEL
        )
    assert resolved
    assert all(m.resolved for m in resolved)
    assert reuse is not None
    assert reuse.escalation_id == corpus["reset"][0]
    assert reuse.answer == RESET[2]
    assert none_to_reuse is None  # nothing resolved is close to a sync problem


# -- the look-up rules --------------------------------------------------------------------------


@pytest.fixture
def personal(db: Database, policy: Policy, clock: ManualClock) -> tuple[int, int]:
    """Two escalations about the same problem whose texts carry personal data."""
    with db.session() as session:
        earlier = file_text(
            session,
            policy,
            clock.now(),
            "Login fails for hanako@example.com after reset",
            "Call her back on 090-1234-5678. User u-5501 is locked out.",
            end_user_id="u-5501",
            resolved=(
                "bug",
                "Lock not cleared",
                "Unlocked u-5501; tell hanako@example.com to retry.",
            ),
        )
        later = file_text(
            session,
            policy,
            clock.now(),
            "Login fails after password reset",
            "User is locked out after resetting the password.",
            end_user_id="u-9000",
        )
    assert earlier.id is not None
    assert later.id is not None
    return earlier.id, later.id


def test_someone_who_may_not_look_users_up_sees_no_personal_data(
    db: Database, clock: ManualClock, personal: tuple[int, int]
) -> None:
    earlier, later = personal
    idx = _indexed(db, clock)
    with db.session() as session:
        [match] = service.similar_to(
            session=session, index=idx, escalation_id=later, audience=CHANNEL, min_score=0.1
        )
    assert match.escalation_id == earlier
    assert match.end_user_id is None
    shown = f"{match.summary} {match.answer}"
    assert "hanako@example.com" not in shown
    assert "u-5501" not in shown
    assert "***" in match.summary


def test_someone_who_may_look_users_up_sees_them(
    db: Database, policy: Policy, clock: ManualClock, personal: tuple[int, int]
) -> None:
    _earlier, later = personal
    idx = _indexed(db, clock)
    engineer = Audience.of(policy=policy, user_id="U0HANAKO", groups=None, now=clock.now())
    outsider = Audience.of(policy=policy, user_id="U0OTHER", groups=None, now=clock.now())
    assert engineer.may_look_up
    assert not outsider.may_look_up
    with db.session() as session:
        [match] = service.similar_to(
            session=session, index=idx, escalation_id=later, audience=engineer, min_score=0.1
        )
    assert match.end_user_id == "u-5501"
    assert "hanako@example.com" in match.summary


@pytest.mark.parametrize("probe", ["hanako@example.com", "090-1234-5678", "u-5501"])
def test_personal_data_cannot_be_searched_for(
    db: Database, clock: ManualClock, personal: tuple[int, int], probe: str
) -> None:
    idx = _indexed(db, clock)
    with db.session() as session:
        for audience in (CHANNEL, LOOKER):
            matches = service.similar_to_text(
                session=session, index=idx, text=probe, audience=audience, min_score=0.0
            )
            assert [m for m in matches if m.score > 0.05] == []


# -- suggestions ------------------------------------------------------------------------------


def test_a_text_like_resolved_ones_gets_their_product_and_category(
    db: Database, policy: Policy, clock: ManualClock, corpus: dict[str, list[int]]
) -> None:
    idx = _indexed(db, clock)
    suggestion = service.suggest(index=idx, policy=policy, text="ジェムを購入したのに反映されない")
    assert suggestion is not None
    assert suggestion.category is not None
    assert suggestion.category.value == "billing"
    assert suggestion.product is not None
    assert suggestion.product.value == "game"
    assert 0.45 <= suggestion.category.confidence <= 1.0
    assert not hasattr(suggestion, "priority")


def test_no_suggestion_for_unknown_text_or_too_few_examples(
    db: Database, policy: Policy, clock: ManualClock, corpus: dict[str, list[int]]
) -> None:
    idx = _indexed(db, clock)
    assert service.suggest(index=idx, policy=policy, text="Shop banner shows an old sale") is None
    assert service.suggest(index=idx, policy=policy, text="   ") is None
    # One resolved login/album example is fewer than MIN_EXAMPLES: nothing is suggested from it.
    assert (
        service.suggest(index=idx, policy=policy, text="Password reset email never arrives") is None
    )


def test_labels_the_policy_no_longer_has_are_not_suggested(
    db: Database, policy: Policy, clock: ManualClock, corpus: dict[str, list[int]]
) -> None:
    idx = _indexed(db, clock)
    trimmed = policy.model_copy(
        update={"categories": tuple(c for c in policy.categories if c.id != "billing")}
    )
    suggestion = service.suggest(index=idx, policy=trimmed, text="ジェムを購入したのに反映されない")
    assert suggestion == Suggestion(product=Guess(value="game", confidence=1.0), category=None)


def _gems_filed_as(suggested: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    """A Zendesk intake's record of these fields filed as suggestions."""
    used = {"product": "game", "category": "billing"}
    return tuple({"what": w, "value": "", "used": used[w], "suggested": "1"} for w in suggested)


@pytest.mark.parametrize(
    ("suggested", "product", "category"),
    [
        ((), "game", "billing"),
        (("category",), "game", None),
        (("product",), None, "billing"),
        (("product", "category"), None, None),
    ],
)
def test_a_label_still_as_suggested_is_no_example_for_suggestions(
    db: Database,
    policy: Policy,
    clock: ManualClock,
    suggested: tuple[str, ...],
    product: str | None,
    category: str | None,
) -> None:
    """Resolved with a label nobody confirmed or changed, an escalation does not teach it."""
    with db.session() as session:
        for summary, details in GEM_TEXTS:
            file_text(
                session,
                policy,
                clock.now(),
                summary,
                details,
                product="game",
                category="billing",
                unmapped=_gems_filed_as(suggested),
                resolved=("bug", "レシート検証の再試行漏れ", "付与しました。"),
            )
    idx = _indexed(db, clock)

    suggestion = service.suggest(index=idx, policy=policy, text="ジェムを購入したのに反映されない")

    got = (
        None if suggestion is None or suggestion.product is None else suggestion.product.value,
        None if suggestion is None or suggestion.category is None else suggestion.category.value,
    )
    assert got == (product, category)


def test_a_suggestion_a_person_confirmed_or_changed_becomes_an_example(
    db: Database, policy: Policy, clock: ManualClock
) -> None:
    """Relabeled, a resolved escalation's labels are re-read by the index and teach again."""
    ids = []
    with db.session() as session:
        for summary, details in GEM_TEXTS:
            e = file_text(
                session,
                policy,
                clock.now(),
                summary,
                details,
                product="album",  # suggested, and wrong
                category="billing",  # suggested, and right
                unmapped=_gems_filed_as(("product", "category")),
                resolved=("bug", "レシート検証の再試行漏れ", "付与しました。"),
            )
            ids.append(e.id or 0)
    idx = _indexed(db, clock)
    text = "ジェムを購入したのに反映されない"
    assert service.suggest(index=idx, policy=policy, text=text) is None

    with db.session() as session:
        for escalation_id in ids:
            escalations.relabel(
                session=session,
                policy=policy,
                escalation_id=escalation_id,
                product="game",  # changed
                category="billing",  # confirmed as it was
                actor_id=LEAD,
                now=clock.now(),
            )
    sync_all(db, idx, clock.now())
    clock.advance(idx.check_every)
    idx.snapshot()

    suggestion = service.suggest(index=idx, policy=policy, text=text)
    assert suggestion is not None
    product, category = suggestion.product, suggestion.category
    assert (product.value if product else None, category.value if category else None) == (
        "game",
        "billing",
    )


# -- recurring groups -------------------------------------------------------------------------


RECURRING = [
    ("購入したジェムが反映されない", "App Storeで購入したジェムが反映されない。レシートあり。"),
    ("ジェムを購入したが反映されない", "Google Playで購入したジェムがゲームに反映されない。"),
    ("購入したジェムが反映されません", "ジェムを購入したのに反映されていないとのこと。"),
    ("ジェム購入後に反映されない", "購入したジェムが反映されない。再起動済み。"),
]


def test_recurring_groups_of_a_month(db: Database, policy: Policy, clock: ManualClock) -> None:
    november = datetime(2026, 11, 1, tzinfo=TOKYO)
    december = datetime(2026, 12, 1, tzinfo=TOKYO)
    with db.session() as session:
        gems = [
            _resolved_at(session, policy, START + timedelta(days=n - 20), summary, details)
            for n, (summary, details) in enumerate(RECURRING)
        ]
        _resolved_at(session, policy, START, *SYNC_TEXTS[0])
        _resolved_at(session, policy, START - timedelta(days=2), *RESET_TEXTS[0])
        _resolved_at(session, policy, december + timedelta(days=1), *RECURRING[0])  # next month
    idx = _indexed(db, clock)
    with db.session() as session:
        groups = service.recurring_groups(session=session, index=idx, start=november, end=december)
    assert len(groups) == 1
    [group] = groups
    assert set(group.escalation_ids) == set(gems)
    assert group.count == 4
    assert group.escalation_ids[0] == gems[0]  # the earliest filed first
    assert group.earliest_key == f"ESC-{gems[0]}"
    assert group.category == "billing"


def _resolved_at(session: Session, policy: Policy, at: datetime, summary: str, details: str) -> int:
    e = file_text(
        session,
        policy,
        at,
        summary,
        details,
        product="game",
        category="billing",
        resolved=("bug", "note", "answer"),
    )
    assert e.id is not None
    return e.id


def test_no_recurring_groups_before_the_index_exists(
    db: Database, policy: Policy, clock: ManualClock
) -> None:
    with db.session() as session:
        for summary, details in RECURRING:
            _resolved_at(session, policy, START, summary, details)
    idx = inline_index(db, clock)
    with db.session() as session:
        assert (
            service.recurring_groups(
                session=session,
                index=idx,
                start=START - timedelta(days=1),
                end=START + timedelta(days=1),
            )
            == []
        )
