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


def test_templates_can_be_filled_in_part_and_ingested(scenario_con):
    """P1's template: A and B, voluntary_si (health and the others too), dated the day after the
    latest report (18/10), with the last report beside each value; filling only A's voluntary_si
    takes that one count and leaves the empty cells as not reported."""
    rows = sprint.template_rows(scenario_con, unit="P1")
    assert set(rows["unit_code"]) == {"A", "B"} and str(rows["date"].iloc[0].date()) == "2025-10-18"
    last = rows[(rows["unit_code"] == "A") & (rows["metric"] == "voluntary_si")].iloc[0]
    assert (last["last_value"], str(last["last_date"].date())) == (117, "2025-10-17")
    for wide in (False, True):
        text = counts_template(rows, wide=wide).decode("utf-8-sig")
        if wide:
            header, *lines = text.splitlines()
            column = header.split(",").index("voluntary_si")
            filled = [line.split(",") for line in lines]
            filled[0][column] = "120"
            text = "\n".join([header, *(",".join(cells) for cells in filled)]) + "\n"
        else:
            assert text.splitlines()[0] == "date,unit_code,metric,value,last_value,last_date"
            text = text.replace("2025-10-18,A,voluntary_si,,117,2025-10-17", "2025-10-18,A,voluntary_si,120,117,2025-10-17")
        result = sprint.ingest(scenario_con, text.encode(), name=f"template-{wide}.csv")
        assert result.committed and result.rows == 1 and (result.new, result.unchanged) == (1 - wide, wide)
