"""`crebot audit export --since DATE [--output FILE]`: the look-up audit as CSV."""

from __future__ import annotations

import csv
import io
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from bot import cli
from bot.db import Database
from bot.lookup import service
from bot.lookup.sources import DirectorySource
from bot.policy import Policy
from tests.conftest import FIXTURES, START


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CREBOT_CONFIG", str(FIXTURES / "policy.toml"))
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)


def _look_ups(db: Database, policy: Policy) -> None:
    source = DirectorySource(
        path=policy.lookup.directory.resolved_path(), fields=policy.lookup.fields
    )
    with db.session() as session:
        for days, query in ((0, "u-1001"), (10, "hanako.sato@example.jp")):
            service.look_up(
                session=session,
                policy=policy,
                source=source,
                query=query,
                actor_id="U0HANAKO",
                channel_id="C0SUPPORT",
                now=START + timedelta(days=days),
            )


def test_export_writes_csv_to_stdout_from_the_given_day(
    env: None, db: Database, policy: Policy, capsys: pytest.CaptureFixture[str]
) -> None:
    _look_ups(db, policy)

    assert cli.main(["audit", "export", "--since", "2026-11-26"]) == 0

    captured = capsys.readouterr()
    [row] = list(csv.DictReader(io.StringIO(captured.out)))
    assert (row["actor_id"], row["outcome"], row["end_user_id"]) == ("U0HANAKO", "shown", "u-1002")
    assert row["query_kind"] == "email"
    assert "hanako.sato" not in captured.out
    assert "exported 1 audit rows since 2026-11-26T00:00:00+09:00" in captured.err


def test_export_to_a_file_readable_only_by_its_owner(
    env: None, db: Database, policy: Policy, tmp_path: Path
) -> None:
    _look_ups(db, policy)
    target = tmp_path / "audit.csv"

    assert cli.main(["audit", "export", "--since", "2026-11-01", "--output", str(target)]) == 0

    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["end_user_id"] for r in rows] == ["u-1001", "u-1002"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_export_over_an_existing_file_makes_it_readable_only_by_its_owner(
    env: None, db: Database, policy: Policy, tmp_path: Path
) -> None:
    _look_ups(db, policy)
    target = tmp_path / "audit.csv"
    target.write_text("an older export\n", encoding="utf-8")
    target.chmod(0o644)

    assert cli.main(["audit", "export", "--since", "2026-11-01", "--output", str(target)]) == 0

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["end_user_id"] for r in rows] == ["u-1001", "u-1002"]


def test_export_needs_a_date(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["audit", "export", "--since", "last week"])

    assert "--since" in capsys.readouterr().err


def test_export_since_before_any_audit_could_exist_is_one_line(
    env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "export", "--since", "0001-01-01"]) == 2

    err = capsys.readouterr().err.strip()
    assert err == "crebot: --since: 0001-01-01 is too long ago (give a date from 2000-01-01 on)"
