"""Tables out: CSV and Excel downloads that a spreadsheet cannot mistake for formulas."""
from __future__ import annotations

import io

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that start with = + - @ get a leading apostrophe (OWASP's CSV injection advice);
    numbers stay numbers."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            text = safe[column]
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
            safe[column] = text.where(~risky, "'" + text.astype(str))
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM, so Excel opens Vietnamese names correctly."""
    return spreadsheet_safe(frame).to_csv(index=False).encode("utf-8-sig")


def excel_bytes(frame: pd.DataFrame, sheet: str = "sprint") -> bytes:
    buffer = io.BytesIO()
    plain = spreadsheet_safe(frame)
    for column in plain.columns:
        if isinstance(plain[column].dtype, pd.DatetimeTZDtype):
            plain[column] = plain[column].dt.tz_localize(None)
    plain.to_excel(buffer, index=False, sheet_name=sheet[:31], engine="openpyxl")
    return buffer.getvalue()


def counts_template(rows: pd.DataFrame, *, wide: bool) -> bytes:
    """The template of sprint.template_rows as a file to fill: long (one metric a row, with the
    last report beside each empty value) or wide (one row per unit, a column per metric). An
    empty cell left in either form means "not reported"."""
    frame = rows.assign(date=pd.to_datetime(rows["date"]).dt.strftime("%Y-%m-%d"))
    if wide:
        frame = frame.pivot(index=["date", "unit_code"], columns="metric", values="value")
        frame = frame[list(dict.fromkeys(rows["metric"]))].reset_index()
    else:
        frame = frame.assign(last_date=pd.to_datetime(frame["last_date"]).dt.strftime("%Y-%m-%d"))
        frame = frame[["date", "unit_code", "metric", "value", "last_value", "last_date"]]
    return frame.to_csv(index=False).encode("utf-8-sig")
