"""A status click and its delivery in a loop, in-process: the thread's CPU per click, to profile it.

Run: .venv/bin/python bench/click_loop.py [--clicks 1000] [--database-url URL] [--rounds 3]
     py-spy record --gil --rate 250 --format raw -o click.txt -- .venv/bin/python bench/click_loop.py
     .venv/bin/python bench/profile_summary.py click.txt

One escalation, filed and claimed, is clicked Waiting on CS / Resume as its engineer, each click
as `handlers/actions/status_change.py` does it (the change, then `Runtime.deliver_now`, what
`Runtime.deliver` runs on a click's thread: the card's `chat.update`, the thread line, the
assignee's DM redrawn; Waiting also tells the filer) against the fake Slack Web API served
from another process over loopback HTTP (so its work is not in this process's profile). Printed:
per round, the clicking thread's CPU (`time.thread_time`) per click, and the statements per click.
SQLite in a temporary file unless `--database-url` is given (a fresh, empty database: migrated).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bot import escalations, migrate
from bot.clock import ManualClock
from bot.db import Database
from bot.policy import Policy, parse_policy
from bot.runtime import Runtime, make_web_client
from bot.settings import Settings
from tests.conftest import FIXTURES, START
from tests.support.factories import file_one

ENGINEER = "U0TARO"
SERVE = """
import sys
from bot.workspace.webapi import SlackStandIn
standin = SlackStandIn()
standin.add_channel("C0ESCALATE", "cre-escalations")
for user in sys.argv[1:]:
    standin.add_user(user, user.lower())
server = standin.serve()
print(server.base_url, flush=True)
sys.stdin.read()
"""


def policy() -> Policy:
    """The tests' policy, manual assignment (the click's engineer claims the escalation)."""
    text = (FIXTURES / "policy.toml").read_text()
    text, replaced = re.subn(r'strategy = "[^"]*"', 'strategy = "manual"', text)
    assert replaced == 1, "the tests' policy has no assignment strategy to replace"
    return parse_policy(text, source="tests/fixtures/policy.toml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=1000, help="clicks per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary file")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/click.db"
        migrate.upgrade(url)
        team = policy()
        users = (team.roster.lead, *team.engineer_ids, "U0CS")
        fake = subprocess.Popen(
            [sys.executable, "-c", SERVE, *users],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        try:
            assert fake.stdout is not None
            base_url = fake.stdout.readline().strip()
            run(url, base_url, team, clicks=args.clicks, rounds=args.rounds)
        finally:
            assert fake.stdin is not None
            fake.stdin.close()
            fake.wait()
    return 0


def run(url: str, base_url: str, team: Policy, *, clicks: int, rounds: int) -> None:
    settings = Settings(
        slack_bot_token="xoxb-bench",  # type: ignore[arg-type]  # noqa: S106
        slack_api_url=base_url,
        database_url=url,
        _env_file=None,  # type: ignore[call-arg]
    )
    clock = ManualClock(START)
    db = Database(url)
    client = make_web_client(settings.bot_token(), base_url=base_url)
    runtime = Runtime(settings=settings, policy=team, db=db, client=client, clock=clock)
    with db.session() as session:
        escalation_id = file_one(session, team, clock.now()).id
        assert escalation_id is not None
    runtime.deliver_now(escalation_id=escalation_id)
    with db.session() as session:
        escalations.claim(
            session=session,
            policy=team,
            escalation_id=escalation_id,
            actor_id=ENGINEER,
            now=clock.now(),
        )
    runtime.deliver_now(escalation_id=escalation_id)
    statements = [0]

    def counted(*_args: Any) -> None:
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    verbs = (escalations.wait_on_cs, escalations.resume)
    for number in range(rounds):
        statements[0] = sent = 0
        began = time.thread_time()
        for click in range(clicks):
            clock.advance(timedelta(seconds=1))
            with db.session() as session:
                verbs[click % 2](
                    session=session,
                    policy=team,
                    escalation_id=escalation_id,
                    actor_id=ENGINEER,
                    now=clock.now(),
                )
            report = runtime.deliver_now(escalation_id=escalation_id)
            assert report.sent >= 3, report
            assert not report.errors, report
            sent += report.sent
        took = time.thread_time() - began
        print(
            f"round {number + 1}: {took / clicks * 1000:.2f} ms CPU per click, "
            f"{statements[0] / clicks:.1f} statements and {sent / clicks:.1f} Slack calls per click",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
