"""Plotly figures for the pages and the morning briefing: they draw what sprint computed, nothing more.

Pages show them with CONFIG: no toolbar, which on a phone covered the charts' titles and legends."""
from __future__ import annotations

import html
from datetime import date, timedelta

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from sprint import i18n

ACTUAL, TARGET, PROJECTION = "#1f4e99", "#7f7f7f", "#e07b00"
BAND = "rgba(224, 123, 0, 0.18)"  # the projection's colour, faint: the forecast's 80 % band
CONFIG = {"displayModeBar": False}
DAYS_BEFORE_BASELINE = 30  # the burn-up and trend charts start a month before the campaign's baseline


def chart_start(campaign: dict) -> date:
    """The first day the burn-up and trend charts show."""
    return campaign["baseline"] - timedelta(days=DAYS_BEFORE_BASELINE)


def _shown(name) -> str:
    """A unit's name as Plotly shows it: Plotly reads <b>, <a href> and entities in every label,
    and a name is the sender's text, not markup."""
    return html.escape(str(name), quote=False)


def _layout(figure: go.Figure, separators: str, height: int) -> go.Figure:
    # the legend under the plot: above it, it sat on the chart's title
    figure.update_layout(separators=separators, height=height, margin=dict(l=10, r=10, t=40, b=10),
                         legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0),
                         hovermode="x unified")
    return figure


def burnup(title: str, actual: pd.DataFrame, path: pd.DataFrame, row: pd.Series, labels: dict,
           lang: str, band: pd.DataFrame | None = None) -> go.Figure:
    """Actual counts, the target path from the baseline through each milestone, milestone
    markers, the projection from the as-of date to the current milestone and, given the
    forecast's rows (milestone, low, high), its 80 % band from today to each milestone."""
    figure = go.Figure()
    if band is not None and len(band) and pd.notna(row.get("value")):
        days = [row["as_of"], *band["milestone"]]
        figure.add_scatter(x=days, y=[row["value"], *band["low"]], mode="lines", line=dict(width=0),
                           hoverinfo="skip", showlegend=False)
        figure.add_scatter(x=days, y=[row["value"], *band["high"]], mode="lines", line=dict(width=0),
                           fill="tonexty", fillcolor=BAND, name=labels["band"], hoverinfo="skip")
    figure.add_scatter(x=actual["date"], y=actual["value"], name=labels["actual"], mode="lines",
                       line=dict(color=ACTUAL, width=3))
    if not path.empty:
        figure.add_scatter(x=path["date"], y=path["target"], name=labels["target_path"],
                           mode="lines+markers", line=dict(color=TARGET, dash="dash"),
                           marker=dict(symbol="diamond", size=10))
        milestones = path["date"].iloc[1:] if len(path) > 1 else path["date"]
        # shapes set at once: add_vline per milestone costs Plotly ~25 ms each
        figure.update_layout(shapes=[dict(type="line", x0=m, x1=m, y0=0, y1=1, yref="paper",
                                          line=dict(color=TARGET, width=1, dash="dot")) for m in milestones])
    if pd.notna(row.get("projected")) and row["days_left"] > 0:
        figure.add_scatter(x=[row["as_of"], row["milestone"]], y=[row["value"], row["projected"]],
                           name=labels["projection"], mode="lines+markers",
                           line=dict(color=PROJECTION, dash="dot"), marker=dict(size=7))
    figure.update_layout(title=dict(text=_shown(title), font=dict(size=16)))
    figure.update_yaxes(tickformat=",d", rangemode="normal")
    figure.update_xaxes(tickformat=i18n.DATE_TICKS[lang])
    return _layout(figure, i18n.plotly_separators(lang), 340)


def heatmap(attainment: pd.DataFrame, statuses: pd.DataFrame, lang: str, separators: str) -> go.Figure:
    """Each unit and metric coloured by its status (the same colours as every other chart, badge
    and table), with its attainment of the milestone target written in the cell and, under it,
    the status's word: the colour is never the only sign of it."""
    order = list(i18n.STATUS_COLOURS)
    codes = statuses.apply(lambda column: column.map(order.index))
    words = statuses.apply(lambda column: column.map(lambda status: i18n.status_short(status, lang)))
    text = attainment.apply(lambda column: i18n.percents(column, lang)) + "<br>" + words
    # a discrete colour scale: each status index gets its own colour band
    scale = [[bound, colour] for index, colour in enumerate(i18n.STATUS_COLOURS.values())
             for bound in (index / len(order), (index + 1) / len(order))]
    figure = go.Figure(go.Heatmap(
        z=codes.values, x=[_shown(c) for c in attainment.columns], y=[_shown(u) for u in attainment.index],
        text=text.values,
        texttemplate="%{text}", textfont=dict(size=12), colorscale=scale, zmin=-0.5, zmax=len(order) - 0.5,
        xgap=2, ygap=2, hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
        colorbar=dict(tickvals=list(range(len(order))), ticktext=[i18n.status_short(s, lang) for s in order],
                      orientation="h", y=-0.02, yanchor="top", thickness=12, len=1)))
    figure.update_xaxes(side="top")
    figure.update_yaxes(autorange="reversed", tickfont=dict(size=13))
    return _layout(figure, separators, max(300, 38 * len(attainment) + 120))


def gap_bars(frame: pd.DataFrame, labels: dict, separators: str) -> go.Figure:
    """People still missing per unit, largest gap at the top, coloured by status."""
    ordered = frame.sort_values("gap").assign(unit_name=lambda f: f["unit_name"].map(_shown))
    figure = px.bar(ordered, x="gap", y="unit_name", orientation="h", color="status_label", custom_data=["unit_code"],
                    color_discrete_map={i18n.status_label(s, labels["lang"]): c
                                        for s, c in i18n.STATUS_COLOURS.items()},
                    labels={"gap": labels["gap"], "unit_name": "", "status_label": labels["status"]})
    figure.update_xaxes(tickformat=",d")
    figure.update_yaxes(categoryorder="total ascending")
    # the legend's entries are the status words: its title sat on the gap axis's title on a phone
    figure.update_layout(hovermode="closest", legend_title_text="")
    return _layout(figure, separators, max(300, 22 * len(frame) + 80))


def trend_lines(trend: pd.DataFrame, highlight: str | None, lang: str) -> go.Figure:
    """Each unit's value as % of its annual plan over time, one line per unit, in one chart (many
    small charts cost Plotly a second for 34 provinces and overlap on a phone); the reader's own
    unit is drawn in colour, the others in grey, and every line names its unit on hover."""
    figure = go.Figure()
    for (code, name), days in trend.groupby(["unit_code", "unit_name"], sort=False):
        mine = code == highlight
        # the name goes in as meta, a value the template fills in, not as template text
        figure.add_scatter(x=days["date"], y=days["plan_pct"], name=_shown(name), mode="lines", meta=_shown(name),
                           line=dict(color=ACTUAL if mine else "#b8b8b8", width=3 if mine else 1),
                           hovertemplate=f"%{{meta}}<br>%{{x|{i18n.DATE_TICKS[lang]}}}: %{{y:.2f}}"
                                         f"{i18n.PERCENT_SIGN[lang]}<extra></extra>",
                           showlegend=mine)
    figure.update_yaxes(ticksuffix=i18n.PERCENT_SIGN[lang])
    figure.update_xaxes(tickformat=i18n.DATE_TICKS[lang])
    figure = _layout(figure, i18n.plotly_separators(lang), 380)
    figure.update_layout(hovermode="closest")
    return figure
