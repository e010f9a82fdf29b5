"""The morning briefing: one A4 page per unit, for the morning meeting's table.

It holds the phase and its days left (or, once the campaign has ended, that its figures are the
final result); per metric the count (money in million VND, as on the pages), its change in % over
a year (the same day of the year before, where reference history has it), the attainment of
the milestone, the gap, the daily pace it needs and the chance of making it; the late-payment rate against the
unit's own ceiling (the nation's beside it); a small burn-up chart per metric with the
forecast's band; the five units under it furthest behind and the five that climbed most this
week; who has not reported. Every figure comes from the functions the pages and the command
line use (outlook, forecast, series, leaderboard, top_movers, reporting), written the reader's
way (i18n). Charts through Plotly and kaleido (which drives the machine's Chromium); the PDF
through fpdf2 with DejaVu Sans embedded, which has every Vietnamese diacritic.
"""
from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
from fpdf.enums import XPos, YPos
from plotly.subplots import make_subplots

from . import charts, i18n
from .campaigns import campaign_for, current_phase
from .errors import OutOfScopeError, UnknownError
from .forecast import chance_of_all_metrics, forecast, outlook
from .leaderboard import leaderboard, top_movers
from .progress import check_filters, late_payment, metrics, reporting, reporting_summary, series, target_path
from .pdf import HEADINGS, Page
from .structure import in_subtree

LISTED = 5
MISSING_NAMES = 12


def _say(key: str, lang: str, **values) -> str:
    return i18n.t(f"briefing_{key}", lang, **values)


def briefing(con, *, as_of: date, unit: str | None = None, scope: str | None = None) -> dict:
    """What the briefing says, as data: unit (code and name), as_of, campaign, phase, figures
    (outlook of the unit: one row per metric), late_payment (its rate against its ceiling), behind (the children with the lowest scores),
    gained (top movers among the children), reporting (its summary) and missing (the leaves not
    reported). The PDF (briefing_pdf) writes exactly these. `unit` defaults to the scope (a unit
    head's unit), else the nation; with a scope, a unit outside it is refused."""
    unit = unit or scope or "VN"
    check_filters(con, unit=unit)
    if scope and not in_subtree(con, scope, unit):
        raise OutOfScopeError(f"This account reads the briefing of {scope} and the units under it, not of {unit}.")
    campaign = campaign_for(con, as_of)
    name = con.execute("SELECT name FROM units WHERE unit_code = ?", [unit]).fetchall()[0][0]
    has_children = con.execute("SELECT count(*) FROM units WHERE parent_code = ?", [unit]).fetchall()[0][0] > 0
    board = leaderboard(con, as_of=as_of, parent=unit) if has_children else pd.DataFrame()
    state = reporting(con, as_of=as_of, unit=unit)
    return {
        "unit": unit, "unit_name": name, "as_of": as_of, "campaign": campaign,
        "phase": current_phase(campaign, as_of),
        "figures": outlook(con, as_of=as_of, unit=unit),
        "late_payment": late_payment(con, as_of=as_of, unit=unit),
        "all_metrics": chance_of_all_metrics(con, as_of=as_of, unit=unit),
        "behind": board.sort_values(["score", "unit_code"]).head(LISTED) if len(board) else board,
        "gained": top_movers(con, as_of=as_of, parent=unit, limit=LISTED) if has_children else pd.DataFrame(),
        "reporting": reporting_summary(state),
        "missing": state[~state["reported"]],
    }


def burnup_grid(con, content: dict, lang: str):
    """One figure of small burn-up charts, one per participant metric reported (a sum's parts are
    charted, the page has no room for the sum), each with its 80 % band."""
    figures = content["figures"]
    kinds = metrics(con).set_index("metric")
    charted = (figures["metric"].map(kinds["kind"]) == "people") & figures["metric"].map(kinds["sum_of"]).isna()
    people = figures[charted].reset_index(drop=True)
    names = kinds["name_vi" if lang == "vi" else "name_en"]
    columns = 2
    rows = max((len(people) + columns - 1) // columns, 1)
    grid = make_subplots(rows=rows, cols=columns, subplot_titles=[names[m] for m in people["metric"]],
                         vertical_spacing=0.14, horizontal_spacing=0.09)
    labels = {key: i18n.t(key, lang) for key in ("actual", "target_path", "projection", "band")}
    start = charts.chart_start(content["campaign"])
    chances = forecast(con, as_of=content["as_of"], unit=content["unit"])
    for index, row in people.iterrows():
        actual = series(con, unit=content["unit"], metric=row["metric"], start=start, end=content["as_of"])
        path = target_path(con, unit=content["unit"], metric=row["metric"], as_of=content["as_of"])
        band = chances[chances["metric"] == row["metric"]]
        small = charts.burnup("", actual, path, row, labels, lang, band=band)
        for trace in small.data:
            trace.showlegend = trace.showlegend is not False and index == 0
            grid.add_trace(trace, row=index // columns + 1, col=index % columns + 1)
    grid.update_yaxes(tickformat="~s")
    grid.update_xaxes(tickformat="%d/%m")
    grid.update_layout(separators=i18n.plotly_separators(lang), height=320 * rows + 80, width=1100,
                       margin=dict(l=40, r=20, t=40, b=70), font=dict(size=15),
                       legend=dict(orientation="h", yanchor="top", y=-0.16 / rows, x=0))
    return grid


def _chart_png(con, content: dict, lang: str) -> tuple[bytes | None, str | None]:
    """The charts as a PNG, or why they could not be drawn (kaleido needs a Chromium)."""
    try:
        return burnup_grid(con, content, lang).to_image(format="png", scale=1), None
    except Exception as failure:  # kaleido raises its own, Chromium's and OS errors alike: say it, draw the rest
        return None, str(failure).splitlines()[0][:120] if str(failure) else type(failure).__name__


def _listing(pdf: Page, x: float, width: float, title: str, lines: list[str], empty: str) -> None:
    pdf.set_xy(x, pdf.listing_top)
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.multi_cell(width, 5.5, title, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 9.5)
    for line in lines or [empty]:
        pdf.multi_cell(width, 5, line, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.listing_bottom = max(pdf.listing_bottom, pdf.get_y())


def briefing_pdf(con, *, as_of: date, unit: str | None = None, lang: str = "vi", scope: str | None = None,
                 now: datetime | None = None) -> bytes:
    """The briefing (see briefing()) of `unit` on as_of as a one-page A4 PDF, in Vietnamese or
    English (lang)."""
    if lang not in i18n.LANGUAGES:
        raise UnknownError(f"Unknown language '{lang}'; use one of {', '.join(i18n.LANGUAGES)}.")
    content = briefing(con, as_of=as_of, unit=unit, scope=scope)
    pdf = Page()
    day = i18n.day(as_of, lang)
    campaign = content["campaign"]
    pdf.line_of(_say("title", lang, unit=content["unit_name"]), 17, bold=True, height=9)
    pdf.line_of(f"{campaign['name_en' if lang == 'en' else 'name']} · {_say('as_of', lang, day=day)}", 10, height=5.5)
    phase = content["phase"]
    if phase and phase["ended"]:
        pdf.line_of(i18n.t("campaign_ended", lang, day=i18n.day(phase["milestone"], lang)), 11, True, 6.5)
    elif phase:
        pdf.line_of(i18n.t("phase_caption", lang, phase=phase["phase"], starts=i18n.day(phase["starts"], lang),
                         milestone=i18n.day(phase["milestone"], lang), days=phase["days_left"]), 11, True, 6.5)
    pdf.ln(2)

    # the count first (how many take part: leadership's first question); money rows name their unit
    kinds = metrics(con).set_index("metric")
    names = kinds["name_vi" if lang == "vi" else "name_en"]
    pdf.set_font("DejaVu", "", 8)
    headings = [i18n.t("metric", lang), _say("value", lang), _say("year", lang)] + [
        i18n.t(key, lang) for key in ("attainment", "gap")] + [
        _say("required", lang), i18n.t("chance", lang), i18n.t("status", lang)]
    with pdf.table(col_widths=(42, 20, 16, 18, 20, 20, 25, 25),
                   text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
                   line_height=5.2, headings_style=HEADINGS) as table:
        table.row(headings)
        # a ceiling (late-payment debt, less is better) is judged as a rate, on its own line below
        figures = content["figures"]
        for row in figures[figures["metric"].map(kinds["direction"]) == "higher_is_better"].itertuples():
            chance = (i18n.no_chance(row.no_chance, lang) or "–") if pd.isna(row.probability) else (
                f"{i18n.chance(row.probability, lang)} · {i18n.day_month(row.milestone, lang)}")
            table.row([i18n.with_unit(names[row.metric], kinds["kind"][row.metric], lang),
                       i18n.number(row.value, lang), i18n.signed_percent(row.change_year_pct, lang),
                       i18n.percent(row.attainment_pct, lang),
                       i18n.number(row.gap, lang), i18n.per_day(row.required_daily, lang, unit=False), chance,
                       i18n.status_label(row.status, lang)])
    for row in content["all_metrics"].itertuples():  # every metric at once: their joint chance, the weakest
        if pd.notna(row.probability):
            pdf.line_of(_say("chance_all", lang, chance=i18n.chance(row.probability, lang),
                             weakest=f"{names[row.weakest_metric]} ({i18n.chance(row.weakest_probability, lang)})"),
                        9.5, height=5.5)
        elif pd.notna(row.no_chance):
            pdf.line_of(_say("chance_all_withheld", lang, why=i18n.no_chance(row.no_chance, lang)), 9.5, height=5.5)
    for rate in content["late_payment"].itertuples():  # judged against its own ceiling, the nation's beside it
        own = _say("late_own", lang, national=i18n.percent(rate.national_limit_pct, lang)) if rate.own_limit else ""
        pdf.line_of(_say("late_within" if rate.within_limit else "late_over", lang,
                         rate=i18n.percent(rate.late_payment_pct, lang), limit=i18n.percent(rate.limit_pct, lang),
                         own=own), 9.5, height=5.5)
    pdf.ln(2)

    png, reason = _chart_png(con, content, lang)
    if png is not None:
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=pdf.epw)
    else:
        pdf.line_of(_say("no_chart", lang, reason=reason), 9)
    pdf.ln(1)

    pdf.listing_top, pdf.listing_bottom = pdf.get_y(), pdf.get_y()
    half = (pdf.epw - 6) / 2
    behind = [f"{row.rank}. {row.unit_name} · {i18n.percent(row.score, lang)}"
              for row in content["behind"].itertuples()]
    gained = [f"{row.unit_name} · #{row.rank} "
              f"({_say('place' if row.places_gained == 1 else 'places', lang, places=row.places_gained)})"
              for row in content["gained"].itertuples()]
    _listing(pdf, pdf.l_margin, half, _say("behind", lang), behind, _say("none_below", lang))
    _listing(pdf, pdf.l_margin + half + 6, half, _say("gained", lang), gained,
             _say("none_below" if content["behind"].empty else "no_movers", lang))
    pdf.set_xy(pdf.l_margin, pdf.listing_bottom + 2)

    done = content["reporting"]
    pdf.line_of(_say("reported", lang, day=day, done=i18n.number(done["done"], lang),
                     total=i18n.how_many(done["total"], "unit_one", "units", lang)), 10, True, 5.5)
    missing = content["missing"]
    if missing.empty:
        pdf.line_of(i18n.t("all_reported", lang), 9.5, height=5)
    else:
        listed = ", ".join(missing["unit_name"].head(MISSING_NAMES))
        more = _say("more", lang, count=i18n.number(len(missing) - MISSING_NAMES, lang)) \
            if len(missing) > MISSING_NAMES else ""
        pdf.line_of(_say("missing", lang, names=listed + more), 9.5, height=5)

    pdf.set_y(-17)
    pdf.set_text_color(90, 90, 90)
    pdf.line_of(i18n.t("forecast_model", lang), 8, height=4)
    pdf.line_of(_say("made", lang, moment=i18n.moment(now or datetime.now().astimezone(), lang)), 8, height=4)
    return bytes(pdf.output())

