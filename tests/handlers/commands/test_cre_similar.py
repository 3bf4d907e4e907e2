"""`/cre similar <text | ESC-42>`: the most similar escalations, privately, with scores, causes and answers."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.clock import ManualClock
from bot.runtime import Runtime
from bot.scheduler import run_job
from tests.support.flows import assert_acked, texts_in
from tests.support.similar import file_text
from tests.support.slack import SlackDriver

RESTORE = [
    "Photos disappear from the album after restoring a backup",
    "After restoring the backup, photos disappeared from the album",
    "Album is empty once the backup restore finishes",
    "Restored my phone from backup and the album photos are gone",
    "バックアップから復元したらアルバムの写真が消えた",
    "Photos vanish from albums after a restore from backup",
    "Backup restore left the photo album empty",
    "Pictures missing in album after backup restore",
    "復元後にアルバムの写真が表示されない",
    "After a backup restore none of the album photos show",
    "Album photos gone after restoring from a backup",
    "The restore from backup wiped the album's photos",
]
ANSWER = "Ask them to run the restore again from Settings; write to taro@example.com if it fails."


def _history(runtime: Runtime, clock: ManualClock, texts: list[str]) -> None:
    with runtime.db.session() as session:
        for n, text in enumerate(texts):
            resolved = ("bug", "Restore skipped albums", ANSWER) if n == 0 else None
            file_text(session, runtime.policy, clock.now(), text, resolved=resolved)
        file_text(session, runtime.policy, clock.now(), "Invoice PDF shows the wrong tax rate")
    clock.advance(timedelta(minutes=5))
    run_job(runtime=runtime, name="similarity-index", at=clock.now())


def _ask(slack: SlackDriver, words: str, user: str = "U0HANAKO") -> tuple[str, list[str]]:
    assert_acked(slack.command("/cre", f"similar {words}", user=user))
    _, payload = slack.standin.responses[-1]
    assert payload.get("response_type") == "ephemeral", payload
    return str(payload.get("text", "")), texts_in(payload.get("blocks") or [])


def _keys(items: list[str]) -> list[str]:
    return [m.group(1) for text in items if (m := re.match(r"\*<[^|]+\|(ESC-\d+)>\*", text))]


def _scores(items: list[str]) -> list[float]:
    return [
        float(m.group(1)) for text in items if (m := re.match(r"\*<.*?>\* · ([0-9.]+) · ", text))
    ]


def test_a_text_gets_the_ten_best_with_scores_causes_and_answers(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    _history(runtime, clock, RESTORE)

    text, items = _ask(slack, "photos vanish from the album after a backup restore")

    assert text == (
        ":mag: Escalations most similar to “photos vanish from the album after a backup restore”"
        " (best first):"
    )
    keys = _keys(items)
    assert len(keys) == 10
    assert "ESC-13" not in keys  # the invoice
    scores = _scores(items)
    assert len(scores) == 10
    assert scores == sorted(scores, reverse=True)
    [resolved] = [item for item in items if item.startswith("*<") and "|ESC-1>*" in item]
    assert " · resolved 25 Nov · Bug · " in resolved
    assert "Ask them to run the restore again from Settings" in resolved
    # A dozen escalations: cards show only close matches yet (bot.similarity.service).
    assert items[-1].startswith("Scores run from 0 to 1 (cards show matches from 0.6)")


def test_a_key_searches_with_that_escalation_s_text_and_leaves_it_out(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    _history(runtime, clock, RESTORE[:4])
    text, items = _ask(slack, "ESC-2")
    assert text == ":mag: Escalations most similar to ESC-2 (best first):"
    keys = _keys(items)
    assert "ESC-2" not in keys
    assert set(keys[:3]) == {"ESC-1", "ESC-3", "ESC-4"}  # the invoice, if at all, after them


def test_japanese_text_finds_the_japanese_and_english_ones(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    _history(runtime, clock, RESTORE)
    _, items = _ask(slack, "復元したらアルバムの写真がなくなった")
    assert {"ESC-5", "ESC-9"} <= set(_keys(items)[:3])


def test_someone_who_may_not_look_users_up_sees_no_personal_data(
    slack: SlackDriver, runtime: Runtime, clock: ManualClock
) -> None:
    _history(runtime, clock, RESTORE[:3])
    _, engineer = _ask(slack, "ESC-2", user="U0HANAKO")
    _, outsider = _ask(slack, "ESC-2", user="U0OUTSIDER")
    assert any("taro@example.com" in item for item in engineer)
    assert not any("taro@example.com" in item for item in outsider)
    assert any("write to *** if it fails" in item for item in outsider)


def _reply(slack: SlackDriver, words: str) -> str:
    assert_acked(slack.command("/cre", f"similar {words}".strip(), user="U0HANAKO"))
    _, payload = slack.standin.responses[-1]
    assert payload.get("response_type") == "ephemeral"
    return str(payload.get("text", ""))


def test_before_the_index_exists_it_says_not_ready(slack: SlackDriver) -> None:
    assert _reply(slack, "photos vanish") == (
        "Similar escalations are not ready yet: the index is still being built."
        " Try again in a minute."
    )


def test_refusals(slack: SlackDriver, runtime: Runtime, clock: ManualClock) -> None:
    _history(runtime, clock, RESTORE[:2])
    assert _reply(slack, "").startswith("Usage: `/cre similar &lt;text | ESC-42&gt;`")
    assert _reply(slack, "ESC-999") == "There is no escalation ESC-999."
    assert _reply(slack, "tax rate on the invoice").startswith(":mag: Escalations most similar")
    assert _reply(slack, "zzzz qqqq") == ":mag: Nothing similar to “zzzz qqqq” yet."
