"""The process's index: never blocks, says "not ready", loads, and follows the stored generation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.clock import ManualClock
from bot.db import Database
from bot.models import SimilarityDoc
from bot.policy import Policy
from bot.similarity import index as index_module
from bot.similarity.index import SimilarityNotReady, _AlignedSource
from bot.similarity.service import query_text
from tests.support.similar import Deferred, file_text, inline_index, sync_all

RESET_MAIL = "Password reset email never arrives"
SYNC = "Photos not syncing between iPhone and iPad"


def _search(idx: index_module.SimilarityIndex, text: str) -> list[int]:
    encoding = idx.scorer.encode([query_text(text)])[0]
    return [c.escalation_id for c in idx.snapshot().search(encoding, limit=5, min_score=0.3)]


def test_before_the_job_ever_ran_the_index_is_not_ready(
    db: Database, policy: Policy, clock: ManualClock
) -> None:
    with db.session() as session:
        file_text(session, policy, clock.now(), RESET_MAIL)
    idx = inline_index(db, clock)
    with pytest.raises(SimilarityNotReady):
        idx.snapshot()
    assert idx.wait() is None
    sync_all(db, idx, clock.now())
    clock.advance(idx.check_every)
    assert idx.snapshot().size == 1


def test_an_empty_database_once_indexed_is_ready_and_finds_nothing(
    db: Database, clock: ManualClock
) -> None:
    idx = inline_index(db, clock)
    sync_all(db, idx, clock.now())
    assert idx.snapshot().size == 0
    assert _search(idx, RESET_MAIL) == []


def test_a_load_in_progress_answers_not_ready_instead_of_waiting(
    db: Database, policy: Policy, clock: ManualClock
) -> None:
    with db.session() as session:
        reset = file_text(session, policy, clock.now(), RESET_MAIL)
    deferred = Deferred()
    idx = inline_index(db, clock, launch=deferred)
    sync_all(db, idx, clock.now())
    with pytest.raises(SimilarityNotReady):
        idx.snapshot()
    with pytest.raises(SimilarityNotReady):  # a second caller neither waits nor starts another load
        idx.snapshot()
    assert len(deferred.tasks) == 1
    deferred.run_all()
    assert _search(idx, "password reset mail does not arrive") == [reset.id]


def test_documents_changed_since_the_load_are_searched_in_an_overlay(
    db: Database, policy: Policy, clock: ManualClock
) -> None:
    with db.session() as session:
        reset = file_text(session, policy, clock.now(), RESET_MAIL)
    idx = inline_index(db, clock)
    sync_all(db, idx, clock.now())
    idx.snapshot()
    with db.session() as session:
        sync = file_text(session, policy, clock.now(), SYNC, product="album")
    sync_all(db, idx, clock.now())
    assert _search(idx, SYNC) == []  # not checked again yet
    clock.advance(idx.check_every)
    assert _search(idx, SYNC) == [sync.id]
    snapshot = idx.snapshot()
    assert snapshot.overlay is not None
    assert snapshot.overlay.ids.tolist() == [sync.id]
    assert _search(idx, RESET_MAIL) == [reset.id]  # the base still answers, once


def test_a_changed_document_is_found_once_by_its_new_text(
    db: Database, policy: Policy, clock: ManualClock
) -> None:
    with db.session() as session:
        reset = file_text(session, policy, clock.now(), RESET_MAIL)
        assert reset.id is not None
    idx = inline_index(db, clock)
    sync_all(db, idx, clock.now())
    idx.snapshot()
    with db.session() as session:
        row = session.get(type(reset), reset.id)
        assert row is not None
        row.summary = SYNC  # as an edit of the summary would
        session.commit()
    sync_all(db, idx, clock.now())
    clock.advance(idx.check_every)
    assert _search(idx, SYNC) == [reset.id]
    assert _search(idx, RESET_MAIL) == []


def test_a_large_overlay_is_folded_into_a_new_base(
    db: Database, policy: Policy, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "OVERLAY_MIN", 1)
    monkeypatch.setattr(index_module, "OVERLAY_SHARE", 0.0)
    with db.session() as session:
        file_text(session, policy, clock.now(), RESET_MAIL)
    idx = inline_index(db, clock)
    sync_all(db, idx, clock.now())
    first = idx.snapshot()
    with db.session() as session:
        for n in range(2):
            file_text(session, policy, clock.now(), f"{SYNC} ({n})")
    sync_all(db, idx, clock.now())
    clock.advance(idx.check_every)
    second = idx.snapshot()
    assert second is not first
    assert second.overlay is None
    assert second.base.ids.size == 3


def test_a_base_built_on_nothing_is_rebuilt_after_ten_more_documents(
    db: Database, policy: Policy, clock: ManualClock
) -> None:
    """Its IDF weighs every n-gram alike: the team's first escalations must not wait for 2,000."""
    idx = inline_index(db, clock)
    sync_all(db, idx, clock.now())
    assert idx.snapshot().base.ids.size == 0
    for added, (base, overlay) in ((10, (0, 10)), (1, (11, None))):
        with db.session() as session:
            for n in range(added):
                file_text(session, policy, clock.now(), f"{SYNC} ({n})")
        sync_all(db, idx, clock.now())
        clock.advance(idx.check_every)
        snapshot = idx.snapshot()
        assert snapshot.base.ids.size == base
        assert (snapshot.overlay.ids.size if snapshot.overlay else None) == overlay


def test_a_failed_refresh_keeps_the_snapshot_and_is_tried_again(
    db: Database, policy: Policy, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        file_text(session, policy, clock.now(), RESET_MAIL)
    idx = inline_index(db, clock)
    sync_all(db, idx, clock.now())
    snapshot = idx.snapshot()
    with db.session() as session:
        file_text(session, policy, clock.now(), SYNC)
    sync_all(db, idx, clock.now())

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("database went away")

    monkeypatch.setattr(idx, "_with_overlay", broken)
    clock.advance(idx.check_every)
    assert idx.snapshot() is snapshot  # the search still answers from what it had
    monkeypatch.undo()
    clock.advance(idx.check_every)
    assert idx.snapshot().size == 2


def test_the_second_read_of_a_load_skips_documents_gone_and_added_meanwhile(
    db: Database, policy: Policy, clock: ManualClock
) -> None:
    with db.session() as session:
        ids = [file_text(session, policy, clock.now(), f"{RESET_MAIL} {n}").id for n in range(3)]
    idx = inline_index(db, clock)
    sync_all(db, idx, clock.now())
    source = _AlignedSource(db=db, scorer_name=idx.scorer.name)
    assert len(list(source())) == 3
    with db.session() as session:
        file_text(session, policy, clock.now(), SYNC)
    sync_all(db, idx, clock.now())
    with db.engine.begin() as connection:
        connection.execute(sa.delete(SimilarityDoc).where(SimilarityDoc.escalation_id == ids[1]))  # type: ignore[arg-type]
    again = list(source())
    assert len(again) == 3
    assert again[1] == b""
    assert source.gone == [1]
