"""Drive the real Bolt app the way Slack does (the driver is shared with the local shell).

`bot.workspace.driver` builds and signs Slack's requests; this module adds what only tests need:
Slack's published payload samples (vendored in `tests/fixtures/slack/`), to build unusual or
malformed payloads from Slack's own shapes.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from bot.workspace.driver import APP_ID, TEAM_ID, Response, SlackDriver, TrackingExecutor

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "slack" / "payload-samples"

__all__ = [
    "APP_ID",
    "SAMPLES",
    "TEAM_ID",
    "Response",
    "SlackDriver",
    "TrackingExecutor",
    "overlay",
    "sample",
]


def sample(relative: str) -> dict[str, Any]:
    """One of Slack's payload samples (values blanked), as a starting shape."""
    return json.loads((SAMPLES / relative).read_text())


def overlay(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `values` into a copy of `base` (lists and scalars replace)."""
    merged = copy.deepcopy(base)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = overlay(merged[key], value)
        else:
            merged[key] = value
    return merged
