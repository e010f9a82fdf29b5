"""Counts files: every rule of the data contract, and all-or-nothing."""
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sprint
from sprint.ingest import counts
from conftest import DATA


BAD = sorted((DATA / "bad").glob("*.csv"))
GOOD = {
    "semicolon-dayfirst-dots.csv": {("2025-10-20", "A"): 1234, ("2025-10-21", "A"): 1240},
    "bom-crlf-quoted-commas.csv": {("2025-10-20", "A"): 1234, ("2025-10-21", "B"): 80},
    "wide.csv": {("2025-10-20", "A"): 120, ("2025-10-20", "B"): 81},
    "spaces-case-duplicate-same-value.csv": {("2025-10-20", "A"): 121},
}


def snapshot(con):
    """Everything a figure can come from, to show a rejected file changed nothing."""
    return {table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("counts", "count_history", "targets", "units")}


def stored(con, day, unit, metric="voluntary_si"):
    row = con.execute("SELECT value FROM counts WHERE date = ? AND unit_code = ? AND metric = ?",
                      [date.fromisoformat(day), unit, metric]).fetchone()
    return row and row[0]


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_file_is_rejected_with_line_column_and_reason(scenario_con, path):
    expected = [line.split("|", 2) for line in path.with_suffix(".expected").read_text().splitlines()]
    before = snapshot(scenario_con)
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, path)
    problems = caught.value.problems
    for line, column, message in expected:
        assert any((str(p.line) if p.line is not None else "-") == line
                   and (p.column or "-") == column and message in p.message for p in problems), \
            f"{path.name}: no problem at line {line}, column {column} saying '{message}': {problems}"
    assert all(p.file == path.name for p in problems)
    assert snapshot(scenario_con) == before
    rejected = scenario_con.execute(
        "SELECT outcome, file_name FROM uploads ORDER BY upload_id DESC LIMIT 1").fetchone()
    assert rejected == ("rejected", path.name)


def test_the_corpus_covers_every_error_of_the_contract():
    assert len(BAD) >= 15


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_files(scenario_con, name):
    result = sprint.ingest(scenario_con, DATA / "good" / name)
    assert result.committed
    for (day, unit), value in GOOD[name].items():
        assert stored(scenario_con, day, unit) == value


@pytest.mark.parametrize("quoted", [False, True])
def test_a_line_sent_twice_is_one_count(scenario_con, quoted):
    """The same (date, unit, metric, value) on two lines (quoted or not: two ways of staging) is
    one report: one row in counts, one new row in the result, and a later correction finds it."""
    line = '"2025-10-20","A","voluntary_si","125"' if quoted else "2025-10-20,A,voluntary_si,125"
    text = f"date,unit_code,metric,value\n{line}\n2025-10-20,B,voluntary_si,80\n{line}\n"
    result = sprint.ingest(scenario_con, text.encode(), name="twice.csv")
    assert (result.rows, result.new) == (2, 2)
    keys = scenario_con.execute("""SELECT count(*) FROM counts WHERE date = '2025-10-20' AND unit_code = 'A'
                                   AND metric = 'voluntary_si'""").fetchall()
    assert keys == [(1,)] and stored(scenario_con, "2025-10-20", "A") == 125
    corrected = sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-20,A,voluntary_si,126\n", name="fix.csv")
    assert (corrected.new, corrected.corrected) == (0, 1) and stored(scenario_con, "2025-10-20", "A") == 126


def test_wide_form_takes_every_metric_column(scenario_con):
    sprint.ingest(scenario_con, DATA / "good" / "wide.csv")
    assert stored(scenario_con, "2025-10-20", "A", "health") == 300
    assert stored(scenario_con, "2025-10-20", "B", "health") is None  # empty cell: not reported


def test_resending_a_file_changes_nothing(scenario_con):
    path = DATA / "good" / "wide.csv"
    first = sprint.ingest(scenario_con, path)
    before = snapshot(scenario_con)
    again = sprint.ingest(scenario_con, path)
    assert again.already_taken and again.upload_id == first.upload_id
    assert "already taken" in again.summary()
    assert snapshot(scenario_con) == before


def test_a_correction_keeps_the_old_value_in_the_history(scenario_con):
    history = scenario_con.execute(
        """SELECT h.value, u.file_name FROM upload_rows h JOIN uploads u USING (upload_id)
           WHERE h.unit_code = 'A' AND h.date = '2025-10-17' ORDER BY h.upload_id""").fetchall()
    assert history == [(118, "counts-1.csv"), (117, "counts-2-correction.csv")]
    assert stored(scenario_con, "2025-10-17", "A") == 117


def test_ingest_reports_new_corrected_unchanged(scenario_con):
    result = sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-17,A,voluntary_si,117\n"
                           b"2025-10-17,B,voluntary_si,77\n2025-10-15,B,voluntary_si,75\n", name="mix.csv")
    assert (result.rows, result.new, result.corrected, result.unchanged) == (3, 1, 1, 1)


def test_a_date_in_the_future_is_rejected_using_vietnam_today(scenario_con):
    with pytest.raises(sprint.ValidationError, match="in the future"):
        sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-21,A,voluntary_si,5\n",
                      name="f.csv", today=date(2025, 10, 20))


def test_large_jumps_and_drops_are_warnings_not_errors(scenario_con):
    result = sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-20,A,voluntary_si,200\n"
                           b"2025-10-20,B,voluntary_si,50\n2025-10-20,F,voluntary_si,41\n", name="j.csv")
    assert result.committed
    messages = {(w.line, w.message.split(" by ")[0]) for w in result.warnings}
    assert messages == {(2, "this count jumps"), (3, "this count drops")}
    assert "70.9 %" in result.warnings[0].message  # 117 -> 200


def test_a_file_of_several_days_compares_each_row_with_the_day_before_it_in_the_file(scenario_con):
    """A stored 117 before 20/10; the file says 200 on 20/10 (70.9 % up on the store) and 420 on
    21/10, which is compared with the file's own 200 (110.0 %), not with the stored 117."""
    result = sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-20,A,voluntary_si,200\n"
                           b"2025-10-21,A,voluntary_si,420\n", name="two-days.csv", commit=False)
    assert [(w.line, w.message.split(" by ")[0]) for w in result.warnings] == [
        (2, "this count jumps"), (3, "this count jumps")]
    assert "70.9 %" in result.warnings[0].message
    assert "110.0 %" in result.warnings[1].message and "20/10/2025" in result.warnings[1].message


def test_a_correction_is_compared_with_the_report_before_it(scenario_con):
    """B reported 70 on 10-10 and 76 on 10-15; correcting 10-15 to 150 jumps from 70, not from 76
    (the value it replaces), and the check says one row is corrected."""
    result = sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-15,B,voluntary_si,150\n",
                           name="fix.csv", commit=False)
    assert (result.new, result.corrected) == (0, 1)
    assert [w.message.split(" by ")[0] for w in result.warnings] == ["this count jumps"]
    assert "114.3 %" in result.warnings[0].message and "10/10/2025" in result.warnings[0].message  # 70 -> 150


def test_check_without_commit_changes_nothing(scenario_con):
    before = snapshot(scenario_con)
    result = sprint.ingest(scenario_con, DATA / "good" / "wide.csv", commit=False)
    assert not result.committed and result.rows == 5  # A: four metrics, B: one
    assert len(result.preview) == 5
    assert snapshot(scenario_con) == before


def test_excel_file_with_the_same_columns(scenario_con, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "unit_code", "metric", "value"])
    sheet.append([date(2025, 10, 20), "A", "voluntary_si", 130])
    sheet.append(["21/10/2025", "B", "voluntary_si", "1.001"])
    path = tmp_path / "day.xlsx"
    book.save(path)
    assert sprint.ingest(scenario_con, path).committed
    assert stored(scenario_con, "2025-10-20", "A") == 130
    assert stored(scenario_con, "2025-10-21", "B") == 1001


def test_excel_errors_name_the_row(scenario_con, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["date", "unit_code", "metric", "value"])
    book.active.append([date(2025, 10, 20), "A", "voluntary_si", 12.5])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, path)
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, "value")]


def workbook(path, *sheets):
    """An .xlsx with (title, state, rows) sheets, saved at path."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, state, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


HEADER_ROW = ["date", "unit_code", "metric", "value"]


def test_excel_reads_the_visible_sheet_not_a_hidden_first_one(scenario_con, tmp_path):
    path = workbook(tmp_path / "day.xlsx",
                    ("old", "hidden", [HEADER_ROW, ["2025-10-20", "A", "voluntary_si", 999]]),
                    ("today", "visible", [HEADER_ROW, ["2025-10-20", "A", "voluntary_si", 130]]))
    assert sprint.ingest(scenario_con, path).committed
    assert stored(scenario_con, "2025-10-20", "A") == 130


@pytest.mark.parametrize("cell, message", [
    ("=NA()", "this cell holds a formula Excel has not calculated"),
    ("=1/0", "this cell holds a formula Excel has not calculated"),
])
def test_excel_formula_without_a_value_is_not_a_blank(scenario_con, tmp_path, cell, message):
    path = workbook(tmp_path / "day.xlsx", ("today", "visible", [
        HEADER_ROW, ["2025-10-20", "A", "voluntary_si", 130], ["2025-10-20", "B", "voluntary_si", cell]]))
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, path)
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "value")]
    assert caught.value.problems[0].message.startswith(message)


def test_excel_error_cell_is_not_a_blank(scenario_con, tmp_path):
    import openpyxl

    path = workbook(tmp_path / "day.xlsx", ("today", "visible", [HEADER_ROW, ["2025-10-20", "A", "voluntary_si", 1]]))
    book = openpyxl.load_workbook(path)
    book["today"]["D2"].value, book["today"]["D2"].data_type = "#N/A", "e"  # as Excel saves a failed lookup
    book.save(path)
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, path)
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, "value")]
    assert "this cell is an Excel error (#N/A)" in caught.value.problems[0].message


def test_excel_with_data_on_a_second_sheet_says_so(scenario_con, tmp_path):
    path = workbook(tmp_path / "day.xlsx",
                    ("Đắk Lắk", "visible", [HEADER_ROW, ["2025-10-20", "A", "voluntary_si", 130]]),
                    ("Quảng Ninh", "visible", [HEADER_ROW, ["2025-10-20", "B", "voluntary_si", 80]]))
    with pytest.raises(sprint.ValidationError, match="the sheet 'Quảng Ninh' holds data too, but only 'Đắk Lắk' is read"):
        sprint.ingest(scenario_con, path)


def test_a_damaged_workbook_is_a_clear_error(scenario_con):
    with pytest.raises(sprint.ValidationError, match="cannot be read"):
        sprint.ingest(scenario_con, b"PK\x03\x04 not really a zip", name="broken.xlsx")


def test_units_file_adds_and_updates(con):
    sprint.load_units(con, b"unit_code,name,parent_code,population\nP,Prov,VN,1.000\nQ,Other,VN,\n", name="u.csv")
    sprint.load_units(con, b"unit_code,name,parent_code\nP,Province renamed,VN\nP-1,Leaf,Q\n", name="u2.csv")
    rows = con.execute("SELECT unit_code, name, parent_code, population FROM units ORDER BY 1").fetchall()
    assert rows == [("P", "Province renamed", "VN", 1000), ("P-1", "Leaf", "Q", None),
                    ("Q", "Other", "VN", None), ("VN", "Bảo hiểm xã hội Việt Nam", None, None)]


@pytest.mark.parametrize("text, line, column, message", [
    ("X,Loop,Y\nY,Loop,X\n", 2, "parent_code", "cycle"),
    ("X,Orphan,NOWHERE\n", 2, "parent_code", "unknown parent"),
    ("X,Second root,\n", 2, "parent_code", "only VN, the root, has no parent"),
    ("VN,Root,X\nX,Child,VN\n", 2, "parent_code", "VN is the root"),
    ("X,One,VN\nX,Two,VN\n", 3, "unit_code", "more than once"),
    ("X,,VN\n", 2, "name", "name is missing"),
])
def test_units_file_rejections(con, text, line, column, message):
    before = snapshot(con)
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.load_units(con, ("unit_code,name,parent_code\n" + text).encode(), name="units.csv")
    assert any(p.line == line and p.column == column and message in p.message
               for p in caught.value.problems), caught.value.problems
    assert snapshot(con) == before


@pytest.mark.parametrize("text, line, message", [
    ("A-1,Under A,A\n", 2, "unit A has reports of its own, so it cannot get sub-units"),
    ("B,Leaf B,P2\n", 2, "moving it under P2 (it is under P1) would change both totals"),
    ("P1,Province One,P2\n", 2, "moving it under P2 (it is under VN)"),
])
def test_units_file_cannot_hide_or_move_reported_counts(scenario_con, text, line, message):
    """A leaf with reports turned into a parent would drop its reports from every total, silently;
    a unit with reports moved would change two totals: both are rejected, naming the line."""
    before = snapshot(scenario_con)
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.load_units(scenario_con, ("unit_code,name,parent_code\n" + text).encode(), name="units.csv")
    assert any(p.line == line and p.column == "parent_code" and message in p.message
               for p in caught.value.problems), caught.value.problems
    assert snapshot(scenario_con) == before


def test_units_file_may_add_under_a_parent_and_rename_a_unit_with_reports(scenario_con):
    sprint.load_units(scenario_con, b"unit_code,name,parent_code\nP1-NEW,New leaf,P1\nA,Leaf A renamed,P1\n",
                      name="units.csv")
    assert scenario_con.execute("SELECT name FROM units WHERE unit_code = 'A'").fetchall() == [("Leaf A renamed",)]


def test_targets_file_replaces_the_campaign_targets(scenario_con):
    assert scenario_con.execute("SELECT count(*) FROM targets").fetchone()[0] == 12
    sprint.load_targets(scenario_con, b"unit_code,metric,milestone,target\nA,health,30/11/2025,1.000\n", name="t.csv",
                        replace_all=True)
    assert scenario_con.execute("SELECT unit_code, metric, target FROM targets").fetchall() == [("A", "health", 1000)]


def test_a_targets_file_that_would_drop_targets_says_which_and_waits_for_confirmation(con):
    """One line would replace every target of the campaign, the dispatch's national ones too."""
    one_line = b"unit_code,metric,milestone,target\nVN,unemployment,2025-12-31,15600000\n"
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.load_targets(con, one_line, name="t.csv")
    assert caught.value.problems[0].message.startswith(
        "this file would drop 6 targets the campaign has (VN compulsory_si 30/11/2025, VN compulsory_si 31/12/2025, "
        "VN health 30/11/2025, VN health 31/12/2025, VN voluntary_si 30/11/2025…)")
    assert con.execute("SELECT count(*) FROM targets").fetchall() == [(6,)]
    sprint.load_targets(con, one_line, name="t.csv", replace_all=True)
    assert con.execute("SELECT unit_code, metric FROM targets").fetchall() == [("VN", "unemployment")]


def test_a_milestone_must_be_one_of_the_campaigns(scenario_con):
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.load_targets(scenario_con, b"unit_code,metric,milestone,target\nA,health,2025-11-15,10\n",
                            name="t.csv", replace_all=True)
    assert [(p.line, p.column, p.message) for p in caught.value.problems] == [
        (2, "milestone", "this date is not one of the campaign's milestones: 31/10/2025, 30/11/2025, 31/12/2025")]


def test_a_targets_file_without_national_rows_stays_whole_after_init_again(scenario_con):
    sprint.init_store(scenario_con)  # what the dashboard does at every start
    assert scenario_con.execute("SELECT count(*) FROM targets WHERE unit_code = 'VN'").fetchall() == [(0,)]


def test_init_loads_the_national_targets_of_the_dispatch(con):
    targets = dict(con.execute(
        "SELECT metric || ' ' || milestone, target FROM targets WHERE unit_code = 'VN'").fetchall())
    assert targets == {
        "compulsory_si 2025-11-30": 17_449_773, "voluntary_si 2025-11-30": 2_890_152,
        "health 2025-11-30": 96_324_472, "compulsory_si 2025-12-31": 17_515_946,
        "voluntary_si 2025-12-31": 2_947_418, "health 2025-12-31": 96_505_880,
    }


@pytest.mark.parametrize("text, column, message", [
    ("A,voluntary_si,2025-06-30,5\n", "milestone", "in no campaign"),
    ("A,voluntary_si,2025-10-31,-5\n", "target", "cannot be negative"),
    ("ZZ,voluntary_si,2025-10-31,5\n", "unit_code", "unknown unit"),
    ("A,pension,2025-10-31,5\n", "metric", "unknown metric"),
])
def test_targets_file_rejections(scenario_con, text, column, message):
    before = snapshot(scenario_con)
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.load_targets(scenario_con, ("unit_code,metric,milestone,target\n" + text).encode(), name="t.csv")
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, column)]
    assert message in caught.value.problems[0].message
    assert snapshot(scenario_con) == before


def test_a_later_campaign_is_data(con, tmp_path):
    spec = Path(sprint.campaigns.CAMPAIGNS_DIR / "2025-dispatch-2440.json").read_text()
    path = tmp_path / "2026.json"
    path.write_text(spec.replace('"2025"', '"2026"').replace("2025-", "2026-"))
    sprint.load_campaign(con, path, by="cli:clerk")
    assert sprint.campaign_for(con, date(2026, 11, 1))["campaign_id"] == "2026"
    assert sprint.campaign_for(con, date(2025, 11, 1))["campaign_id"] == "2025"
    logged = sprint.audit_log(con, kind="campaign")
    assert logged[["account", "outcome", "file_name", "detail"]].values.tolist() == [
        ["cli:clerk", "added", "2026.json", "2026"]]


def test_the_error_list_is_capped_with_a_count(scenario_con):
    rows = "".join(f"2025-10-17,A,voluntary_si,-{n}\n" for n in range(1, 451))
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, ("date,unit_code,metric,value\n" + rows).encode(), name="many.csv")
    problems = caught.value.problems
    assert len(problems) == 201 and problems[199].line == 201
    assert problems[-1].message == "and 250 more problems; the first 200 are listed above"
    assert str(caught.value).startswith("many.csv was rejected (450 problems); nothing was saved.")
    assert len(str(caught.value).splitlines()) == 202


@pytest.mark.parametrize("change, message", [
    (lambda c: c.pop("baseline"), "baseline: missing"),
    (lambda c: c["targets"][0].update(target="lots"), "targets[0].target: 'lots' is not a whole number"),
    (lambda c: c["targets"][0].update(target=-5), "targets[0].target: -5 is not a whole number"),
    (lambda c: c["targets"][0].update(unit_code="NOPE"), "targets[0].unit_code: unknown unit 'NOPE'"),
    (lambda c: c["targets"][0].update(metric="pension"), "targets[0].metric: unknown metric 'pension'"),
    (lambda c: c["targets"][0].update(milestone="2025-11-15"), "targets[0].milestone: 2025-11-15 is not one of"),
    (lambda c: c.update(baseline="2026-01-31"), "phases[0].milestone: on or before the baseline"),
    (lambda c: c["phases"][0].update(starts="31/10/2025"), "phases[0].starts: '31/10/2025' is not a date"),
    (lambda c: c["targets"][0].update(unit_code=["VN"]), "targets[0].unit_code: ['VN'] is not a code written as text"),
])
def test_a_bad_campaign_file_is_refused_naming_every_problem(con, tmp_path, change, message):
    import json

    from sprint.campaigns import CAMPAIGNS_DIR

    campaign = json.loads(next(CAMPAIGNS_DIR.glob("2025-*.json")).read_text(encoding="utf-8"))
    campaign["campaign_id"] = "2026-test"
    change(campaign)
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(campaign), encoding="utf-8")
    before = snapshot(con)
    with pytest.raises(sprint.SprintError, match="is not a valid campaign file; nothing was loaded") as caught:
        sprint.load_campaign(con, path)
    assert message in str(caught.value)
    assert snapshot(con) == before
    assert con.execute("SELECT count(*) FROM campaigns WHERE campaign_id = '2026-test'").fetchall() == [(0,)]


def test_a_line_over_two_million_characters_names_its_line_and_column(scenario_con):
    huge = ("date,unit_code,metric,value\n2025-10-17,A,voluntary_si,1\n2025-10-17,B,voluntary_si,"
            + "9" * 2_100_000 + "\n2025-10-17,B,health,5\n").encode()
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, huge, name="pasted.csv")
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "value")]
    assert caught.value.problems[0].message.startswith("this line is longer than 2,000,000 characters")


def test_a_quoted_cell_longer_than_pythons_default_csv_limit_is_read_whole(scenario_con):
    note = "x" * 200_000  # no count, but the file's other rows must not be lost for it
    text = f'date,unit_code,metric,value\n2025-10-17,A,voluntary_si,"{note}"\n2025-10-17,B,voluntary_si,-3\n'
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, text.encode(), name="note.csv")
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, "value"), (3, "value")]


def test_the_history_of_a_unit_covers_its_whole_subtree(scenario_con):
    names = lambda unit: set(sprint.upload_history(scenario_con, unit=unit)["file_name"])  # noqa: E731
    assert names("VN") == names("P1") | names("P2") and "counts-1.csv" in names("VN")
    assert "counts-1.csv" in names("A")


CELLS = {
    "date": ["2025-10-20", "20/10/2025", "2025-13-01", "", "2027-01-01", "2024-10-20", "20-10-2025"],
    "unit_code": ["A", "B", "P1", "NOPE", ""],
    "metric": ["voluntary_si", "health", "health.students", "pension", "social_insurance", ""],
    "value": ["12", "1.234", "0,500", "-3", "1.5", "12,34", "99999999999999", "abc", ""],
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(*(st.sampled_from(CELLS[c]) for c in ("date", "unit_code", "metric", "value"))),
                min_size=1, max_size=6),
       st.sampled_from([None, "VN", "P1", "A", "B"]), st.booleans())
@example(rows=[("", "", "", "")], scope=None, reference=False)
def test_the_clean_file_pass_agrees_with_the_check_that_names_problems(scenario_con, rows, scope, reference):
    """COUNTS_CLEAN_SQL (_clean_check) restates COUNTS_CHECK_SQL's rules in one cheap pass, for any sender's
    scope, for daily reports and reference history: they must always agree, or a bad file would be taken."""
    lines = ["date,unit_code,metric,value"] + [",".join(f'"{cell}"' for cell in row) for row in rows]
    cur = scenario_con.cursor()
    if all(not any(row) for row in rows):  # blank rows only: refused when staged, before either check
        with pytest.raises(sprint.ValidationError, match="rejected"):
            counts._stage_counts(cur, "\n".join(lines).encode(), "f.csv")
        return
    counts._stage_counts(cur, "\n".join(lines).encode(), "f.csv")
    today = {"today": date(2026, 11, 24), "scope": scope, "reference": reference}
    clean, repeated = counts._clean_check(cur, **today)
    named = cur.execute(counts.COUNTS_CHECK_SQL.format(
        number_problem=counts.number_problem_sql("value_raw", "count")), today).fetchall()
    assert clean == (not named), (rows, named)
    if clean:  # a key on several lines must be folded before the stored-report lookup
        keys = [(d.replace("20/10/2025", "2025-10-20"), u, m)
                for d, u, m, v in rows if v]
        assert repeated == (len(keys) != len(set(keys)))
