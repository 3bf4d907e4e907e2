"""similarity-index: encodes what is new or changed, once, in batches, and keeps a process current."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot import cli, escalations
from bot.clock import ManualClock
from bot.models import SimilarityDoc
from bot.runtime import Runtime
from bot.scheduler import build_schedules, run_job
from bot.similarity import store
from bot.similarity.index import SimilarityNotReady
from bot.similarity.service import CHANNEL, similar_to_text
from jobs import similarity_index
from jobs.similarity_index import update_similarity_index
from tests.conftest import FIXTURES
from tests.support.factories import LEAD
from tests.support.similar import file_text, run_inline


def _docs(runtime: Runtime) -> dict[int, tuple[int, int]]:
    with runtime.db.session() as session:
        return {
            d.escalation_id: (d.generation, d.escalation_version)
            for d in session.exec(select(SimilarityDoc))
        }


def test_the_first_run_encodes_everything_and_the_next_nothing(
    runtime: Runtime, clock: ManualClock
) -> None:
    with runtime.db.session() as session:
        for n in range(3):
            file_text(session, runtime.policy, clock.now(), f"Sync stops after update {n}")
    assert update_similarity_index(runtime=runtime, at=clock.now()) == (
        "3 encoded, 0 unchanged, generation 1; 3 cards redrawn with new similar escalations"
    )
    first = _docs(runtime)
    assert len(first) == 3
    assert update_similarity_index(runtime=runtime, at=clock.now()) == (
        "0 encoded, 0 unchanged, generation 1"
    )
    assert _docs(runtime) == first


def test_a_status_change_is_looked_at_but_only_a_text_change_is_encoded(
    runtime: Runtime, clock: ManualClock
) -> None:
    with runtime.db.session() as session:
        escalation = file_text(session, runtime.policy, clock.now(), "Photos vanish after restore")
    assert escalation.id is not None
    update_similarity_index(runtime=runtime, at=clock.now())
    common = {
        "policy": runtime.policy,
        "escalation_id": escalation.id,
        "actor_id": LEAD,
        "now": clock.now(),
    }
    with runtime.db.session() as session:
        escalations.acknowledge(session=session, **common)
    assert update_similarity_index(runtime=runtime, at=clock.now()).startswith(
        "0 encoded, 1 unchanged"
    )
    generation, version = _docs(runtime)[escalation.id]
    assert generation == 1
    with runtime.db.session() as session:
        escalations.resolve(
            session=session,
            cause="bug",
            note="Restore job skipped albums",
            answer="Fixed.",
            **common,
        )
    assert update_similarity_index(runtime=runtime, at=clock.now()) == (
        "1 encoded, 0 unchanged, generation 2"
    )
    assert _docs(runtime)[escalation.id][0] == 2
    assert _docs(runtime)[escalation.id][1] > version


def test_many_escalations_are_encoded_a_batch_per_transaction(
    runtime: Runtime, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(similarity_index, "BATCH", 2)
    with runtime.db.session() as session:
        for n in range(5):
            file_text(session, runtime.policy, clock.now(), f"Upload stops at 80% ({n})")
    assert update_similarity_index(runtime=runtime, at=clock.now()) == (
        "5 encoded, 0 unchanged, generation 3; 5 cards redrawn with new similar escalations"
    )
    assert sorted(g for g, _ in _docs(runtime).values()) == [1, 1, 2, 2, 3]


def test_a_process_that_searches_is_brought_up_to_date_by_the_run(
    runtime: Runtime, clock: ManualClock
) -> None:
    runtime.similarity.launch = run_inline
    with runtime.db.session() as session:
        file_text(session, runtime.policy, clock.now(), "Push notifications stopped on iOS 18")
    with runtime.db.session() as session, pytest.raises(SimilarityNotReady):
        similar_to_text(session=session, index=runtime.similarity, text="push", audience=CHANNEL)
    update_similarity_index(runtime=runtime, at=clock.now())
    clock.advance(timedelta(seconds=1))  # long before the index would check again by itself
    with runtime.db.session() as session:
        runtime.similarity.current() or runtime.similarity.wait()
        new = file_text(session, runtime.policy, clock.now(), "Double charge for premium plan")
    update_similarity_index(runtime=runtime, at=clock.now())
    with runtime.db.session() as session:
        [match] = similar_to_text(
            session=session,
            index=runtime.similarity,
            text="charged twice for the premium plan",
            audience=CHANNEL,
            min_score=0.2,
        )
    assert match.escalation_id == new.id


def test_it_runs_on_its_schedule_once_per_slot(runtime: Runtime, clock: ManualClock) -> None:
    schedule = build_schedules(runtime.policy)["similarity-index"]
    assert schedule.exclusive
    at = clock.now()
    assert run_job(runtime=runtime, name="similarity-index", at=at).endswith("generation 1")
    assert run_job(runtime=runtime, name="similarity-index", at=at).startswith("period ")
    with runtime.db.session() as session:
        assert store.current_generation(session=session) == 1


def test_run_job_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    runtime: Runtime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    monkeypatch.setenv("SLACK_API_URL", runtime.settings.slack_api_url or "")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CREBOT_CONFIG", str(FIXTURES / "policy.toml"))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    with runtime.db.session() as session:
        file_text(session, runtime.policy, runtime.now(), "App crashes when opening the camera")
    assert cli.main(["run-job", "similarity-index", "--at", "2026-11-25T12:00"]) == 0
    assert capsys.readouterr().out == (
        "similarity-index as of 2026-11-25T03:00:00+00:00: 1 encoded, 0 unchanged, generation 1\n"
    )
