"""`crebot serve`: gunicorn (gthread workers) in HTTP mode, or Socket Mode with an app token."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)


class GunicornServer(BaseApplication):
    """Gunicorn configured in code; the WSGI app is built inside each worker after the fork."""

    def __init__(self, build_app: Callable[[], Any], options: dict[str, Any]) -> None:
        self._build_app = build_app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._build_app()

    def run(self) -> None:
        """Serve; the workers share their metrics through files, so any one answers for all."""
        from bot import metrics

        shared = os.environ.get(metrics.MULTIPROC_ENV)
        metrics.enable_multiprocess(Path(shared or tempfile.mkdtemp(prefix="crebot-metrics-")))
        super().run()


def _child_exit(_server: Any, worker: Any) -> None:
    """A worker ended: its live gauges (queue depth, leadership) no longer count."""
    from bot import metrics

    metrics.worker_exited(worker.pid)


class PropagatingLogger(glogging.Logger):
    """gunicorn's logs go through the root logger, so they share its format (text or JSON)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.handlers[:] = []
            logger.propagate = True


def bind_address(host: str, port: int) -> str:
    """gunicorn's `bind` for a host and port (an IPv6 address goes in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_options(*, host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """Production settings: threads for concurrent requests, a graceful timeout, no access log."""
    return {
        "bind": bind_address(host, port),
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "crebot",
        "child_exit": _child_exit,
        "logger_class": PropagatingLogger,
    }
