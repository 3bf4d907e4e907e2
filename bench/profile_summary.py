"""Summarise a py-spy raw profile (`py-spy record --format raw`): where the server's CPU went.

Run: .venv/bin/python bench/profile_summary.py PROFILE.txt [--top 20]

Each line of the raw format is a `;`-separated stack (outermost first) and a sample count. Printed:
the share of samples by the innermost frame (self time, grouped by function) and by every
function on the stack (inclusive time; a function counted once per sample however deep it
recurses), idle threads (waiting in a lock, a queue or a socket) left out.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

# Frames where a thread waits rather than runs: py-spy samples them unless --idle is off, and
# a sampled thread in a wait is not CPU.
IDLE = re.compile(
    r"^(wait|_wait_for_tstate_lock|select|poll|accept|recv_into|readinto|sleep|acquire|get|_worker"
    r"|_recv|read|join|epoll|do_handshake|recv)\b"
)
FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>[^:]+)(?::(?P<line>\d+))?\)$")


def parse(lines: Iterable[str]) -> Counter[tuple[str, ...]]:
    """Stacks (frames as `function (file)`, outermost first) and their sample counts."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in lines:
        text, _, count = line.rstrip("\n").rpartition(" ")
        if not text or not count.isdigit():
            continue
        frames = tuple(
            _without_line(frame)
            for frame in text.split(";")
            if not frame.startswith(("process ", "thread "))
        )
        stacks[frames] += int(count)
    return stacks


def _without_line(frame: str) -> str:
    match = FRAME.match(frame)
    if match is None:
        return frame
    return f"{match['function']} ({_short(match['file'])})"


def _short(file: str) -> str:
    """site-packages/slack_bolt/app/app.py -> slack_bolt/app/app.py."""
    for marker in ("site-packages/", "/lib/python3."):
        if marker in file:
            rest = file.split(marker, 1)[1]
            return rest.split("/", 1)[1] if marker.startswith("/lib") else rest
    return file


def busy(stacks: Counter[tuple[str, ...]]) -> Counter[tuple[str, ...]]:
    """The stacks whose innermost frame is running, not waiting."""
    return Counter({stack: n for stack, n in stacks.items() if stack and not _waiting(stack[-1])})


def _waiting(frame: str) -> bool:
    function = frame.split(" (", 1)[0].rsplit(".", 1)[-1]
    return IDLE.match(function) is not None


def self_time(stacks: Counter[tuple[str, ...]]) -> Counter[str]:
    """Samples by innermost frame."""
    counts: Counter[str] = Counter()
    for stack, n in stacks.items():
        counts[stack[-1]] += n
    return counts


def inclusive(stacks: Counter[tuple[str, ...]]) -> Counter[str]:
    """Samples by every frame on the stack, once per sample."""
    counts: Counter[str] = Counter()
    for stack, n in stacks.items():
        for frame in set(stack):
            counts[frame] += n
    return counts


def report(stacks: Counter[tuple[str, ...]], *, top: int) -> list[str]:
    """The summary's lines."""
    running = busy(stacks)
    total = sum(running.values()) or 1
    lines = [f"{sum(stacks.values())} samples, {total} running (not waiting)"]
    lines.append(f"top {top} by inclusive share (crebot's own code and the libraries it calls):")
    for frame, n in inclusive(running).most_common(top):
        lines.append(f"  {100 * n / total:5.1f}%  {frame}")
    lines.append(f"top {top} by self share (the innermost frame):")
    for frame, n in self_time(running).most_common(top):
        lines.append(f"  {100 * n / total:5.1f}%  {frame}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Print the summary of one raw profile."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    with args.profile.open(encoding="utf-8", errors="replace") as file:
        stacks = parse(file)
    print("\n".join(report(stacks, top=args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
