"""Tables out: CSV and Excel downloads that a spreadsheet cannot mistake for formulas."""
from __future__ import annotations

import io
import unicodedata

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = frozenset("=+-@")


def _invisible(character: str) -> bool:
    """A blank (space, tab, line feed, no-break or ideographic space), a control or format
    character (zero-width space, byte-order mark) or one with no glyph (unassigned, private
    use): a spreadsheet may skip it before reading a formula, so the rule looks past it."""
    return character.isspace() or unicodedata.category(character)[0] in "CZ"


def formula_like(value) -> bool:
    """Whether a spreadsheet could read this cell as a formula: text whose first visible
    character, with full-width and other compatibility forms read as the plain ones (NFKC: ＝ is
    =, ＋ is +), is = + - or @."""
    if not isinstance(value, str):
        return False
    first = next((c for c in unicodedata.normalize("NFKC", value) if not _invisible(c)), "")
    return first in FORMULA_STARTS


def _neutral(value):
    return "'" + value if formula_like(value) else value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells (and column names) that are formula_like get a leading apostrophe (OWASP's CSV
    injection advice); numbers stay numbers, and a categorical column is exported as its values."""
    safe = frame.copy()
    safe.columns = safe.columns.map(_neutral)
    for position in range(safe.shape[1]):
        values = safe.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            safe.isetitem(position, values.map(_neutral))
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM, so Excel opens Vietnamese names correctly; lines end in CR LF (RFC 4180),
    which also makes the writer quote a cell holding a lone CR instead of breaking its row."""
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _xlsx_text(value):
    """Text as a worksheet can hold it: without the control characters openpyxl refuses (the
    rule of spreadsheet_safe already looked past them, so none of them hides a formula)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def excel_bytes(frame: pd.DataFrame, sheet: str = "sprint") -> bytes:
    """An .xlsx of the frame in which every text cell is text: openpyxl would make a formula of
    text starting with = (spreadsheet_safe leaves none) and an error cell of "#N/A" or "#REF!"."""
    buffer = io.BytesIO()
    plain = spreadsheet_safe(frame)
    plain.columns = plain.columns.map(_xlsx_text)
    for position in range(plain.shape[1]):
        values = plain.iloc[:, position]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            plain.isetitem(position, values.dt.tz_localize(None))
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            plain.isetitem(position, values.map(_xlsx_text))
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        plain.to_excel(writer, index=False, sheet_name=sheet[:31])
        for row in writer.sheets[sheet[:31]].iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    return buffer.getvalue()


def counts_template(rows: pd.DataFrame, *, wide: bool) -> bytes:
    """The template of sprint.template_rows (or of sprint.network_template: collector_code and
    the collector's name instead of unit_code) as a file to fill: long (one metric a row, with the
    last report beside each empty value) or wide (one row per unit, a column per metric). An
    empty cell left in either form means "not reported"."""
    frame = rows.assign(date=pd.to_datetime(rows["date"]).dt.strftime("%Y-%m-%d"))
    keys = ["collector_code", "name"] if "collector_code" in rows else ["unit_code"]
    if wide:
        frame = frame.pivot(index=["date", *keys], columns="metric", values="value")
        frame = frame[list(dict.fromkeys(rows["metric"]))].reset_index()
    else:
        frame = frame.assign(last_date=pd.to_datetime(frame["last_date"]).dt.strftime("%Y-%m-%d"))
        frame = frame[["date", *keys, "metric", "value", "last_value", "last_date"]]
    return frame.to_csv(index=False).encode("utf-8-sig")
