"""Each definition of domain.md on the scenario, with numbers computed by hand.

The scenario (tests/data/scenario): VN → P1 (A, B) and P2 (F, L), metric voluntary_si.
F reports only on Fridays; L starts reporting on 2025-10-06, after the baseline (2025-09-30);
A's 2025-10-17 report (118) is corrected the next day to 117. F has no 2025-11-30 target, so P2
has none either; P2 has its own annual plan (140), which wins over its children's sum (150).
"""
from datetime import date

import pandas as pd
import pytest

import sprint
from conftest import SCENARIO
from sprint.structure import compact_changes

AS_OF = date(2025, 10, 17)


def row(frame, unit, metric="voluntary_si"):
    found = frame[(frame["unit_code"] == unit) & (frame["metric"] == metric)]
    assert len(found) == 1, f"expected one row for {unit}/{metric}, got {len(found)}"
    return found.iloc[0]


@pytest.fixture
def figures(scenario_con):
    return sprint.progress(scenario_con, as_of=AS_OF)


def test_value_of_a_leaf_is_its_latest_report_carried_forward(figures):
    assert row(figures, "B")["value"] == 76  # reported 2025-10-15, nothing since
    assert row(figures, "F")["value"] == 40


def test_value_of_a_parent_is_the_sum_of_its_leaves(figures):
    assert row(figures, "P1")["value"] == 117 + 76
    assert row(figures, "P2")["value"] == 40 + 20
    assert row(figures, "VN")["value"] == 117 + 76 + 40 + 20


def test_a_correction_replaces_the_value(figures):
    assert row(figures, "A")["value"] == 117


def test_baseline_is_the_value_at_the_campaign_baseline(figures):
    assert row(figures, "A")["baseline"] == 100
    assert row(figures, "F")["baseline"] == 30  # its Friday 2025-09-26 report, carried forward
    assert row(figures, "P2")["baseline"] == 30  # L had not reported yet
    assert pd.isna(row(figures, "L")["baseline"])


def test_target_falls_back_to_the_sum_of_the_children(figures):
    assert row(figures, "P1")["target"] == 120 + 80
    assert row(figures, "P2")["target"] == 60 + 40
    assert row(figures, "VN")["target"] == 200 + 100


def test_own_target_wins_over_the_children_sum(figures):
    assert row(figures, "P2")["plan"] == 140
    assert row(figures, "VN")["plan"] == (200 + 120) + 140


def test_current_milestone_and_days_left(figures):
    a = row(figures, "A")
    assert str(a["milestone"].date()) == "2025-10-31"
    assert a["days_left"] == 14


def test_attainment_plan_pct_gap(figures):
    a = row(figures, "A")
    assert a["attainment_pct"] == 97.5
    assert a["plan_pct"] == 58.5
    assert a["gap"] == 3
    assert row(figures, "F")["attainment_pct"] == 66.67
    assert row(figures, "VN")["attainment_pct"] == 84.33


def test_development_pct(figures):
    assert row(figures, "A")["development_pct"] == 85.0  # (117-100)/(120-100)
    assert row(figures, "P2")["development_pct"] == 42.86  # (60-30)/(100-30)
    assert pd.isna(row(figures, "L")["development_pct"])  # no baseline


def test_required_daily_pace_and_projection(figures):
    b = row(figures, "B")
    assert b["required_daily"] == pytest.approx(4 / 14)
    assert b["pace_7d"] == pytest.approx(6 / 7)  # 76 on 10-17, 70 on 10-10
    assert b["projected"] == pytest.approx(76 + 6 / 7 * 14)
    vn = row(figures, "VN")
    assert vn["pace_7d"] == pytest.approx((253 - 226) / 7)


def test_status(figures):
    assert row(figures, "A")["status"] == "on_track"  # 117 + 1/day * 14 = 131 >= 120
    assert row(figures, "F")["status"] == "behind"  # 40 + 4/7 * 14 = 48 < 60
    assert row(figures, "L")["status"] == "on_track"  # 20 + 10/7 * 14 = 40 >= 40
    assert row(figures, "P2")["status"] == "behind"  # 60 + 2 * 14 = 88 < 100


def test_achieved_and_no_data(scenario_con):
    sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-20,A,voluntary_si,125\n", name="x.csv")
    figures = sprint.progress(scenario_con, as_of=date(2025, 10, 20))
    assert row(figures, "A")["status"] == "achieved"
    assert row(figures, "A")["gap"] == 0
    early = sprint.progress(scenario_con, as_of=date(2025, 9, 1))
    assert set(early["status"]) == {"no_data"}


def test_a_parent_whose_children_lack_a_milestone_skips_it(scenario_con):
    figures = sprint.progress(scenario_con, as_of=date(2025, 11, 5))
    assert str(row(figures, "P2")["milestone"].date()) == "2025-12-31"  # F has no 11-30 target
    assert str(row(figures, "F")["milestone"].date()) == "2025-12-31"
    assert str(row(figures, "L")["milestone"].date()) == "2025-11-30"
    assert str(row(figures, "VN")["milestone"].date()) == "2025-12-31"
    assert row(figures, "VN")["target"] == 460


CAMPAIGN_END = ("date,unit_code,metric,value\n2025-12-24,A,voluntary_si,190\n2025-12-24,B,voluntary_si,112\n"
                "2025-12-31,A,voluntary_si,205\n2025-12-31,B,voluntary_si,115\n")


@pytest.mark.parametrize("as_of", [date(2025, 12, 31), date(2026, 1, 15)])
def test_from_the_campaigns_last_day_each_row_is_its_final_result(scenario_con, as_of):
    """On the last milestone (12-31) and 15 days after it: no day left, nothing needed a day, and
    the status is the final result against the 12-31 target (achieved or missed), never behind."""
    sprint.ingest(scenario_con, CAMPAIGN_END.encode(), name="end.csv")
    figures = sprint.progress(scenario_con, as_of=as_of)
    assert (figures["milestone"] == "2025-12-31").all()
    assert (figures["days_left"] == 0).all() and figures["required_daily"].isna().all()
    a, b = row(figures, "A"), row(figures, "B")
    assert (a["value"], a["target"], a["gap"], a["status"]) == (205, 200, 0, "achieved")
    assert (b["value"], b["target"], b["gap"], b["status"]) == (115, 120, 5, "missed")
    assert b["attainment_pct"] == 95.83  # 115 / 120
    assert b["pace_7d"] == pytest.approx((115 - 112) / 7)  # the campaign's last week
    assert b["projected"] == 115  # no day left to add anything
    assert row(figures, "P1")["status"] == "achieved"  # 205 + 115 = 320, its children's 200 + 120
    assert row(figures, "F")["status"] == "missed"  # 40 of 90
    vn = row(figures, "VN")
    assert (vn["value"], vn["target"], vn["attainment_pct"], vn["status"]) == (380, 460, 82.61, "missed")
    assert set(figures["status"]) == {"achieved", "missed"}


def test_a_unit_past_its_own_last_milestone_keeps_that_days_figures(scenario_con):
    """B's targets end at 11-30 (100) while A's run to 12-31: on 12-05 B's sprint has ended with
    its 11-30 value, 95 (its 12-03 report of 104 comes after), 5 short; A still has 26 days."""
    targets = (SCENARIO / "targets.csv").read_text().replace("B,voluntary_si,2025-12-31,120\n", "")
    sprint.load_targets(scenario_con, targets.encode(), name="t.csv", replace_all=True)
    sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-11-28,B,voluntary_si,95\n"
                                b"2025-12-03,B,voluntary_si,104\n", name="b.csv")
    figures = sprint.progress(scenario_con, as_of=date(2025, 12, 5))
    b = row(figures, "B")
    assert str(b["milestone"].date()) == "2025-11-30"
    assert (b["value"], b["target"], b["gap"], b["days_left"], b["status"]) == (95, 100, 5, 0, "missed")
    assert b["pace_7d"] == pytest.approx((95 - 76) / 7)  # 11-30 against 11-23
    assert pd.isna(b["required_daily"])
    a = row(figures, "A")
    assert (a["value"], a["target"], a["days_left"], a["status"]) == (117, 200, 26, "behind")
    p1 = row(figures, "P1")  # B has no 12-31 target, so P1's last milestone is 11-30 too: 150 + 100
    assert (p1["value"], p1["target"], p1["status"]) == (117 + 95, 250, "missed")


def test_filters(scenario_con):
    assert set(sprint.progress(scenario_con, as_of=AS_OF, level="province")["unit_code"]) == {"P1", "P2"}
    assert set(sprint.progress(scenario_con, as_of=AS_OF, level="national")["unit_code"]) == {"VN"}
    assert list(sprint.progress(scenario_con, as_of=AS_OF, unit="F")["unit_code"]) == ["F"]
    assert sprint.progress(scenario_con, as_of=AS_OF, metric="health").empty
    with pytest.raises(sprint.UnknownError, match="Unknown unit 'NOPE'"):
        sprint.progress(scenario_con, as_of=AS_OF, unit="NOPE")


def test_series_carries_forward_and_sums(scenario_con):
    days = sprint.series(scenario_con, unit="P2", metric="voluntary_si",
                         start=date(2025, 10, 5), end=date(2025, 10, 7))
    assert days["value"].tolist() == [33, 43, 43]  # F's 33 carried; L joins with 10 on 10-06


def test_reporting_completeness(scenario_con):
    done = sprint.reporting(scenario_con, as_of=AS_OF)
    assert set(done.loc[done["reported"], "unit_code"]) == {"A", "F"}
    assert done.iloc[0]["reported"] == False  # noqa: E712 - not reported first


def test_late_payment_rate(con):
    sprint.load_units(con, b"unit_code,name,parent_code\nQN,Quang Ninh,VN\nQN-1,Ha Long,QN\n", name="u.csv")
    sprint.load_targets(con, b"unit_code,metric,milestone,target\nQN,revenue,2025-12-31,9527000\n", name="t.csv",
                        replace_all=True)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-09-30,QN-1,late_debt,227400\n", name="c.csv")
    rate = sprint.late_payment(con, as_of=date(2025, 9, 30), level="province").iloc[0]
    assert rate["late_payment_pct"] == 2.39  # 227.4 / 9,527 bn
    assert rate["within_limit"]


def test_no_value_no_figure(scenario_con):
    """L has targets but no report before 2025-10-06: nothing derived from its value is shown,
    and its gap is not 0 (which would read as "nothing missing")."""
    l_unit = row(sprint.progress(scenario_con, as_of=date(2025, 10, 1)), "L")
    assert pd.isna(l_unit["value"]) and l_unit["target"] == 40 and l_unit["status"] == "no_data"
    for figure in ("attainment_pct", "plan_pct", "gap", "development_pct", "required_daily", "pace_7d", "projected"):
        assert pd.isna(l_unit[figure]), figure


def test_a_report_changes_the_data_version_of_its_subtree_only(scenario_con):
    before = sprint.data_versions(scenario_con)
    sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-21,B,voluntary_si,80\n", name="b.csv")
    after = sprint.data_versions(scenario_con)
    assert {u for u in after if after[u] != before[u]} == {"B", "P1", "VN"}
    assert sprint.data_version(scenario_con) == after["VN"]


def test_a_report_changes_the_data_version_of_the_days_it_touched_only(scenario_con):
    """A report for 21/10 leaves the figures as of 20/10: pages on that day keep their caches.
    Then a correction of 15/10 changes every day from 15/10 on, and loading targets every day."""
    day, before_day, later = date(2025, 10, 20), date(2025, 10, 14), date(2025, 10, 21)
    as_of_day, as_of_later = sprint.data_versions(scenario_con, as_of=day), sprint.data_versions(scenario_con, as_of=later)
    sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-21,B,voluntary_si,80\n", name="b.csv")
    assert sprint.data_versions(scenario_con, as_of=day) == as_of_day
    changed = sprint.data_versions(scenario_con, as_of=later)
    assert {u for u in changed if changed[u] != as_of_later[u]} == {"B", "P1", "VN"}
    earlier = sprint.data_versions(scenario_con, as_of=before_day)
    sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-15,A,voluntary_si,99\n", name="a.csv")
    for as_of, was in ((day, as_of_day), (later, changed)):
        now = sprint.data_versions(scenario_con, as_of=as_of)
        assert {u for u in now if now[u] != was[u]} == {"A", "P1", "VN"}
    assert sprint.data_versions(scenario_con, as_of=before_day) == earlier
    assert sprint.data_versions(scenario_con) == sprint.data_versions(scenario_con, as_of=date(2099, 1, 1))
    days = (None, before_day, day, later)
    versions = [sprint.data_versions(scenario_con, as_of=as_of) for as_of in days]
    compact_changes(scenario_con)  # the changes made redundant go, and no version changes
    assert [sprint.data_versions(scenario_con, as_of=as_of) for as_of in days] == versions
    assert scenario_con.execute("SELECT count(*) FROM unit_changes WHERE unit_code = 'VN'").fetchall()[0][0] <= 3


def test_a_rejected_or_unchanged_file_changes_no_data_version(scenario_con):
    before = sprint.data_versions(scenario_con)
    with pytest.raises(sprint.ValidationError):
        sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-21,B,voluntary_si,-1\n", name="bad.csv")
    sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-15,B,voluntary_si,76\n", name="same.csv")
    assert sprint.data_versions(scenario_con) == before
    assert sprint.upload_version(scenario_con) > max(before.values())  # the history did change


def test_loading_targets_changes_every_data_version(scenario_con):
    before = sprint.data_versions(scenario_con)
    sprint.load_targets(scenario_con, b"unit_code,metric,milestone,target\nA,voluntary_si,2025-10-31,130\n", name="t.csv",
                        replace_all=True)
    after = sprint.data_versions(scenario_con)
    assert all(after[u] > before[u] for u in before)


def test_a_backfilled_day_splits_the_span_it_falls_in(scenario_con):
    """B reported 70 on 10-10 and 76 on 10-15; a late report for 10-12 holds from 10-12 to 10-14."""
    sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-12,B,voluntary_si,73\n", name="late.csv")
    days = sprint.series(scenario_con, unit="B", metric="voluntary_si", start=date(2025, 10, 11), end=date(2025, 10, 15))
    assert days["value"].tolist() == [70, 73, 73, 73, 76]
    assert row(sprint.progress(scenario_con, as_of=date(2025, 10, 13)), "B")["value"] == 73


def test_a_report_dated_before_a_units_first_report(scenario_con):
    """L first reported on 10-06; a late file for 10-02 holds until 10-06 (found by test_reference)."""
    sprint.ingest(scenario_con, b"date,unit_code,metric,value\n2025-10-02,L,voluntary_si,4\n", name="early.csv")
    days = sprint.series(scenario_con, unit="L", metric="voluntary_si", start=date(2025, 10, 1), end=date(2025, 10, 7))
    assert days["value"].tolist() == [4, 4, 4, 4, 10, 10]  # 10-02 .. 10-07
    assert row(sprint.progress(scenario_con, as_of=date(2025, 10, 5)), "L")["value"] == 4


COMPLETENESS_DAYS = ("date,unit_code,metric,value\n"
                     "2025-10-01,A,voluntary_si,1\n2025-10-01,B,voluntary_si,1\n2025-10-01,F,voluntary_si,1\n"
                     "2025-10-02,A,voluntary_si,2\n2025-10-02,B,voluntary_si,2\n"
                     "2025-10-03,A,voluntary_si,3\n2025-10-03,B,voluntary_si,3\n2025-10-03,F,voluntary_si,3\n"
                     "2025-10-03,L,voluntary_si,3\n"
                     "2025-10-04,A,voluntary_si,4\n")


def test_the_default_as_of_is_the_latest_complete_day(con, tmp_path):
    """Reported / units that had reported by then: 10-01 3/3 (L has not started), 10-02 2/3,
    10-03 4/4, 10-04 1/4. At 90 %, 10-01 and 10-03 are complete: the default is 10-03, not 10-04."""
    sprint.load_units(con, SCENARIO / "units.csv")
    sprint.ingest(con, COMPLETENESS_DAYS.encode(), name="days.csv")
    days = sprint.reporting_days(con)
    assert days[["reported", "expected", "complete"]].values.tolist() == [
        [3, 3, True], [2, 3, False], [4, 4, True], [1, 4, False]]
    assert sprint.complete_date(con) == date(2025, 10, 3)
    assert sprint.latest_date(con) == date(2025, 10, 4)


def test_a_campaign_sets_its_own_complete_share(con, tmp_path):
    """At 25 %, one unit of four (10-04) makes a day complete."""
    sprint.load_units(con, SCENARIO / "units.csv")
    sprint.ingest(con, COMPLETENESS_DAYS.encode(), name="days.csv")
    spec = (sprint.campaigns.CAMPAIGNS_DIR / "2025-dispatch-2440.json").read_text()
    path = tmp_path / "2025.json"
    path.write_text(spec.replace('"late_payment_max_pct": 2.55,', '"late_payment_max_pct": 2.55, "complete_share": 0.25,'))
    sprint.load_campaign(con, path)
    assert sprint.complete_date(con) == date(2025, 10, 4)
    path.write_text(spec.replace('"late_payment_max_pct": 2.55,', '"late_payment_max_pct": 2.55, "complete_share": 1.5,'))
    with pytest.raises(sprint.SprintError, match="complete_share: 1.5 is not a share"):
        sprint.load_campaign(con, path)
