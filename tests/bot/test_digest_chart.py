"""The digest's chart, drawn for an empty, a tiny and a 1,000-escalation month in both languages.

Each case is rendered to a real PNG, and the figure behind it is read back: the headline, where
every dot sits and its colour, the weeks, the trend, and that no legend covers data.
"""

from __future__ import annotations

import io
import random
import struct
import warnings
from collections.abc import Iterator
from datetime import datetime

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from bot import presenter
from bot.db import Database
from bot.digest.chart import (
    BASE_FONT,
    DPI,
    FIGURE_INCHES,
    MIN_TREND_MONTHS,
    ON_TARGET,
    OVER_TARGET,
    ChartData,
    build_figure,
    bundled_font_files,
    chart_data,
    chart_language,
    cjk_font_family,
    render_chart,
)
from bot.digest.figures import Month, MonthVolume, Resolution, WeekCount, month_weeks
from bot.models import Escalation, Status
from bot.policy import Policy, parse_policy
from tests.conftest import TOKYO

NOVEMBER = Month(2026, 11)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOUR = 3600
TARGETS = {"P1": 4 * HOUR, "P2": 18 * HOUR, "P3": 45 * HOUR}
SIZE = (round(FIGURE_INCHES[0] * DPI), round(FIGURE_INCHES[1] * DPI))


def _weeks(policy: Policy, filed: list[int], resolved: list[int]) -> list[WeekCount]:
    return [
        WeekCount(w.first_day, w.last_day, f, r)
        for w, f, r in zip(month_weeks(policy, NOVEMBER), filed, resolved, strict=True)
    ]


def _trend(now: MonthVolume, before: list[tuple[int, int, int]]) -> list[MonthVolume]:
    """Months before November as (filed, resolved, within), oldest first, then November."""
    first = NOVEMBER.shifted(-len(before))
    return [MonthVolume(first.shifted(i), f, r, r, w) for i, (f, r, w) in enumerate(before)] + [now]


def empty_month(policy: Policy) -> ChartData:
    return ChartData(
        month=NOVEMBER,
        resolutions=[],
        weeks=_weeks(policy, [0] * 4, [0] * 4),
        trend=_trend(MonthVolume(NOVEMBER, 0, 0, 0, 0), [(0, 0, 0)] * 5),
    )


TINY = [
    Resolution(7, "P1", 2 * HOUR, TARGETS["P1"]),  # 50%
    Resolution(8, "P2", 9 * HOUR, TARGETS["P2"]),  # 50%
    Resolution(9, "P2", 27 * HOUR, TARGETS["P2"]),  # 150%: over
]


def tiny_month(policy: Policy) -> ChartData:
    return ChartData(
        month=NOVEMBER,
        resolutions=TINY,
        weeks=_weeks(policy, [1, 1, 0, 0], [1, 0, 2, 0]),
        trend=_trend(MonthVolume(NOVEMBER, 2, 3, 3, 2), [(0, 0, 0)] * 4 + [(3, 2, 1)]),
    )


def thousand_month(policy: Policy) -> ChartData:
    rng = random.Random(20261101)
    resolutions = []
    for n in range(1000):
        priority = rng.choices(("P1", "P2", "P3"), (0.1, 0.55, 0.35))[0]
        took = int(TARGETS[priority] * rng.lognormvariate(-0.5, 0.8))
        resolutions.append(Resolution(10_000 + n, priority, took, TARGETS[priority]))
    resolutions.append(Resolution(99_999, "P2", 40 * TARGETS["P2"], TARGETS["P2"]))  # 4,000%
    within = sum(r.business_s <= r.target_s for r in resolutions)
    history = [(900 + 10 * k, 880 + 10 * k, 700 + 5 * k) for k in range(11)]
    return ChartData(
        month=NOVEMBER,
        resolutions=resolutions,
        weeks=_weeks(policy, [150, 260, 250, 310], [140, 250, 280, 331]),
        trend=_trend(MonthVolume(NOVEMBER, 970, 1001, 1001, within), history),
    )


@pytest.fixture(params=["en", "ja"])
def team(request: pytest.FixtureRequest, policy_text: str) -> Policy:
    language = request.param
    return parse_policy(policy_text.replace('language = "en"', f'language = "{language}"'))


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _drawn(policy: Policy, data: ChartData) -> tuple[Figure, bytes]:
    """The figure, drawn, and its PNG; a glyph missing from the fonts fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        figure = build_figure(policy=policy, data=data)
        figure.canvas.draw()
        png = render_chart(policy=policy, data=data)
    return figure, png


def _dots(axes: Axes) -> Iterator[tuple[float, float, str]]:
    """(x, y, colour) of every dot drawn."""
    for collection in axes.collections:
        if not isinstance(collection, PathCollection):
            continue
        offsets = np.asarray(collection.get_offsets())
        colours = [to_hex(c) for c in collection.get_facecolors()]
        if len(colours) == 1:
            colours *= len(offsets)
        for (x, y), colour in zip(offsets, colours, strict=True):
            yield float(x), float(y), colour.upper()


def _bars(axes: Axes) -> list[Rectangle]:
    return [p for p in axes.patches if isinstance(p, Rectangle) and p.get_height() > 0]


def _assert_no_legend_covers_data(figure: Figure) -> None:
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    for axes in figure.axes:
        data = [*axes.collections, *_bars(axes), *axes.get_lines()]
        for legend_axes in figure.axes:
            legend = legend_axes.get_legend()
            if legend is None:
                continue
            box = legend.get_window_extent(renderer)
            for artist in data:
                for other in _extents(artist, renderer):
                    if np.isfinite(other.bounds).all():  # an all-NaN line has no extent
                        assert not box.overlaps(other), (legend_axes.get_title(), artist)


def _extents(artist: object, renderer: object) -> list[Bbox]:
    if isinstance(artist, PathCollection):  # each dot, not the collection's whole extent
        transform = artist.get_offset_transform()
        points = transform.transform(np.asarray(artist.get_offsets()))
        return [Bbox.from_bounds(x - 3, y - 3, 6, 6) for x, y in points]
    return [artist.get_window_extent(renderer)]  # type: ignore[attr-defined]


def _texts(axes: Axes) -> list[str]:
    return [text.get_text() for text in axes.texts]


# -- the three months, in both languages --------------------------------------------------------


def test_an_empty_month_says_so_on_sane_axes(team: Policy) -> None:
    figure, png = _drawn(team, empty_month(team))
    dots, weeks, _attainment, volume = figure.axes
    assert _png_size(png) == SIZE
    assert list(_dots(dots)) == []
    headline = figure.get_suptitle()
    if team.language == "ja":
        assert headline == "2026年11月: 起票・解決されたエスカレーションはありません"
        assert "2026年11月に解決したエスカレーションはありません" in _texts(dots)
    else:
        assert headline == "November 2026: no escalations filed or resolved"
        assert "No escalations were resolved in November 2026" in _texts(dots)
    # the share axis keeps its percentages and the counts start at zero: never −0.045..0.045
    assert dots.get_xlim()[0] == 0
    assert dots.get_xlim()[1] >= 200
    for axes in (weeks, volume):
        low, high = axes.get_ylim()
        assert low == 0
        assert high >= 1
    assert weeks.get_yticks().tolist()[:2] == [0, 1]
    _assert_no_legend_covers_data(figure)


def test_a_tiny_month_puts_each_escalation_at_its_share_of_target(team: Policy) -> None:
    figure, png = _drawn(team, tiny_month(team))
    dots, weeks, attainment, volume = figure.axes
    assert _png_size(png) == SIZE
    drawn = sorted(_dots(dots))
    # P1 is the top row (y 2), P2 the middle (y 1): the rows of the policy's priorities
    assert [(round(x), round(y), colour) for x, y, colour in drawn] == [
        (50, 1, ON_TARGET),
        (50, 2, ON_TARGET),
        (150, 1, OVER_TARGET),
    ]
    assert [line.get_xdata()[0] for line in dots.get_lines()] == [100]  # the one target line
    assert "ESC-9" in _texts(dots)  # a few over target: each named
    labels = [label.get_text() for label in dots.get_yticklabels()]
    if team.language == "ja":
        assert figure.get_suptitle() == (
            "2026年11月: SLO達成率 66.7%(10月から +16.7ポイント)\n"
            "解決 3件(うち目標超過 1件)・起票 2件"
        )
        assert labels == ["P1\n目標内 1/1件", "P2\n目標内 1/2件", "P3\n解決なし"]
    else:
        assert figure.get_suptitle() == (
            "November 2026: 66.7% resolved on target (+16.7 pts from October)\n"
            "3 resolved, 1 over target · 2 filed"
        )
        assert labels == ["P1\n1/1 on target", "P2\n1/2 on target", "P3\nnone resolved"]
    # weeks from Monday: Sunday the 1st joins the first week, Monday the 30th the last
    ticks = [label.get_text() for label in weeks.get_xticklabels()]
    assert ticks == ["11/1–8", "11/9–15", "11/16–22", "11/23–30"]
    heights = [bar.get_height() for bar in weeks.patches if isinstance(bar, Rectangle)]
    assert heights == [1, 1, 0, 0, 1, 0, 2, 0]
    # no target line cuts through bars: the weeks have none, the volume only the filed line
    assert weeks.get_lines() == []
    assert [len(set(line.get_xdata())) for line in volume.get_lines()] == [6]
    shares = attainment.get_lines()[0].get_ydata()
    assert np.isnan(shares[:4]).all()
    assert list(shares[4:]) == pytest.approx([50, 200 / 3])
    _assert_no_legend_covers_data(figure)


def test_a_thousand_escalations_month(team: Policy) -> None:
    data = thousand_month(team)
    figure, png = _drawn(team, data)
    dots, weeks, _attainment, volume = figure.axes
    assert _png_size(png) == SIZE
    assert imread(io.BytesIO(png)).std() > 0.05
    drawn = list(_dots(dots))
    assert len(drawn) == 1001
    over = [r for r in data.resolutions if r.business_s > r.target_s]
    assert sum(1 for *_, colour in drawn if colour == OVER_TARGET) == len(over)
    end = dots.get_xlim()[1]
    assert max(x for x, _, _ in drawn) < end  # the 4,000% one sits at the edge, counted
    beyond = [text for text in _texts(dots) if "400%" in text]
    assert beyond
    assert all(text.endswith("▸") for text in beyond)
    assert not any(text.startswith("ESC-") for text in _texts(dots))  # too many to name
    within = len(data.resolutions) - len(over)
    percent = f"{100 * within / 1001:.1f}".removesuffix(".0")
    assert percent in figure.get_suptitle()
    assert ("1,001" if team.language == "en" else "1,001件") in figure.get_suptitle()
    ticks = [label.get_text() for label in volume.get_xticklabels()]
    assert len(ticks) == 12
    if team.language == "ja":
        assert ticks[0] == "12月"
        assert ticks[1] == "1月\n2026年"
        assert ticks[-1] == "11月"
    else:
        assert ticks[0] == "Dec"
        assert ticks[1] == "Jan\n2026"
        assert ticks[-1] == "Nov"
    assert [bar.get_height() for bar in _bars(weeks)] == [150, 260, 250, 310, 140, 250, 280, 331]
    assert "331" in _texts(weeks)  # each bar labelled with its count
    stacked = [bar.get_height() for bar in _bars(volume)]
    assert sum(stacked) == sum(m.resolved for m in data.trend)  # on target + over, per month
    _assert_no_legend_covers_data(figure)


def test_the_japanese_chart_uses_the_bundled_font(team: Policy) -> None:
    from matplotlib.font_manager import FontProperties, findfont

    figure, _ = _drawn(team, tiny_month(team))
    family = figure.axes[0].get_yticklabels()[0].get_fontfamily()
    if team.language == "en":
        assert family == [BASE_FONT]
        assert chart_language("en") == "en"
        return
    [bundled] = bundled_font_files()  # matplotlib-fontja's IPAexGothic, a dependency
    assert bundled.name == "ipaexg.ttf"
    assert chart_language("ja") == "ja"
    assert family[0] == cjk_font_family()
    if cjk_font_family() == "IPAexGothic":  # no system CJK font preferred over the bundled one
        assert findfont(FontProperties(family=family)) == str(bundled)
    assert (
        figure.axes[0].get_title(loc="left")
        == "解決した各エスカレーション: SLO目標に対してかかった営業時間の割合"
    )


def test_the_first_month_with_resolutions_has_nothing_to_compare(policy: Policy) -> None:
    data = tiny_month(policy)
    first = ChartData(data.month, data.resolutions, data.weeks, [data.trend[-1]])
    figure = build_figure(policy=policy, data=first)
    assert figure.get_suptitle().startswith(
        "November 2026: 66.7% resolved on target (none resolved in October to compare)"
    )


# -- from the database ----------------------------------------------------------------------------


def _resolved(db: Database, filed: datetime, took_s: int, priority: str = "P2") -> None:
    with db.session() as session:
        session.add(
            Escalation(
                intake_key=f"t:{filed.isoformat()}:{took_s}",
                end_user_id="u-1",
                product="album",
                category="login",
                priority=priority,
                summary="s",
                filed_by="U0CS",
                filed_at=filed,
                status=Status.RESOLVED,
                channel_id="C0ESCALATE",
                last_activity_at=filed,
                resolved_at=filed.replace(day=filed.day + 1),
                slo_target_s=TARGETS[priority],
                resolution_business_s=took_s,
            )
        )
        session.commit()


def test_the_trend_starts_at_the_first_busy_month_but_shows_six(
    db: Database, policy: Policy
) -> None:
    _resolved(db, datetime(2026, 3, 10, 10, tzinfo=TOKYO), 9 * HOUR)
    _resolved(db, datetime(2026, 11, 10, 10, tzinfo=TOKYO), 27 * HOUR)
    with db.session() as session:
        long = chart_data(session=session, policy=policy, month=NOVEMBER)
        short = chart_data(session=session, policy=policy, month=Month(2026, 4))
    assert next(str(m.month) for m in long.trend) == "2026-03"  # March to November
    assert len(long.trend) == 9
    assert len(short.trend) == MIN_TREND_MONTHS  # Nov 2025 to Apr 2026, though March is first
    assert [(r.priority, r.business_s) for r in long.resolutions] == [("P2", 27 * HOUR)]
    assert long.this_month.within_target == 0
    assert short.previous_month is not None
    assert short.previous_month.within_target == 1


def test_the_outbox_renders_the_chart_of_the_month_in_its_payload(
    db: Database, policy: Policy
) -> None:
    _resolved(db, datetime(2026, 10, 6, 10, tzinfo=TOKYO), 9 * HOUR)
    with db.session() as session:
        name, png = presenter.render_file(
            session=session, policy=policy, payload={"file": "digest-chart", "month": "2026-10"}
        )
    assert name == "digest-2026-10.png"
    assert _png_size(png) == SIZE
