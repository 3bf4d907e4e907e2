"""Nothing in the repository reads outside it: a user's clone has nothing beside it.

Two guards: the audit hook of `tests/support/containment.py` fails any test whose process opens a
file beside the repository, and the scan below finds code and documents that point there (which
also covers subprocesses and benchmarks, which the hook does not see).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support import containment

REPO = containment.REPO
THIS_FILE = Path(__file__).resolve()
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".ini", ".cfg", ".txt", ".sh", ".crebot"}
TEXT_NAMES = {"Procfile", "run", ".env.example"}
SKIPPED_DIRS = {"__pycache__", "crebot-files", "build", "out"}

# `../shared`, or a path built as `<something>.parent / "shared"` (the folder beside one checkout).
SHARED_SIBLING = re.compile(r"\.\.[/\\]shared\b|parents?(?:\[\d+\])?\s*/\s*[\"']shared[\"']")
# Path(__file__) walked up with .parent / .parents[k]: too many steps leave the repository.
CLIMB = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?((?:\.parent\b|\.parents\[\d+\])+)")
# A path joined onto the repository root's parent, under the names the tree uses for the root.
ROOT_PARENT = re.compile(r"\b(?:REPO|ROOT|REPO_ROOT|PROJECT_ROOT)\.parent\s*/")
# A relative link in Markdown: [text](../somewhere).
MARKDOWN_LINK = re.compile(r"\]\((\.\.?/[^)\s#]*)")


def _tree() -> list[Path]:
    """The repository's own text files (not the venv, caches or anything git ignores by name)."""
    files: list[Path] = []
    for directory, dirnames, filenames in os.walk(REPO):
        dirnames[:] = [
            name
            for name in dirnames
            if (name == ".ci" or not name.startswith("."))
            and name not in SKIPPED_DIRS
            and not name.endswith(".egg-info")
        ]
        for name in filenames:
            path = Path(directory) / name
            if (path.suffix in TEXT_SUFFIXES or name in TEXT_NAMES) and path != THIS_FILE:
                files.append(path)
    return files


def _steps_up(chain: str) -> int:
    steps = 0
    for step in re.findall(r"\.parent\b|\.parents\[(\d+)\]", chain):
        steps += int(step) + 1 if step else 1
    return steps


def problems_in(path: Path, text: str) -> list[str]:
    """Every place in one file that reaches outside the repository."""
    relative = path.relative_to(REPO)
    found = [f"{relative}: {m.group(0)!r}" for m in SHARED_SIBLING.finditer(text)]
    if path.suffix == ".py":
        for match in CLIMB.finditer(text):
            if _steps_up(match.group(1)) > len(relative.parts):
                found.append(f"{relative}: {match.group(0)!r} climbs out of the repository")
        found += [f"{relative}: {m.group(0)!r}" for m in ROOT_PARENT.finditer(text)]
    if path.suffix == ".md":
        for match in MARKDOWN_LINK.finditer(text):
            target = os.path.normpath(path.parent / match.group(1))
            if not containment._under(target, str(REPO)):
                found.append(f"{relative}: link {match.group(1)!r} leaves the repository")
    return found


def test_nothing_in_the_tree_points_outside_the_repository() -> None:
    files = _tree()
    assert REPO / "bot" / "workspace" / "checks.py" in files
    assert REPO / ".ci" / "run" in files
    found = [problem for path in files for problem in problems_in(path, path.read_text("utf-8"))]
    assert found == []


@pytest.mark.parametrize(
    ("relative", "text", "caught"),
    [
        ("tests/x.py", 'SAMPLES = Path("..") / ".." / "../shared/samples"', True),
        ("tests/x.py", 'S = Path(__file__).resolve().parents[1].parent / "shared"', True),
        ("tests/bot/x.py", "ROOT = Path(__file__).resolve().parents[2]", False),
        ("tests/bot/x.py", "ROOT = Path(__file__).resolve().parents[2].parent", True),
        ("tests/bot/x.py", "ROOT = Path(__file__).parent.parent.parent", False),
        ("tests/x.py", "OUT = REPO.parent / 'elsewhere'", True),
        ("bench/README.md", "see [the README](../README.md)", False),
        ("bench/README.md", "see [the samples](../../shared/x.json)", True),
        ("tests/x.py", '("../../etc/passwd", "forbidden_characters")', False),
    ],
)
def test_the_scan_tells_inside_from_outside(relative: str, text: str, caught: bool) -> None:
    assert bool(problems_in(REPO / relative, text)) is caught


def test_the_audit_hook_sees_a_read_beside_the_repository() -> None:
    beside = REPO.parent / "crebot-no-such-folder" / "sample.json"
    with containment.expected_reads() as seen:
        with pytest.raises(FileNotFoundError):
            beside.read_text()
        with pytest.raises(FileNotFoundError):
            os.listdir(REPO / ".." / "crebot-no-such-folder")
    expected = [f"open: {beside}", f"os.listdir: {REPO / '..' / 'crebot-no-such-folder'}"]
    assert seen == (expected if containment.WATCHING else [])


def test_the_repository_the_temp_folder_and_python_are_not_beside_it(tmp_path: Path) -> None:
    assert not containment.beside_the_repository(REPO / "tests" / "fixtures" / "policy.toml")
    assert not containment.beside_the_repository(tmp_path / "crebot.db")
    assert not containment.beside_the_repository(os.__file__)
    sibling = REPO.parent / "shared" / "brief.md"
    assert containment.beside_the_repository(sibling) is containment.WATCHING
    assert containment.beside_the_repository("../shared", cwd=str(REPO)) is containment.WATCHING


def test_a_clone_in_a_fresh_temp_folder_is_watched() -> None:
    # `d=$(mktemp -d) && git clone … "$d/cre-bot"`: the temp folder holds the clone's folder, so it
    # must not count as Python's place there, or nothing beside the clone would be seen.
    # (a made-up temp folder, /scratch, so that nothing on this machine is resolved)
    places = ["/scratch", "/usr", "/scratch/tmp.abc/.cache", "/home/u/.cache"]
    assert containment.allowed_roots("/scratch/tmp.abc", places) == (
        "/home/u/.cache",
        "/scratch/tmp.abc/.cache",
        "/usr",
    )
    # a clone right in the temp folder: its neighbours are everyone's temp files, still allowed
    assert "/scratch" in containment.allowed_roots("/scratch", places)
    assert containment.WATCHING is (str(REPO.parent) not in containment.ALLOWED)
