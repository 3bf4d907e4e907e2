"""The `crebot` command's job entry points: run-job, scheduler, serve (driven through `cli.main`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlmodel import select

import bot.scheduler
import bot.socket_mode
from bot import cli
from bot.clock import ManualClock
from bot.db import Database
from bot.models import JobRun
from bot.policy import Policy
from bot.runtime import Runtime
from bot.scheduler import build_schedules
from bot.server import GunicornServer
from bot.socket_mode import SocketModeService
from bot.web import SlackWsgiApp
from bot.workspace.webapi import RunningServer, SlackStandIn
from tests.conftest import FIXTURES, START, TOKYO
from tests.support.factories import file_one

NEW_YORK = "America/New_York"


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, slack_server: RunningServer
) -> pytest.MonkeyPatch:
    """The environment of a deployed process, pointed at the test database and the fake Slack."""
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    monkeypatch.setenv("SLACK_API_URL", slack_server.base_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CREBOT_CONFIG", str(FIXTURES / "policy.toml"))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return monkeypatch


def _team_in(env: pytest.MonkeyPatch, tmp_path: Path, zone: str) -> None:
    """Point CREBOT_CONFIG at the test policy with the team's time zone replaced."""
    text = (FIXTURES / "policy.toml").read_text()
    assert 'timezone = "Asia/Tokyo"' in text
    edited = tmp_path / "policy.toml"
    edited.write_text(text.replace('timezone = "Asia/Tokyo"', f'timezone = "{zone}"'))
    env.setenv("CREBOT_CONFIG", str(edited))


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# -- run-job ---------------------------------------------------------------------------------------


@pytest.fixture
def p1_at_ten(runtime: Runtime) -> int:
    """A P1 filed Wed 2026-11-25 10:00 JST (50% of its 4h at 12:00), its card posted."""
    with runtime.db.session() as session:
        escalation = file_one(session, runtime.policy, START, priority="P1")
    runtime.deliver()
    assert escalation.id is not None
    return escalation.id


@pytest.mark.parametrize(
    "at",
    ["2026-11-25T12:00", "2026-11-25T12:00:00+09:00", "2026-11-25T04:00+01:00"],
    ids=["no offset: the team's zone", "JST offset", "another offset"],
)
def test_run_job_runs_the_sweep_as_of_the_instant_given(
    env: pytest.MonkeyPatch,
    p1_at_ten: int,
    standin: SlackStandIn,
    capsys: pytest.CaptureFixture[str],
    at: str,
) -> None:
    assert cli.main(["run-job", "slo-sweep", "--at", at]) == 0
    out = capsys.readouterr().out
    assert out == "slo-sweep as of 2026-11-25T03:00:00+00:00: 1 due, 1 crossed a threshold\n"
    # The warning folds into her assignment DM: no second DM, that one redrawn in place once
    # (drawn when sent, so as of the present, not of --at; its wording is tested with the sweep).
    [dm] = standin.dms("U0HANAKO")
    assert [
        c.args["channel"] for c in standin.calls_to("chat.update") if c.args["ts"] == dm.ts
    ] == [dm.channel]


def test_run_job_a_minute_early_finds_nothing(
    env: pytest.MonkeyPatch,
    p1_at_ten: int,
    standin: SlackStandIn,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["run-job", "slo-sweep", "--at", "2026-11-25T11:59"]) == 0
    assert capsys.readouterr().out.endswith(": 0 due, 0 crossed a threshold\n")
    [dm] = standin.dms("U0HANAKO")  # her assignment DM, as posted: not redrawn with a warning
    assert [c for c in standin.calls_to("chat.update") if c.args["ts"] == dm.ts] == []


def test_run_job_for_a_holiday_says_it_did_nothing_unless_forced(
    env: pytest.MonkeyPatch,
    runtime: Runtime,
    standin: SlackStandIn,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with runtime.db.session() as session:
        file_one(session, runtime.policy, START - timedelta(days=10))
    runtime.deliver()
    before = len(standin.calls)

    assert cli.main(["run-job", "stale-reminders", "--at", "2026-11-23T10:00"]) == 0
    assert capsys.readouterr().out == (
        "stale-reminders as of 2026-11-23T01:00:00+00:00: not run: Mon 2026-11-23 is"
        " Labor Thanksgiving Day, not a working day (--force runs it anyway)\n"
    )
    assert len(standin.calls) == before
    assert cli.main(["run-job", "stale-reminders", "--at", "2026-11-23T10:00", "--force"]) == 0
    assert "not run" not in capsys.readouterr().out
    assert len(standin.calls) > before


def test_run_job_leaves_no_database_connection_open(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pooled connection left for the garbage collector warns (psycopg) under a later test."""
    built: list[Runtime] = []
    build_runtime = cli.build_runtime

    def noting_the_runtime(*args: Any, **kwargs: Any) -> Runtime:
        built.append(build_runtime(*args, **kwargs))
        return built[-1]

    env.setattr(cli, "build_runtime", noting_the_runtime)
    assert cli.main(["run-job", "housekeeping", "--at", "2026-11-25T12:00"]) == 0
    [runtime] = built
    assert runtime.db.engine.pool.checkedin() == 0


def test_run_job_reads_an_instant_without_offset_in_the_team_zone(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _team_in(env, tmp_path, NEW_YORK)
    assert cli.main(["run-job", "housekeeping", "--at", "2026-11-25T12:00"]) == 0
    assert capsys.readouterr().out.startswith("housekeeping as of 2026-11-25T17:00:00+00:00: ")


def test_run_job_with_an_unknown_name_is_one_clear_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run-job", "slo-swep", "--at", "2026-11-25T12:00"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = _one_line(captured.err)
    assert line.startswith("crebot: run-job: unknown job 'slo-swep' (one of slo-sweep, ")
    assert "outbox-flush" in line


def test_run_job_with_a_bad_instant_is_one_clear_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run-job", "slo-sweep", "--at", "next tuesday"]) == 2
    assert "is not an ISO-8601 instant" in _one_line(capsys.readouterr().err)


# -- scheduler -------------------------------------------------------------------------------------


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Replace the blocking scheduler's start (which never returns) by noting its jobs."""
    jobs: list[Any] = []

    def start(self: BlockingScheduler, *args: Any, **kwargs: Any) -> None:
        jobs.extend(self.get_jobs())  # not started: its pending jobs, with their triggers

    monkeypatch.setattr(BlockingScheduler, "start", start)
    # The catch-up at start runs as of a known instant, not the machine's clock.
    monkeypatch.setattr(cli, "SystemClock", lambda: ManualClock(START + timedelta(minutes=14)))
    return jobs


@pytest.mark.parametrize("zone", ["Asia/Tokyo", NEW_YORK])
def test_scheduler_adds_every_job_with_cron_triggers_in_the_team_zone(
    env: pytest.MonkeyPatch,
    tmp_path: Path,
    started: list[Any],
    policy: Policy,
    db: Database,
    zone: str,
) -> None:
    _team_in(env, tmp_path, zone)
    assert cli.main(["scheduler"]) == 0
    assert {job.id for job in started} == set(build_schedules(policy))
    local = ZoneInfo(zone)
    for job in started:
        assert isinstance(job.trigger, CronTrigger), job.id
        assert str(job.trigger.timezone) == zone, job.id
    triggers = {job.id: job.trigger for job in started}
    # Wed 2026-11-25 09:00 local: the next stale-reminders run is 10:00 local, housekeeping 03:30.
    nine = datetime(2026, 11, 25, 9, 0, tzinfo=local)
    reminders = triggers["stale-reminders"].get_next_fire_time(None, nine)
    assert reminders.astimezone(local).replace(tzinfo=None) == datetime(2026, 11, 25, 10, 0)
    cleanup = triggers["housekeeping"].get_next_fire_time(None, nine)
    assert cleanup.astimezone(local).replace(tzinfo=None) == datetime(2026, 11, 26, 3, 30)
    sweep = triggers["slo-sweep"].get_next_fire_time(None, nine + timedelta(minutes=1))
    assert sweep == nine + timedelta(minutes=10)
    # Before blocking, it caught up the sweep slot it had missed (the one just before its start).
    with db.session() as session:
        runs = session.exec(select(JobRun).where(JobRun.job == "slo-sweep")).all()
    assert [run.status for run in runs] == ["done"]


def test_scheduler_without_a_bot_token_is_one_line(
    env: pytest.MonkeyPatch, started: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    env.delenv("SLACK_BOT_TOKEN")
    assert cli.main(["scheduler"]) == 2
    assert "SLACK_BOT_TOKEN" in _one_line(capsys.readouterr().err)
    assert started == []


# -- serve -----------------------------------------------------------------------------------------


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Replace the blocking servers by noting what was started (gunicorn builds its app, as a worker)."""
    seen: dict[str, list[Any]] = {"gunicorn": [], "socket": [], "scheduler": []}

    def run_gunicorn(self: GunicornServer) -> None:
        seen["gunicorn"].append(self.load())  # what each worker does after the fork

    def start_socket_mode(self: SocketModeService, **_: Any) -> None:
        seen["socket"].append(self.app)

    monkeypatch.setattr(GunicornServer, "run", run_gunicorn)
    monkeypatch.setattr(SocketModeService, "start", start_socket_mode)
    monkeypatch.setattr(bot.socket_mode, "check_app_token", lambda *_, **__: None)
    monkeypatch.setattr(bot.scheduler, "start_background_scheduler", seen["scheduler"].append)
    return seen


@pytest.mark.parametrize(("flags", "schedulers"), [([], 1), (["--no-scheduler"], 0)])
def test_serve_over_http_runs_the_scheduler_unless_told_not_to(
    env: pytest.MonkeyPatch, servers: dict[str, list[Any]], flags: list[str], schedulers: int
) -> None:
    assert cli.main(["serve", *flags]) == 0
    [app] = servers["gunicorn"]
    assert isinstance(app, SlackWsgiApp)
    assert servers["socket"] == []
    assert len(servers["scheduler"]) == schedulers
    if schedulers:
        [runtime] = servers["scheduler"]
        assert runtime.policy.business_calendar.tz == TOKYO


@pytest.mark.parametrize(("flags", "schedulers"), [([], 1), (["--no-scheduler"], 0)])
def test_serve_with_an_app_token_uses_socket_mode(
    env: pytest.MonkeyPatch, servers: dict[str, list[Any]], flags: list[str], schedulers: int
) -> None:
    env.setenv("SLACK_APP_TOKEN", "xapp-1-test")
    assert cli.main(["serve", *flags]) == 0
    assert len(servers["socket"]) == 1
    [front] = servers["gunicorn"]  # gunicorn still serves $PORT: the health check
    assert isinstance(front, SlackWsgiApp)
    assert front.app is None  # Slack's requests come over the socket, never over HTTP
    assert set(front.health_checks) == {"socket_mode"}
    assert len(servers["scheduler"]) == schedulers
