"""Downloads: formula-looking cells are neutralised; templates are valid files."""
from datetime import date
from io import BytesIO

import pandas as pd

import sprint
from sprint.export import counts_template, csv_bytes, excel_bytes, spreadsheet_safe


def test_formula_cells_are_neutralised():
    frame = pd.DataFrame({"unit_name": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "Ea Kar"], "score": [1, 2, 3, 4, -5]})
    safe = spreadsheet_safe(frame)
    assert safe["unit_name"].tolist() == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "Ea Kar"]
    assert safe["score"].tolist() == [1, 2, 3, 4, -5]
    assert csv_bytes(frame).decode("utf-8-sig").splitlines()[1].startswith("\"'=HYPERLINK")


def test_excel_download_reads_back():
    frame = pd.DataFrame({"unit_name": ["=cmd", "Đắk Lắk"], "score": [90.5, 80.25]})
    back = pd.read_excel(BytesIO(excel_bytes(frame)), engine="openpyxl")
    assert back["unit_name"].tolist() == ["'=cmd", "Đắk Lắk"]
    assert back["score"].tolist() == [90.5, 80.25]


def test_templates_can_be_filled_and_ingested(scenario_con):
    for wide in (False, True):
        text = counts_template(["A", "B"], ["voluntary_si"], date(2025, 10, 20), wide=wide).decode("utf-8-sig")
        filled = text.replace("voluntary_si,\r\n", "voluntary_si,5\r\n").replace("voluntary_si,\n", "voluntary_si,5\n")
        if wide:
            filled = filled.replace(",A,\n", ",A,5\n").replace(",B,\n", ",B,6\n")
        result = sprint.ingest(scenario_con, filled.encode(), name=f"template-{wide}.csv")
        assert result.committed and result.rows == 2
