"""The forecast on constructed series, with the numbers worked out by hand, and its backtest.

Each series is one grassroots unit U under P under VN, metric voluntary_si, reported every day
from the campaign's baseline (2025-09-30), so the nation's weekday profile is U's own.
"""
from datetime import date, timedelta

import pandas as pd
import pytest

import sprint

BASELINE = date(2025, 9, 30)
UNITS = b"unit_code,name,parent_code\nP,Province,VN\nU,Unit U,P\n"


def build(con, daily_addition, *, until: date, target: int, milestone: str = "2025-11-30", start: int = 1000):
    """U starts at `start` on the baseline and adds daily_addition(day) each day to `until`."""
    rows, value, day = [], start, BASELINE
    while day <= until:
        rows.append((day.isoformat(), "U", "voluntary_si", value))
        day += timedelta(days=1)
        value += daily_addition(day)
    counts = pd.DataFrame(rows, columns=["date", "unit_code", "metric", "value"]).to_csv(index=False).encode()
    sprint.load_units(con, UNITS, name="u.csv")
    sprint.load_targets(con, f"unit_code,metric,milestone,target\nU,voluntary_si,{milestone},{target}\n".encode(),
                        name="t.csv", replace_all=True)
    sprint.ingest(con, counts, name="c.csv")
    return rows[-1][3]


def forecast_row(con, as_of, unit="U"):
    frame = sprint.forecast(con, as_of=as_of, unit=unit)
    assert len(frame) == 1, frame
    return frame.iloc[0]


def test_a_steady_hundred_a_day_with_ten_days_and_a_gap_of_500_is_certain(con):
    as_of = date(2025, 11, 20)
    value = build(con, lambda day: 100, until=as_of, target=1000 + 51 * 100 + 500)
    assert value == 6100  # 51 days of +100 since the baseline
    row = forecast_row(con, as_of)
    assert row["target"] - row["value"] == 500
    assert row["median"] == 6100 + 10 * 100  # ten days at the pace of every one of the last four weeks
    assert row["low"] == row["high"] == 7100  # four equal weeks: no spread
    assert row["probability"] == 1.0


def test_needing_three_times_its_best_week_is_near_impossible(con):
    as_of = date(2025, 11, 20)
    # the last four weeks add 77, 70, 63 and 56 (most recent first): 11, 10, 9, 8 a day
    def addition(day):
        weeks_back = (as_of - day).days // 7
        return [11, 10, 9, 8][weeks_back] if weeks_back < 4 else 8

    best_week = 77
    value = build(con, addition, until=as_of, target=0)
    needed = 3 * best_week * 10 / 7  # three times the best week's pace over the ten days left
    sprint.load_targets(con, f"unit_code,metric,milestone,target\nU,voluntary_si,2025-11-30,{value + round(needed)}\n"
                        .encode(), name="t2.csv", replace_all=True)
    row = forecast_row(con, as_of)
    assert row["median"] == value + round(66.5 * 10 / 7)  # the mean week (266 / 4) over 10/7 weeks
    assert row["probability"] < 0.001


def test_the_band_and_probability_by_hand(con):
    """Weeks of 140, 70, 140, 70 (most recent first): mean 105, sample sd sqrt(4 * 35² / 3) = 40.4145.
    14 days (2 weeks) left, 4 weeks of history: spread = 40.4145 * sqrt(2 + 2² / 4) * t(3)/z =
    40.4145 * 1.73205 * (1.638 / 1.2816) = 89.467; band = median ± 1.2816 * 89.467 = ± 114.66.
    Target median + 115: z = -115 / 89.467 = -1.2854, Φ(z) = 0.0993."""
    as_of = date(2025, 11, 16)

    def addition(day):
        weeks_back = (as_of - day).days // 7
        return 20 if weeks_back % 2 == 0 else 10

    value = build(con, addition, until=as_of, target=0)
    median = value + 210
    sprint.load_targets(con, f"unit_code,metric,milestone,target\nU,voluntary_si,2025-11-30,{median + 115}\n".encode(),
                        name="t2.csv", replace_all=True)
    row = forecast_row(con, as_of)
    assert row["median"] == median
    assert row["low"] == round(median - 114.66)
    assert row["high"] == round(median + 114.66)
    assert row["probability"] == pytest.approx(0.0993, abs=0.0005)


def test_the_days_left_are_weighted_by_the_weekday_pattern(con):
    """U adds 20 on weekdays only. From Friday 14/11 to Sunday 30/11 the 16 days left hold ten
    weekdays: two weeks of additions (+200), not 16/7 weeks; from Friday 28/11 the weekend adds
    nothing; from Thursday 27/11, Friday adds its fifth of a week."""
    build(con, lambda day: 20 if day.isoweekday() <= 5 else 0, until=date(2025, 11, 28), target=1)
    for as_of, added in ((date(2025, 11, 14), 200), (date(2025, 11, 28), 0), (date(2025, 11, 27), 20)):
        row = forecast_row(con, as_of)
        assert row["median"] == row["value"] + added, as_of
        assert row["low"] == row["high"] == row["median"]  # every week added exactly 100


def test_under_two_weeks_of_history_no_forecast(con):
    as_of = date(2025, 10, 12)  # 12 days of campaign history, and none before it
    build(con, lambda day: 5, until=as_of, target=2000)
    assert sprint.forecast(con, as_of=as_of).empty


def test_only_remaining_milestones_are_forecast(scenario_con):
    frame = sprint.forecast(scenario_con, as_of=date(2025, 10, 31))
    assert not frame.empty
    assert (frame["milestone"] > pd.Timestamp("2025-10-31")).all()


def test_outlook_is_progress_with_the_current_milestones_chance(demo_con):
    as_of = date(2025, 11, 20)
    outlook = sprint.outlook(demo_con, as_of=as_of, unit="66")
    progress = sprint.progress(demo_con, as_of=as_of, unit="66")
    pd.testing.assert_frame_equal(outlook[progress.columns], progress)
    chances = sprint.forecast(demo_con, as_of=as_of, unit="66")
    merged = outlook.merge(chances, on=["unit_code", "metric", "milestone"], suffixes=("", "_forecast"))
    assert len(merged) == len(outlook)
    assert (merged["probability"] == merged["probability_forecast"]).all()


def test_leaderboard_chances_are_the_mean_over_its_metrics(demo_con):
    as_of = date(2025, 11, 20)
    board = sprint.leaderboard(demo_con, as_of=as_of, chances=True)
    plain = sprint.leaderboard(demo_con, as_of=as_of)
    pd.testing.assert_frame_equal(board.drop(columns="probability"), plain)
    thanh_hoa = sprint.outlook(demo_con, as_of=as_of, unit="38")
    assert board.set_index("unit_code").loc["38", "probability"] == pytest.approx(
        thanh_hoa["probability"].mean(), abs=1e-4)


def test_backtest_of_the_demo_is_calibrated(demo_con):
    """An 80 % band that holds 50 % or 100 % of outcomes is a bug; the probabilities beat the base rate."""
    judged = sprint.backtest(demo_con).set_index(["horizon", "level"])
    for horizon in ("week", "milestone"):
        overall = judged.loc[(horizon, "all")]
        assert overall["forecasts"] > 10_000
        assert 72 <= overall["inside_pct"] <= 88, overall
    milestone = judged.loc[("milestone", "all")]
    assert milestone["brier"] < milestone["base_rate_brier"] / 2


def test_forecast_cli_prints_the_function(demo_store_file, demo_con):
    from click.testing import CliRunner

    from sprint.cli import cli

    result = CliRunner().invoke(cli, ["--db", str(demo_store_file), "forecast", "--as-of", "2025-11-20",
                                      "--unit", "66-EAKAR", "--metric", "health", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "unit_code,unit_name,metric,as_of,milestone,target,value,probability,low,median,high"
    expected = sprint.forecast(demo_con, as_of=date(2025, 11, 20), unit="66-EAKAR", metric="health")
    assert [line.split(",")[7] for line in lines[1:]] == [f"{p:g}" if p not in (0, 1) else str(p)
                                                          for p in expected["probability"]]


def test_a_unit_that_starts_reporting_adds_no_week_to_its_parent(con):
    """N's first report (5,000 on 10/11) is its stock, not an addition: P's forecast is U's pace alone."""
    as_of = date(2025, 11, 20)
    value = build(con, lambda day: 10, until=as_of, target=1)
    sprint.load_units(con, b"unit_code,name,parent_code\nN,Unit N,P\n", name="n.csv")
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-11-10,N,voluntary_si,5000\n", name="n-first.csv")
    sprint.load_targets(con, b"unit_code,metric,milestone,target\nU,voluntary_si,2025-11-30,1\n"
                        b"N,voluntary_si,2025-11-30,1\n", name="t2.csv", replace_all=True)
    row = forecast_row(con, as_of, unit="P")
    assert row["value"] == value + 5000
    assert row["median"] == row["value"] + 100 and row["low"] == row["high"] == row["median"]


def test_a_unit_that_stopped_reporting_has_no_forecast(con):
    """U last reported on 25/10: no week of the last four holds a report, so no chance (not a certain 0 %)."""
    build(con, lambda day: 10, until=date(2025, 10, 25), target=5000)
    assert sprint.forecast(con, as_of=date(2025, 11, 20), unit="U").empty


def test_no_leaderboard_chance_on_a_milestones_own_day(demo_con):
    """On 31/10 the participant metrics' milestone is that day: it is reached or not, no chance to give."""
    board = sprint.leaderboard(demo_con, as_of=date(2025, 10, 31), chances=True)
    assert board["probability"].isna().all()
    assert sprint.leaderboard(demo_con, as_of=date(2025, 10, 30), chances=True)["probability"].notna().all()
