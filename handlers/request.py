"""One request context for every listener: the runtime, who acts, the instant it acts at, a session.

    with request_context(context, body) as request:
        escalations.claim(session=request.session, policy=request.policy, ...,
                          actor_id=request.actor_id, now=request.now)
    request.runtime.deliver(escalation_id=escalation_id)

Who commits: the domain function a listener calls commits its own change (it owns the retry when
someone else changed the row first); a listener never commits, and whatever is left uncommitted
when the block ends (a read, a refusal) is rolled back as the session closes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.policy import Policy
from bot.runtime import Runtime
from bot.similarity.service import Audience
from handlers.payload import runtime_of, user_id


@dataclass(frozen=True)
class Request:
    """What a listener works with while it does its one domain call."""

    runtime: Runtime
    session: Session
    actor_id: str
    now: datetime

    @property
    def policy(self) -> Policy:
        """The team's policy."""
        return self.runtime.policy

    @property
    def audience(self) -> Audience:
        """Who reads what similarity shows: whether the actor may look end users up."""
        return Audience.of(
            policy=self.policy,
            user_id=self.actor_id,
            groups=self.runtime.user_groups,
            now=self.now,
        )


@contextmanager
def request_context(
    context: dict[str, Any],
    body: dict[str, Any],
    *,
    actor_id: str | None = None,
    read_only: bool = False,
) -> Iterator[Request]:
    """The listener's request: the actor from the payload (or `actor_id`), the clock's now, one session."""
    runtime = runtime_of(context)
    actor = actor_id if actor_id is not None else user_id(body)
    with runtime.db.session(read_only=read_only) as session:
        yield Request(runtime=runtime, session=session, actor_id=actor, now=runtime.now())
