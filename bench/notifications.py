"""Notifications per escalation per person over a simulated month of 24 escalations.

Run: .venv/bin/python bench/notifications.py [--database-url URL] [--json]

Plays `tests/support/month.py`'s November 2026 (Asia/Tokyo, holidays included; prompt, slow,
ignored, waiting and long-unclaimed cases; P1 breaches) against the real app, jobs and outbox,
with a manual clock and the Slack stand-in, then reads every message the bot posted and counts,
per escalation, what its assignee(s) and the lead were sent by kind (DM; a thread reply that
mentions them; a top-level channel post that mentions them), the top-level channel posts naming
it, and per person the DMs of the month (most in one day). Deterministic: not a timing.
Figures in README.md ("Notification budget").
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.month import run_month  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/month.db"
        month = run_month(database_url=url, files_dir=Path(scratch) / "files")
    if args.json:
        print(json.dumps(month.figures(), indent=2))
    else:
        print("\n".join(month.summary()))


if __name__ == "__main__":
    main()
