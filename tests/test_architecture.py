"""Dependencies point down: the domain returns facts, and words, Block Kit and Slack sit above it.

The layers, top to bottom (README, Design): `handlers/` and `jobs/`; the wiring (`bot.app`,
`bot.runtime`, the scheduler, the servers, the CLI); the presentation (`bot.presenter`, the
messaging modules, `bot.blocks`, `bot.i18n`); the domain, which is every other module of `bot/`,
new packages included. Each test names the import chain that breaks a rule.
"""

from __future__ import annotations

import grimp
import pytest

GRAPH = grimp.build_graph("bot", "handlers", "jobs", cache_dir=None)  # nothing written

# Words and Block Kit: what turns the domain's facts into what Slack shows.
PRESENTATION = (
    "bot.blocks",
    "bot.i18n",
    "bot.presenter",
    "bot.slo_alerts",  # the SLO sweep's posts, worded
    "bot.digest.chart",  # the digest's chart, labelled
    "bot.digest.post",  # the digest's posts, worded
    "bot.digest.export",  # the digest's CSV, headed in the team's language
    "bot.zendesk.notes",  # the internal notes written to Zendesk tickets, worded
    "bot.zendesk.notices",  # what Slack is told about Zendesk deliveries and write-back
)
# What puts the process together and talks to the outside.
WIRING = (
    "bot.app",
    "bot.runtime",
    "bot.slack_http",  # the Slack client's pooled connections
    "bot.scheduler",
    "bot.web",
    "bot.ops_web",  # /healthz /readyz /metrics
    "bot.server",
    "bot.cli",
    "bot.listener_pool",
    "bot.work_process",  # the normal lane's work in a process beside each web worker
    "bot.logs",
    "bot.migrate",
    "bot.migrations",
    "bot.workspace",
    "bot.zendesk.service",  # Zendesk's webhook, intake and writer put together for a process
)
TOP = ("handlers", "jobs")


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in packages)


def _existing(packages: tuple[str, ...]) -> list[str]:
    return [p for p in packages if p in GRAPH.modules]


DOMAIN = sorted(
    m
    for m in GRAPH.modules
    if m.startswith("bot.") and not _within(m, PRESENTATION + WIRING) and m != "bot"
)


def _with_descendants(packages: list[str]) -> list[str]:
    return [m for p in packages for m in (p, *sorted(GRAPH.find_descendants(p)))]


def _chains(importers: list[str], forbidden: list[str]) -> list[str]:
    """Every import chain (direct or not) from an importer to a forbidden module or package."""
    found = []
    for importer in importers:
        for imported in _with_descendants(forbidden):
            if imported.startswith(f"{importer}."):
                continue  # a package's own submodule: the package's other imports are checked
            chain = GRAPH.find_shortest_chain(importer, imported, as_packages=False)
            if chain:
                found.append(" -> ".join(chain))
    return found


def test_the_domain_is_found() -> None:
    assert {"bot.escalations", "bot.lifecycle", "bot.slo", "bot.outbox"} <= set(DOMAIN)
    assert "bot.lookup.service" in DOMAIN


@pytest.mark.parametrize("module", DOMAIN)
def test_a_domain_module_imports_no_words_block_kit_wiring_or_listeners(module: str) -> None:
    """Words belong in bot/blocks (or a module listed in PRESENTATION); the domain returns facts."""
    assert _chains([module], _existing(PRESENTATION + WIRING + TOP)) == []


def test_block_kit_and_the_catalog_import_no_presenter_wiring_or_listeners() -> None:
    builders = _with_descendants(_existing(("bot.blocks", "bot.i18n")))
    above = _existing(("bot.presenter", "bot.slo_alerts", *WIRING, *TOP))
    assert _chains(builders, above) == []


def test_the_presentation_imports_no_wiring_or_listeners() -> None:
    assert _chains(_with_descendants(_existing(PRESENTATION)), _existing(WIRING + TOP)) == []


def test_bot_imports_listeners_and_jobs_only_where_it_wires_them() -> None:
    wirers = ("bot.app", "bot.scheduler", "bot.cli", "bot.web", "bot.server", "bot.workspace")
    others = [m for m in GRAPH.modules if m.startswith("bot.") and not _within(m, wirers)]
    direct = [
        f"{importer} -> {imported}"
        for importer in others
        for imported in GRAPH.find_modules_directly_imported_by(importer)
        if _within(imported, TOP)
    ]
    assert direct == []
