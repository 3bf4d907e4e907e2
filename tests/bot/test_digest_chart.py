"""The digest's chart: a real PNG, targets marked where they belong, labels that can be drawn."""

from __future__ import annotations

import io
import struct
import warnings
from datetime import date, datetime

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.image import imread
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from bot import presenter
from bot.db import Database
from bot.digest import Month, WeekCount
from bot.digest_chart import (
    BASE_FONT,
    DPI,
    FIGURE_INCHES,
    build_figure,
    bundled_font_files,
    chart_language,
    cjk_font_family,
    render_chart,
)
from bot.models import Escalation, Status
from bot.policy import Policy, parse_policy
from tests.conftest import TOKYO

OCTOBER = Month(2026, 10)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WEEKS = [
    WeekCount(date(2026, 10, 1), 3, 1),
    WeekCount(date(2026, 10, 5), 7, 6),
    WeekCount(date(2026, 10, 12), 4, 8),
    WeekCount(date(2026, 10, 19), 0, 2),
    WeekCount(date(2026, 10, 26), 5, 3),
]
# forty resolutions within 20 hours, and one that took 2,000,000 business seconds (61 days)
TIMES = [1800 * k for k in range(1, 41)] + [2_000_000]


def _ihdr_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _x(line: Line2D) -> float:
    return float(np.asarray(line.get_xdata())[0])


def _heights(axes: Axes) -> list[float]:
    return [bar.get_height() for bar in axes.patches if isinstance(bar, Rectangle)]


def test_the_chart_is_a_png_of_the_expected_size(policy: Policy) -> None:
    png = render_chart(policy=policy, month=OCTOBER, business_times_s=TIMES, weeks=WEEKS)
    width, height = _ihdr_size(png)
    assert (width, height) == (round(FIGURE_INCHES[0] * DPI), round(FIGURE_INCHES[1] * DPI))
    pixels = imread(io.BytesIO(png))
    assert pixels.shape[:2] == (height, width)
    assert pixels.std() > 0.05  # something was drawn, not a blank canvas


def test_an_empty_month_still_draws(policy: Policy) -> None:
    empty_weeks = [WeekCount(w.first_day, 0, 0) for w in WEEKS]
    png = render_chart(policy=policy, month=OCTOBER, business_times_s=[], weeks=empty_weeks)
    assert _ihdr_size(png)[0] > 0


def test_each_priority_target_is_a_vertical_line_at_its_business_time(policy: Policy) -> None:
    figure = build_figure(policy=policy, month=OCTOBER, business_times_s=TIMES, weeks=WEEKS)
    histogram = figure.axes[0]
    # the axis runs past the longest target (5d), so it counts in working days of 9 hours
    assert histogram.get_xlabel() == "Working days"
    lines = {line.get_label(): _x(line) for line in histogram.get_lines()}
    assert lines == pytest.approx({"P1 target": 4 / 9, "P2 target": 2.0, "P3 target": 5.0})
    assert sum(_heights(histogram)) == len(TIMES)  # the outlier sits in the last bar
    texts = [text.get_text() for text in histogram.texts]
    assert "1 over 6d 2h: in the last bar" in texts  # the axis ends at 1.25 x the 5d target


def test_short_months_are_counted_in_hours(policy_text: str) -> None:
    quick = parse_policy(
        policy_text + '\n[[priorities]]\nid = "P1"\ntarget = "2h"\n', source="quick.toml"
    )
    figure = build_figure(policy=quick, month=OCTOBER, business_times_s=[600, 1800], weeks=WEEKS)
    histogram = figure.axes[0]
    assert histogram.get_xlabel() == "Business hours"
    assert [_x(line) for line in histogram.get_lines()] == [2.0]


def test_weekly_bars_show_filed_and_resolved(policy: Policy) -> None:
    figure = build_figure(policy=policy, month=OCTOBER, business_times_s=TIMES, weeks=WEEKS)
    weekly = figure.axes[1]
    assert _heights(weekly) == [w.filed for w in WEEKS] + [w.resolved for w in WEEKS]
    assert [tick.get_text() for tick in weekly.get_xticklabels()] == [
        "10/1",
        "10/5",
        "10/12",
        "10/19",
        "10/26",
    ]


def test_a_japanese_teams_chart_is_drawn_in_japanese_with_the_bundled_font(
    policy_text: str,
) -> None:
    from matplotlib.font_manager import FontProperties, findfont

    japanese = parse_policy(policy_text.replace('language = "en"', 'language = "ja"'))
    [bundled] = bundled_font_files()  # matplotlib-fontja's IPAexGothic, a dependency
    assert bundled.name == "ipaexg.ttf"
    assert cjk_font_family() is not None
    assert chart_language("ja") == "ja"
    assert chart_language("en") == "en"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        figure = build_figure(policy=japanese, month=OCTOBER, business_times_s=TIMES, weeks=WEEKS)
        figure.canvas.draw()
        png = render_chart(policy=japanese, month=OCTOBER, business_times_s=TIMES, weeks=WEEKS)
    assert figure.axes[0].get_title() == "解決までの営業時間"
    assert figure.axes[0].get_xlabel() == "営業日"
    family = figure.axes[0].title.get_fontfamily()
    assert family[0] == cjk_font_family()
    if cjk_font_family() == "IPAexGothic":  # no system CJK font preferred over the bundled one
        assert findfont(FontProperties(family=family)) == str(bundled)
    assert _ihdr_size(png) == (round(FIGURE_INCHES[0] * DPI), round(FIGURE_INCHES[1] * DPI))
    assert imread(io.BytesIO(png)).std() > 0.05


def test_an_english_teams_chart_keeps_matplotlibs_own_font(policy: Policy) -> None:
    figure = build_figure(policy=policy, month=OCTOBER, business_times_s=TIMES, weeks=WEEKS)
    assert figure.axes[0].title.get_fontfamily() == [BASE_FONT]
    assert figure.axes[0].get_title() == "Business time to resolve"


def test_the_outbox_renders_the_chart_of_the_month_in_its_payload(
    db: Database, policy: Policy
) -> None:
    filed = datetime(2026, 10, 6, 10, tzinfo=TOKYO)
    with db.session() as session:
        session.add(
            Escalation(
                intake_key="t:chart",
                end_user_id="u-1",
                product="album",
                category="login",
                priority="P2",
                summary="s",
                filed_by="U0CS",
                filed_at=filed,
                status=Status.RESOLVED,
                channel_id="C0ESCALATE",
                last_activity_at=filed,
                resolved_at=filed.replace(day=7),
                slo_target_s=64_800,
                resolution_business_s=32_400,
            )
        )
        session.commit()
        name, png = presenter.render_file(
            session=session, policy=policy, payload={"file": "digest-chart", "month": "2026-10"}
        )
    assert name == "digest-2026-10.png"
    assert png.startswith(PNG_SIGNATURE)
