"""zendesk: process Zendesk deliveries still waiting and write the notes and tags that are due."""

from __future__ import annotations

from datetime import datetime

from bot.runtime import Runtime


def sync_zendesk(*, runtime: Runtime, at: datetime) -> str:
    """Catch up with Zendesk: deliveries not yet filed, then retries of write-back."""
    service = runtime.zendesk
    processed = service.intake.process_due()
    report = service.write_due()
    filed = sum(p.outcome == "filed" for p in processed)
    linked = sum(p.outcome == "linked" for p in processed)
    return (
        f"{filed} filed, {linked} linked from Zendesk; "
        f"{report.sent + report.found} written, {report.retrying} retrying, {report.failed} given up"
    )
