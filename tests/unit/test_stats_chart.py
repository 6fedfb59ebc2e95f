"""The /stats chart for every reader: colour-blind-safe, distinct markers and line styles, the check-in rate
on its own axis, masked figures as gaps with a note, and alt text that states the numbers."""

from __future__ import annotations

import math

from matplotlib.colors import to_hex

from bot.services.stats import SERIES_STYLE, WeekFigures, build_chart, chart_alt_text, render_chart, shown

OKABE_ITO = {"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#f0e442", "#000000"}

ROWS = [
    WeekFigures("2026-W44", 2, 2, 1, 1, 1),  # a week with fewer than 3 people: everything masked
    WeekFigures("2026-W45", 12, 9, 4, 6, 2),  # 2 prompt participants: that figure alone is masked
    WeekFigures("2026-W46", 15, 12, 6, 6, 9),
]


def lines_of(figure):
    return {line.get_label(): (axes, line) for axes in figure.axes for line in axes.get_lines()}


def test_every_series_differs_by_colour_marker_and_line_style_from_a_safe_palette():
    lines = lines_of(build_chart(ROWS))
    assert len(lines) == len(SERIES_STYLE)
    styles = [(to_hex(line.get_color()), line.get_marker(), line.get_linestyle()) for _, line in lines.values()]
    assert {colour for colour, _, _ in styles} <= OKABE_ITO
    for position in (0, 1):
        assert len({style[position] for style in styles}) == len(styles), "two series look alike"
    for axes in {axes for axes, _ in lines.values()}:
        dashes = [line.get_linestyle() for line in axes.get_lines()]
        assert len(set(dashes)) == len(dashes), "two series on one panel share a line style"


def test_members_groups_and_rate_are_on_separate_axes_and_the_rate_is_a_percentage():
    lines = lines_of(build_chart(ROWS))
    members_axes = lines["opted in"][0]
    assert lines["paired"][0] is members_axes
    assert lines["groups that met"][0] is not members_axes
    rate_axes = lines["check-in answers"][0]
    assert rate_axes not in (members_axes, lines["groups that met"][0])
    assert rate_axes.get_ylim() == (0, 100)
    rate = list(lines["check-in answers"][1].get_ydata())
    assert math.isnan(rate[0]) and rate[1] == 67.0 and rate[2] == 50.0


def test_masked_figures_are_gaps_and_the_note_says_why():
    figure = build_chart(ROWS)
    lines = lines_of(figure)
    opted = list(lines["opted in"][1].get_ydata())
    prompt = list(lines["wrote in the prompt thread"][1].get_ydata())
    assert math.isnan(opted[0]) and opted[1:] == [12.0, 15.0]
    assert math.isnan(prompt[0]) and math.isnan(prompt[1]) and prompt[2] == 9.0
    assert any("hidden for privacy" in text.get_text() for text in figure.texts)
    plotted = [v for _, line in lines.values() for v in line.get_ydata() if not math.isnan(v)]
    assert 1.0 not in plotted and 2.0 not in plotted, "a count of 1 or 2 must never be drawn"


def test_no_note_when_nothing_is_masked():
    figure = build_chart([WeekFigures("2026-W46", 15, 12, 6, 6, 9)])
    assert not any("hidden" in text.get_text() for text in figure.texts)


def test_alt_text_states_the_shown_numbers_and_fits_discord():
    text = chart_alt_text(ROWS)
    assert "2026-W44 to 2026-W46" in text
    assert f"Groups that met: {', '.join(shown(r)['groups_met'] for r in ROWS)}." in text
    assert "Opted in: <3, 12, 15." in text and "Wrote in the prompt thread: <3, <3, 9." in text
    assert "Check-in answers: <3, 67%, 50%." in text
    many = [WeekFigures(f"2026-W{w:02d}", 1000 + w, 900, 400, 800, 700) for w in range(1, 53)]
    assert len(chart_alt_text(many)) <= 1024


def test_png_is_rendered():
    assert render_chart(ROWS).startswith(b"\x89PNG")
