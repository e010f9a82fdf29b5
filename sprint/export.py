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


def counts_template(units: list[str], metrics: list[str], day, *, wide: bool) -> bytes:
    """A ready-to-fill counts file for these leaf units: long (one metric a row) or wide."""
    if wide:
        frame = pd.DataFrame({"date": day.isoformat(), "unit_code": units, **{m: "" for m in metrics}})
    else:
        frame = pd.MultiIndex.from_product([units, metrics], names=["unit_code", "metric"]).to_frame(index=False)
        frame.insert(0, "date", day.isoformat())
        frame["value"] = ""
    return frame.to_csv(index=False).encode("utf-8-sig")
