"""The command line, through click's CliRunner: output and exit codes of the data contract."""
import json
from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import DATA, SCENARIO
from sprint.cli import cli


@pytest.fixture
def run(tmp_store):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, [*args, "--db", str(tmp_store)] if args[0] != "--help" else list(args))
    return invoke


@pytest.fixture
def scenario_store(run):
    assert run("init").exit_code == 0
    assert run("load-units", str(SCENARIO / "units.csv")).exit_code == 0
    assert run("load-targets", str(SCENARIO / "targets.csv"), "--replace-all").exit_code == 0
    result = run("ingest", str(SCENARIO / "counts-1.csv"), str(SCENARIO / "counts-2-correction.csv"))
    assert result.exit_code == 0, result.output
    return run


def test_init_reports_the_campaign(run):
    result = run("init")
    assert result.exit_code == 0
    assert "campaigns 2025" in result.output


def test_progress_json_has_the_contract_keys(scenario_store):
    result = scenario_store("progress", "--as-of", "2025-10-17", "--unit", "A", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert set(rows[0]) >= {"unit_code", "unit_name", "metric", "as_of", "value", "baseline", "milestone",
                            "target", "attainment_pct", "plan", "plan_pct", "gap", "development_pct",
                            "days_left", "required_daily", "pace_7d", "projected", "status"}
    assert rows[0]["value"] == 117 and rows[0]["as_of"] == "2025-10-17" and rows[0]["milestone"] == "2025-10-31"
    assert rows[0]["attainment_pct"] == 97.5 and rows[0]["status"] == "on_track"


def test_missing_values_are_null_in_json(scenario_store):
    rows = json.loads(scenario_store("progress", "--as-of", "17/10/2025", "--unit", "L", "--format", "json").output)
    assert rows[0]["baseline"] is None and rows[0]["development_pct"] is None


def test_progress_levels_and_csv(scenario_store):
    result = scenario_store("progress", "--as-of", "2025-10-17", "--level", "province", "--format", "csv")
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("unit_code,unit_name,metric,as_of,value")
    assert [line.split(",")[0] for line in lines[1:]] == ["P1", "P2"]


def test_leaderboard_json(scenario_store):
    result = scenario_store("leaderboard", "--as-of", "2025-10-17", "--level", "grassroots",
                            "--metric", "voluntary_si", "--format", "json")
    rows = json.loads(result.output)
    assert [(r["rank"], r["unit_code"], r["rank_change"]) for r in rows] == [
        (1, "A", 1), (2, "B", -1), (3, "F", 0), (4, "L", 0)]


def test_leaderboard_parent(scenario_store):
    rows = json.loads(scenario_store("leaderboard", "--as-of", "2025-10-17", "--parent", "P2",
                                     "--format", "json").output)
    assert [r["unit_code"] for r in rows] == ["F", "L"]


def test_rejected_file_exits_1_with_line_and_column(scenario_store):
    result = scenario_store("ingest", str(DATA / "bad" / "negative.csv"))
    assert result.exit_code == 1
    assert "negative.csv was rejected (1 problem); nothing was saved." in result.output
    assert "negative.csv, line 2, column value: a count cannot be negative" in result.output
    assert "Traceback" not in result.output


def test_resent_file_exits_0_and_says_so(scenario_store):
    result = scenario_store("ingest", str(SCENARIO / "counts-1.csv"))
    assert result.exit_code == 0
    assert "already taken" in result.output


def test_warnings_are_reported_not_blocking(scenario_store, tmp_path):
    path = tmp_path / "jump.csv"
    path.write_text("date,unit_code,metric,value\n2025-10-20,A,voluntary_si,300\n")
    result = scenario_store("ingest", str(path))
    assert result.exit_code == 0
    assert "warning: jump.csv, line 2, column value: this count jumps by 156.4 %" in result.output


def test_unknown_unit_is_a_sentence_not_a_traceback(scenario_store):
    result = scenario_store("progress", "--as-of", "2025-10-17", "--unit", "NOPE")
    assert result.exit_code == 1
    assert result.output.strip() == "Unknown unit 'NOPE'."


def test_bad_date_option(scenario_store):
    result = scenario_store("progress", "--as-of", "17.10.2025")
    assert result.exit_code == 2
    assert "is not a date; write 2025-11-20 or 20/11/2025" in result.output


def test_as_of_defaults_to_the_latest_complete_day(run, tmp_path):
    """10-03: all four units reported; 10-04: one of four (see test_progress's completeness days)."""
    from test_progress import COMPLETENESS_DAYS

    days = tmp_path / "days.csv"
    days.write_text(COMPLETENESS_DAYS)
    for command in (("init",), ("load-units", str(SCENARIO / "units.csv")),
                    ("load-targets", str(SCENARIO / "targets.csv"), "--replace-all"), ("ingest", str(days))):
        assert run(*command).exit_code == 0
    rows = json.loads(run("progress", "--unit", "A", "--format", "json").output)
    assert rows[0]["as_of"] == "2025-10-03"
    reported = json.loads(run("reporting", "--as-of", "2025-10-04", "--format", "json").output)
    assert {r["unit_code"]: r["reported"] for r in reported} == {"A": True, "B": False, "F": False, "L": False}


def test_init_demo_then_reset(run, tmp_store):
    result = run("init", "--demo")
    assert result.exit_code == 0, result.output
    assert "from 340 units" in result.output
    again = run("init", "--demo")  # init is safe to run again: it never loads the demo over data
    assert again.exit_code == 0 and "already holds counts, so the demo was not loaded" in again.output
    assert "from 340 units" in again.output
    assert run("init", "--demo", "--reset").exit_code == 0
    table = run("progress", "--as-of", "2025-09-30", "--unit", "66", "--metric", "compulsory_si")
    assert "178959" in table.output and "93.6" in table.output
    assert date(2025, 9, 30).isoformat() in table.output


def test_db_may_come_before_the_command(tmp_store):
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(tmp_store), "init"]).exit_code == 0
    assert tmp_store.exists()


def test_an_empty_file_names_line_1(scenario_store):
    result = scenario_store("ingest", str(DATA / "bad" / "empty.csv"))
    assert result.exit_code == 1
    assert "empty.csv, line 1: the file is empty" in result.output


def test_simulate_then_watch_once(tmp_store, tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--demo", "--db", str(tmp_store)]).exit_code == 0
    inbox = tmp_path / "inbox"
    sent = runner.invoke(cli, ["simulate", "--inbox", str(inbox), "--every", "0", "--days", "2"])
    assert sent.exit_code == 0, sent.output
    assert sorted(p.name for p in inbox.glob("*.csv")) == ["sim-2025-11-21.csv", "sim-2025-11-22.csv"]
    taken = runner.invoke(cli, ["watch", str(inbox), "--once", "--settle", "0", "--db", str(tmp_store)])
    assert taken.exit_code == 0, taken.output
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["sim-2025-11-21.csv", "sim-2025-11-22.csv"]
    rows = json.loads(runner.invoke(cli, ["progress", "--unit", "VN", "--metric", "health", "--format", "json",
                                          "--db", str(tmp_store)]).output)
    assert rows[0]["as_of"] == "2025-11-21"  # Saturday 22/11: 47 of 340 units reported, a partial day


@pytest.mark.parametrize("command, function, arguments", [
    (["movers", "--level", "grassroots"], "top_movers", {"level": "grassroots"}),
    (["reporting", "--unit", "66"], "reporting", {"unit": "66"}),
    (["matrix", "--parent", "66"], "attainment_matrix", {"parent": "66"}),
    (["late-payment", "--level", "province"], "late_payment", {"level": "province"}),
    (["coverage", "--level", "province"], "coverage", {"level": "province"}),
])
def test_every_read_has_a_command_printing_the_same_rows(demo_store_file, tmp_path, command, function, arguments):
    import shutil

    import sprint

    store = tmp_path / "demo.duckdb"
    shutil.copy(demo_store_file, store)
    result = CliRunner().invoke(cli, [*command, "--as-of", "2025-11-20", "--format", "json", "--db", str(store)])
    assert result.exit_code == 0, result.output
    con = sprint.connect(store)
    frame = getattr(sprint, function)(con, as_of=date(2025, 11, 20), **arguments)
    con.close()
    frame = frame.reset_index() if frame.index.name else frame
    printed = json.loads(result.output)
    assert len(printed) == len(frame) > 0
    assert list(printed[0]) == list(frame.columns)
    for column in frame.columns:  # every cell: the command prints the function's rows
        expected = [None if pd.isna(v) else v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else v
                    for v in frame[column].tolist()]
        assert [row[column] for row in printed] == pytest.approx(expected, nan_ok=True), column


def test_series_and_trend_commands(scenario_store):
    rows = json.loads(scenario_store("series", "--unit", "P2", "--metric", "voluntary_si", "--start", "2025-10-05",
                                     "--end", "2025-10-07", "--format", "json").output)
    assert [r["value"] for r in rows] == [33, 43, 43]  # F's 33 carried; L joins with 10 on 10-06
    rows = json.loads(scenario_store("trend", "--parent", "P1", "--metric", "voluntary_si", "--start", "2025-10-17",
                                     "--end", "2025-10-17", "--format", "json").output)
    assert {r["unit_code"]: r["plan_pct"] for r in rows} == {"A": 58.5, "B": 63.33}  # 117/200, 76/120


def test_history_command_lists_uploads_newest_first(scenario_store):
    rows = json.loads(scenario_store("history", "--format", "json").output)
    assert [r["kind"] for r in rows[:2]] == ["counts", "counts"]
    assert rows[0]["upload_id"] > rows[-1]["upload_id"]


def test_csv_output_neutralises_formula_cells(run, tmp_path):
    assert run("init").exit_code == 0
    units = tmp_path / "units.csv"
    units.write_text('unit_code,name,parent_code\nX,"=HYPERLINK(""http://evil.example"")",VN\n', encoding="utf-8")
    assert run("load-units", str(units)).exit_code == 0
    (tmp_path / "t.csv").write_text("unit_code,metric,milestone,target\nX,health,2025-10-31,10\n")
    assert run("load-targets", str(tmp_path / "t.csv"), "--replace-all").exit_code == 0
    output = run("progress", "--as-of", "2025-10-17", "--unit", "X", "--format", "csv").output
    assert "'=HYPERLINK" in output and "\n=HYPERLINK" not in output.replace(",=", "\n=")


@pytest.mark.parametrize("command", [["forecast", "--backtest"], ["briefing", "--out", "x.pdf"], ["progress"]])
def test_a_date_outside_any_campaign_year_is_a_sentence(demo_store_file, command):
    result = CliRunner().invoke(cli, ["--db", str(demo_store_file), *command, "--as-of", "9999-12-31"])
    assert result.exit_code == 2
    assert "'9999-12-31' is outside the years 2000–2100" in result.output


def test_a_backtest_asked_past_the_latest_report_stops_at_it(demo_store_file):
    later = CliRunner().invoke(cli, ["--db", str(demo_store_file), "forecast", "--backtest", "--as-of", "2030-01-01",
                                     "--format", "csv"])
    latest = CliRunner().invoke(cli, ["--db", str(demo_store_file), "forecast", "--backtest", "--as-of", "2025-11-20",
                                      "--format", "csv"])
    assert later.exit_code == 0, later.output
    assert later.output == latest.output


def test_the_process_prints_everything_and_exits_with_the_commands_code(scenario_store, tmp_store):
    """`python -m sprint` ends without the interpreter's teardown (sprint.__main__): the output
    must still be whole and the exit code the command's, for a figure, a refused unit and a typo."""
    import subprocess
    import sys

    def process(*args):
        return subprocess.run([sys.executable, "-m", "sprint", *args, "--db", str(tmp_store)],
                              capture_output=True, text=True, timeout=120)
    board = ("leaderboard", "--as-of", "2025-10-17", "--level", "grassroots", "--format", "csv")
    printed = process(*board)
    assert printed.returncode == 0 and printed.stdout == scenario_store(*board).output
    refused = process("progress", "--as-of", "2025-10-17", "--unit", "NOPE")
    assert refused.returncode == 1 and "NOPE" in refused.stderr and "Traceback" not in refused.stderr
    assert process("progres").returncode == 2
    day = tmp_store.parent / "day.csv"
    day.write_text("date,unit_code,metric,value\n2025-10-21,A,voluntary_si,130\n")
    closed = subprocess.run(["sh", "-c", f'"{sys.executable}" -m sprint ingest "$1" --db "$2" >&-', "sh",
                             str(day), str(tmp_store)], capture_output=True, text=True, timeout=120)
    assert closed.returncode == 0 and "Traceback" not in closed.stderr  # stdout closed (cron): taken, exit 0
    assert "day.csv" in process("history", "--format", "csv").stdout


def test_progress_after_the_campaign_says_it_ended_and_gives_the_final_result(scenario_store, tmp_path):
    """B reported 115 on 31/12 against 120: 15 days later it missed by 5, with no day left and
    nothing needed a day; stderr says the campaign has ended, stdout stays the rows."""
    (tmp_path / "end.csv").write_text("date,unit_code,metric,value\n2025-12-31,B,voluntary_si,115\n")
    assert scenario_store("ingest", str(tmp_path / "end.csv")).exit_code == 0
    result = scenario_store("progress", "--as-of", "2026-01-15", "--unit", "B", "--format", "json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert (row["value"], row["target"], row["gap"], row["milestone"]) == (115, 120, 5, "2025-12-31")
    assert (row["days_left"], row["required_daily"], row["status"]) == (0, None, "missed")
    assert result.stderr == "The campaign 2025 ended on 2025-12-31: these are its final results.\n"
    during = scenario_store("progress", "--as-of", "2025-12-30", "--unit", "B", "--format", "json")
    assert during.stderr == "" and json.loads(during.stdout)[0]["status"] == "behind"
