"""The demo store reproduces every figure the source articles publish (shared/domain.md)."""
from datetime import date

import pandas as pd
import pytest

import sprint
from sprint import demo

# unit, date, metric, value, % of plan to the published decimals
PUBLISHED = [
    ("66", "2025-09-30", "compulsory_si", 178_959, "93.6"),
    ("66", "2025-09-30", "voluntary_si", 41_138, "53.7"),
    ("66", "2025-09-30", "unemployment", 164_514, "95.6"),
    ("66", "2025-09-30", "health", 2_576_831, "97.4"),
    # seed 004's parts are rounded to hundreds (275,500 + 46,300 = 321,800, its total 321,779)
    ("22", "2025-09-30", "compulsory_si", 275_481, "92.93"),
    ("22", "2025-09-30", "voluntary_si", 46_298, "97.23"),
    ("22", "2025-09-30", "social_insurance", 321_779, "93.53"),
    ("22", "2025-09-30", "unemployment", 264_720, "93.3"),
    ("22", "2025-09-30", "health", None, "97.52"),
    ("22", "2025-09-30", "revenue", 7_091_000, "74.43"),
    ("38", "2025-08-31", "compulsory_si", 459_110, "98.07"),
    ("38", "2025-08-31", "voluntary_si", 105_095, "74.86"),
    ("38", "2025-08-31", "unemployment", 439_717, "99.53"),
    ("38", "2025-08-31", "health", 3_323_619, "94.49"),
    ("38", "2025-08-31", "revenue", 9_648_443, "67.02"),
]


def figure(con, unit, day, metric):
    frame = sprint.progress(con, as_of=date.fromisoformat(day), unit=unit, metric=metric)
    assert len(frame) == 1
    return frame.iloc[0]


@pytest.mark.parametrize("unit, day, metric, value, pct", PUBLISHED)
def test_published_province_figures(demo_con, unit, day, metric, value, pct):
    row = figure(demo_con, unit, day, metric)
    if value is not None:
        assert row["value"] == value
    decimals = len(pct.split(".")[1])
    assert f"{100 * row['value'] / row['plan']:.{decimals}f}" == pct


def test_quang_ninh_parts_round_to_the_articles():
    rounded = {metric: round(value, -2) for metric, value in
               demo.SEED_FIGURES.query("unit_code == '22'").set_index("metric")["value"].items()}
    assert (rounded["compulsory_si"], rounded["voluntary_si"]) == (275_500, 46_300)


# seed 003: Thanh Hóa to 2025-08-31 "over the same period in 2024"; seed 004: Quảng Ninh to
# 2025-09-30, social insurance against the end of 2024 and revenue against the same period
YEAR_ON_YEAR = [
    ("38", "2025-08-31", "compulsory_si", 42_565, "10.22"),
    ("38", "2025-08-31", "voluntary_si", 20_014, "23.52"),
    ("38", "2025-08-31", "unemployment", 47_979, "12.25"),
    ("38", "2025-08-31", "health", 28_269, "0.86"),
    ("22", "2025-09-30", "revenue", 952_000, None),
]


@pytest.mark.parametrize("unit, day, metric, change, pct", YEAR_ON_YEAR)
def test_published_changes_over_a_year(demo_con, unit, day, metric, change, pct):
    row = figure(demo_con, unit, day, metric)
    assert row["change_year"] == change == row["value"] - row["value_year_before"]
    if pct is not None:
        assert f"{row['change_year_pct']:.2f}" == pct


def test_quang_ninh_social_insurance_since_the_end_of_2024(demo_con):
    row = figure(demo_con, "22", "2025-09-30", "social_insurance")
    assert row["change_since_year_end"] == 16_500
    coverage = sprint.coverage(demo_con, as_of=date(2025, 9, 30), unit="22").iloc[0]
    assert (coverage["social_insurance"], coverage["labour_coverage_pct"]) == (321_779, 50.36)


def test_quang_ninh_health_is_nearly_1_3_million(demo_con):
    assert 1_250_000 <= figure(demo_con, "22", "2025-09-30", "health")["value"] < 1_300_000


@pytest.mark.parametrize("metric, value, plan", [
    ("compulsory_si", 6_005, 6_417), ("voluntary_si", 2_005, 3_200),
    ("unemployment", 5_466, 5_750), ("health", 130_629, 136_744)])
def test_ea_kar(demo_con, metric, value, plan):
    row = figure(demo_con, "66-EAKAR", "2025-09-30", metric)
    assert (row["value"], row["plan"]) == (value, plan)


def test_ea_kar_compulsory_is_412_short_of_plan(demo_con):
    row = figure(demo_con, "66-EAKAR", "2025-09-30", "compulsory_si")
    assert row["plan"] - row["value"] == 412


@pytest.mark.parametrize("metric, pct", [("compulsory_si", 93.6), ("voluntary_si", 64.0), ("health", 94.2)])
def test_national_standing_on_2025_08_31(demo_con, metric, pct):
    assert abs(figure(demo_con, "VN", "2025-08-31", metric)["plan_pct"] - pct) <= 0.1


def test_dispatch_targets_are_the_national_targets(demo_con):
    november = figure(demo_con, "VN", "2025-11-20", "voluntary_si")
    assert (november["target"], november["plan"]) == (2_890_152, 2_947_418)


def test_coverage_and_labour_force(demo_con):
    units = demo_con.execute("SELECT unit_code, population, labour_force FROM units WHERE unit_code IN ('66', '22')").df()
    health = {u: figure(demo_con, u, "2025-09-30", "health")["value"] for u in ("66", "22")}
    population = dict(zip(units["unit_code"], units["population"]))
    assert f"{100 * health['66'] / population['66']:.2f}" == "90.48"
    assert f"{100 * health['22'] / population['22']:.2f}" == "95.75"
    labour = units.set_index("unit_code").loc["22", "labour_force"]
    assert f"{100 * 321_779 / labour:.2f}" == "50.36"


def test_quang_ninh_late_payment_rate(demo_con):
    rates = sprint.late_payment(demo_con, as_of=date(2025, 9, 30), level="province").set_index("unit_code")
    assert rates.loc["22", "late_payment_pct"] == 2.39


def test_shape_of_the_tree(demo_con):
    levels = demo_con.execute(
        "SELECT count(*) FILTER (parent_code = 'VN'), count(*) FILTER (parent_code <> 'VN') FROM units").fetchall()[0]
    assert levels == (34, 340)
    days = demo_con.execute("SELECT min(date), max(date) FROM counts WHERE date >= '2025-01-01'").fetchall()[0]
    assert days == (date(2025, 8, 31), date(2025, 11, 20))
    reference = demo_con.execute("SELECT DISTINCT date FROM counts WHERE date < '2025-01-01' ORDER BY 1").fetchall()
    assert [d for (d,) in reference] == [d.date() for d in pd.date_range("2024-01-31", "2024-12-31", freq="ME")]


def test_reporting_is_realistic(demo_con):
    done = sprint.reporting(demo_con, as_of=date(2025, 11, 20))
    missing = (~done["reported"]).sum()
    assert 10 <= missing <= 60  # late reporters and a few gaps, not everyone
    weekend = demo_con.execute("SELECT count(DISTINCT unit_code) FROM counts WHERE date = '2025-11-16'").fetchall()[0][0]
    assert weekend < 100  # a Sunday: few reports


def test_deterministic():
    first, second = demo.demo_counts(), demo.demo_counts()
    for a, b in zip(first, second):
        pd.testing.assert_frame_equal(a, b)


def test_days_after_gives_the_next_days_for_simulate():
    days = demo.days_after(date(2025, 11, 20))
    assert days[0][0] == date(2025, 11, 21) and days[-1][0] == date(2025, 12, 31)
    assert set(days[0][1].columns) == {"date", "unit_code", "metric", "value"}


def test_quang_ninh_s_521_late_payers_add_up_to_its_late_payment_debt(demo_con):
    """Seed 004: notices to 521 late units; on 30/09 their debts add up to Quảng Ninh's 227,400
    million VND (2.39 % of its 9,527 bn plan)."""
    check = sprint.late_payers_check(demo_con, as_of=date(2025, 9, 30), unit="22").iloc[0]
    assert (check["employers"], check["employers_debt"], check["late_debt"], check["difference"]) == \
        (521, 227_400.0, 227_400.0, 0.0)
    october = sprint.late_payers_check(demo_con, as_of=date(2025, 10, 31), unit="22").iloc[0]
    assert october["difference"] == 0.0 and october["employers"] != 521
    changes = sprint.late_payer_changes(demo_con, as_of=date(2025, 10, 31), unit="22")
    assert {"cleared", "new", "grew", "shrank"} <= set(changes["change"])
