"""Escalations with texts, and a similarity index that refreshes inline, for similarity tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot import escalations
from bot.clock import Clock, ManualClock
from bot.db import Database
from bot.models import Escalation
from bot.policy import Policy
from bot.runtime import Runtime
from bot.scheduler import run_job
from bot.similarity import store
from bot.similarity.index import SimilarityIndex
from tests.support.factories import LEAD, file_one

# Two problems the team resolved six times each, told differently each time.
LOGIN = [
    "Cannot log in to the market app after changing the password",
    "Login to the marketplace fails right after a password change",
    "The market app rejects the new password after a reset",
    "After resetting her password she cannot sign in to the market",
    "Sign-in fails on the market app since the password was changed",
    "Password changed, now the market login keeps failing",
]
BILLING = [
    "Invoice PDF shows the wrong tax rate",
    "The monthly invoice has last year's tax rate",
    "Tax on the invoice is calculated at the old rate",
    "Wrong consumption tax on the downloaded invoice",
    "Invoice total is off because of the tax rate",
    "Our invoice uses an outdated tax percentage",
]


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


def resolved_history(runtime: Runtime, clock: ManualClock, *, login: list[str] = LOGIN) -> None:
    """The team's resolved escalations (`login` as market/login, BILLING as album/billing), then
    the similarity-index job five minutes later."""
    cases = [(text, "market", "login") for text in login] + [
        (text, "album", "billing") for text in BILLING
    ]
    with runtime.db.session() as session:
        for text, product, category in cases:
            file_text(
                session,
                runtime.policy,
                clock.now(),
                text,
                product=product,
                category=category,
                resolved=("bug", "Fixed at the root", "Fixed; ask them to retry."),
            )
    clock.advance(timedelta(minutes=5))
    run_job(runtime=runtime, name="similarity-index", at=clock.now())
