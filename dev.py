#!/usr/bin/env python3
"""One entry point for a fresh clone: set up `.venv` (idempotently), then run the bot or the tests.

    python3 dev.py start [crebot serve options]   # runs the bot (a local shell without Slack credentials)
    python3 dev.py test  [pytest options]         # runs the whole test suite

Only the Python standard library is used here, so this works before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".crebot-install-stamp"


def _venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _requirements_digest() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> Path:
    """Create the virtualenv and install the project into it, unless that is already done."""
    if sys.version_info < (3, 11):
        sys.exit(f"cre-bot needs Python 3.11 or newer (this is {sys.version.split()[0]}).")
    python = _venv_python()
    if not python.exists():
        print("Creating .venv …", file=sys.stderr)
        venv.create(VENV, with_pip=True, clear=VENV.exists())
    digest = _requirements_digest()
    if not STAMP.exists() or STAMP.read_text().strip() != digest:
        print(
            "Installing cre-bot and its dependencies into .venv (first run only) …", file=sys.stderr
        )
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True, cwd=ROOT)
        subprocess.run([*pip, "-e", ".[dev]"], check=True, cwd=ROOT)
        STAMP.write_text(digest)
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"start", "test"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    python = str(ensure_environment())
    if command == "start":
        args = [python, "-m", "bot.cli", "serve", *rest]
    else:
        args = [python, "-m", "pytest", *rest]
    os.chdir(ROOT)
    if os.name == "nt":
        return subprocess.call(args)
    os.execv(python, args)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
