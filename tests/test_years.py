"""Years before the campaign and metrics that sum metrics (domain.md, "Added 2026-12-06"), with
numbers computed by hand.

The store: VN → P1 (A, B), P2 (C). Reference history of 2024 (loaded as such): A compulsory 140
on 29/02, 150 on 10/10, 160 on 20/12; A voluntary 40 on 10/10; B compulsory 80 on 10/10; B
voluntary 20 on 20/12 (none before). The campaign's reports: on 30/09/2025 A 170 and 42, B 90 and
25, C compulsory 50 (C never reports voluntary); on 15/10 A compulsory 180, B voluntary 27.
"""
from datetime import date

import pandas as pd
import pytest

import sprint
from conftest import fresh_store

AS_OF = date(2025, 10, 17)

UNITS = b"""unit_code,name,parent_code
VN,Nation,
P1,Province 1,VN
P2,Province 2,VN
A,Commune A,P1
B,Commune B,P1
C,Commune C,P2
"""
TARGETS = b"""unit_code,metric,milestone,target
A,compulsory_si,2025-12-31,200
A,voluntary_si,2025-12-31,50
A,social_insurance,2025-12-31,240
B,compulsory_si,2025-12-31,100
B,voluntary_si,2025-12-31,30
B,social_insurance,2025-12-31,130
C,compulsory_si,2025-12-31,60
C,voluntary_si,2025-12-31,10
C,social_insurance,2025-12-31,70
"""
REFERENCE = b"""date,unit_code,metric,value
2024-02-29,A,compulsory_si,140
2024-10-10,A,compulsory_si,150
2024-12-20,A,compulsory_si,160
2024-10-10,A,voluntary_si,40
2024-10-10,B,compulsory_si,80
2024-12-20,B,voluntary_si,20
"""
COUNTS = b"""date,unit_code,compulsory_si,voluntary_si
2025-09-30,A,170,42
2025-09-30,B,90,25
2025-09-30,C,50,
2025-10-15,A,180,
2025-10-15,B,,27
"""


@pytest.fixture
def years_con(con):
    sprint.load_units(con, UNITS, name="units.csv")
    sprint.load_targets(con, TARGETS, name="targets.csv", replace_all=True)
    sprint.ingest(con, REFERENCE, name="2024.csv", reference=True)
    sprint.ingest(con, COUNTS, name="counts.csv")
    return con


def figures(con, as_of=AS_OF):
    frame = sprint.progress(con, as_of=as_of)
    return {(r.unit_code, r.metric): r for r in frame.itertuples()}


def year(row):
    """value, value_year_before, change_year, change_year_pct, change_since_year_end; None for none."""
    return tuple(None if pd.isna(v) else v for v in (row.value, row.value_year_before, row.change_year,
                                                      row.change_year_pct, row.change_since_year_end))


def test_a_year_earlier_is_the_last_report_on_or_before_the_same_day(years_con):
    rows = figures(years_con)
    # 17/10/2024: A's report of 10/10 carried forward; the end of 2024: its report of 20/12
    assert year(rows["A", "compulsory_si"]) == (180, 150, 30, 20.0, 20)
    assert year(rows["A", "voluntary_si"]) == (42, 40, 2, 5.0, 2)
    assert year(rows["B", "compulsory_si"]) == (90, 80, 10, 12.5, 10)


def test_no_report_a_year_earlier_is_no_change_not_zero(years_con):
    rows = figures(years_con)
    # B's first voluntary report came on 20/12/2024: nothing on 17/10/2024, its year end 20
    assert year(rows["B", "voluntary_si"]) == (27, None, None, None, 7)
    assert year(rows["C", "compulsory_si"]) == (50, None, None, None, None)


def test_a_parent_a_year_earlier_sums_the_leaves_that_had_a_value(years_con):
    rows = figures(years_con)
    assert year(rows["P1", "compulsory_si"]) == (270, 230, 40, 17.39, 30)
    assert year(rows["P1", "voluntary_si"]) == (69, 40, 29, 72.5, 9)  # B had none on 17/10/2024


def test_social_insurance_all_is_the_sum_of_its_parts_per_unit(years_con):
    rows = figures(years_con)
    assert year(rows["A", "social_insurance"]) == (222, 190, 32, 16.84, 22)
    # B's voluntary had no value a year earlier: no sum then, never the compulsory alone (80)
    assert year(rows["B", "social_insurance"]) == (117, None, None, None, 17)
    assert year(rows["P1", "social_insurance"]) == (339, 270, 69, 25.56, 39)
    a = rows["A", "social_insurance"]
    assert (a.target, a.attainment_pct, a.gap) == (240, 92.5, 18)  # its own target, not 200 + 50
    assert rows["P1", "social_insurance"].target == 240 + 130


def test_a_sum_with_a_part_missing_is_none_not_a_partial_sum(years_con):
    rows = figures(years_con)
    c = rows["C", "social_insurance"]
    assert pd.isna(c.value) and c.status == "no_data" and pd.isna(c.attainment_pct) and pd.isna(c.gap)
    assert pd.isna(rows["P2", "social_insurance"].value)
    # the nation has both parts (C's compulsory counts in the nation's): 320 + 69
    assert rows["VN", "social_insurance"].value == 180 + 90 + 50 + 42 + 27


def test_the_labour_force_coverage_counts_social_insurance_all(years_con):
    sprint.load_units(years_con, b"unit_code,name,parent_code,labour_force\nA,Commune A,P1,444\nC,Commune C,P2,100\n",
                      name="labour.csv")
    covered = sprint.coverage(years_con, as_of=AS_OF).set_index("unit_code")
    assert (covered.loc["A", "social_insurance"], covered.loc["A", "labour_coverage_pct"]) == (222, 50.0)
    assert pd.isna(covered.loc["C", "social_insurance"])  # not its compulsory alone


def test_a_sum_is_left_out_of_the_mean_of_all_metrics(years_con):
    board = sprint.leaderboard(years_con, as_of=AS_OF, level="grassroots").set_index("unit_code")
    assert board.loc["A", "score"] == round((180 / 200 * 100 + 42 / 50 * 100) / 2, 2)
    assert board.loc["A", "metrics_scored"] == 2


def test_reference_history_is_not_a_campaign_report(years_con):
    assert sprint.latest_date(years_con) == date(2025, 10, 15)
    history = sprint.upload_history(years_con)
    assert history.set_index("file_name").loc["2024.csv", "kind"] == "reference"
    assert sprint.upload_history(years_con, kinds=("counts",))["file_name"].tolist() == ["counts.csv"]


def test_reference_history_alone_is_no_campaign_day(con):
    sprint.load_units(con, UNITS, name="units.csv")
    sprint.ingest(con, REFERENCE, name="2024.csv", reference=True)
    assert sprint.latest_date(con) is None and sprint.complete_date(con) is None
    assert sprint.reporting_days(con).empty


def test_a_count_of_last_year_is_no_week_of_additions(con):
    """A reports 200, 210, 220 on the Fridays 19/09, 26/09 and 03/10, and had 100 on 31/12/2024:
    its weeks add 10 and 10, never 100 (19/09 against last year's count carried forward). The
    forecast as of 03/10 is the one of a store without reference history."""
    weekly = (b"date,unit_code,metric,value\n2025-09-19,A,compulsory_si,200\n2025-09-26,A,compulsory_si,210\n"
              b"2025-10-03,A,compulsory_si,220\n")
    stores = []
    for store, reference in ((con, True), (fresh_store(), False)):
        sprint.load_units(store, UNITS, name="units.csv")
        sprint.load_targets(store, TARGETS, name="targets.csv", replace_all=True)
        if reference:
            sprint.ingest(store, b"date,unit_code,metric,value\n2024-12-31,A,compulsory_si,100\n", name="2024.csv",
                          reference=True)
        sprint.ingest(store, weekly, name="weeks.csv")
        stores.append(sprint.forecast(store, as_of=date(2025, 10, 3), unit="A", metric="compulsory_si"))
    with_reference, without = stores
    assert len(without) == 1 and without["median"].iloc[0] < 220 + 20 * 13  # about 10 a week to 31/12, not 40
    columns = ["milestone", "probability", "low", "median", "high"]
    pd.testing.assert_frame_equal(with_reference[columns], without[columns])


def test_a_reference_file_holds_only_earlier_years(years_con):
    with pytest.raises(sprint.ValidationError) as refused:
        sprint.ingest(years_con, b"date,unit_code,metric,value\n2024-05-31,A,health,9\n2025-05-31,A,health,10\n",
                      name="late.csv", reference=True)
    (problem,) = refused.value.problems
    assert (problem.line, problem.column, problem.value) == (3, "date", "2025-05-31")
    assert "2025" in str(problem)
    with pytest.raises(sprint.ValidationError) as daily:
        sprint.ingest(years_con, b"date,unit_code,metric,value\n2024-05-31,A,health,9\n", name="daily.csv")
    assert daily.value.problems[0].code == "date_outside"


def test_a_sum_is_never_reported(years_con):
    before = years_con.execute("SELECT count(*) FROM counts").fetchall()[0][0]
    with pytest.raises(sprint.ValidationError) as refused:
        sprint.ingest(years_con, b"date,unit_code,compulsory_si,social_insurance\n2025-10-16,A,181,230\n", name="w.csv")
    (problem,) = refused.value.problems
    assert (problem.line, problem.column, problem.code) == (2, "social_insurance", "metric_summed")
    assert "compulsory_si, voluntary_si" in str(problem)
    assert years_con.execute("SELECT count(*) FROM counts").fetchall()[0][0] == before


# The dispatch's target groups (the campaign's file): a group is a metric part of another
# (compulsory_si.militia), reported beside it, never added to it.

GROUPS_FILE = b"""date,unit_code,compulsory_si.militia,compulsory_si.household_business,health.students
2025-09-30,A,10,5,
2025-09-30,B,4,,
2025-10-15,A,16,9,
"""
GROUP_TARGETS = TARGETS + b"""A,compulsory_si.militia,2025-12-31,22
B,compulsory_si.militia,2025-12-31,10
A,compulsory_si.household_business,2025-12-31,15
"""


@pytest.fixture
def groups_con(years_con):
    sprint.load_targets(years_con, GROUP_TARGETS, name="targets.csv", replace_all=True)
    sprint.ingest(years_con, GROUPS_FILE, name="groups.csv")
    return years_con


def test_a_group_counts_its_new_participants_against_its_target(groups_con):
    rows = sprint.groups(groups_con, as_of=AS_OF).set_index(["unit_code", "target_group"])
    militia = rows.loc[("A", "compulsory_si.militia")]
    # 16 on 15/10, 10 at the baseline: 6 new of the 12 its target (22) asks for
    assert (militia["metric"], militia["value"], militia["new"], militia["new_needed"], militia["development_pct"]) \
        == ("compulsory_si", 16, 6, 12, 50.0)
    province = rows.loc[("P1", "compulsory_si.militia")]  # its children's counts and targets
    assert (province["value"], province["baseline"], province["target"], province["new"]) == (20, 14, 32, 6)
    assert ("A", "health.students") not in rows.index  # no target: no row
    only = sprint.groups(groups_con, as_of=AS_OF, parent="P1", metric="compulsory_si.militia")
    assert only["unit_code"].tolist() == ["A", "B"]


def test_a_group_never_adds_to_its_metric(groups_con, years_con):
    rows = figures(groups_con)
    assert rows["A", "compulsory_si"].value == 180 and rows["P1", "compulsory_si"].value == 270
    assert ("A", "compulsory_si.militia") not in rows  # progress is the campaign's metrics
    board = sprint.leaderboard(groups_con, as_of=AS_OF, level="grassroots").set_index("unit_code")
    assert board.loc["A", "metrics_scored"] == 2


def test_a_group_above_its_metric_is_refused_with_its_line_and_column(groups_con):
    before = groups_con.execute("SELECT count(*) FROM counts").fetchall()[0][0]
    with pytest.raises(sprint.ValidationError) as refused:  # A's compulsory on 15/10 is 180, stored
        sprint.ingest(groups_con, b"date,unit_code,metric,value\n2025-10-15,B,health,9\n2025-10-15,A,compulsory_si.militia,181\n",
                      name="g.csv")
    (problem,) = refused.value.problems
    assert (problem.line, problem.column, problem.value, problem.code) == (3, "value", "181", "group_above_metric")
    with pytest.raises(sprint.ValidationError) as lowered:  # a metric sent below its stored group
        sprint.ingest(groups_con, b"date,unit_code,compulsory_si\n2025-10-15,A,15\n", name="m.csv")
    (problem,) = lowered.value.problems
    assert (problem.line, problem.column, problem.code) == (2, "compulsory_si", "group_above_metric")
    assert "16" in str(problem) and "15" in str(problem)
    assert groups_con.execute("SELECT count(*) FROM counts").fetchall()[0][0] == before
    # the counts as they stand that day: A's militia (16, reported 15/10) against a compulsory count
    # sent for 16/10, and a militia count for 16/10 against its compulsory (180, reported 15/10)
    for text, column in ((b"date,unit_code,compulsory_si\n2025-10-16,A,15\n", "compulsory_si"),
                         (b"date,unit_code,metric,value\n2025-10-16,A,compulsory_si.militia,181\n", "value")):
        with pytest.raises(sprint.ValidationError) as carried:
            sprint.ingest(groups_con, text, name="carried.csv")
        assert [(p.line, p.column, p.code) for p in carried.value.problems] == [(2, column, "group_above_metric")]
    taken = sprint.ingest(groups_con, b"date,unit_code,compulsory_si,compulsory_si.militia\n2025-10-16,A,15,15\n",
                          name="both.csv")  # equal is fine: every one of them in the group
    assert taken.committed
