"""A scheduler process for the multi-process test: runs the jobs at each simulated instant it is given."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import ManualClock
from bot.db import Database
from bot.policy import parse_policy
from bot.runtime import Runtime, make_web_client
from bot.scheduler import run_job
from bot.settings import Settings


def worker_main(
    *,
    name: str,
    database_url: str,
    slack_api_url: str,
    policy_text: str,
    instants: list[str],
    barrier: Any,
    results: Any,
) -> None:
    """Step through `instants` in lock-step with the other processes, running the jobs at each."""
    settings = Settings(
        slack_bot_token="xoxb-test",  # type: ignore[arg-type]
        slack_signing_secret="s",  # type: ignore[arg-type]
        slack_api_url=slack_api_url,
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    policy = parse_policy(policy_text)
    clock = ManualClock(datetime.fromisoformat(instants[0]))
    runtime = Runtime(
        settings=settings,
        policy=policy,
        db=Database(database_url),
        client=make_web_client("xoxb-test", base_url=slack_api_url),
        clock=clock,
        owner=name,
    )
    ran = 0
    try:
        for text in instants:
            at = datetime.fromisoformat(text)
            barrier.wait(timeout=120)  # the parent applies the status changes due at this instant
            barrier.wait(timeout=120)
            clock.set(at)
            for job in ("slo-sweep", "outbox-flush"):
                outcome = run_job(runtime=runtime, name=job, at=at)
                ran += job == "slo-sweep" and not outcome.startswith("period")
        results.put((name, ran, None))
    except Exception as exc:
        results.put((name, ran, repr(exc)))
        barrier.abort()
        raise
    finally:
        runtime.db.dispose()
