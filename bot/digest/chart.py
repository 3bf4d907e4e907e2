"""The digest's chart (PNG): the month at a glance, for a lead who gives it ten seconds.

The headline is the month's SLO attainment and its change from the month before. Below it, each
resolved escalation is a dot at its business time as a share of its own SLO target, one row per
priority, with the 100% line between on target and over; then the month's weeks (Monday to
Sunday), and the last months' attainment and volume.

Headless and thread-safe: a `matplotlib.figure.Figure` drawn on the Agg canvas, no pyplot state,
fonts passed per text element instead of through the global rcParams. matplotlib is imported only
when a chart is drawn, so processes that never draw one do not pay for it.
"""

from __future__ import annotations

import importlib.util
import io
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot.blocks.digest import month_label, percent, points_change, signed
from bot.digest.figures import (
    Month,
    MonthVolume,
    Resolution,
    WeekCount,
    month_resolutions,
    month_weekly_counts,
)
from bot.digest.trend import month_trend
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
FIGURE_INCHES = (12.0, 7.6)
DPI = 110
MIN_TREND_MONTHS = 6  # the trend starts at the first month with escalations, but shows at least 6
SHARE_AXIS_MIN = 200  # the dots' axis runs to at least 200% of target ...
SHARE_AXIS_MAX = 400  # ... and at most 400%: slower ones sit at the edge, counted
LABELLED_DOTS = 5  # in a month with at most this many over target, each is labelled with its key
ON_TARGET = "#4477AA"
OVER_TARGET = "#CC3311"
FILED = "#9A9A9A"
RESOLVED = "#3A3A3A"
TARGET_LINE = "#222222"
MUTED = "#666666"


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


# -- the data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartData:
    """What the chart draws: the month's resolutions and weeks, and the months up to it."""

    month: Month
    resolutions: Sequence[Resolution]
    weeks: Sequence[WeekCount]
    trend: Sequence[MonthVolume]  # oldest first, ending with `month`

    @property
    def this_month(self) -> MonthVolume:
        """The month's own volumes (the trend's last entry)."""
        return self.trend[-1]

    @property
    def previous_month(self) -> MonthVolume | None:
        """The month before, when the trend reaches back that far."""
        return self.trend[-2] if len(self.trend) > 1 else None


def chart_data(*, session: Session, policy: Policy, month: Month) -> ChartData:
    """The chart's data for `month`, read from the database."""
    trend = month_trend(session=session, policy=policy, month=month)
    first = next((i for i, m in enumerate(trend) if m.filed or m.resolved), len(trend))
    return ChartData(
        month=month,
        resolutions=month_resolutions(session=session, policy=policy, month=month),
        weeks=month_weekly_counts(session=session, policy=policy, month=month),
        trend=trend[min(first, len(trend) - MIN_TREND_MONTHS) :],
    )


# -- drawing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    lang: str
    family: list[str]

    @property
    def font(self) -> dict[str, Any]:
        return {"fontfamily": self.family}

    def legend(self, axes: Axes, handles: list[Any], **placement: Any) -> None:
        axes.legend(
            handles=handles, prop={"family": self.family, "size": 8}, frameon=False, **placement
        )


def _headline(data: ChartData, lang: str) -> str:
    month = month_label(data.month, lang)
    now = data.this_month
    if not now.filed and not now.resolved:
        return t("digest.chart.headline.empty", lang, month=month)
    if now.attainment is None:
        title = t("digest.chart.headline.none", lang, month=month)
    else:
        before = data.previous_month
        change = points_change(now.attainment, before.attainment if before else None)
        previous = t(f"month.{data.month.previous().month}", lang)
        key = "digest.chart.headline" if change is not None else "digest.chart.headline.first"
        title = t(
            key,
            lang,
            month=month,
            percent=percent(now.attainment),
            change=t("digest.points", lang, change=signed(change or 0.0)),
            previous=previous,
        )
    subtitle = t(
        "digest.chart.subtitle",
        lang,
        resolved=f"{now.resolved:,}",
        over=f"{now.resolved - now.within_target:,}",
        filed=f"{now.filed:,}",
    )
    return f"{title}\n{subtitle}"


def _priority_rows(
    policy: Policy, resolutions: Sequence[Resolution]
) -> list[tuple[str, list[Resolution]]]:
    """(label, resolutions with a target) per priority, in the policy's order, unknown ones last."""
    by_priority: dict[str, list[Resolution]] = {}
    for resolution in resolutions:
        if resolution.target_s > 0:
            by_priority.setdefault(resolution.priority, []).append(resolution)
    order = [p.id for p in policy.priorities]
    order += sorted(p for p in by_priority if p not in order)
    return [(policy.label("priorities", p), by_priority.get(p, [])) for p in order]


def _share_axis_end(shares: Sequence[float]) -> int:
    """The dots' axis end: past the slowest, in steps of 50%, between 200% and 400%."""
    slowest = max(shares, default=0.0)
    return min(SHARE_AXIS_MAX, max(SHARE_AXIS_MIN, math.ceil(slowest * 1.08 / 50) * 50))


def _dot_style(count: int) -> dict[str, Any]:
    """Bigger, solid dots for a few escalations; small, translucent ones for a thousand."""
    if count <= 40:
        return {"s": 64, "alpha": 0.9, "linewidths": 0.8, "edgecolors": "white"}
    if count <= 300:
        return {"s": 30, "alpha": 0.75, "linewidths": 0.4, "edgecolors": "white"}
    if count <= 3000:
        return {"s": 12, "alpha": 0.5, "linewidths": 0}
    return {"s": 5, "alpha": 0.35, "linewidths": 0}


def _draw_row(
    axes: Axes,
    y: int,
    resolutions: Sequence[Resolution],
    end: int,
    dot: dict[str, Any],
    named: bool,
    style: _Style,
) -> None:
    """One priority's dots: on target, over it, and past the axis's end (at the edge, counted)."""
    import numpy as np

    ids = np.fromiter((r.escalation_id for r in resolutions), dtype=np.int64)
    took = np.fromiter((r.business_s for r in resolutions), dtype=np.float64)
    target = np.fromiter((r.target_s for r in resolutions), dtype=np.float64)
    share = 100 * took / target
    height = y + ((ids * 0.6180339887) % 1.0 - 0.5) * 0.62  # a spread that is the same each time
    over, beyond = took > target, share >= end
    for chosen, colour in ((~over, ON_TARGET), (over & ~beyond, OVER_TARGET)):
        if chosen.any():
            axes.scatter(share[chosen], height[chosen], color=colour, zorder=3, **dot)
    if beyond.any():
        edge = {k: v for k, v in dot.items() if k != "edgecolors"}
        axes.scatter(
            np.full(beyond.sum(), end), height[beyond], color=OVER_TARGET, marker=">", **edge
        )
        axes.text(
            end,
            y + 0.36,
            t("digest.chart.beyond", style.lang, count=int(beyond.sum()), limit=end),
            ha="right",
            va="bottom",
            fontsize=8,
            color=OVER_TARGET,
            **style.font,
        )
    if named:
        for index in np.flatnonzero(over):
            axes.annotate(
                f"ESC-{ids[index]}",
                (min(share[index], end), height[index]),
                xytext=(5, 5),
                textcoords="offset points",
                fontsize=7.5,
                color=OVER_TARGET,
            )


def _draw_dots(axes: Axes, policy: Policy, data: ChartData, style: _Style) -> None:
    from matplotlib.lines import Line2D

    lang, font = style.lang, style.font
    rows = _priority_rows(policy, data.resolutions)
    shown = [r for _, rs in rows for r in rs]
    end = _share_axis_end([100 * r.business_s / r.target_s for r in shown])
    named = sum(1 for r in shown if r.business_s > r.target_s) <= LABELLED_DOTS
    dot = _dot_style(len(shown))  # one size for every row, set by the month's size
    axes.axvspan(100, end * 1.04, color=OVER_TARGET, alpha=0.06, linewidth=0, zorder=0)
    axes.axvline(100, color=TARGET_LINE, linewidth=1.3, zorder=1)
    labels, ys = [], []
    for row, (label, resolutions) in enumerate(rows):
        y = len(rows) - 1 - row
        ys.append(y)
        within = sum(1 for r in resolutions if r.business_s <= r.target_s)
        key = "digest.chart.row" if resolutions else "digest.chart.row.none"
        labels.append(t(key, lang, priority=label, within=within, count=len(resolutions)))
        if resolutions:
            _draw_row(axes, y, resolutions, end, dot, named, style)
    axes.set_yticks(ys, labels, fontsize=9, **font)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.set_xlim(0, end * 1.04)
    ticks = list(range(0, end + 1, 50 if end <= 300 else 100))
    target = t("digest.chart.target_line", lang)
    axes.set_xticks(
        ticks, [f"{x}%\n({target})" if x == 100 else f"{x}%" for x in ticks], fontsize=9, **font
    )
    xlabel = t("digest.chart.share_axis", lang)
    untargeted = sum(1 for r in data.resolutions if r.target_s <= 0)
    if untargeted:
        xlabel += "\n" + t("digest.chart.no_target", lang, count=untargeted)
    axes.set_xlabel(xlabel, fontsize=9, **font)
    axes.set_title(t("digest.chart.dots", lang), loc="left", fontsize=10, **font)
    axes.grid(axis="x", color="#DDDDDD", linewidth=0.6, zorder=0)
    axes.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    if not shown:
        month = month_label(data.month, lang)
        axes.text(
            0.5,
            0.5,
            t("digest.chart.none", lang, month=month),
            transform=axes.transAxes,
            ha="center",
            va="center",
            color=MUTED,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9},
            **font,
        )
    markers: dict[str, Any] = {"marker": "o", "linestyle": "none", "markersize": 7}
    style.legend(
        axes,
        [
            Line2D([], [], color=ON_TARGET, label=t("digest.chart.on_target", lang), **markers),
            Line2D([], [], color=OVER_TARGET, label=t("digest.chart.over_target", lang), **markers),
        ],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=2,
        borderaxespad=0.2,
    )


def week_label(week: WeekCount) -> str:
    """ "11/2–8", or "11/30–12/6" across a month's end."""
    first, last = week.first_day, week.last_day
    end = f"{last.day}" if last.month == first.month else f"{last.month}/{last.day}"
    return f"{first.month}/{first.day}–{end}"


def _integer_axis(axes: Axes, top: int) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_ylim(0, max(top, 1) * 1.18)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))


def _draw_weeks(axes: Axes, data: ChartData, style: _Style) -> None:
    from matplotlib.patches import Patch

    lang, font = style.lang, style.font
    positions = list(range(len(data.weeks)))
    width = 0.38
    for offset, colour, counts in (
        (-width / 2, FILED, [w.filed for w in data.weeks]),
        (width / 2, RESOLVED, [w.resolved for w in data.weeks]),
    ):
        bars = axes.bar([x + offset for x in positions], counts, width, color=colour)
        axes.bar_label(bars, labels=[f"{n:,}" if n else "" for n in counts], fontsize=7.5)
    axes.set_xticks(positions, [week_label(w) for w in data.weeks], fontsize=8.5)
    axes.set_title(t("digest.chart.weekly", lang), loc="left", fontsize=10, **font)
    axes.set_ylabel(t("digest.chart.count", lang), fontsize=9, **font)
    top = max((max(w.filed, w.resolved) for w in data.weeks), default=0)
    _integer_axis(axes, top)
    if not top:
        axes.text(
            0.5,
            0.5,
            t("digest.chart.weekly.none", lang),
            transform=axes.transAxes,
            ha="center",
            va="center",
            color=MUTED,
            **font,
        )
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    style.legend(
        axes,
        [
            Patch(color=FILED, label=t("digest.chart.filed", lang)),
            Patch(color=RESOLVED, label=t("digest.resolved", lang)),
        ],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=2,
        borderaxespad=0.2,
    )


def _month_tick(month: Month, first: bool, lang: str) -> str:
    """ "Nov", with the year under January and under the first month (unless a December)."""
    short = t(f"month.short.{month.month}", lang)
    if month.month == 1 or (first and month.month != 12):
        return f"{short}\n{month.year}" + ("年" if lang == "ja" else "")
    return short


def _draw_trend(attainment: Axes, volume: Axes, data: ChartData, style: _Style) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    lang, font = style.lang, style.font
    months = list(data.trend)
    xs = list(range(len(months)))
    shares = [float(m.attainment) * 100 if m.attainment is not None else math.nan for m in months]
    attainment.plot(xs, shares, color=RESOLVED, marker="o", markersize=4, linewidth=1.6)
    if not math.isnan(shares[-1]):  # the digest's month stands out (its figure is the headline)
        attainment.plot([xs[-1]], [shares[-1]], marker="o", markersize=8, color=RESOLVED)
    if all(math.isnan(share) for share in shares):
        attainment.text(
            0.5,
            0.5,
            t("digest.chart.trend.none", lang),
            transform=attainment.transAxes,
            ha="center",
            va="center",
            color=MUTED,
            **font,
        )
    attainment.set_ylim(0, 109)
    attainment.set_yticks([0, 50, 100])
    attainment.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    attainment.set_ylabel(t("digest.attainment", lang), fontsize=9, **font)
    attainment.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    attainment.set_title(
        t("digest.chart.trend", lang, count=len(months)), loc="left", fontsize=10, **font
    )
    attainment.tick_params(axis="x", labelbottom=False)

    on_target = [m.within_target for m in months]
    over = [m.resolved - m.within_target for m in months]
    volume.bar(xs, on_target, 0.7, color=ON_TARGET)
    volume.bar(xs, over, 0.7, bottom=on_target, color=OVER_TARGET)
    volume.plot(xs, [m.filed for m in months], color=FILED, marker="o", markersize=3, linewidth=1.2)
    _integer_axis(volume, max((max(m.filed, m.resolved) for m in months), default=0))
    volume.set_ylabel(t("digest.chart.count", lang), fontsize=9, **font)
    labels = [_month_tick(m.month, i == 0, lang) for i, m in enumerate(months)]
    volume.set_xticks(xs, labels, fontsize=7.5, **font)
    for label in volume.get_xticklabels()[:-1]:
        label.set_color(MUTED)  # the month of the digest stands out
    volume.set_xlim(-0.6, len(months) - 0.4)
    for axes in (attainment, volume):
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    style.legend(
        volume,
        [
            Patch(color=ON_TARGET, label=t("digest.chart.resolved_on_target", lang)),
            Patch(color=OVER_TARGET, label=t("digest.chart.resolved_over_target", lang)),
            Line2D(
                [], [], color=FILED, marker="o", markersize=3, label=t("digest.chart.filed", lang)
            ),
        ],
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
    )


def build_figure(*, policy: Policy, data: ChartData) -> Figure:
    """The chart as a matplotlib Figure on the Agg canvas.

    The dots span the top; the weeks are bottom left, the trend (attainment over volume) bottom
    right.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lang = chart_language(policy.language)
    family = [cjk_font_family() or BASE_FONT, BASE_FONT] if lang == "ja" else [BASE_FONT]
    style = _Style(lang, family)
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(2, 2, height_ratios=(1.25, 1), width_ratios=(1, 1.3))
    dots = figure.add_subplot(grid[0, :])
    weeks = figure.add_subplot(grid[1, 0])
    trend = grid[1, 1].subgridspec(2, 1, height_ratios=(1, 1.2))
    attainment = figure.add_subplot(trend[0])
    volume = figure.add_subplot(trend[1], sharex=attainment)
    _draw_dots(dots, policy, data, style)
    _draw_weeks(weeks, data, style)
    _draw_trend(attainment, volume, data, style)
    figure.suptitle(_headline(data, lang), fontsize=13, **style.font)
    return figure


def render_chart(*, policy: Policy, data: ChartData) -> bytes:
    """The chart as PNG bytes."""
    figure = build_figure(policy=policy, data=data)
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
    data = chart_data(session=session, policy=policy, month=month)
    return chart_filename(month), render_chart(policy=policy, data=data)
