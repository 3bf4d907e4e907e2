"""Render the README's digest chart: a sample year of escalations, charted by the bot's own code.

Run: .venv/bin/python docs/render_digest_chart.py   (writes docs/digest-chart.png and
     docs/digest-chart.ja.png; about ten seconds)

The sample is generated from a fixed seed with the example policy (crebot.example.toml): about
120 escalations a month from December 2025 to November 2026, a business time to resolve drawn
around each one's SLO target, into a migrated SQLite database in a temporary directory. The
chart is then made exactly as the monthly digest makes it: `chart_data` reads the month from the
database and `render_chart` draws it.
"""

from __future__ import annotations

import random
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import migrate  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.digest import Month  # noqa: E402
from bot.digest.chart import chart_data, render_chart  # noqa: E402
from bot.models import Escalation, Status  # noqa: E402
from bot.policy import Policy, parse_policy  # noqa: E402

SEED = 20261201
MONTH = Month(2026, 11)
MONTHS = 12
PER_MONTH = 120
TOKYO = ZoneInfo("Asia/Tokyo")
POLICY_FILE = ROOT / "crebot.example.toml"
OUT = ROOT / "docs"
PRIORITIES = (("P1", 0.1), ("P2", 0.55), ("P3", 0.35))
PRODUCTS = ("album", "game", "market")
CATEGORIES = ("login", "billing", "data", "other")
CAUSES = ("bug", "spec", "user-operation", "data-fix", "infra", "third-party")


def _escalations(policy: Policy, rng: random.Random) -> list[Escalation]:
    """A year of escalations; the team gets a little faster over it."""
    rows = []
    first = MONTH.shifted(-(MONTHS - 1))
    for index in range(MONTHS):
        month = first.shifted(index)
        start = datetime(month.year, month.month, 1, tzinfo=TOKYO)
        days = (datetime(month.next().year, month.next().month, 1, tzinfo=TOKYO) - start).days
        count = int(PER_MONTH * rng.uniform(0.8, 1.2))
        speed = 0.75 - 0.02 * index  # the median escalation takes this share of its target
        for _ in range(count):
            filed = start + timedelta(days=rng.uniform(0, days), hours=rng.uniform(0, 9))
            priority = rng.choices([p for p, _ in PRIORITIES], [w for _, w in PRIORITIES])[0]
            target_s = int(policy.priority_target(priority).total_seconds())
            took_s = max(600, int(target_s * speed * rng.lognormvariate(0, 0.6)))
            resolved = filed + timedelta(seconds=took_s * 24 / 9 * 7 / 5 * rng.uniform(0.8, 1.2))
            if resolved >= datetime(2026, 12, 1, tzinfo=TOKYO):
                resolved_at, status, took = None, Status.INVESTIGATING, None
            else:
                resolved_at, status, took = resolved, Status.RESOLVED, took_s
            rows.append(
                Escalation(
                    intake_key=f"sample:{len(rows)}",
                    end_user_id=f"u-{rng.randint(1000, 9999)}",
                    product=rng.choice(PRODUCTS),
                    category=rng.choice(CATEGORIES),
                    priority=priority,
                    summary="Sample escalation",
                    filed_by="U0CS",
                    filed_at=filed,
                    status=status,
                    channel_id=policy.escalation_channel,
                    last_activity_at=resolved_at or filed,
                    resolved_at=resolved_at,
                    resolution_cause=rng.choice(CAUSES) if resolved_at else None,
                    slo_target_s=target_s,
                    resolution_business_s=took,
                )
            )
    return rows


def main() -> int:
    policy = parse_policy(POLICY_FILE.read_text(), source=str(POLICY_FILE))
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/sample.db"
        migrate.upgrade(url)
        db = Database(url)
        try:
            with db.session() as session:
                session.add_all(_escalations(policy, random.Random(SEED)))
                session.commit()
            for language, name in (("en", "digest-chart.png"), ("ja", "digest-chart.ja.png")):
                team = policy.model_copy(update={"language": language})
                with db.session() as session:
                    data = chart_data(session=session, policy=team, month=MONTH)
                (OUT / name).write_bytes(render_chart(policy=team, data=data))
                print(f"wrote {(OUT / name).relative_to(ROOT)}")
        finally:
            db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
