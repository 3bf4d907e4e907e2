"""ops/grafana-dashboard.json queries only metrics cre-bot exports (names as Prometheus sees them)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY

from bot import metrics

DASHBOARD = Path(__file__).resolve().parents[1] / "ops" / "grafana-dashboard.json"
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
}


def exported_names() -> set[str]:
    """Every sample name /metrics can show: the bot's counters, histograms and gauges."""
    names = set(metrics.DB_GAUGE_NAMES)
    for collector in list(REGISTRY._collector_to_names):  # the registered metric objects
        for family in collector.describe() if hasattr(collector, "describe") else ():
            if family.name.startswith("crebot_"):
                names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def queries(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        return found + [q for value in node.values() for q in queries(value)]
    if isinstance(node, list):
        return [q for value in node for q in queries(value)]
    return []


def test_every_metric_the_dashboard_queries_exists() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    used = {name for expr in queries(dashboard) for name in re.findall(r"crebot_[a-z_]+", expr)}

    assert used, "the dashboard queries nothing"
    assert used <= exported_names(), f"not exported: {sorted(used - exported_names())}"


def test_the_dashboard_shows_every_metric_family() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    used = " ".join(queries(dashboard))
    families = {name.removesuffix("_total") for name in exported_names() if "_bucket" not in name}
    families = {f for f in families if not f.endswith(("_count", "_sum"))}

    missing = [family for family in families if family not in used]

    assert missing == []
