"""`crebot serve`: gunicorn (gthread workers) in HTTP mode, or Socket Mode with an app token."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

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


def gunicorn_options(*, port: int, workers: int, threads: int) -> dict[str, Any]:
    """Production settings: threads for concurrent requests, a graceful timeout, no access log."""
    return {
        "bind": f"0.0.0.0:{port}",
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
    }
