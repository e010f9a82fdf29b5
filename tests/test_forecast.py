"""The forecast on constructed series, with the numbers worked out by hand, and its backtest.

Each series is one grassroots unit U under P under VN, metric voluntary_si, reported every day
from the campaign's baseline (2025-09-30), so the nation's weekday profile is U's own.
"""
import json
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


def alternating(as_of):
    """20 a day in the weeks 0, 2 … before as_of, 10 a day in weeks 1, 3 …: the hand example's weeks."""
    return lambda day: 20 if ((as_of - day).days // 7) % 2 == 0 else 10


def build_metrics(con, additions: dict, *, until: date, start: int = 1000) -> dict:
    """U reports every metric of `additions` (metric -> daily addition) every day from the
    baseline to `until`; its value of each on `until`."""
    rows, last = [], {}
    for metric, addition in additions.items():
        value, day = start, BASELINE
        while day <= until:
            rows.append((day.isoformat(), "U", metric, value))
            last[metric] = value
            day += timedelta(days=1)
            value += addition(day)
    sprint.load_units(con, UNITS, name="u.csv")
    sprint.ingest(con, pd.DataFrame(rows, columns=["date", "unit_code", "metric", "value"]).to_csv(index=False).encode(),
                  name="c.csv")
    return last


def test_the_chance_of_every_metric_is_the_product_of_their_chances(con):
    """Three metrics of U on 16/11, 14 days before the 30/11 milestone: voluntary_si has the hand
    example's weeks and a target 115 above its median (0.0993, test_the_band_and_probability_by_hand),
    health the same weeks and a target at its median (z = 0: 0.5), compulsory_si a steady 100 a day
    and a target below its median (1). Every one must make it: 0.0993 × 0.5 × 1 = 0.0497, never
    above its weakest metric's 0.0993 (the mean of the chances, the rule before, said 0.5331)."""
    as_of = date(2025, 11, 16)
    values = build_metrics(con, {"voluntary_si": alternating(as_of), "health": alternating(as_of),
                                 "compulsory_si": lambda day: 100}, until=as_of)
    targets = {"voluntary_si": values["voluntary_si"] + 210 + 115, "health": values["health"] + 210,
               "compulsory_si": values["compulsory_si"] + 1000}
    sprint.load_targets(con, ("unit_code,metric,milestone,target\n" + "".join(
        f"U,{metric},2025-11-30,{target}\n" for metric, target in targets.items())).encode(), name="t.csv",
        replace_all=True)
    chances = sprint.forecast(con, as_of=as_of, unit="U").set_index("metric")["probability"]
    assert chances.to_dict() == pytest.approx({"voluntary_si": 0.0993, "health": 0.5, "compulsory_si": 1.0},
                                              abs=0.0005)
    board = sprint.leaderboard(con, as_of=as_of, parent="P", chances=True).iloc[0]
    assert board["probability"] == pytest.approx(0.0993 * 0.5, abs=0.0005)
    assert (board["weakest_metric"], board["weakest_probability"]) == ("voluntary_si", pytest.approx(0.0993, abs=5e-4))
    alone = sprint.chance_of_all_metrics(con, as_of=as_of, unit="U").iloc[0]
    assert (alone["probability"], alone["weakest_metric"]) == (board["probability"], "voluntary_si")


def test_thanh_hoa_sure_of_four_metrics_and_not_of_health_has_no_chance_of_all(demo_con):
    """The issue's case: on 20/11 Thanh Hóa's chances are 100 % for four metrics and 0 % for
    health; the mean said 80 %, the chance that all five make it is 0, health the weakest. (Social
    insurance, all, the sum of two of them, has a chance of its own, and is not one of the five.)"""
    as_of = date(2025, 11, 20)
    chances = sprint.outlook(demo_con, as_of=as_of, unit="38").set_index("metric")["probability"]
    assert chances.pop("social_insurance") == 1
    assert chances["health"] == 0 and chances.mean() == pytest.approx(0.8, abs=1e-3)
    board = sprint.leaderboard(demo_con, as_of=as_of, chances=True)
    plain = sprint.leaderboard(demo_con, as_of=as_of)
    pd.testing.assert_frame_equal(board[plain.columns], plain)
    thanh_hoa = board.set_index("unit_code").loc["38"]
    assert (thanh_hoa["probability"], thanh_hoa["weakest_metric"], thanh_hoa["weakest_probability"]) == (0, "health", 0)
    assert (board["probability"] <= board["weakest_probability"]).all()


def test_the_backtest_of_the_chance_of_all_metrics_by_hand(con):
    """U adds 100 compulsory_si and 10 voluntary_si every day to 31/10, the milestone: compulsory's
    target is 50 under its outcome (a chance of 1, made), voluntary's 50 over (0, missed). Every day
    from 14/10 (two weeks into the campaign) to 30/10 is judged, 17 days for U, for P and for the
    nation: the joint chance and the weakest say 0 and all did not make it (Brier 0); the mean
    said 0.5 (Brier 0.25)."""
    values = build_metrics(con, {"compulsory_si": lambda day: 100, "voluntary_si": lambda day: 10},
                           until=date(2025, 10, 31))
    sprint.load_targets(con, (f"unit_code,metric,milestone,target\nU,compulsory_si,2025-10-31,{values['compulsory_si'] - 50}\n"
                              f"U,voluntary_si,2025-10-31,{values['voluntary_si'] + 50}\n").encode(), name="t.csv",
                        replace_all=True)
    judged = sprint.backtest_all_metrics(con).set_index(["level", "chance"])
    assert judged["forecasts"].to_dict() == {("all", "all"): 51, ("national", "all"): 17, ("province", "all"): 17,
                                             ("grassroots", "all"): 17, ("all", "0-20 %"): 51}
    overall = judged.loc[("all", "all")]
    assert overall[["reached_pct", "joint_pct", "weakest_pct", "mean_pct"]].tolist() == [0, 0, 0, 50]
    assert overall[["brier_joint", "brier_weakest", "brier_mean", "base_rate_brier"]].tolist() == [0, 0, 0.25, 0]


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
    assert lines[0] == ("unit_code,unit_name,metric,as_of,milestone,target,value,probability,low,median,high,"
                        "recent_report_days,no_chance")
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


@pytest.mark.parametrize("last_report, report_days, chance_given", [
    (date(2025, 11, 10), 4, False),  # silent since 11/11: 7–10/11 are its only reports of the last 14 days
    (date(2025, 11, 11), 5, True),   # five of them: half the ten working days of two weeks, the least that counts
])
def test_a_unit_that_went_quiet_gets_no_chance_and_says_why(con, last_report, report_days, chance_given):
    """The issue's case: U added 4 a day and then stopped reporting, 12 a day short of its target.
    On 20/11 its last weeks still hold reports (so it has a forecast), but a chance would rest on a
    pace it no longer shows: under 5 report days of the last 14, none (null), with the reason; its
    parent P reports through it alone and says the same."""
    build(con, lambda day: 4, until=last_report, target=1000 + 51 * 4 + 12 * 10)
    for unit in ("U", "P"):
        row = forecast_row(con, date(2025, 11, 20), unit=unit)
        assert row["recent_report_days"] == report_days
        assert pd.notna(row["probability"]) == chance_given
        assert row["no_chance"] == (None if chance_given else "few_reports")
    card = sprint.outlook(con, as_of=date(2025, 11, 20), unit="U").iloc[0]
    assert (pd.isna(card["probability"]), card["no_chance"]) == (not chance_given, row["no_chance"])
    everything = sprint.leaderboard(con, as_of=date(2025, 11, 20), parent="P", chances=True).iloc[0]
    assert everything["no_chance"] == row["no_chance"]
    assert pd.notna(everything["probability"]) == chance_given


def test_a_quiet_units_chance_is_null_in_the_cli_json(demo_store_file):
    """Hà Nam (37-HANAM) in the demo is silent from 3/11 to 11/11: on 11/11 it reported on 3 of the last 14 days."""
    from click.testing import CliRunner

    from sprint.cli import cli

    for command in (["forecast", "--unit", "37-HANAM", "--metric", "health"], ["chances", "--unit", "37-HANAM"]):
        result = CliRunner().invoke(cli, ["--db", str(demo_store_file), *command, "--as-of", "2025-11-11",
                                          "--format", "json"])
        assert result.exit_code == 0, result.output
        rows = json.loads(result.output)
        assert rows and all(row["probability"] is None and row["no_chance"] == "few_reports" for row in rows), rows
