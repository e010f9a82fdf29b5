"""Downloads: formula-looking cells are neutralised; templates are valid files."""
import csv
import io
import unicodedata
from io import BytesIO

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def starts_a_formula(cell) -> bool:
    """What a spreadsheet could take for a formula: text that, in its compatibility forms (NFKC:
    ＝ is =) and past every blank, control or format character, begins with = + - or @."""
    if not isinstance(cell, str):
        return False
    visible = [c for c in unicodedata.normalize("NFKC", cell)
               if not (c.isspace() or unicodedata.category(c)[0] in "CZ")]
    return bool(visible) and visible[0] in "=+-@"


def csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_cells(data: bytes) -> list[list]:
    """Every cell of the first sheet, header row included, as openpyxl reads it back."""
    return [list(row) for row in openpyxl.load_workbook(BytesIO(data)).active.iter_rows()]


@pytest.mark.parametrize("text", [
    " =1+1", "\n=1+1", "\r\n@SUM(A1)", "\t-2", "\u3000=1", "\u00a0+1", "\u200b=1", "\ufeff=1", "\x01=1",
    "＝HYPERLINK(\"x\")", "＋1", "－1", "＠SUM(A1)", " ＝1", "﹦1", "﹢1", "﹣1", "﹫x",
])
def test_a_formula_behind_blanks_or_in_full_width_is_neutralised(text):
    frame = pd.DataFrame({"unit_name": [text]})
    assert spreadsheet_safe(frame)["unit_name"].tolist() == ["'" + text]
    assert csv_cells(csv_bytes(frame))[1] == ["'" + text]
    [cell] = xlsx_cells(excel_bytes(frame))[1]
    assert cell.data_type == "s" and cell.value.startswith("'") and not starts_a_formula(cell.value)


@pytest.mark.parametrize("text", ["Ea Kar", "a=b", "", "   ", "'=quoted already", "1-2", "e@mail.vn", "Đắk Lắk"])
def test_text_that_is_no_formula_is_left_alone(text):
    assert spreadsheet_safe(pd.DataFrame({"unit_name": [text]}))["unit_name"].tolist() == [text]


def test_the_excel_file_holds_text_where_openpyxl_would_write_a_formula():
    frame = pd.DataFrame({"=HYPERLINK(\"x\")": ["=1+1", "=cmd|' /C calc'!A0"], "score": [-1, 2.5]})
    header, *rows = xlsx_cells(excel_bytes(frame))
    assert [c.value for c in header] == ["'=HYPERLINK(\"x\")", "score"] and header[0].data_type == "s"
    assert [(c.data_type, c.value) for c, _ in rows] == [("s", "'=1+1"), ("s", "'=cmd|' /C calc'!A0")]
    assert [(c.data_type, c.value) for _, c in rows] == [("n", -1), ("n", 2.5)]


def test_a_name_like_an_excel_error_stays_text():
    rows = xlsx_cells(excel_bytes(pd.DataFrame({"unit_name": ["#N/A", "#REF!", "TRUE"]})))[1:]
    assert [(row[0].data_type, row[0].value) for row in rows] == [("s", "#N/A"), ("s", "#REF!"), ("s", "TRUE")]


def test_categorical_and_numeric_columns_export():
    frame = pd.DataFrame({"status": pd.Categorical(["=cmd", "behind", "=cmd", None]),
                          "rank": pd.Categorical([3, 1, 2, 1]),
                          "count": pd.array([-5, 7, None, 0], dtype="Int64"), "rate": [-0.5, 1.25, 2.0, 3.0]})
    safe = spreadsheet_safe(frame)
    assert safe["status"].tolist()[:3] == ["'=cmd", "behind", "'=cmd"] and pd.isna(safe["status"].iloc[3])
    assert safe["rank"].tolist() == [3, 1, 2, 1] and safe["rate"].tolist() == [-0.5, 1.25, 2.0, 3.0]
    assert csv_cells(csv_bytes(frame))[1:] == [["'=cmd", "3", "-5", "-0.5"], ["behind", "1", "7", "1.25"],
                                               ["'=cmd", "2", "", "2.0"], ["", "1", "0", "3.0"]]
    rows = xlsx_cells(excel_bytes(frame))[1:]
    assert [[c.value for c in row] for row in rows] == [["'=cmd", 3, -5, -0.5], ["behind", 1, 7, 1.25],
                                                       ["'=cmd", 2, None, 2], [None, 1, 0, 3]]
    assert {c.data_type for row in rows for c in row[1:] if c.value is not None} == {"n"}


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(), min_size=1, max_size=8))
def test_no_string_comes_out_as_a_formula(texts):
    """Any text: the CSV cell is it, or it behind an apostrophe, and never starts a formula; the
    Excel cell is text (or empty) and never starts a formula."""
    frame = pd.DataFrame({"cell": texts})
    for text, (cell,) in zip(texts, csv_cells(csv_bytes(frame))[1:]):
        assert cell in (text, "'" + text) and not starts_a_formula(cell)
        assert (cell == text) != starts_a_formula(text)
    for (cell,) in xlsx_cells(excel_bytes(frame))[1:]:
        assert cell.value is None or (cell.data_type == "s" and not starts_a_formula(cell.value))


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


def test_templates_ask_for_the_money_the_progress_page_judges(demo_con):
    """Revenue and late-payment debt (million VND) are judged on the progress page (revenue against
    plan, the late-payment rate against its ceiling): both templates ask for them, after the people,
    then the dispatch's target groups; never social insurance, all (the sum of two of them); and a
    filled one is taken."""
    rows = sprint.template_rows(demo_con, unit="66-EAKAR")
    groups = [f"compulsory_si.{g}" for g in ("household_business", "unpaid_managers", "militia", "part_time_cadres")] \
        + [f"health.{g}" for g in ("social_pension", "family", "students", "farm_households")]
    assert rows["metric"].tolist() == ["compulsory_si", "voluntary_si", "unemployment", "health", "revenue", "late_debt",
                                       *groups]
    money = rows.set_index("metric").loc[["revenue", "late_debt"]]
    assert money["last_value"].notna().all()  # the unit's last report of each, for reference
    wide = counts_template(rows, wide=True).decode("utf-8-sig").splitlines()
    assert wide[0] == ",".join(["date,unit_code,compulsory_si,voluntary_si,unemployment,health,revenue,late_debt", *groups])
    day = wide[1].split(",")[0]
    filled = (f"{day},66-EAKAR,,,,,{money.loc['revenue', 'last_value'] + 900},{money.loc['late_debt', 'last_value'] - 40}"
              + "," * len(groups) + "\n")  # the groups' cells left empty
    result = sprint.ingest(demo_con, f"{wide[0]}\n{filled}".encode(), name="money.csv")
    assert result.committed and result.rows == 2
    long = counts_template(rows, wide=False).decode("utf-8-sig").splitlines()
    assert [line.split(",")[2] for line in long[5:7]] == ["revenue", "late_debt"]
