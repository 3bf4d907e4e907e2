"""The digest's chart (PNG): business time to resolve with the SLO targets marked, and weekly volume.

Headless and thread-safe: a `matplotlib.figure.Figure` drawn on the Agg canvas, no pyplot state,
fonts passed per text element instead of through the global rcParams. matplotlib is imported only
when a chart is drawn, so processes that never draw one do not pay for it.
"""

from __future__ import annotations

import importlib.util
import io
import threading
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot.blocks.digest import month_label
from bot.digest import Month, WeekCount, month_business_times, month_weekly_counts, nearest_rank
from bot.durations import format_business_duration
from bot.i18n import t
from bot.policy import Policy

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Fonts with Japanese glyphs, in order of preference. matplotlib's bundled DejaVu Sans has none:
# drawn with it, Japanese labels come out as empty boxes. The package matplotlib-fontja (a
# dependency) ships IPAexGothic, registered with matplotlib the first time a chart is drawn, so
# a Japanese team's chart is in Japanese without any system font. A system font listed before it
# is preferred; with none at all (the package uninstalled), the labels stay in English.
CJK_FONTS = (
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Source Han Sans JP",
    "IPAexGothic",
    "IPAGothic",
    "IPAPGothic",
    "TakaoGothic",
    "VL Gothic",
    "Hiragino Sans",
    "Yu Gothic",
    "Meiryo",
)
FONT_PACKAGE = "matplotlib_fontja"
BASE_FONT = "DejaVu Sans"
FIGURE_INCHES = (11.0, 4.4)
DPI = 110
MAX_BINS = 30
HOURS_UP_TO_DAYS = 2  # beyond two working days the histogram counts in working days
TARGET_COLOURS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
FILED_COLOUR = "#1f77b4"
RESOLVED_COLOUR = "#2ca02c"
HISTOGRAM_COLOUR = "#7f9fbf"


def bundled_font_files() -> list[Path]:
    """The font files matplotlib-fontja ships, found without importing it.

    Importing the package would set matplotlib's global rcParams (its `japanize()` runs on
    import); this module passes fonts per text element instead, so it only reads the files.
    """
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted(
        path
        for location in spec.submodule_search_locations
        for path in (Path(location) / "fonts").glob("*.tt[fc]")
    )


_FONT_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _cjk_font_family() -> str | None:
    from matplotlib import font_manager

    for path in bundled_font_files():
        font_manager.fontManager.addfont(str(path))
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def cjk_font_family() -> str | None:
    """The first font family with Japanese glyphs (the bundled one registered first), if any."""
    with _FONT_LOCK:  # registered once, even when two charts are drawn at the same time
        return _cjk_font_family()


def chart_language(lang: str) -> str:
    """The language the chart's labels can be drawn in: Japanese only when a CJK font exists."""
    return "ja" if lang == "ja" and cjk_font_family() is not None else "en"


def _unit_seconds(policy: Policy, longest_s: int) -> tuple[float, str]:
    day_s = policy.business_calendar.working_day_length().total_seconds()
    if longest_s > HOURS_UP_TO_DAYS * day_s:
        return day_s, "digest.chart.days"
    return 3600.0, "digest.chart.hours"


def _targets_s(policy: Policy) -> list[tuple[str, int]]:
    return [
        (policy.label("priorities", p.id), int(policy.priority_target(p.id).total_seconds()))
        for p in policy.priorities
    ]


def _draw_histogram(
    axes: Axes, policy: Policy, lang: str, font: dict[str, Any], times_s: Sequence[int]
) -> None:
    from matplotlib.ticker import MaxNLocator

    targets = _targets_s(policy)
    ordered = sorted(times_s)
    # The x axis runs to the 95th percentile or just past the longest target, whichever is
    # further: a single months-long case must not squash every other bar into one.
    p95 = ordered[nearest_rank(len(ordered), 95) - 1] if ordered else 0
    longest_target = max((s for _, s in targets), default=0)
    upper_s = max(p95, int(longest_target * 1.25), 1)
    unit_s, unit_key = _unit_seconds(policy, upper_s)
    upper = upper_s / unit_s
    values = [min(s / unit_s, upper) for s in ordered]
    beyond = sum(1 for s in ordered if s > upper_s)
    axes.set_title(t("digest.chart.histogram", lang), **font)
    axes.set_xlabel(t(unit_key, lang), **font)
    axes.set_ylabel(t("digest.chart.count", lang), **font)
    axes.set_xlim(0, upper * 1.02)
    if values:
        bins = min(MAX_BINS, max(5, int(len(values) ** 0.5)))
        axes.hist(values, bins=bins, range=(0, upper), color=HISTOGRAM_COLOUR, edgecolor="white")
    else:
        axes.text(
            0.5,
            0.5,
            t("digest.chart.none", lang),
            transform=axes.transAxes,
            ha="center",
            va="center",
            color="grey",
            **font,
        )
    for index, (label, target_s) in enumerate(targets):
        axes.axvline(
            target_s / unit_s,
            color=TARGET_COLOURS[index % len(TARGET_COLOURS)],
            linestyle="--",
            linewidth=1.5,
            label=t("digest.chart.target", lang, priority=label),
        )
    if beyond:
        day = policy.business_calendar.working_day_length()
        limit = format_business_duration(timedelta(seconds=upper_s), day_length=day, lang=lang)
        axes.text(
            0.98,
            0.97,
            t("digest.chart.beyond", lang, count=beyond, limit=limit),
            transform=axes.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color="grey",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            **font,
        )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(prop={"family": font["fontfamily"], "size": 8}, loc="upper center")


def _draw_weekly(axes: Axes, lang: str, font: dict[str, Any], weeks: Sequence[WeekCount]) -> None:
    from matplotlib.ticker import MaxNLocator

    positions = list(range(len(weeks)))
    width = 0.38
    axes.bar(
        [x - width / 2 for x in positions],
        [w.filed for w in weeks],
        width,
        color=FILED_COLOUR,
        label=t("digest.filed", lang),
    )
    axes.bar(
        [x + width / 2 for x in positions],
        [w.resolved for w in weeks],
        width,
        color=RESOLVED_COLOUR,
        label=t("digest.resolved", lang),
    )
    axes.set_xticks(positions, [f"{w.first_day.month}/{w.first_day.day}" for w in weeks])
    axes.set_title(t("digest.chart.weekly", lang), **font)
    axes.set_xlabel(t("digest.chart.week_of", lang), **font)
    axes.set_ylabel(t("digest.chart.count", lang), **font)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(prop={"family": font["fontfamily"], "size": 8})


def build_figure(
    *,
    policy: Policy,
    month: Month,
    business_times_s: Sequence[int],
    weeks: Sequence[WeekCount],
) -> Figure:
    """The chart as a matplotlib Figure on the Agg canvas: the histogram left, the weeks right."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lang = chart_language(policy.language)
    family = [cjk_font_family() or BASE_FONT, BASE_FONT] if lang == "ja" else [BASE_FONT]
    font: dict[str, Any] = {"fontfamily": family}
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    histogram, weekly = figure.subplots(1, 2, width_ratios=(3, 2))
    _draw_histogram(histogram, policy, lang, font, business_times_s)
    _draw_weekly(weekly, lang, font, weeks)
    figure.suptitle(t("digest.title", lang, month=month_label(month, lang)), fontsize=13, **font)
    return figure


def render_chart(
    *,
    policy: Policy,
    month: Month,
    business_times_s: Sequence[int],
    weeks: Sequence[WeekCount],
) -> bytes:
    """The chart as PNG bytes: a histogram of business time to resolve, and weekly counts."""
    figure = build_figure(
        policy=policy, month=month, business_times_s=business_times_s, weeks=weeks
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def chart_filename(month: Month) -> str:
    """The chart's file name."""
    return f"digest-{month}.png"


def render_chart_file(
    session: Session, policy: Policy, payload: dict[str, Any]
) -> tuple[str, bytes]:
    """The outbox file renderer "digest-chart": payload["month"] is the month (YYYY-MM)."""
    month = Month.parse(payload["month"])
    png = render_chart(
        policy=policy,
        month=month,
        business_times_s=month_business_times(session=session, policy=policy, month=month),
        weeks=month_weekly_counts(session=session, policy=policy, month=month),
    )
    return chart_filename(month), png
