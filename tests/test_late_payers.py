"""Late payers by employer (issue 23, item 2), with numbers computed by hand.

VN → P1 (A, B). On 15/10/2025 A lists E1 (5,000,000 VND, 2 months) and E2 (12,000,000, 4 months),
B lists E3 (1,500,000, 3 months). On 31/10 A lists E1 (7,000,000, 3 months) and E4 (2,000,000,
1 month): E1 grew, E4 is new, E2 has paid. B sends no new list: its list is still 15/10's. Their
late-payment debt as reported on 31/10: A 9, B 2 million VND (P1 11), against 10.5 million listed.
"""
import subprocess
from datetime import date

import pytest

import sprint
from sprint.late_payers import PUBLISHED, published_pdf

AS_OF = date(2025, 10, 31)
UNITS = b"unit_code,name,parent_code\nVN,Nation,\nP1,Province 1,VN\nA,Commune A,P1\nB,Commune B,P1\n"
TARGETS = b"unit_code,metric,milestone,target\nA,revenue,2025-12-31,900\nB,revenue,2025-12-31,100\nP1,revenue,2025-12-31,1000\n"
COUNTS = b"date,unit_code,metric,value\n2025-10-31,A,late_debt,9\n2025-10-31,B,late_debt,2\n"
FIRST = """date,unit_code,employer_code,employer_name,amount,months_late
2025-10-15,A,E1,Công ty An,5.000.000,2
2025-10-15,A,E2,Công ty Bình,12000000,4
2025-10-15,B,E3,HTX Cường,1500000,3
""".encode()
SECOND = """date,unit_code,employer_code,employer_name,amount,months_late
2025-10-31,A,E1,Công ty An,7000000,3
2025-10-31,A,E4,Công ty Dũng,2000000,1
""".encode()


@pytest.fixture
def payers_con(con):
    sprint.load_units(con, UNITS, name="units.csv")
    sprint.load_targets(con, TARGETS, name="targets.csv", replace_all=True)
    sprint.ingest(con, COUNTS, name="counts.csv")
    assert sprint.ingest_late_payers(con, FIRST, name="no-15-10.csv").committed
    assert sprint.ingest_late_payers(con, SECOND, name="no-31-10.csv").committed
    return con


def test_the_list_to_chase_by_amount_then_age_with_what_changed(payers_con):
    listed = sprint.late_payers(payers_con, as_of=AS_OF, unit="P1")
    assert listed[["employer_code", "amount", "months_late", "change", "unit_code"]].values.tolist() == [
        ["E1", 7_000_000, 3, "grew", "A"], ["E4", 2_000_000, 1, "new", "A"], ["E3", 1_500_000, 3, "new", "B"]]
    assert listed.loc[0, "previous_amount"] == 5_000_000
    earlier = sprint.late_payers(payers_con, as_of=date(2025, 10, 20), unit="A")
    assert earlier["employer_code"].tolist() == ["E2", "E1"]  # 15/10's list, as of 20/10


def test_the_changes_name_who_paid(payers_con):
    changes = sprint.late_payer_changes(payers_con, as_of=AS_OF, unit="A")
    assert sorted(changes[["employer_code", "change", "amount"]].values.tolist()) == [
        ["E1", "grew", 7_000_000], ["E2", "cleared", 0], ["E4", "new", 2_000_000]]


def test_the_publication_list_holds_the_published_fields_only(payers_con, tmp_path):
    published = sprint.late_payers_published(payers_con, as_of=AS_OF, unit="P1", months=3)
    assert list(published.columns) == PUBLISHED == ["employer_code", "employer_name", "amount", "months_late"]
    assert published.values.tolist() == [["E1", "Công ty An", 7_000_000, 3], ["E3", "HTX Cường", 1_500_000, 3]]
    path = tmp_path / "cong-khai.pdf"
    path.write_bytes(published_pdf(payers_con, as_of=AS_OF, unit="P1", months=3))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Công ty An" in text and "7.000.000" in text and "HTX Cường" in text
    assert "Công ty Dũng" not in text and "Commune A" not in text  # under 3 months; the collecting unit is not published


def test_a_unit_s_debt_is_checked_against_its_employers(payers_con):
    check = sprint.late_payers_check(payers_con, as_of=AS_OF, unit="P1").iloc[0]
    assert (check["employers"], check["employers_debt"], check["late_debt"]) == (3, 10.5, 11.0)
    assert (check["difference"], check["difference_pct"]) == (0.5, 4.55)


def test_a_bad_file_is_refused_with_line_and_column_and_changes_nothing(payers_con):
    kept = payers_con.execute("SELECT count(*) FROM late_payers").fetchall()[0][0]
    bad = """date,unit_code,employer_code,employer_name,amount,months_late
2025-10-31,P1,E5,Công ty Em,100,1
2025-10-31,Z,E6,Công ty Giang,100,1
2025-10-31,A,E7,,100,1
2025-10-31,A,E8,Công ty Hà,-100,1
2025-10-31,A,E9,Công ty Ích,100,0
2025-10-31,A,E1,Công ty An,100,1
2025-10-31,A,E1,Công ty An,200,1
2099-01-01,A,E10,Công ty Khánh,100,1
""".encode()
    with pytest.raises(sprint.ValidationError) as raised:
        sprint.ingest_late_payers(payers_con, bad, name="bad.csv")
    assert [(p.line, p.column, p.code) for p in raised.value.problems] == [
        (2, "unit_code", "late_payer_unit_has_children"), (3, "unit_code", "unit_unknown"),
        (4, "employer_name", "employer_name_missing"), (5, "amount", "number_negative"),
        (6, "months_late", "months_late_range"), (8, "employer_code", "employer_twice"), (9, "date", "date_future")]
    assert payers_con.execute("SELECT count(*) FROM late_payers").fetchall()[0][0] == kept
    head = b"date,unit_code,employer_code,employer_name,amount,months_late\n2025-10-31,B,E3,HTX,1,1\n"
    with pytest.raises(sprint.ValidationError) as raised:
        sprint.ingest_late_payers(payers_con, head, name="b.csv", scope="A")
    assert [(p.line, p.code) for p in raised.value.problems] == [(2, "unit_outside_scope")]
    assert sprint.ingest_late_payers(payers_con, FIRST, name="again.csv").already_taken
