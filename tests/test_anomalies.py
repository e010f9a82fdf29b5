"""Reports that look wrong: each flag on a constructed tree, in the store and in a file's preview."""
from datetime import date, timedelta

import pytest

import sprint

# P with four grassroots units reporting two metrics every day from 20/10 to 19/11
UNITS = (b"unit_code,name,parent_code,population\nP,Province,VN,\nA,Unit A,P,\nB,Unit B,P,\n"
         b"C,Unit C,P,\nD,Unit D,P,2000\n")
FIRST, LAST = date(2025, 10, 20), date(2025, 11, 19)
START = {"A": 500, "B": 600, "C": 700, "D": 800}


def day_rows(day: date, values: dict[str, int]) -> str:
    return "".join(f"{day.isoformat()},{unit},{metric},{value + offset}\n"
                   for unit, value in values.items() for metric, offset in (("health", 0), ("voluntary_si", -400)))


def steady(day: date) -> dict[str, int]:
    """Each unit adds 10 a day on both metrics."""
    return {unit: start + 10 * (day - FIRST).days for unit, start in START.items()}


@pytest.fixture
def tree(con):
    sprint.load_units(con, UNITS, name="u.csv")
    rows = "date,unit_code,metric,value\n" + "".join(
        day_rows(FIRST + timedelta(days=offset), steady(FIRST + timedelta(days=offset)))
        for offset in range((LAST - FIRST).days + 1))
    sprint.ingest(con, rows.encode(), name="history.csv")
    return con


def send(con, day: date, values: dict[str, int], commit=True):
    return sprint.ingest(con, ("date,unit_code,metric,value\n" + day_rows(day, values)).encode(),
                         name=f"day-{day}.csv", commit=commit)


def flags(con, day):
    return sprint.anomalies(con, as_of=day, unit="P")


def test_a_steady_day_has_no_flag(tree):
    send(tree, LAST + timedelta(days=1), steady(LAST + timedelta(days=1)))
    assert flags(tree, LAST + timedelta(days=1)).empty


def test_a_jump_and_a_drop_far_outside_the_units_own_changes(tree):
    day = LAST + timedelta(days=1)
    values = steady(day)
    values["A"] += 300   # +310 instead of +10
    values["B"] -= 200   # -190 instead of +10
    send(tree, day, values)
    found = flags(tree, day)
    jumps = found[found["kind"].isin(["jump", "drop"])].set_index(["unit_code", "metric", "kind"])
    assert set(jumps.index) == {("A", "health", "jump"), ("A", "voluntary_si", "jump"),
                                ("B", "health", "drop"), ("B", "voluntary_si", "drop")}
    row = jumps.loc[("A", "health", "jump")]
    assert (row["value"], row["previous"], row["usual"]) == (values["A"], steady(LAST)["A"], 10)


def test_a_monday_report_after_a_weekend_is_not_a_jump(con):
    """Reports on weekdays only: Monday's change holds three days of additions."""
    sprint.load_units(con, UNITS, name="u.csv")
    days = [FIRST + timedelta(days=offset) for offset in range(26) if (FIRST + timedelta(days=offset)).isoweekday() <= 5]
    sprint.ingest(con, ("date,unit_code,metric,value\n" + "".join(day_rows(d, steady(d)) for d in days)).encode(),
                  name="weekdays.csv")
    monday = days[-1] + timedelta(days=3)  # FIRST is a Monday: the last of the 26 days a Friday
    assert monday.isoweekday() == 1
    send(con, monday, steady(monday))
    assert flags(con, monday).empty


def test_a_copied_sheet_while_the_peers_moved(tree):
    day = LAST + timedelta(days=1)
    values = steady(day)
    values["C"] = steady(LAST)["C"]  # C sends yesterday's sheet again
    send(tree, day, values)
    found = flags(tree, day)
    assert found[["unit_code", "kind"]].values.tolist() == [["C", "copied"]]


def test_a_silent_unit(tree):
    """From 20/11 to 25/11 only A, B and C report: D misses five reporting days."""
    for offset in range(1, 7):
        day = LAST + timedelta(days=offset)
        send(tree, day, {unit: value for unit, value in steady(day).items() if unit != "D"})
    found = flags(tree, LAST + timedelta(days=6))
    silent = found[found["kind"] == "silent"]
    assert silent[["unit_code", "usual"]].values.tolist() == [["D", 6]]
    assert flags(tree, LAST + timedelta(days=2)).query("kind == 'silent'").empty  # two days are not silence


def test_a_count_above_the_units_population(tree):
    day = LAST + timedelta(days=1)
    values = steady(day)
    assert values["D"] < 2_000
    values["D"] = 2_150  # health 2,150 for a population of 2,000 (a jump as well)
    send(tree, day, values)
    found = flags(tree, day).query("kind == 'above_population'")
    assert found[["unit_code", "metric", "value", "usual"]].values.tolist() == [["D", "health", 2150, 2000]]


def test_the_upload_preview_flags_the_file_before_it_is_committed(tree):
    day = LAST + timedelta(days=1)
    values = steady(day)
    values["A"] += 300
    values["C"] = steady(LAST)["C"]
    check = send(tree, day, values, commit=False)
    assert not check.committed
    assert sorted(set(zip(check.flags["unit_code"], check.flags["kind"]))) == [("A", "jump"), ("C", "copied")]
    assert tree.execute("SELECT count(*) FROM counts WHERE date = ?", [day]).fetchall()[0][0] == 0
    committed = send(tree, day, values)
    assert committed.flags is None  # flags are a preview's: a commit is never held back by them
    stored = flags(tree, day)
    assert sorted(set(zip(stored["unit_code"], stored["kind"]))) == [("A", "jump"), ("C", "copied")]


def test_a_file_for_one_unit_is_judged_against_its_stored_peers(tree):
    day = LAST + timedelta(days=1)
    today = steady(day)
    send(tree, day, {unit: value for unit, value in today.items() if unit != "C"})
    check = send(tree, day, {"C": steady(LAST)["C"]}, commit=False)
    assert check.flags[["unit_code", "kind"]].values.tolist() == [["C", "copied"]]


def test_anomalies_cli(tmp_store):
    from click.testing import CliRunner

    from sprint.cli import cli

    con = sprint.connect(tmp_store)
    sprint.init_store(con)
    sprint.load_units(con, UNITS, name="u.csv")
    rows = "date,unit_code,metric,value\n" + "".join(
        day_rows(FIRST + timedelta(days=offset), steady(FIRST + timedelta(days=offset))) for offset in range(20))
    values = steady(FIRST + timedelta(days=20))
    values["A"] += 300
    sprint.ingest(con, (rows + day_rows(FIRST + timedelta(days=20), values)).encode(), name="c.csv")
    con.close()
    result = CliRunner().invoke(cli, ["--db", str(tmp_store), "anomalies", "--as-of", "2025-11-09", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [  # metrics in their usual order: voluntary before health
        "date,unit_code,unit_name,metric,kind,value,previous,usual",
        f"2025-11-09,A,Unit A,voluntary_si,jump,{values['A'] - 400},{steady(FIRST + timedelta(days=19))['A'] - 400},10",
        f"2025-11-09,A,Unit A,health,jump,{values['A']},{steady(FIRST + timedelta(days=19))['A']},10",
    ]


def test_a_unit_that_never_reported_is_silent(tree):
    sprint.load_units(tree, b"unit_code,name,parent_code\nE,Unit E,P\n", name="e.csv")
    found = flags(tree, LAST).query("kind == 'silent'")
    assert found["unit_code"].tolist() == ["E"]
    assert found["usual"].iloc[0] >= 28  # every reporting day of the last four weeks


def test_an_unchanged_money_report_is_no_copied_sheet(tree):
    """A sends only its monthly money figures today, the same as last time; its peers' people moved."""
    day = LAST + timedelta(days=1)
    money = "".join(f"{d},A,{metric},1000\n" for d in (LAST, day) for metric in ("revenue", "late_debt"))
    others = day_rows(day, {unit: value for unit, value in steady(day).items() if unit != "A"})
    sprint.ingest(tree, ("date,unit_code,metric,value\n" + money + others).encode(), name="money.csv")
    assert flags(tree, day).query("kind == 'copied'").empty
