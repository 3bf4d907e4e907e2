"""The test run stays inside the repository: a user's clone has nothing beside it.

The tests once read Slack's samples from a `shared` folder that existed beside one checkout only,
so a fresh clone failed. An audit hook (PEP 578) now sees every file this process opens or
lists, every SQLite file it connects to and the working folder and path arguments of every
subprocess it starts; a path in the folder that holds the repository but outside the repository
(a folder beside the checkout, a sibling checkout) is recorded, and `tests/conftest.py` fails the test that
caused it (and the session, for reads outside any test). Python's own places are allowed even when
they lie beside the repository: the temp folder, the interpreter and site-packages, and the user's
cache and config folders (matplotlib keeps its font cache there). Reads inside subprocesses are not
seen; `tests/test_self_contained.py` greps the tree for paths that climb out of it.
"""

from __future__ import annotations

import functools
import os
import site
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BESIDE = REPO.parent
_REPO = str(REPO)
_BESIDE = str(BESIDE)

_reads: list[str] = []
_lock = threading.Lock()
_installed = False


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _python_places() -> list[str]:
    """Where Python, pytest and matplotlib legitimately read, wherever the repository is."""
    home = Path.home()
    return [
        tempfile.gettempdir(),
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        *site.getsitepackages(),
        site.getusersitepackages(),
        *(entry for entry in sys.path if entry and os.path.isabs(entry)),
        os.environ.get("XDG_CACHE_HOME") or str(home / ".cache"),
        os.environ.get("XDG_CONFIG_HOME") or str(home / ".config"),
        os.environ.get("MPLCONFIGDIR") or str(home / ".matplotlib"),
        str(home / ".local"),
    ]


def allowed_roots(beside: str, places: list[str]) -> tuple[str, ...]:
    """The places allowed beside the repository: all but those holding its folder.

    A place holding the repository's folder (the temp folder, for a clone in /tmp/tmp.x/cre-bot)
    would hide everything beside the repository; what is there is not Python's, so it goes.
    """
    real = {os.path.realpath(place) for place in places if place}
    return tuple(sorted(root for root in real if root == beside or not _under(beside, root)))


ALLOWED = allowed_roots(_BESIDE, _python_places())
# Nothing is watched for a repository at the root of a drive (nothing is "beside" it) or right in
# one of Python's places (a clone in /tmp itself, whose neighbours are everyone's temp files).
WATCHING = BESIDE.parent != BESIDE and _BESIDE not in ALLOWED


def _beside(path: str) -> bool:
    return (
        _under(path, _BESIDE)
        and not _under(path, _REPO)
        and not any(_under(path, root) for root in ALLOWED)
    )


def beside_the_repository(path: str | os.PathLike[str], cwd: str | None = None) -> bool:
    """Whether `path` lies next to the repository: in its parent folder, not in the repository."""
    if not WATCHING:
        return False
    written = os.fspath(path)
    absolute = os.path.normpath(
        written if os.path.isabs(written) else os.path.join(cwd or os.getcwd(), written)
    )
    if _beside(absolute):
        return True
    # A symlink in or beside the repository may lead out of it. Resolving costs a stat per part,
    # so folders are resolved once, and paths elsewhere (the temp folder, Python) taken as written.
    if not _under(absolute, _BESIDE):
        return False
    folder, name = os.path.split(absolute)
    real = os.path.join(_real_folder(folder), name)
    return _beside(os.path.realpath(real) if os.path.islink(real) else real)


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


_WATCHED = frozenset(
    {"open", "os.listdir", "os.scandir", "sqlite3.connect", "glob.glob"}
    | {"shutil.copyfile", "shutil.copytree", "subprocess.Popen"}
)


def _paths(event: str, args: tuple[Any, ...]) -> tuple[Sequence[Any], str | None]:
    """The paths an audited event touches, and the folder relative ones are read from."""
    if event in {"open", "os.listdir", "os.scandir", "sqlite3.connect"}:
        return args[:1], None
    if event == "glob.glob":
        return [os.path.dirname(args[0]) or "."], None
    if event in {"shutil.copyfile", "shutil.copytree"}:
        return args[:1], None
    if event == "subprocess.Popen":
        _executable, argv, cwd, _env = args
        words = [argv] if isinstance(argv, str | bytes | os.PathLike) else list(argv or ())
        candidates = [w for w in words if isinstance(w, str) and (os.sep in w or w == "..")]
        return ([cwd] if cwd is not None else []) + candidates, os.fspath(cwd) if cwd else None
    return (), None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in _WATCHED:
        return
    try:
        paths, cwd = _paths(event, args)
        for path in paths:
            if isinstance(path, bytes):
                path = os.fsdecode(path)
            if not isinstance(path, str | os.PathLike) or path in {"", ":memory:"}:
                continue  # a file descriptor, or an in-memory database
            if beside_the_repository(path, cwd):
                with _lock:
                    _reads.append(f"{event}: {os.fspath(path)}")
    except Exception:  # noqa: S110 - the guard must never break what it watches (e.g. a deleted cwd)
        pass


def install() -> None:
    """Start watching (once per process; audit hooks cannot be removed)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def reads() -> list[str]:
    """Everything recorded so far."""
    with _lock:
        return list(_reads)


def take_reads() -> list[str]:
    """Everything recorded so far, forgetting it."""
    with _lock:
        taken = list(_reads)
        _reads.clear()
        return taken


@contextmanager
def expected_reads() -> Iterator[list[str]]:
    """Reads beside the repository that a test makes on purpose (to test this guard)."""
    before = take_reads()
    seen: list[str] = []
    try:
        yield seen
    finally:
        seen.extend(take_reads())
        with _lock:
            _reads[:0] = before
