"""The national-scale store: every commune of the July 2025 reform reporting every day.

The nation, its 34 provinces and their 3,321 communes (from `vietnam-provinces`), six metrics,
targets at commune, province and national level (the dispatch's national targets included; social
insurance, all, each unit's compulsory and voluntary plans together), a report from almost every
commune on every day from 2025-08-31, and the reference history of 2024 (each commune's count at
the end of every month). Deterministic (one seed), and
built through the same validated loaders as a user's files, so building it also exercises
ingest at scale. Used by `python -m sprint demo --scale national` and by the benchmarks.
"""
from __future__ import annotations

import re
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import vietnam_provinces as vp

from .campaigns import CAMPAIGNS_DIR, parse_campaign
from .accounts import add_demo_accounts
from .ingest import ingest, load_targets, load_units
from .limits import MAX_FILE_BYTES, MAX_ROWS

SEED = 2441
FIRST_DAY = date(2025, 8, 31)
FULL_DAYS = 123  # 2025-08-31 .. 2025-12-31
MILESTONES = ("2025-10-31", "2025-11-30", "2025-12-31")
METRICS = ("compulsory_si", "voluntary_si", "unemployment", "health", "revenue", "late_debt")
MISSED_REPORT_SHARE = 0.03
# typical commune level on the first day, and how much it grows over the whole campaign
LEVEL = {"compulsory_si": 5_000, "voluntary_si": 800, "unemployment": 4_500, "health": 28_000,
         "revenue": 90_000, "late_debt": 2_500}
GROWTH = {"compulsory_si": 0.03, "voluntary_si": 0.3, "unemployment": 0.03, "health": 0.025,
          "revenue": 0.0, "late_debt": -0.1}
# how much each commune grew over the year before 2025-08-31 (reference history)
YEAR_GROWTH = {"compulsory_si": 0.08, "voluntary_si": 0.2, "unemployment": 0.08, "health": 0.01,
               "revenue": 0.1, "late_debt": 0.05}


def national_units() -> pd.DataFrame:
    """VN, the 34 provinces and every commune: unit_code, name, parent_code."""
    rows = [("VN", "Bảo hiểm xã hội Việt Nam", None)]
    for province in vp.Province.iter_all():
        code = f"{province.code.value:02d}"
        rows.append((code, " ".join(province.name.split()), "VN"))
        for ward in vp.Ward.iter_by_province(province.code):
            name = re.sub(r"\s+", " ", ward.name).strip()
            rows.append((f"{code}-{ward.code.value:05d}", name, code))
    return pd.DataFrame(rows, columns=["unit_code", "name", "parent_code"])


def national_counts(units: pd.DataFrame, days: int, first_day: date = FIRST_DAY) -> pd.DataFrame:
    """Long counts (date, unit_code, metric, value) for every commune and day, a few missed."""
    rng = np.random.default_rng(SEED)
    communes = units.loc[units["unit_code"].str.contains("-"), "unit_code"].to_numpy()
    day_index = np.arange(days)
    frames = []
    for metric in METRICS:
        level = LEVEL[metric] * rng.lognormal(0, 0.6, len(communes))
        growth = GROWTH[metric] * rng.uniform(0.2, 1.8, len(communes))
        share = day_index[None, :] / (FULL_DAYS - 1)
        noise = rng.normal(0, 0.002, (len(communes), days))
        if metric == "revenue":  # revenue accumulates over the year: 243 days before 08-31
            values = level[:, None] * (243 + day_index[None, :]) / 243 * (1 + noise)
        else:
            values = level[:, None] * (1 + growth[:, None] * share + noise)
        frames.append(pd.DataFrame({
            "day": np.tile(day_index, len(communes)), "unit_code": np.repeat(communes, days),
            "metric": metric, "value": np.maximum(values.round(), 0).astype("int64").ravel()}))
    counts = pd.concat(frames, ignore_index=True)
    missed = (rng.random(len(counts)) < MISSED_REPORT_SHARE) & (counts["day"] > 0)
    counts = counts[~missed]
    counts.insert(0, "date", pd.to_datetime(first_day) + pd.to_timedelta(counts.pop("day"), unit="D"))
    return counts.sort_values(["date", "unit_code", "metric"], kind="stable").reset_index(drop=True)


def national_reference(counts: pd.DataFrame) -> pd.DataFrame:
    """Each commune's count at the end of every month of 2024: its first count of 2025-08-31 less
    a year's growth, on a straight line through the year (revenue a running total since 1 January)."""
    rng = np.random.default_rng(SEED + 2)
    first = counts[counts["date"] == counts["date"].min()].reset_index(drop=True)
    growth = first["metric"].map(YEAR_GROWTH) * rng.uniform(0.2, 1.8, len(first))
    months = pd.date_range("2024-01-31", "2024-12-31", freq="ME")
    year = first.assign(growth=growth).drop(columns="date").merge(pd.DataFrame({"date": months}), how="cross")
    before = year["value"] / (1 + year["growth"])
    on_year = np.where(year["metric"] == "revenue", year["date"].dt.day_of_year / 243,
                       1 + year["growth"] * (year["date"] - pd.Timestamp(2024, 8, 31)).dt.days / 365)
    year["value"] = (before * on_year).round().clip(lower=0).astype("int64")
    return year[["date", "unit_code", "metric", "value"]].sort_values(["date", "unit_code", "metric"],
                                                                       kind="stable").reset_index(drop=True)


def national_targets(units: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Each commune's plan a little above its first value, monthly milestones on the way; each
    province's own targets (its communes' sum, rounded up); the dispatch's national targets."""
    rng = np.random.default_rng(SEED + 1)
    first = counts[counts["date"] == counts["date"].min()]
    first = first[first["metric"] != "late_debt"]
    stretch = np.where(first["metric"] == "revenue", 1.42, rng.uniform(1.02, 1.12, len(first)))
    plan = (first["value"].to_numpy() * stretch).round()
    commune = pd.DataFrame({"unit_code": first["unit_code"].to_numpy(), "metric": first["metric"].to_numpy(),
                            "start": first["value"].to_numpy(), "plan": plan})
    rows = []
    for share, milestone in zip((0.55, 0.8, 1.0), MILESTONES):
        target = (commune["start"] + share * (commune["plan"] - commune["start"])).round().astype("int64")
        rows.append(commune.assign(milestone=milestone, target=target))
    leaf = pd.concat(rows, ignore_index=True)
    leaf = leaf[(leaf["metric"] != "revenue") | (leaf["milestone"] == MILESTONES[-1])]
    leaf = leaf[["unit_code", "metric", "milestone", "target"]]
    parts = leaf[leaf["metric"].isin(["compulsory_si", "voluntary_si"])]
    summed = parts.groupby(["unit_code", "milestone"], as_index=False)["target"].sum().assign(metric="social_insurance")
    leaf = pd.concat([leaf, summed[leaf.columns]], ignore_index=True)
    province = leaf.assign(unit_code=leaf["unit_code"].str.split("-").str[0])
    province = province.groupby(["unit_code", "metric", "milestone"], as_index=False)["target"].sum()
    province["target"] = (province["target"] * 1.001).round().astype("int64")
    campaign = parse_campaign(next(CAMPAIGNS_DIR.glob("2025-*.json")))
    national = pd.DataFrame(campaign["targets"])[["unit_code", "metric", "milestone", "target"]]
    return pd.concat([national, province, leaf], ignore_index=True)


def write_national(folder: Path, *, days: int = FULL_DAYS, first_day: date = FIRST_DAY) -> dict[str, Path]:
    """Write the national units, targets, counts and reference history files (CSV, as a user would
    send them) into `folder`; the counts cover `days` days from `first_day`."""
    units = national_units()
    counts = national_counts(units, days, first_day)
    targets = national_targets(units, counts)
    paths = {kind: Path(folder) / f"national-{kind}.csv" for kind in ("units", "targets", "counts", "reference")}
    units.to_csv(paths["units"], index=False)
    targets.to_csv(paths["targets"], index=False)
    for kind, frame in (("counts", counts), ("reference", national_reference(counts))):
        frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(paths[kind], index=False)
    return paths


def _files_within_limits(path: Path) -> list[bytes]:
    """The counts file as whole days packed into files that each pass sprint.limits, as a unit
    would have to send them (93 national days are 1.85 M rows)."""
    counts = pd.read_csv(path, dtype=str)
    header = ",".join(counts.columns) + "\n"
    files, days, size, rows = [], [], len(header), 0
    for _, day in counts.groupby("date", sort=True):
        text = day.to_csv(index=False, header=False)
        if days and (size + len(text) > MAX_FILE_BYTES or rows + len(day) > MAX_ROWS):
            files.append((header + "".join(days)).encode())
            days, size, rows = [], len(header), 0
        days.append(text)
        size, rows = size + len(text), rows + len(day)
    files.append((header + "".join(days)).encode())
    return files


def build_national(con, *, days: int = FULL_DAYS, folder: Path | None = None) -> dict:
    """Load the national units, targets and `days` days of counts (from 2025-08-31) into an
    initialised store, through the validated loaders, with the demo accounts (the unit head's is
    Ea Kar's commune). Returns how many of each were loaded."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        paths = write_national(Path(tmp), days=days)
        loaded = {"units": load_units(con, paths["units"], uploaded_by="demo").rows,
                  "targets": load_targets(con, paths["targets"], uploaded_by="demo").rows}
        today = FIRST_DAY + timedelta(days=FULL_DAYS)
        loaded["reference"] = sum(ingest(con, part, name=f"national-2024-{number}.csv", uploaded_by="demo",
                                         today=today, reference=True).rows
                                  for number, part in enumerate(_files_within_limits(paths["reference"]), start=1))
        loaded["counts"] = sum(ingest(con, part, name=f"national-counts-{number}.csv", uploaded_by="demo",
                                      today=today).rows
                               for number, part in enumerate(_files_within_limits(paths["counts"]), start=1))
    ea_kar = con.execute("SELECT unit_code FROM units WHERE name = 'Xã Ea Kar' AND parent_code = '66'").fetchall()
    add_demo_accounts(con, ea_kar[0][0])
    return loaded


def national_day_file(con, day: date) -> pd.DataFrame:
    """Every commune's report for `day`: its latest stored values plus a small daily addition
    (the file a national day ingest takes)."""
    frame = con.execute(
        """SELECT $day::DATE AS date, unit_code, metric, arg_max(value, date) + 3 AS value
           FROM counts WHERE unit_code LIKE '%-%' GROUP BY unit_code, metric ORDER BY unit_code, metric""",
        {"day": day}).df()
    return frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d"))
