"""Escalations with texts, and a similarity index that refreshes inline, for similarity tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import escalations
from bot.clock import Clock
from bot.db import Database
from bot.models import Escalation
from bot.policy import Policy
from bot.similarity import store
from bot.similarity.index import SimilarityIndex
from tests.support.factories import LEAD, file_one


def run_inline(task: Callable[[], None]) -> None:
    """A launcher that refreshes on the caller's thread (deterministic tests)."""
    task()


class Deferred:
    """A launcher that keeps refreshes until told to run them (a load still in progress)."""

    def __init__(self) -> None:
        self.tasks: list[Callable[[], None]] = []

    def __call__(self, task: Callable[[], None]) -> None:
        self.tasks.append(task)

    def run_all(self) -> None:
        while self.tasks:
            self.tasks.pop(0)()


def inline_index(db: Database, clock: Clock, **kwargs: Any) -> SimilarityIndex:
    """An index over `db` whose refreshes run inline."""
    return SimilarityIndex(db=db, clock=clock, launch=kwargs.pop("launch", run_inline), **kwargs)


def file_text(
    session: Session,
    policy: Policy,
    now: datetime,
    summary: str,
    details: str = "",
    *,
    resolved: tuple[str, str, str] | None = None,
    **overrides: Any,
) -> Escalation:
    """File an escalation with this text; `resolved` = (cause, note, answer) resolves it too."""
    escalation = file_one(session, policy, now, summary=summary, details=details, **overrides)
    assert escalation.id is not None
    if resolved is not None:
        cause, note, answer = resolved
        escalation = escalations.resolve(
            session=session,
            policy=policy,
            escalation_id=escalation.id,
            actor_id=LEAD,
            cause=cause,
            note=note,
            answer=answer,
            now=now,
        )
    return escalation


def sync_all(db: Database, index: SimilarityIndex, now: datetime) -> None:
    """What the similarity-index job does: encode everything new or changed."""
    after_id = 0
    while True:
        with db.session() as session:
            report = store.sync_batch(
                session=session, scorer=index.scorer, now=now, limit=100, after_id=after_id
            )
            store.mark_built(session=session, now=now)
            session.commit()
        after_id = report.last_id
        if report.looked < 100:
            return
