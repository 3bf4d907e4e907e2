"""The digest's posts: the rows the monthly job promises to the outbox, worded in the team's language.

The post, the prompt that opens its thread, the overflow replies, the chart and the CSV, each under
a key derived from the month (`bot.outbox_keys.digest_part`), so however often the job runs for a
month, each is posted once; an operator's re-run adds its run id to every key and posts again.
"""

from __future__ import annotations

from bot import outbox_keys
from bot.blocks.digest import build_digest_post, month_label, thread_prompt
from bot.digest.chart import chart_filename
from bot.digest.export import csv_filename
from bot.digest.figures import MonthFigures
from bot.i18n import t
from bot.outbox_rows import OutboxRow
from bot.policy import Policy

# The uploads' renderers, by name (bot.presenter renders the bytes when the outbox sends them).
CHART_FILE = "digest-chart"
CSV_FILE = "digest-csv"


def digest_rows(
    *, policy: Policy, figures: MonthFigures, workspace_url: str | None, run_id: str | None = None
) -> list[OutboxRow]:
    """The post, then in its thread: the prompt, the overflow replies, the chart and the CSV.

    The prompt to look back together is posted only when there are slow closes to look back on;
    a month with nothing filed or resolved is the post alone (no chart of nothing, no empty CSV).
    """
    lang = policy.language
    month = str(figures.month)
    channel = policy.digest_channel
    label = month_label(figures.month, lang)
    post = build_digest_post(policy=policy, figures=figures, workspace_url=workspace_url)
    post_key = outbox_keys.digest_part(month, "post", run_id)
    rows = [OutboxRow.message(post_key, channel=channel, text=post.text, blocks=post.blocks)]
    if figures.slow:
        rows.append(
            OutboxRow.message(
                outbox_keys.digest_part(month, "prompt", run_id),
                channel=channel,
                text=thread_prompt(policy=policy, month=figures.month),
                thread_of=post_key,
            )
        )
    for number, (text, blocks) in enumerate(post.replies, start=1):
        rows.append(
            OutboxRow.message(
                outbox_keys.digest_part(month, f"more:{number}", run_id),
                channel=channel,
                text=text,
                blocks=blocks,
                thread_of=post_key,
            )
        )
    if figures.empty:
        return rows
    for part, file, title, comment in (
        (
            "chart",
            CHART_FILE,
            chart_filename(figures.month),
            t("digest.chart.comment", lang, month=label),
        ),
        (
            "csv",
            CSV_FILE,
            csv_filename(figures.month),
            t("digest.csv.comment", lang, month=label),
        ),
    ):
        # Each CSV row links to its escalation.
        extra = {"workspace_url": workspace_url} if file == CSV_FILE else {}
        rows.append(
            OutboxRow.upload(
                outbox_keys.digest_part(month, part, run_id),
                channel=channel,
                thread_of=post_key,
                file=file,
                title=title,
                comment=comment,
                month=month,
                **extra,
            )
        )
    return rows
