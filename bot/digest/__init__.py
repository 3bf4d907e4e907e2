"""The monthly digest, found from here: every part of it and where it lives.

- `bot.digest.figures`: the month's figures and slow closes, aggregated in SQL (facts).
- `bot.digest.trend`: the twelve months before, for the chart's trend (facts).
- `bot.digest.export`: the month's CSV, headed in the team's language.
- `bot.digest.recurring`: groups of similar escalations resolved in the month (bot.similarity).
- `bot.digest.chart`: the chart (PNG): each resolution against its target, the weeks, the trend.
- `bot.digest.post`: the posts the job promises (the outbox rows: post, thread, chart, CSV).
- `bot.blocks.digest`: the Block Kit of the post, its overflow replies and `/cre report`.
- `jobs/monthly_digest.py`: when it runs (the month's first working day) and the run itself.
- `handlers/commands/cre.py` (`/cre report [YYYY-MM]`): a month's digest, shown to the asker.
- `bot.presenter`: renders the chart and the CSV when the outbox uploads them.
- `docs/render_digest_chart.py`: the README's chart, drawn from a generated sample year.
"""

from bot.digest.figures import (
    CSV_BATCH,
    SHORT_WEEK_DAYS,
    SLO_BREACH,
    Breakdown,
    Month,
    MonthFigures,
    MonthTotals,
    MonthVolume,
    Resolution,
    SlowClose,
    Week,
    WeekCount,
    month_bounds,
    month_figures,
    month_resolutions,
    month_totals,
    month_weekly_counts,
    month_weeks,
    nearest_rank,
    reported_month,
    share,
)
from bot.digest.trend import (
    TREND_MONTHS,
    month_trend,
)

__all__ = [
    "CSV_BATCH",
    "SHORT_WEEK_DAYS",
    "SLO_BREACH",
    "TREND_MONTHS",
    "Breakdown",
    "Month",
    "MonthFigures",
    "MonthTotals",
    "MonthVolume",
    "Resolution",
    "SlowClose",
    "Week",
    "WeekCount",
    "month_bounds",
    "month_figures",
    "month_resolutions",
    "month_totals",
    "month_trend",
    "month_weekly_counts",
    "month_weeks",
    "nearest_rank",
    "reported_month",
    "share",
]
