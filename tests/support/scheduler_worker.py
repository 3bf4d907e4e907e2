"""A scheduler process for the multi-process test: runs the jobs at each simulated instant it is sent.

The parent sends ("tick", at, now) to run the SLO sweep and an outbox flush as of `at`, exactly as
the scheduler would (the sweep claims its period first), with the process's clock reading `now` (a
run may start late: both processes share one wall clock, as real ones do); or ("catch-up", now, now)
to do what a scheduler does at start: make up the runs missed while it was down. None stops the
worker. Each command is answered on `replies` with (name, at, detail, error).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import ManualClock
from bot.db import Database
from bot.policy import parse_policy
from bot.runtime import Runtime, make_web_client
from bot.scheduler import catch_up, run_job
from bot.settings import Settings


def worker_main(
    *,
    name: str,
    database_url: str,
    slack_api_url: str,
    policy_text: str,
    start: str,
    commands: Any,
    replies: Any,
) -> None:
    """Serve commands until told to stop (or killed: the test kills one mid-post)."""
    settings = Settings(
        slack_bot_token="xoxb-test",  # type: ignore[arg-type]
        slack_signing_secret="s",  # type: ignore[arg-type]
        slack_api_url=slack_api_url,
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    clock = ManualClock(datetime.fromisoformat(start))
    runtime = Runtime(
        settings=settings,
        policy=parse_policy(policy_text),
        db=Database(database_url),
        client=make_web_client("xoxb-test", base_url=slack_api_url),
        clock=clock,
        owner=name,
    )
    try:
        while (command := commands.get()) is not None:
            verb, text, now = command
            at = datetime.fromisoformat(text)
            clock.set(datetime.fromisoformat(now))
            if verb == "catch-up":
                detail = " | ".join(catch_up(runtime=runtime))
            else:
                detail = run_job(runtime=runtime, name="slo-sweep", at=at)
                run_job(runtime=runtime, name="outbox-flush", at=at)
            replies.put((name, text, detail, None))
    except Exception as exc:
        replies.put((name, None, None, repr(exc)))
        raise
    finally:
        runtime.db.dispose()
