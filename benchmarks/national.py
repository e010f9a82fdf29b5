"""The engine at national scale, against a hand-written floor and plain pandas. Prints numbers.

    python benchmarks/national.py [--days 93] [--store PATH]

Builds (or reuses) the national store: 34 provinces and 3,321 communes from vietnam-provinces,
six metrics, a report from almost every commune every day from 2025-08-31, targets at commune,
province and national level. Then, medians of several runs, side by side with their ratio:

- progress for every unit and metric (with the year-on-year columns and social insurance, all),
  and the leaderboard of all communes, against a floor query
  (hand-written DuckDB over the base tables, using what is known of this store: three levels,
  fallback targets only at the national level) and a plain pandas implementation; the rows of
  all three are asserted equal;
- a validated day ingest against read_csv of the same file into a table.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import sprint  # noqa: E402
from floor import FLOOR_BOARD_SQL, FLOOR_PROGRESS_SQL  # noqa: E402
from sprint import national  # noqa: E402

def pandas_progress(units: pd.DataFrame, targets: pd.DataFrame, counts: pd.DataFrame, d: date) -> pd.DataFrame:
    """progress as an analyst would write it in pandas, for this three-level store."""
    day = pd.Timestamp(d)

    def value_at(limit):
        upto = counts[counts["date"] <= limit]
        latest = upto.loc[upto.groupby(["unit_code", "metric"])["date"].idxmax(), ["unit_code", "metric", "value"]]
        latest = latest.merge(units[["unit_code", "parent_code"]], on="unit_code")
        provinces = latest.groupby(["parent_code", "metric"], as_index=False)["value"].sum().rename(
            columns={"parent_code": "unit_code"})
        nation = latest.groupby("metric", as_index=False)["value"].sum().assign(unit_code="VN")
        every = pd.concat([latest[["unit_code", "metric", "value"]], provinces, nation], ignore_index=True)
        parts = every[every["metric"].isin(["compulsory_si", "voluntary_si"])]
        both = parts.groupby("unit_code")["value"].agg(["sum", "count"])
        summed = both[both["count"] == 2]["sum"].rename("value").reset_index().assign(metric="social_insurance")
        return pd.concat([every, summed], ignore_index=True)

    values = value_at(day).merge(value_at(day - pd.Timedelta(days=7)), on=["unit_code", "metric"], how="left",
                                 suffixes=("", "_week_ago"))
    values = values.merge(value_at(pd.Timestamp(2025, 9, 30)).rename(columns={"value": "baseline"}),
                          on=["unit_code", "metric"], how="left")
    own = targets[["unit_code", "metric", "milestone", "target"]]
    province_sums = own.merge(units[["unit_code", "parent_code"]], on="unit_code")
    province_sums = province_sums[province_sums["parent_code"] == "VN"]
    sums = province_sums.groupby(["metric", "milestone"]).agg(target=("target", "sum"), n=("target", "size")).reset_index()
    sums = sums[sums["n"] == (units["parent_code"] == "VN").sum()].drop(columns="n").assign(unit_code="VN")
    sums = sums.merge(own, on=["unit_code", "metric", "milestone"], how="left", indicator=True)
    sums = sums[sums["_merge"] == "left_only"][["unit_code", "metric", "milestone", "target_x"]].rename(
        columns={"target_x": "target"})
    every = pd.concat([own, sums], ignore_index=True)
    upcoming = every[every["milestone"] >= day].sort_values("milestone").groupby(["unit_code", "metric"]).head(1)
    last = every.sort_values("milestone").groupby(["unit_code", "metric"]).tail(1)
    current = pd.concat([upcoming, last]).drop_duplicates(["unit_code", "metric"], keep="first")
    plan = every[every["milestone"] == pd.Timestamp(2025, 12, 31)][["unit_code", "metric", "target"]].rename(
        columns={"target": "plan"})
    frame = current.merge(plan, on=["unit_code", "metric"], how="left").merge(values, on=["unit_code", "metric"], how="left")
    frame["days_left"] = (frame["milestone"] - day).dt.days
    frame["attainment_pct"] = (100 * frame["value"] / frame["target"]).round(2)
    frame["gap"] = (frame["target"] - frame["value"]).clip(lower=0)
    frame["pace_7d"] = (frame["value"] - frame["value_week_ago"]) / 7
    frame["projected"] = frame["value"] + frame["pace_7d"] * frame["days_left"]
    frame["required_daily"] = np.where(frame["days_left"] > 0, frame["gap"] / frame["days_left"], np.nan)
    frame["status"] = np.select(
        [frame["value"].isna(), frame["value"] >= frame["target"], frame["projected"] >= frame["target"]],
        ["no_data", "achieved", "on_track"], "behind")
    return frame


def median_ms(function, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), result


def row(label: str, ms: float, against: float | None = None) -> None:
    """A time, or with `against` the ratio of two times."""
    print(f"  {label:<60} {ms / against:8.2f}x" if against else f"  {label:<60} {ms:8.1f} ms")


def compare(con, runs: int) -> None:
    d = sprint.latest_date(con)
    print(f"as of {d}: {con.execute('SELECT count(*) FROM counts').fetchall()[0][0]:,} count rows, "
          f"{con.execute('SELECT count(*) FROM units').fetchall()[0][0]:,} units")

    engine_ms, engine = median_ms(lambda: sprint.progress(con, as_of=d), runs)
    floor_ms, floor = median_ms(lambda: con.execute(FLOOR_PROGRESS_SQL, {"d": d, "baseline": date(2025, 9, 30)}).df(), runs)
    key = ["unit_code", "metric"]
    floor = floor.sort_values(key).reset_index(drop=True)
    mine = engine.sort_values(key).reset_index(drop=True)
    for column in sprint.progress.__globals__["PROGRESS_COLUMNS"]:
        a, b = mine[column], floor[column]
        if pd.api.types.is_numeric_dtype(a):
            assert np.allclose(a.astype(float), b.astype(float), equal_nan=True, rtol=0, atol=1e-6), column
        else:
            assert (a.astype(str) == b.astype(str)).all(), column
    units, targets = con.execute("SELECT * FROM units").df(), con.execute("SELECT * FROM targets").df()
    loaded_ms, counts = median_ms(lambda: con.execute("SELECT date, unit_code, metric, value FROM counts").df(), 1)
    pandas_ms, frame = median_ms(lambda: pandas_progress(units, targets, counts, d), max(1, runs // 3))
    assert len(frame) == len(engine) and (frame.sort_values(key)["status"].to_numpy() == mine["status"].to_numpy()).all()
    print(f"progress, every unit and metric ({len(engine):,} rows; the three agree)")
    row("engine (sprint.progress)", engine_ms)
    row("floor (hand-written DuckDB, base tables)", floor_ms)
    row("engine / floor", engine_ms, floor_ms)
    row(f"pandas (counts already in memory; loading them: {loaded_ms:,.0f} ms)", pandas_ms)
    row("engine / pandas", engine_ms, pandas_ms)

    board_ms, board = median_ms(lambda: sprint.leaderboard(con, as_of=d, level="grassroots"), runs)
    floor_board_ms, floor_board = median_ms(lambda: con.execute(FLOOR_BOARD_SQL, {"d": d}).df(), runs)
    columns = ["rank", "unit_code", "unit_name", "score", "rank_change"]
    assert board[columns].astype(str).equals(floor_board[columns].astype(str))
    print(f"leaderboard of the communes, all metrics ({len(board):,} rows; engine and floor agree)")
    row("engine (sprint.leaderboard)", board_ms)
    row("floor (hand-written DuckDB, base tables)", floor_board_ms)
    row("engine / floor", board_ms, floor_board_ms)
    for label, function in [
        ("progress, one province (Đắk Lắk, 102 communes)", lambda: sprint.progress(con, as_of=d, unit="66")),
        ("progress, one commune", lambda: sprint.progress(con, as_of=d, unit="66-24415")),
        ("top movers of the communes", lambda: sprint.top_movers(con, as_of=d, level="grassroots")),
        ("attainment matrix of the provinces", lambda: sprint.attainment_matrix(con, as_of=d)),
        ("series, national, every day", lambda: sprint.series(con, unit="VN", metric="health",
                                                              start=date(2025, 8, 31), end=d)),
        ("trend, 34 provinces, every day", lambda: sprint.trend(con, parent="VN", metric="health",
                                                                start=date(2025, 8, 31), end=d)),
        ("reporting, every commune", lambda: sprint.reporting(con, as_of=d)),
        ("late payment, the provinces", lambda: sprint.late_payment(con, as_of=d, level="province")),
        ("coverage, every unit", lambda: sprint.coverage(con, as_of=d)),
        ("target path, the nation", lambda: sprint.target_path(con, unit="VN", metric="health", as_of=d)),
        ("upload history, 30 latest", lambda: sprint.upload_history(con, limit=30)),
        ("upload history of a province, 30 latest", lambda: sprint.upload_history(con, unit="66", limit=30)),
        ("units (3,356, with labels)", lambda: sprint.units(con)),
        ("targets (43,621)", lambda: sprint.targets(con)),
        ("data_versions (read once per page rerun)", lambda: sprint.data_versions(con)),
        ("forecast, every unit and metric", lambda: sprint.forecast(con, as_of=d)),
        ("forecast, one province", lambda: sprint.forecast(con, as_of=d, unit="66")),
        ("outlook (progress + chance), one province", lambda: sprint.outlook(con, as_of=d, unit="66")),
        ("outlook, the communes of one province", lambda: sprint.outlook(con, as_of=d, parent="66")),
        ("leaderboard of the communes with chances", lambda: sprint.leaderboard(con, as_of=d, level="grassroots",
                                                                                chances=True)),
        ("allocate, a province's gap over its communes", lambda: sprint.allocate(con, unit="66", metric="health",
                                                                                 as_of=d)),
        ("allocate, the nation's gap over the provinces", lambda: sprint.allocate(con, unit="VN", metric="health",
                                                                                  as_of=d)),
        ("anomalies, every commune", lambda: sprint.anomalies(con, as_of=d)),
    ]:
        row(label, median_ms(function, runs)[0])


def load_reference(con, folder: Path, runs: int) -> None:
    """Units and targets files of the nation, each load rebuilding the derived structure."""
    print("loading the reference files (each rebuilds the tree closure and the effective targets)")
    units, targets = folder / "units.csv", folder / "targets.csv"
    national.national_units().to_csv(units, index=False)
    con.execute("COPY (SELECT unit_code, metric, milestone, target FROM targets) TO '" + str(targets) + "' (HEADER)")
    for label, load in [("units file, 3,356 rows", lambda: sprint.load_units(con, units)),
                        ("targets file, 43,621 rows", lambda: sprint.load_targets(con, targets, replace_all=True))]:
        row(label, median_ms(load, runs)[0])


def ingest_excel_day(con, folder: Path) -> None:
    """A national day sent as an Excel workbook, wide (one row per commune)."""
    day = sprint.latest_date(con) + timedelta(days=1)
    long = national.national_day_file(con, day)
    wide = long.pivot(index=["date", "unit_code"], columns="metric", values="value").reset_index()
    path = folder / f"day-{day}.xlsx"
    wide.to_excel(path, index=False)
    ms, result = median_ms(lambda: sprint.ingest(con, path), 1)
    row(f"sprint.ingest of the same day as .xlsx ({len(wide):,} rows x 6 metrics)", ms)
    assert result.committed


def ingest_day(con, folder: Path, runs: int) -> None:
    """Each day's file through sprint.ingest, then each through read_csv in a fresh in-memory
    DuckDB: apart, because a second DuckDB started just before an ingest slows it by ~5 ms
    (its threads and memory), which is the benchmark's doing, not the product's."""
    print("validated ingest of one national day file (every commune, six metrics)")
    ingest_times, read_times, paths = [], [], []
    for index in range(runs):
        day = sprint.latest_date(con) + timedelta(days=1)
        paths.append(folder / f"day-{day}.csv")
        national.national_day_file(con, day).to_csv(paths[-1], index=False)
        started = time.perf_counter()
        result = sprint.ingest(con, paths[-1])
        ingest_times.append(1000 * (time.perf_counter() - started))
        assert result.committed and result.new == result.rows
    for path in paths:
        scratch = duckdb.connect()
        started = time.perf_counter()
        scratch.execute("CREATE TABLE day AS SELECT * FROM read_csv(?)", [str(path)])
        read_times.append(1000 * (time.perf_counter() - started))
        scratch.close()
    row(f"sprint.ingest ({result.rows:,} rows, {runs} days)", statistics.median(ingest_times))
    row("read_csv of the same file into a table", statistics.median(read_times))
    row("ingest / read_csv", statistics.median(ingest_times), statistics.median(read_times))


def preview_and_briefing(con, folder: Path, runs: int) -> None:
    """The upload preview of a national day file (the checks and the flags, nothing committed) and
    the morning briefing's PDF (kaleido starts Chromium for each)."""
    print("the upload preview and the morning briefing")
    day = sprint.latest_date(con) + timedelta(days=1)
    path = folder / f"preview-{day}.csv"
    national.national_day_file(con, day).to_csv(path, index=False)
    ms, check = median_ms(lambda: sprint.ingest(con, path, commit=False), runs)
    assert not check.committed
    row(f"upload preview of a national day file ({check.rows:,} rows; {len(check.flags)} flags)", ms)
    d = sprint.latest_date(con)
    for label, unit in (("the nation", "VN"), ("a province (Đắk Lắk)", "66"), ("a commune", "66-24415")):
        row(f"briefing_pdf of {label}", median_ms(lambda: sprint.briefing_pdf(con, as_of=d, unit=unit), 3)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=93)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--store", type=Path, default=None, help="reuse (or build) the store here")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = arguments.store or Path(folder) / "national.duckdb"
        fresh = not path.exists()
        started = time.perf_counter()
        con = sprint.connect(path)
        if fresh:
            sprint.init_store(con)
            built = national.build_national(con, days=arguments.days, folder=Path(folder))
            print(f"national store built through ingest: {built['units']:,} units, {built['targets']:,} targets, "
                  f"{built['counts']:,} counts in {time.perf_counter() - started:.1f} s; "
                  f"file {path.stat().st_size / 1e6:.0f} MB")
        compare(con, arguments.runs)
        load_reference(con, Path(folder), 3)
        ingest_day(con, Path(folder), 5)
        ingest_excel_day(con, Path(folder))
        # last: kaleido's Chromium outlives each briefing by seconds, and would share the cores
        # with whatever is timed next
        preview_and_briefing(con, Path(folder), arguments.runs)
        con.close()


if __name__ == "__main__":
    main()
