"""The `crebot` command: serve, scheduler, db, run-job, check-config (and more as features land)."""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import sys
import tomllib
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from bot.clock import Clock, SystemClock
from bot.db import Database
from bot.errors import ConfigError
from bot.logs import configure_logging
from bot.policy import Policy, load_policy
from bot.runtime import Runtime, make_web_client
from bot.settings import Settings, load_settings

log = logging.getLogger("crebot")

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Command] = {}


def build_runtime(
    settings: Settings,
    *,
    policy: Policy | None = None,
    clock: Clock | None = None,
    client: Any = None,
) -> Runtime:
    """Everything a process needs, from settings (the policy file is read unless given)."""
    policy = policy or load_policy(settings.crebot_config)
    db = Database(settings.database_url)
    if client is None:
        client = make_web_client(settings.bot_token(), base_url=settings.slack_api_url)
    return Runtime(
        settings=settings, policy=policy, db=db, client=client, clock=clock or SystemClock()
    )


# -- commands ---------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the bot: HTTP (gunicorn) or Socket Mode, with the scheduler in-process unless told not to."""
    settings = load_settings()
    if settings.mode == "local":
        configure_logging("WARNING")  # the terminal is the workspace: no INFO lines in it
        return _serve_local(args, settings)
    configure_logging(settings.log_level, fmt=settings.log_format)
    settings.require_slack_credentials()
    load_policy(settings.crebot_config)  # fail fast, with one line, before anything starts
    from bot import migrate

    migrate.upgrade(settings.database_url)
    _note_start(settings)
    port = args.port or settings.port
    if settings.mode == "socket":
        return _serve_socket_mode(settings, port=port, with_scheduler=not args.no_scheduler)
    return _serve_http(settings, port=port, with_scheduler=not args.no_scheduler)


def _note_start(settings: Settings) -> None:
    """Record the start (check-config compares Slack's last event with it); warn if none ever came."""
    from bot import arrivals

    db = Database(settings.database_url)
    try:
        with db.session() as session:
            before = arrivals.events_status(session=session)
            arrivals.note(session=session, name=arrivals.SERVER_STARTED, at=datetime.now(UTC))
    finally:
        db.dispose()
    if before.last_event is None:
        log.warning("no event from Slack has arrived yet: %s", _events_hint(settings))
    else:
        log.info("the last event from Slack arrived at %s", before.last_event.isoformat())


def _events_hint(settings: Settings) -> str:
    if settings.mode == "socket":
        return (
            "Slack sends events only to an app with Socket Mode on and the manifest's bot events "
            "subscribed (api.slack.com/apps → your app → Socket Mode, Event Subscriptions)"
        )
    return (
        "Slack sends none until the Events request URL is verified (api.slack.com/apps → your "
        "app → Event Subscriptions → Request URL: Verified; see the README, Connect to Slack)"
    )


def events_lines(settings: Settings, *, now: datetime) -> list[str]:
    """What `check-config` says of Slack's events: when the last arrived, or that none has."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from bot import arrivals

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return ["slack events: unknown (no database yet: the server has not run)"]
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            status = arrivals.events_status(session=session)
    except SQLAlchemyError as exc:
        return [f"slack events: unknown (the database: {_first_line(exc)})"]
    finally:
        db.dispose()
    if status.silent_since_start and status.started is not None:
        since = _when(status.started, now)
        return [f"slack events: none since the server started {since}: {_events_hint(settings)}"]
    if status.last_event is None:
        return ["slack events: none received yet (the server has not started)"]
    return [f"slack events: the last arrived {_when(status.last_event, now)}"]


def _when(at: datetime, now: datetime) -> str:
    minutes = max(0, int((now - at).total_seconds() // 60))
    ago = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
    return f"at {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({ago} ago)"


def _serve_http(settings: Settings, *, port: int, with_scheduler: bool) -> int:
    from bot.app import create_app
    from bot.ops_web import OpsEndpoints
    from bot.server import GunicornServer, bind_address, gunicorn_options
    from bot.web import SlackWsgiApp

    def build_wsgi_app() -> SlackWsgiApp:
        sys.setswitchinterval(settings.gil_switch_interval_ms / 1000)
        runtime = build_runtime(settings)
        if with_scheduler:
            _start_background_scheduler(runtime)
        app = create_app(runtime, listener_executor=_listener_executor(settings))
        return SlackWsgiApp(
            app=app,
            db=runtime.db,
            signing_secret=settings.signing_secret(),
            ops=OpsEndpoints(db=runtime.db, now=runtime.now),
            zendesk=runtime.zendesk.webhook,
        )

    zendesk = ", POST /zendesk/webhook" if settings.zendesk_secret() else ""
    log.warning(
        "cre-bot listening on %s (POST /slack/events%s, GET /healthz /readyz /metrics)",
        bind_address(settings.host, port),
        zendesk,
    )
    options = gunicorn_options(
        host=settings.host,
        port=port,
        workers=settings.web_concurrency,
        threads=settings.web_threads,
    )
    GunicornServer(build_wsgi_app, options).run()
    return 0


def _listener_executor(settings: Settings) -> Executor:
    """A web worker's listener pool, handing its normal lane to a work process unless told not to."""
    from bot.listener_pool import ListenerPool
    from bot.work_process import ForwardingPool, WorkProcess

    local = ListenerPool()
    if not settings.work_processes:
        return local
    pool = ForwardingPool(local, WorkProcess(settings=settings, nice=settings.work_nice))
    atexit.register(pool.work.close)  # the worker's graceful exit lets its work process finish
    return pool


def _serve_socket_mode(settings: Settings, *, port: int, with_scheduler: bool) -> int:
    """Slack over the WebSocket, and gunicorn on $PORT for the health check (each worker connects)."""
    from bot.app import create_app
    from bot.ops_web import OpsEndpoints
    from bot.server import GunicornServer, bind_address, gunicorn_options
    from bot.socket_mode import SocketModeService, check_app_token
    from bot.web import SlackWsgiApp

    assert settings.slack_app_token is not None
    app_token = settings.slack_app_token.get_secret_value()
    check_app_token(app_token, api_url=settings.slack_api_url)  # one line now, not in a worker

    def build_wsgi_app() -> SlackWsgiApp:
        sys.setswitchinterval(settings.gil_switch_interval_ms / 1000)
        runtime = build_runtime(settings)
        if with_scheduler:
            _start_background_scheduler(runtime)
        service = SocketModeService(
            app=create_app(runtime), app_token=app_token, api_url=settings.slack_api_url
        )
        service.start()
        atexit.register(service.close)  # a worker's graceful exit says goodbye to Slack
        checks = {"socket_mode": service.healthy}
        return SlackWsgiApp(
            app=None,
            db=runtime.db,
            signing_secret=None,
            health_checks=checks,
            ops=OpsEndpoints(db=runtime.db, now=runtime.now, checks=checks),
            zendesk=runtime.zendesk.webhook,
        )

    zendesk = ", POST /zendesk/webhook" if settings.zendesk_secret() else ""
    log.warning(
        "cre-bot connecting in Socket Mode; GET /healthz /readyz /metrics%s on %s",
        zendesk,
        bind_address(settings.host, port),
    )
    options = gunicorn_options(
        host=settings.host,
        port=port,
        workers=settings.web_concurrency,
        threads=settings.web_threads,
    )
    GunicornServer(build_wsgi_app, options).run()
    return 0


def _start_background_scheduler(runtime: Runtime) -> None:
    from bot.scheduler import start_background_scheduler

    start_background_scheduler(runtime)


def _serve_local(args: argparse.Namespace, settings: Settings) -> int:
    from bot.workspace.shell import run_local_shell

    return run_local_shell(settings=settings, script=None, interactive=True)


def cmd_shell(args: argparse.Namespace) -> int:
    """A terminal that plays a Slack workspace for the real bot (no Slack needed)."""
    settings = load_settings()
    configure_logging("WARNING")
    from bot.workspace.shell import run_local_shell

    start = None
    if args.start:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError:
            raise ConfigError(f"--start: {args.start!r} is not an ISO-8601 instant") from None
        if start.tzinfo is None:
            raise ConfigError("--start: give a time zone offset, e.g. 2026-11-24T09:30+09:00")
    return run_local_shell(
        settings=settings,
        script=Path(args.script) if args.script else None,
        interactive=args.script is None,
        database_url=args.database_url,
        start=start,
        files_dir=Path(args.files) if args.files else None,
    )


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Run only the scheduler (the Procfile's worker)."""
    settings = load_settings()
    configure_logging(settings.log_level, fmt=settings.log_format)
    settings.require_slack_credentials()
    from bot import migrate
    from bot.scheduler import run_blocking_scheduler

    migrate.upgrade(settings.database_url)
    run_blocking_scheduler(build_runtime(settings))
    return 0


def cmd_run_job(args: argparse.Namespace) -> int:
    """Run one job once, as of an instant (default now): for re-runs and backfills."""
    settings = load_settings()
    configure_logging(settings.log_level, fmt=settings.log_format)
    settings.require_slack_credentials()
    from bot import migrate
    from bot.scheduler import build_schedules, run_job

    runtime = build_runtime(settings)
    try:
        if args.name not in build_schedules(runtime.policy):
            raise ConfigError(
                f"run-job: unknown job {args.name!r} (one of {', '.join(build_schedules(runtime.policy))})"
            )
        migrate.upgrade(settings.database_url)
        at = _parse_instant(args.at, runtime) if args.at else runtime.now()
        detail = run_job(runtime=runtime, name=args.name, at=at, manual=True, force=args.force)
    finally:
        runtime.db.dispose()
    print(f"{args.name} as of {at.isoformat()}: {detail}")
    return 0


def _parse_instant(text: str, runtime: Runtime) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--at: {text!r} is not an ISO-8601 instant (e.g. 2026-11-02T10:00+09:00)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=runtime.policy.business_calendar.tz)
    return value.astimezone(UTC)


def cmd_db(args: argparse.Namespace) -> int:
    """Database schema: `upgrade` applies migrations, `current` prints the revision."""
    settings = load_settings()
    configure_logging(settings.log_level, fmt=settings.log_format)
    from bot import migrate

    if args.action == "upgrade":
        migrate.upgrade(settings.database_url)
        print(f"database is at revision {migrate.current_revision(settings.database_url)}")
    else:
        print(migrate.current_revision(settings.database_url) or "(empty database)")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate the environment and the policy file, and summarise them."""
    settings = load_settings()
    policy = load_policy(settings.crebot_config)
    engineers = ", ".join(e.name or e.user for e in policy.roster.engineers)
    print(f"policy {settings.crebot_config}: ok")
    print(
        f"  language {policy.language}; channel {policy.escalation_channel}; lead {policy.roster.lead}"
    )
    print(f"  engineers: {engineers}")
    print(f"  priorities: {', '.join(f'{p.id}={p.target}' for p in policy.priorities)}")
    print(
        f"  calendar: {policy.calendar.timezone} {policy.calendar.hours} holidays={policy.calendar.holidays}"
    )
    print(f"mode: {settings.mode}; database: {settings.database_url.split('://', 1)[0]}")
    for line in zendesk_status(settings, policy):
        print(line)
    for line in events_lines(settings, now=datetime.now(UTC)):
        print(line)
    return 0


def zendesk_status(settings: Settings, policy: Policy) -> list[str]:
    """What `check-config` says of Zendesk: is intake on, is write-back on, and if not, why."""
    from bot.zendesk.service import writeback_off_reason

    intake = (
        "on (POST /zendesk/webhook)"
        if settings.zendesk_secret()
        else "off (ZENDESK_WEBHOOK_SECRET is not set)"
    )
    off = writeback_off_reason(settings, policy)
    target = settings.zendesk_api_url or policy.zendesk.url
    writeback = (
        f"off ({off})"
        if off
        else f"on: notes and tags to {target} (at most {policy.zendesk.updates_per_minute} updates a minute)"
    )
    lines = [f"zendesk: intake {intake}", f"zendesk: write-back {writeback}"]
    if _uses_old_zendesk_url(settings.crebot_config):
        lines.append("note: zendesk_url is the old spelling of [zendesk] url: move it there")
    return lines


def _uses_old_zendesk_url(path: Path) -> bool:
    try:
        return "zendesk_url" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def cmd_audit(args: argparse.Namespace) -> int:
    """The /lookup audit: `export --since DATE` writes every look-up since then as CSV."""
    settings = load_settings()
    configure_logging(settings.log_level, fmt=settings.log_format)
    policy = load_policy(settings.crebot_config)
    from bot.lookup.audit import AUDIT_EARLIEST, export_audit_csv

    if args.since < AUDIT_EARLIEST:
        raise ConfigError(
            f"--since: {args.since.isoformat()} is too long ago "
            f"(give a date from {AUDIT_EARLIEST.isoformat()} on)"
        )
    since = datetime.combine(args.since, time(0), tzinfo=policy.business_calendar.tz)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            if args.output in (None, "-"):
                count = export_audit_csv(session=session, since=since, out=sys.stdout)
            else:
                # The audit names people and end users: readable by the owner only, also when the
                # file already existed (the mode given to open applies only to a new file).
                fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    os.fchmod(fd, 0o600)
                except OSError:
                    os.close(fd)
                    raise
                with open(fd, "w", encoding="utf-8", newline="") as out:
                    count = export_audit_csv(session=session, since=since, out=out)
    finally:
        db.dispose()
    print(f"exported {count} audit rows since {since.isoformat()}", file=sys.stderr)
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    """The outbox: `retry` sends again the posts Slack refused until a person fixed something."""
    settings = load_settings()
    configure_logging(settings.log_level, fmt=settings.log_format)
    from bot.outbox import retry_refused

    db = Database(settings.database_url)
    try:
        with db.session() as session:
            count = retry_refused(session=session)
    finally:
        db.dispose()
    print(f"refused posts put back in line: {count} (the next outbox flush sends them)")
    return 0


# -- parsing ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="crebot", description="cre-bot: escalations from CS to engineers, in Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="run the bot (HTTP, Socket Mode, or the local shell without Slack)"
    )
    serve.add_argument("--port", type=int, default=None, help="HTTP port (default $PORT or 3000)")
    serve.add_argument(
        "--no-scheduler", action="store_true", help="do not run scheduled jobs in this process"
    )
    serve.set_defaults(func=cmd_serve)
    sched = sub.add_parser("scheduler", help="run only the scheduled jobs")
    sched.set_defaults(func=cmd_scheduler)
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current"])
    db.set_defaults(func=cmd_db)
    check = sub.add_parser("check-config", help="validate the environment and the policy file")
    check.set_defaults(func=cmd_check_config)
    shell = sub.add_parser(
        "shell", help="a local workspace in the terminal: try cre-bot without Slack"
    )
    shell.add_argument("--script", help="run commands from a file, with no prompts")
    shell.add_argument(
        "--database-url", help="keep the workspace in this database (default: a temporary one)"
    )
    shell.add_argument("--start", help="start the clock here (ISO-8601 with offset; default: now)")
    shell.add_argument("--files", help="where uploaded files are written (default: ./crebot-files)")
    shell.set_defaults(func=cmd_shell)
    run = sub.add_parser("run-job", help="run one scheduled job once, as of an instant")
    run.add_argument(
        "name",
        help="slo-sweep, card-refresh, stale-reminders, monthly-digest, outbox-flush, zendesk, similarity-index, housekeeping",
    )
    run.add_argument(
        "--at", help="ISO-8601 instant to run as of (default: now; no offset = team time zone)"
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="run stale-reminders or monthly-digest even for a day the calendar closes",
    )
    run.set_defaults(func=cmd_run_job)
    audit = sub.add_parser("audit", help="the /lookup audit")
    audit_sub = audit.add_subparsers(dest="action", required=True)
    export = audit_sub.add_parser("export", help="write look-ups since a date as CSV")
    export.add_argument(
        "--since",
        required=True,
        type=date.fromisoformat,
        help="first day to include (YYYY-MM-DD, in the team's time zone)",
    )
    export.add_argument("--output", help="write to this file (default: standard output)")
    export.set_defaults(func=cmd_audit)
    outbox = sub.add_parser("outbox", help="posts waiting for Slack")
    outbox_sub = outbox.add_subparsers(dest="action", required=True)
    retry = outbox_sub.add_parser(
        "retry",
        help="send again the posts Slack refused (not in channel, missing scope, …) once fixed",
    )
    retry.set_defaults(func=cmd_outbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run a subcommand; configuration problems end in one line, not a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"crebot: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        # No statement: the connection itself failed. Else the database refused one (e.g. locked).
        problem = "cannot connect" if exc.statement is None else "the database failed"
        print(f"crebot: DATABASE_URL: {problem} ({_first_line(exc.orig)})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _first_line(error: BaseException | None) -> str:
    """The driver's own first line of an error (it names host and port, never the password)."""
    text = str(error or "").strip().splitlines()
    return text[0][:200] if text else "no answer"


if __name__ == "__main__":
    sys.exit(main())
