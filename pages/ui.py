"""What every page draws the same way: the chosen language, labels, badges, tables and downloads."""
from __future__ import annotations

import functools
import re

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

import sprint
from pages.reads import latest_date, read, unit_labels
from sprint import i18n

def route_through_app() -> None:
    """Make sure this run went through dashboard.py.

    A `pages/` folder beside dashboard.py makes Streamlit route a process's first request (and
    every AppTest run) the old v1 way, straight to the page script and past dashboard.py, until
    its st.navigation has run. The pages are listed explicitly there: turn v1 off and run again.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def lang() -> str:
    return st.session_state.get("lang", "vi")


# what makes Markdown of text: links and images, HTML, emphasis, code, maths, tables and
# Streamlit's :colour[…] and :material/…: directives
MARKDOWN = re.compile(r"([\\`*_\[\]()<>!|~:$#&])")


# what makes a list item of the text's start ("- x", "+ x", "1. x", but not "12.345"); a quote's >
# is escaped above
LEADING_ITEM = re.compile(r"^(\s*)(?:([-+])|(\d+)\.)(?=\s|$)")


def plain(text) -> str:
    """User-provided text (a file name, a unit name) for Markdown: shown as written, never as a
    link, an image, a colour or a directive."""
    escaped = MARKDOWN.sub(r"\\\1", str(text))
    return LEADING_ITEM.sub(lambda m: f"{m[1]}\\{m[2]}" if m[2] else f"{m[1]}{m[3]}\\.", escaped)


def t(key: str, **values) -> str:
    """The label in the chosen language; the values filled in are shown as text (see plain)."""
    return i18n.t(key, lang(), **{name: plain(value) for name, value in values.items()})


def metric_label(metric: str) -> str:
    return metric_labels().get(metric, metric)


def ranked_metrics(metrics: pd.DataFrame) -> list[str]:
    """The metrics a page ranks and compares units on: those where more is better, not a target
    group (a group has its own table: sprint.groups)."""
    return metrics.loc[(metrics["direction"] == "higher_is_better") & metrics["part_of"].isna(), "metric"].tolist()


def metric_labels() -> dict[str, str]:
    """Every metric's name in the chosen language, for mapping whole columns."""
    metrics = read(sprint.metrics)
    return dict(zip(metrics["metric"], metrics["name_vi" if lang() == "vi" else "name_en"]))


def unit_label(code: str | None) -> str:
    return unit_formatter()(code)


def unit_formatter(none_label: str | None = None):
    """format_func for a unit picker: the labels are looked up once, not once per option."""
    labels, none = unit_labels(), none_label or t("none")
    return lambda code: none if code is None else labels.get(code, code)


def show_rejection(rejection: sprint.ValidationError) -> None:
    """A rejected file, by the name its problems give it (a name refused for its length is cut):
    how many problems in all, then each (the first 200) as a table."""
    st.error(t("rejected", file=plain(rejection.file),
               problems=i18n.how_many(rejection.count, "problem_one", "problem_many", lang())))
    show_problems(rejection.problems)


def card_title(metric: str, status: str) -> str:
    """A figure card's first lines: the metric's name and its status badge (markdown)."""
    return f"**{plain(metric_label(metric))}**  \n{status_badge(status)}"


def status_badge(status: str) -> str:
    """The status as a coloured badge (markdown)."""
    return f":{i18n.STATUS_BADGES.get(status, 'gray')}-badge[{i18n.status_label(status, lang())}]"


def status_legend() -> str:
    """Every status as its badge: the legend of the colours used on every page."""
    return " ".join(status_badge(status) for status in i18n.STATUS)


def year_lines(row, as_of, *, since_year_end: bool = True) -> list[str]:
    """A figure's change over a year and since the end of the year before, as captions (none
    where the store has no reference history for either). A campaign that has ended compares its
    milestone day. Money figures are running totals of the year: since_year_end=False for them."""
    day = min(as_of, pd.Timestamp(row.milestone).date())
    lines = []
    if pd.notna(row.value_year_before):
        lines.append(t("year_before_line", day=i18n.day(sprint.year_before(day), lang()),
                       value=i18n.number(row.value_year_before, lang()), change=i18n.signed(row.change_year, lang()),
                       pct=i18n.signed_percent(row.change_year_pct, lang())))
    elif pd.notna(row.change_since_year_end):
        lines.append(t("year_before_none", day=i18n.day(sprint.year_before(day), lang())))
    if since_year_end and pd.notna(row.change_since_year_end):
        lines.append(t("since_year_end_line", day=i18n.day(sprint.year_end_before(day), lang()),
                       change=i18n.signed(row.change_since_year_end, lang())))
    return lines


def ceiling_badge(within: bool) -> str:
    """Lower is better: within the ceiling reads as achieved, over it as behind (the same colours)."""
    status = "achieved" if within else "behind"
    return f":{i18n.STATUS_BADGES[status]}-badge[{t('within_limit' if within else 'over_limit')}]"


def plotly_separators() -> str:
    """Plotly's decimal and thousands characters for the language (1.234.567,5 in Vietnamese)."""
    return i18n.plotly_separators(lang())


def require_data() -> bool:
    """Say so and stop drawing when the store has no counts yet."""
    if latest_date() is None:
        st.info(t("empty_store"))
        return False
    return True


def download_buttons(frame: pd.DataFrame, stem: str, key: str) -> None:
    """The frame as CSV and as Excel, each written when its button is clicked, not at every run of
    the page (the list of units yet to report, 3,000 rows on a national reporting day, took the
    page's run longer to write as a workbook than to compute)."""
    from sprint.export import csv_bytes, excel_bytes

    left, right = st.columns(2)
    left.download_button(t("download_csv"), functools.partial(csv_bytes, frame), f"{stem}.csv", "text/csv",
                         key=f"{key}-csv", width="stretch", on_click="ignore")
    right.download_button(t("download_xlsx"), functools.partial(excel_bytes, frame, stem), f"{stem}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}-xlsx", width="stretch", on_click="ignore")


def flags_table(flags: pd.DataFrame) -> None:
    """Reports that look wrong (sprint.anomalies or a file's flags), each in a sentence."""
    shown = flags.assign(metric=flags["metric"].map(metric_labels()).fillna(""), flag=i18n.flag_texts(flags, lang()))
    # the unit's name and what looks wrong first: on a phone they are what fits
    st.dataframe(shown[["unit_name", "flag", "metric", "date", "unit_code"]], hide_index=True, column_config={
        "date": date_column("count_date"), "unit_code": t("unit"), "unit_name": t("name"), "metric": t("metric"),
        "flag": t("flag")})


def table(frame: pd.DataFrame, columns: dict, kinds: dict[str, str] | None = None, **options) -> None:
    """The columns of frame as a table, in that order, each named by a label key or given its
    config. Numbers stay numbers, so a column sorts by value, and read as the page's language
    writes their kind (i18n.styled: a count unless kinds says percent, chance or status), never
    in the browser's locale as Streamlit's own number formats would."""
    config = {column: t(spec) if isinstance(spec, str) else spec for column, spec in columns.items()}
    st.dataframe(i18n.styled(frame[list(columns)], lang(), kinds), hide_index=True, column_config=config, **options)


def column(key: str, width: str | int):
    """A table's column named by a label key, at a width ("small", "medium", "large" or pixels)."""
    return st.column_config.Column(t(key), width=width)


def date_column(key: str):
    """A column of dates that sort as dates, written as the chosen language writes them."""
    return st.column_config.DateColumn(t(key), format="DD/MM/YYYY" if lang() == "vi" else "MMM D, YYYY")


def history_table(history: pd.DataFrame) -> None:
    """The upload history (sprint.upload_history) as a table in the reader's language."""
    if history.empty:
        st.caption(t("no_entries"))
        return
    language = lang()
    shown = history.assign(
        received_at=history["received_at"].map(lambda v: i18n.moment(v, language)),
        outcome=history["outcome"].map(lambda o: t(f"outcome_{o}")),
        kind=history["kind"].map(lambda k: t(f"kind_{k}")),
        uploaded_by=history["uploaded_by"].fillna(""),
    )
    table(shown, {"received_at": "received_at", "file_name": "file", "kind": "kind", "uploaded_by": "uploaded_by",
                  "rows": "row_count", "outcome": "outcome"})


def show_problems(problems) -> None:
    """Errors or warnings as the table a unit head reads: line, column, value, what is wrong. A
    static table: a long sentence wraps in its cell (a data grid cuts it off), and a problem of
    the whole file or line leaves its cells empty. st.table reads its cells as Markdown, and the
    column, the value and the sentence carry the file's own text: each is shown as written."""
    st.table(pd.DataFrame(
        [("" if p.line is None else str(p.line), plain(p.column or ""), plain(p.value or ""), plain(p.text(lang())))
         for p in problems],
        columns=[t("line"), t("column"), t("cell"), t("problem")],
    ), hide_index=True)


def role_label(role: str) -> str:
    return t(f"role_{role}")

