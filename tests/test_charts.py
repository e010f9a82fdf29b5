"""The charts show a unit's name as text: Plotly reads <b>, <a href> and %{…} in labels and templates."""
from datetime import date

import pandas as pd

from sprint import charts

NAME = "<b>Xã</b> <a href='http://e'>x</a> %{y}"


def test_a_name_is_text_in_every_chart():
    trend = pd.DataFrame({"unit_code": ["A", "A"], "unit_name": [NAME, NAME],
                          "date": [date(2025, 10, 1), date(2025, 10, 2)], "plan_pct": [10.0, 11.0]})
    lines = charts.trend_lines(trend, "A", "vi").data[0]
    assert lines.name == lines.meta == "&lt;b&gt;Xã&lt;/b&gt; &lt;a href='http://e'&gt;x&lt;/a&gt; %{y}"
    assert NAME not in lines.hovertemplate and lines.hovertemplate.startswith("%{meta}")
    bars = charts.gap_bars(pd.DataFrame({"unit_code": ["A"], "unit_name": [NAME], "gap": [5],
                                         "status_label": ["x"]}),
                           {"gap": "Gap", "status": "Status", "lang": "en"}, ",.")
    assert list(bars.data[0].y) == [lines.name]
    grid = charts.heatmap(pd.DataFrame({"health": [50.0]}, index=[NAME]), pd.DataFrame({"health": ["behind"]}, index=[NAME]),
                          "en", ",.")
    assert list(grid.data[0].y) == [lines.name]


def test_each_heatmap_cell_says_its_status_in_words():
    """The colour is never the only sign: under each attainment, the status's word (short)."""
    attainment = pd.DataFrame({"health": [95.94, None], "voluntary_si": [101.0, 99.5]}, index=["Ea Kar", "Krông Búk"])
    statuses = pd.DataFrame({"health": ["behind", "no_data"], "voluntary_si": ["achieved", "on_track"]},
                            index=attainment.index)
    vi = charts.heatmap(attainment, statuses, "vi", ",.")
    assert vi.data[0].text.tolist() == [["95,94 %<br>Chậm", "101,00 %<br>Đạt"], ["–<br>Chưa có", "99,50 %<br>Kịp"]]
    en = charts.heatmap(attainment, statuses, "en", ".,")
    assert en.data[0].text.tolist() == [["95.94%<br>Behind", "101.00%<br>Met"], ["–<br>No data", "99.50%<br>On track"]]
    # the legend says the words the cells say
    assert list(en.data[0].colorbar.ticktext) == ["Met", "On track", "Behind", "No data", "Missed"]


def test_a_heatmap_cell_short_of_its_target_never_reads_100():
    """Ea Kar's unemployment on the demo: 99.95 % of the target, 3 people short."""
    cell = charts.heatmap(pd.DataFrame({"unemployment": [99.996]}, index=["Ea Kar"]),
                          pd.DataFrame({"unemployment": ["on_track"]}, index=["Ea Kar"]), "vi", ",.")
    assert cell.data[0].text.tolist() == [["99,99 %<br>Kịp"]]


def test_an_english_chart_writes_days_and_percentages_as_english_does():
    trend = pd.DataFrame({"unit_code": ["A", "A"], "unit_name": ["A", "A"],
                          "date": [date(2025, 9, 7), date(2025, 9, 8)], "plan_pct": [98.0, 98.5]})
    english, vietnamese = charts.trend_lines(trend, "A", "en"), charts.trend_lines(trend, "A", "vi")
    assert (english.layout.xaxis.tickformat, english.layout.yaxis.ticksuffix, english.layout.separators) \
        == ("%b %d", "%", ".,")
    assert (vietnamese.layout.xaxis.tickformat, vietnamese.layout.yaxis.ticksuffix, vietnamese.layout.separators) \
        == ("%d/%m", " %", ",.")
    assert english.data[0].hovertemplate == "%{meta}<br>%{x|%b %d}: %{y:.2f}%<extra></extra>"
