"""The demo store: the nation, its 34 provinces, ten grassroots units each, and their reports.

Deterministic (one seed), built through the same loaders a user's files go through, and exact on
every figure the source articles publish (shared/domain.md): Đắk Lắk, Ea Kar and Quảng Ninh on
2025-09-30, Thanh Hóa on 2025-08-31, the dispatch's national targets and the national standing
on 2025-08-31, and their changes over a year (the reference history of 2024: each unit's count
at the end of every month). Counts run from 2025-08-31 to 2025-11-20; the days after it up to the
end of the campaign are kept for `simulate`.
"""
from __future__ import annotations

import io
import re
import unicodedata
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
import vietnam_provinces as vp

from .campaigns import CAMPAIGNS_DIR, parse_campaign
from .store import VIETNAM
from .accounts import add_demo_accounts
from .ingest import ingest, ingest_collections, load_collectors, load_network_targets, load_targets, load_units
from .late_payers import ingest_late_payers

SEED = 2440
FIRST_DAY = date(2025, 8, 31)
LAST_LOADED_DAY = date(2025, 11, 20)
CAMPAIGN_END = date(2025, 12, 31)
GRASSROOTS_PER_PROVINCE = 10
PEOPLE = ("compulsory_si", "voluntary_si", "unemployment", "health")
MONEY = ("revenue", "late_debt")

# value at a date and its % of the unit's annual plan, from the articles (domain.md's table)
SEED_FIGURES = pd.DataFrame([
    ("66", "2025-09-30", "compulsory_si", 178_959, 93.6),
    ("66", "2025-09-30", "voluntary_si", 41_138, 53.7),
    ("66", "2025-09-30", "unemployment", 164_514, 95.6),
    ("66", "2025-09-30", "health", 2_576_831, 97.4),
    # seed 004: 321,779 in social insurance, "of which" 275,500 compulsory and 46,300 voluntary:
    # the parts are rounded to hundreds there (they add up to 321,800); these add up to 321,779,
    # round to the article's and give its % of plan
    ("22", "2025-09-30", "compulsory_si", 275_481, 92.93),
    ("22", "2025-09-30", "voluntary_si", 46_298, 97.23),
    ("22", "2025-09-30", "unemployment", 264_720, 93.3),
    ("22", "2025-09-30", "health", 1_297_600, 97.52),
    ("22", "2025-09-30", "revenue", 7_091_000, 74.43),
    ("38", "2025-08-31", "compulsory_si", 459_110, 98.07),
    ("38", "2025-08-31", "voluntary_si", 105_095, 74.86),
    ("38", "2025-08-31", "unemployment", 439_717, 99.53),
    ("38", "2025-08-31", "health", 3_323_619, 94.49),
    ("38", "2025-08-31", "revenue", 9_648_443, 67.02),
], columns=["unit_code", "date", "metric", "value", "plan_pct"])

# Ea Kar (grassroots, Đắk Lắk) on 2025-09-30: value and annual plan, from the article
EA_KAR = "66-EAKAR"
EA_KAR_FIGURES = {"compulsory_si": (6_005, 6_417), "voluntary_si": (2_005, 3_200),
                  "unemployment": (5_466, 5_750), "health": (130_629, 136_744)}
QUANG_NINH_LATE_DEBT = 227_400  # million VND on 2025-09-30: 2.39 % of the 9,527 bn plan
QUANG_NINH_REVENUE_PLAN = 9_527_000
QUANG_NINH_CEILING_PCT = 2.1  # its own late-payment ceiling (seed 004), against the nation's 2.55
PROVINCE_POPULATION = {"66": (2_576_831, 90.48), "22": (1_297_600, 95.75)}  # health count, coverage %
QUANG_NINH_LABOUR = (275_481 + 46_298, 50.36)  # social insurance participants, % of labour force
# social insurance, all (compulsory + voluntary): Quảng Ninh's own plan gives 321,779 = 93.53 %
QUANG_NINH_SOCIAL_INSURANCE_PCT = 93.53

# the reference history: 2024, each unit's count at the end of every month, a year's growth below
# 2025-08-31; pinned to the articles' changes over a year (seed 003: Thanh Hóa against 2024-08-31;
# seed 004: Quảng Ninh's revenue against 2024-09-30, its social insurance against 2024-12-31)
REFERENCE_DAYS = pd.date_range("2024-01-31", "2024-12-31", freq="ME")
YEAR_GROWTH = {"compulsory_si": (0.04, 0.12), "voluntary_si": (0.1, 0.3), "unemployment": (0.04, 0.12),
               "health": (0.002, 0.02), "revenue": (0.05, 0.18), "late_debt": (-0.1, 0.2)}
YEAR_BEFORE = pd.DataFrame([
    ("38", "2024-08-31", "compulsory_si", 459_110 - 42_565),
    ("38", "2024-08-31", "voluntary_si", 105_095 - 20_014),
    ("38", "2024-08-31", "unemployment", 439_717 - 47_979),
    ("38", "2024-08-31", "health", 3_323_619 - 28_269),
    ("22", "2024-09-30", "revenue", 7_091_000 - 952_000),
], columns=["unit_code", "date", "metric", "value"])
QUANG_NINH_SOCIAL_INSURANCE_2024 = 321_779 - 16_500  # on 2024-12-31

# the dispatch's target groups (the campaign's file): each a share of its metric's count (low, high),
# reported on Fridays (and on the first day and the baseline), growing faster than the metric in
# the campaign; each unit's plan for a group is its baseline plus a share more
GROUP_SHARES = {
    "compulsory_si": {"household_business": (0.01, 0.03), "unpaid_managers": (0.005, 0.01),
                      "militia": (0.003, 0.01), "part_time_cadres": (0.01, 0.03)},
    "health": {"social_pension": (0.02, 0.05), "family": (0.2, 0.35), "students": (0.15, 0.25),
               "farm_households": (0.03, 0.08)},
}
GROUP_BOOST = (0.05, 0.3)
GROUP_PLAN = (0.1, 0.35)

# national standing on 2025-08-31, % of the dispatch's 2025-12-31 target (seed 002)
NATIONAL_STANDING = {"compulsory_si": 93.6, "voluntary_si": 64.0, "health": 94.2}
NATIONAL_UNEMPLOYMENT_0831 = 15_300_000

# growth of each metric over the 81 days, drawn per province (low, high)
GROWTH = {"compulsory_si": (0.01, 0.05), "voluntary_si": (0.18, 0.42), "unemployment": (0.01, 0.05),
          "health": (0.012, 0.04), "revenue": (0.0, 0.0), "late_debt": (-0.25, 0.05)}
PLAN_PCT_AT_START = {"compulsory_si": (0.86, 0.985), "voluntary_si": (0.52, 0.78),
                     "unemployment": (0.86, 0.99), "health": (0.9, 0.98)}


def _plain(text: str) -> str:
    return " ".join(text.split())


def _slug(codename: str) -> str:
    bare = re.sub(r"^(xa|phuong|dac_khu|thi_tran)_", "", codename)
    ascii_only = unicodedata.normalize("NFKD", bare.replace("đ", "d")).encode("ascii", "ignore").decode()
    return ascii_only.replace("_", "").upper()


def demo_units(rng: np.random.Generator) -> pd.DataFrame:
    """The tree: VN, the 34 provinces (codes and names of the July 2025 reform), ten communes each."""
    rows = [("VN", "Bảo hiểm xã hội Việt Nam", None)]
    for province in vp.Province.iter_all():
        code = f"{province.code.value:02d}"
        rows.append((code, _plain(province.name), "VN"))
        wards = sorted(vp.Ward.iter_by_province(province.code), key=lambda w: w.code.value)
        chosen = [w for w in wards if code == "66" and _slug(w.codename) == "EAKAR"]
        for index in rng.permutation(len(wards)):
            ward = wards[index]
            slugs = {_slug(w.codename) for w in chosen}
            if len(chosen) == GRASSROOTS_PER_PROVINCE:
                break
            if _slug(ward.codename) not in slugs:
                chosen.append(ward)
        for ward in chosen:
            name = re.sub(r"^(Xã|Phường|Đặc khu|Thị trấn)\s+", "", _plain(ward.name))
            rows.append((f"{code}-{_slug(ward.codename)}", name, code))
    return pd.DataFrame(rows, columns=["unit_code", "name", "parent_code"])


def _calendar(rng, leaves: pd.Series) -> pd.DataFrame:
    """Which leaf reports on which day: weekdays mostly, weekends rarely, a few late or absent."""
    days = pd.date_range(FIRST_DAY, CAMPAIGN_END, freq="D")
    grid = pd.MultiIndex.from_product([leaves, days], names=["unit_code", "date"]).to_frame(index=False)
    weekend = grid["date"].dt.day_of_week >= 5
    draw = rng.random(len(grid))
    reports = np.where(weekend, draw < 0.12, draw < 0.96)
    # a few units go quiet for a stretch, and some are late on the last loaded day
    non_pinned = leaves[~leaves.str.startswith(("66-", "22-", "38-"))].to_numpy()
    picked = rng.choice(non_pinned, size=18, replace=False)
    quiet, late = picked[:4], picked[4:18]
    grid_day = grid["date"].dt.date
    reports &= ~(grid["unit_code"].isin(quiet) & (grid_day >= date(2025, 11, 3)) & (grid_day <= date(2025, 11, 11)))
    reports &= ~(grid["unit_code"].isin(late) & (grid_day >= date(2025, 11, 19)) & (grid_day <= LAST_LOADED_DAY))
    reports |= grid_day == FIRST_DAY  # everyone has a first report to carry forward
    return grid[reports].reset_index(drop=True)


def _province_frame(rng, units: pd.DataFrame) -> pd.DataFrame:
    provinces = units[units["parent_code"] == "VN"].copy()
    size = np.array([len(list(vp.Ward.iter_by_province(int(c)))) for c in provinces["unit_code"]], float)
    city = provinces["name"].str.startswith("Thành phố").to_numpy()
    frame = []
    for metric in PEOPLE + MONEY:
        weight = size * rng.lognormal(0, 0.35, len(provinces))
        if metric in ("compulsory_si", "unemployment", "revenue", "late_debt"):
            weight = weight * np.where(city, 3.5, 1.0)
        low, high = GROWTH[metric]
        frame.append(pd.DataFrame({"province": provinces["unit_code"].to_numpy(), "metric": metric,
                                   "weight": weight, "growth": rng.uniform(low, high, len(provinces))}))
    return pd.concat(frame, ignore_index=True)


def _leaf_frame(rng, units: pd.DataFrame, provinces: pd.DataFrame) -> pd.DataFrame:
    leaves = units[units["parent_code"].str.len() == 2][["unit_code", "parent_code"]]
    frame = leaves.merge(provinces, left_on="parent_code", right_on="province")
    frame["share"] = rng.lognormal(0, 0.5, len(frame))
    frame["share"] /= frame.groupby(["province", "metric"])["share"].transform("sum")
    frame["growth"] = frame["growth"] + rng.normal(0, 0.25, len(frame)) * frame["growth"].abs()
    return frame


def _raw_series(rng, leaves: pd.DataFrame, calendar: pd.DataFrame) -> pd.DataFrame:
    """Unscaled daily values (level 1.0 per province on the first day, times the leaf's share)."""
    series = calendar.merge(leaves, on="unit_code")
    elapsed = (series["date"] - pd.Timestamp(FIRST_DAY)).dt.days.to_numpy() / 81.0
    sprint_boost = np.clip((series["date"] - pd.Timestamp(2025, 9, 30)).dt.days.to_numpy() / 81.0, 0, None)
    noise = rng.normal(0, 0.0015, len(series))
    series["raw"] = series["weight"] * series["share"] * (1 + series["growth"] * (elapsed + 0.6 * sprint_boost) + noise)
    is_revenue = series["metric"] == "revenue"
    day_of_year = series["date"].dt.day_of_year.to_numpy()
    series.loc[is_revenue, "raw"] = (series["weight"] * series["share"] * day_of_year / 243.0 * (1 + noise))[is_revenue]
    return series[["unit_code", "province", "metric", "date", "raw"]]


def _value_at(series: pd.DataFrame, day: date, column: str = "value") -> pd.DataFrame:
    """Each leaf's carried-forward value on a day: its latest report on or before it."""
    upto = series[series["date"] <= pd.Timestamp(day)]
    latest = upto.loc[upto.groupby(["unit_code", "metric"])["date"].idxmax()]
    return latest[["unit_code", "province", "metric", column]]


def _pin(series: pd.DataFrame, mask: pd.Series, day: date, metric: str, total: int,
         scale: bool = True) -> None:
    """Scale (then shift one leaf) the selected leaves' series so their sum on `day` is `total`."""
    rows = mask & (series["metric"] == metric)
    at_day = _value_at(series[rows], day)
    current = at_day["value"].sum()
    if scale and current:
        series.loc[rows, "value"] = (series.loc[rows, "value"] * (total / current)).round()
        at_day = _value_at(series[rows], day)
    largest = at_day.sort_values(["value", "unit_code"]).iloc[-1]["unit_code"]
    series.loc[rows & (series["unit_code"] == largest), "value"] += total - at_day["value"].sum()


def demo_counts() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(units, targets, counts through the end of the campaign, the reference history of 2024),
    deterministic."""
    rng = np.random.default_rng(SEED)
    units = demo_units(rng)
    provinces = _province_frame(rng, units)
    leaves = _leaf_frame(rng, units, provinces)
    calendar = _calendar(rng, leaves["unit_code"].drop_duplicates())
    series = _raw_series(rng, leaves, calendar)
    series["value"] = series["raw"] * 100_000

    for metric, (value, _) in EA_KAR_FIGURES.items():
        _pin(series, series["unit_code"] == EA_KAR, date(2025, 9, 30), metric, value)
    for figure in SEED_FIGURES.itertuples():
        others = (series["province"] == figure.unit_code)
        if figure.unit_code == "66":
            others &= series["unit_code"] != EA_KAR
            value = figure.value - EA_KAR_FIGURES[figure.metric][0]
        else:
            value = figure.value
        _pin(series, others, date.fromisoformat(figure.date), figure.metric, value)
    _pin(series, series["province"] == "22", date(2025, 9, 30), "late_debt", QUANG_NINH_LATE_DEBT)

    campaign = parse_campaign(next(CAMPAIGNS_DIR.glob("2025-*.json")))
    national_plan = {t["metric"]: t["target"] for t in campaign["targets"] if t["milestone"] == "2025-12-31"}
    national_start = {m: round(pct / 100 * national_plan[m]) for m, pct in NATIONAL_STANDING.items()}
    national_start["unemployment"] = NATIONAL_UNEMPLOYMENT_0831
    national_start["revenue"] = national_start["compulsory_si"] * 18
    national_start["late_debt"] = national_start["compulsory_si"] // 2
    for metric, total in national_start.items():
        given = SEED_FIGURES.loc[SEED_FIGURES["metric"] == metric, "unit_code"].tolist()
        if metric == "late_debt":
            given.append("22")
        free = ~series["province"].isin(given)
        pinned_sum = _value_at(series[~free & (series["metric"] == metric)], FIRST_DAY)["value"].sum()
        _pin(series, free, FIRST_DAY, metric, int(total - pinned_sum))
    series["value"] = series["value"].clip(lower=0).astype("int64")

    targets = _demo_targets(rng, units, series, national_plan, campaign)
    reference = _reference(rng, series)
    groups, group_targets = _groups(rng, series)
    counts = pd.concat([series[["date", "unit_code", "metric", "value"]], groups], ignore_index=True)
    counts = counts.sort_values(["date", "unit_code", "metric"])
    targets = pd.concat([targets, group_targets], ignore_index=True)
    return units, targets, counts.reset_index(drop=True), reference


def _groups(rng, series: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each leaf's target groups (GROUP_SHARES), in its reports of the first day, the baseline and
    every Friday to the campaign's end (a unit that does not report that day reports no group),
    each a share of its metric's count that day (never above it); and each leaf's plan for each
    group at the campaign's end (its baseline's count, carried forward, plus a share more)."""
    baseline = pd.Timestamp(2025, 9, 30)
    days = {pd.Timestamp(FIRST_DAY), baseline, *pd.date_range(FIRST_DAY, CAMPAIGN_END, freq="W-FRI")}
    values = series.loc[series["date"].isin(days), ["unit_code", "metric", "date", "value"]]
    frames, plans = [], []
    for metric, shares in GROUP_SHARES.items():
        of_metric = values[values["metric"] == metric]
        for group, (low, high) in shares.items():
            leaves = of_metric["unit_code"].drop_duplicates().sort_values()
            drawn = pd.DataFrame({"unit_code": leaves, "share": rng.uniform(low, high, len(leaves)),
                                  "boost": rng.uniform(*GROUP_BOOST, len(leaves)),
                                  "plan": rng.uniform(*GROUP_PLAN, len(leaves))})
            rows = of_metric.merge(drawn, on="unit_code")
            sprint_share = ((rows["date"] - baseline).dt.days / 92).clip(lower=0)
            count = (rows["value"] * rows["share"] * (1 + rows["boost"] * sprint_share)).round()
            rows = rows.assign(metric=f"{metric}.{group}", value=count.clip(upper=rows["value"]).astype("int64"))
            frames.append(rows[["date", "unit_code", "metric", "value"]])
            at_baseline = _value_at(rows.assign(province=""), baseline.date()).merge(drawn, on="unit_code")
            plans.append(pd.DataFrame({"unit_code": at_baseline["unit_code"], "metric": f"{metric}.{group}",
                                       "milestone": str(CAMPAIGN_END),
                                       "target": (at_baseline["value"] * (1 + at_baseline["plan"])).round().astype("int64")}))
    return pd.concat(frames, ignore_index=True), pd.concat(plans, ignore_index=True)


def _reference(rng, series: pd.DataFrame) -> pd.DataFrame:
    """Each leaf's count at the end of every month of 2024: its value on 2025-08-31 less a year's
    growth (drawn per province), on a straight line through the year; revenue a running total
    since 1 January. Pinned to the articles' changes over a year (YEAR_BEFORE)."""
    start = _value_at(series, FIRST_DAY)
    provinces = start["province"].drop_duplicates().sort_values().to_numpy()
    growth = pd.concat([pd.DataFrame({"province": provinces, "metric": metric,
                                      "growth": rng.uniform(*YEAR_GROWTH[metric], len(provinces))})
                        for metric in PEOPLE + MONEY])
    year = start.merge(growth, on=["province", "metric"]).merge(pd.DataFrame({"date": REFERENCE_DAYS}), how="cross")
    months_on = (year["date"] - pd.Timestamp(2024, 8, 31)).dt.days / 365
    before = year["value"] / (1 + year["growth"])
    year["value"] = np.where(year["metric"] == "revenue",
                             before * year["date"].dt.day_of_year / pd.Timestamp(FIRST_DAY).day_of_year,
                             before * (1 + year["growth"] * months_on))
    for figure in YEAR_BEFORE.itertuples():
        _pin(year, year["province"] == figure.unit_code, date.fromisoformat(figure.date), figure.metric, figure.value)
    year_end = date(2024, 12, 31)
    compulsory = _value_at(year[(year["province"] == "22") & (year["metric"] == "compulsory_si")], year_end)
    _pin(year, year["province"] == "22", year_end, "voluntary_si",
         QUANG_NINH_SOCIAL_INSURANCE_2024 - int(compulsory["value"].round().sum()))
    year["value"] = year["value"].clip(lower=0).round().astype("int64")
    return year[["date", "unit_code", "metric", "value"]].sort_values(["date", "unit_code", "metric"]).reset_index(drop=True)


def _demo_targets(rng, units, series, national_plan, campaign) -> pd.DataFrame:
    """Annual plans (12-31) per leaf and province, and the two monthly milestones before it."""
    start = _value_at(series, FIRST_DAY)
    baseline = _value_at(series, date(2025, 9, 30)).rename(columns={"value": "baseline"})
    leaf = start.merge(baseline, on=["unit_code", "province", "metric"], how="outer")
    leaf = leaf[leaf["metric"].isin(PEOPLE + ("revenue",))].copy()
    low = leaf["metric"].map(lambda m: PLAN_PCT_AT_START.get(m, (0.62, 0.7))[0])
    high = leaf["metric"].map(lambda m: PLAN_PCT_AT_START.get(m, (0.62, 0.7))[1])
    reference = leaf["value"].fillna(leaf["baseline"])
    leaf["plan"] = (reference / rng.uniform(low, high)).round()

    province = leaf.groupby(["province", "metric"], as_index=False)[["plan", "baseline"]].sum()
    province = province.rename(columns={"province": "unit_code"})
    # provinces' plans: the articles' where given, the rest scaled so they add up to the nation's
    pinned = SEED_FIGURES.assign(plan=lambda f: (f["value"] * 100 / f["plan_pct"]).round())
    province = province.merge(pinned[["unit_code", "metric", "plan"]], on=["unit_code", "metric"],
                              how="left", suffixes=("", "_given"))
    is_given = province["plan_given"].notna()
    for metric, total in national_plan.items():
        free = (province["metric"] == metric) & ~is_given
        remaining = total - province.loc[(province["metric"] == metric) & is_given, "plan_given"].sum()
        province.loc[free, "plan"] = (province.loc[free, "plan"] * remaining / province.loc[free, "plan"].sum()).round()
        largest = province[free].sort_values("plan").index[-1]
        province.loc[largest, "plan"] += remaining - province.loc[free, "plan"].sum()
    province["plan"] = province["plan_given"].fillna(province["plan"])
    revenue_qn = (province["unit_code"] == "22") & (province["metric"] == "revenue")
    province.loc[revenue_qn, "plan"] = QUANG_NINH_REVENUE_PLAN
    # leaves' plans add up to their province's; Ea Kar's are the article's
    leaf = leaf.merge(province[["unit_code", "metric", "plan"]].rename(
        columns={"unit_code": "province", "plan": "province_plan"}), on=["province", "metric"])
    ea_kar = (leaf["unit_code"] == EA_KAR) & leaf["metric"].isin(list(EA_KAR_FIGURES))
    leaf.loc[ea_kar, "plan"] = leaf.loc[ea_kar, "metric"].map(lambda m: EA_KAR_FIGURES[m][1])
    fixed_part = leaf["plan"].where(ea_kar, 0.0).groupby([leaf["province"], leaf["metric"]]).transform("sum")
    free_sum = leaf[~ea_kar].groupby(["province", "metric"])["plan"].transform("sum")
    leaf.loc[~ea_kar, "plan"] = (leaf.loc[~ea_kar, "plan"] * (leaf.loc[~ea_kar, "province_plan"]
                                 - fixed_part[~ea_kar]) / free_sum).round()

    national = pd.DataFrame([{"unit_code": t["unit_code"], "metric": t["metric"],
                              "milestone": t["milestone"], "target": t["target"]}
                             for t in campaign["targets"]])
    national_baseline = province.groupby("metric")["baseline"].sum()
    rows = [national]
    for frame in (province, leaf):
        plan = frame["plan"]
        base = frame["baseline"].fillna(plan * 0.95)
        nov_share = frame["metric"].map(lambda m: _november_share(m, national, national_baseline))
        for milestone, share in (("2025-10-31", nov_share / 2), ("2025-11-30", nov_share)):
            target = np.where(plan > base, base + share * (plan - base), plan).round()
            rows.append(pd.DataFrame({"unit_code": frame["unit_code"], "metric": frame["metric"],
                                      "milestone": milestone, "target": target}))
        rows.append(pd.DataFrame({"unit_code": frame["unit_code"], "metric": frame["metric"],
                                  "milestone": "2025-12-31", "target": plan}))
    targets = pd.concat(rows, ignore_index=True)
    targets = targets[~((targets["metric"] == "revenue") & (targets["milestone"] != "2025-12-31"))]
    # Quảng Ninh's own ceiling: a late-payment debt target, 2.1 % of its revenue plan
    ceiling = pd.DataFrame([{"unit_code": "22", "metric": "late_debt", "milestone": "2025-12-31",
                             "target": round(QUANG_NINH_CEILING_PCT / 100 * QUANG_NINH_REVENUE_PLAN)}])
    targets = pd.concat([targets, _social_insurance_targets(targets), ceiling], ignore_index=True)
    targets["target"] = targets["target"].astype("int64")
    return targets.sort_values(["unit_code", "metric", "milestone"]).reset_index(drop=True)


def _social_insurance_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """Social insurance, all: each province's and grassroots unit's plan for both parts together
    (the nation's is its provinces' sum); Quảng Ninh's own from seed 004 (321,779 = 93.53 %)."""
    parts = targets[targets["metric"].isin(["compulsory_si", "voluntary_si"]) & (targets["unit_code"] != "VN")]
    both = parts.groupby(["unit_code", "milestone"]).filter(lambda group: len(group) == 2)
    summed = both.groupby(["unit_code", "milestone"], as_index=False)["target"].sum().assign(metric="social_insurance")
    participants = SEED_FIGURES.query("unit_code == '22' and metric in ('compulsory_si', 'voluntary_si')")["value"].sum()
    own = (summed["unit_code"] == "22") & (summed["milestone"] == "2025-12-31")
    summed.loc[own, "target"] = round(participants * 100 / QUANG_NINH_SOCIAL_INSURANCE_PCT)
    return summed


def _november_share(metric: str, national: pd.DataFrame, national_baseline: pd.Series) -> float:
    """How far from baseline to plan the 11-30 target sits: the dispatch's ratio where it has one."""
    given = national[national["metric"] == metric].set_index("milestone")["target"]
    if len(given) < 2 or metric not in national_baseline:
        return 0.75
    base = national_baseline[metric]
    share = (given["2025-11-30"] - base) / (given["2025-12-31"] - base)
    return float(np.clip(share, 0.5, 0.95))


def _populations(units: pd.DataFrame) -> pd.DataFrame:
    units = units.copy()
    units["population"] = pd.NA
    units["labour_force"] = pd.NA
    for code, (health, coverage) in PROVINCE_POPULATION.items():
        units.loc[units["unit_code"] == code, "population"] = round(health * 100 / coverage)
    participants, share = QUANG_NINH_LABOUR
    units.loc[units["unit_code"] == "22", "labour_force"] = round(participants * 100 / share)
    return units


# The collection networks (seed 003: Thanh Hóa's 19 service organisations, 1,109 collection points
# and 2,241 collection staff; a smaller one in Đắk Lắk, the demo unit head's province): every
# organisation contracted by the province, each point and staff member by one of its grassroots
# units and a member of one organisation. They report on Fridays the new participants they
# brought in for voluntary social insurance and family health insurance: together a share of
# their unit's new participants (NETWORK_SHARE), each collector a random part of it; each one's
# target at a milestone is what it will have brought in by then, times NETWORK_TARGET.
NETWORKS = {"38": (19, 1_109, 2_241), "66": (3, 40, 80)}
NETWORK_METRICS = ("voluntary_si", "health.family")
NETWORK_SHARE = (0.45, 0.75)
NETWORK_TARGET = (0.85, 1.3)
MILESTONES = (date(2025, 10, 31), date(2025, 11, 30), CAMPAIGN_END)


def demo_network(units: pd.DataFrame, counts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(the roster, the targets, the Friday reports through the campaign's end), deterministic."""
    rng = np.random.default_rng(SEED + 1)
    rosters, reports, targets = [], [], []
    baseline = date(2025, 9, 30)
    fridays = [d.date() for d in pd.date_range(baseline, CAMPAIGN_END, freq="W-FRI")]
    values = counts[counts["metric"].isin(NETWORK_METRICS)].assign(province="")
    new_by_day = {day: _value_at(values, day).set_index(["unit_code", "metric"])["value"]
                  for day in (baseline, *fridays, *MILESTONES)}
    for province, (organisations, points, staff) in NETWORKS.items():
        leaves = units.loc[units["parent_code"] == province, "unit_code"].sort_values().to_numpy()
        orgs = pd.DataFrame({"collector_code": [f"{province}-TC{n:02d}" for n in range(1, organisations + 1)],
                             "kind": "organisation", "unit_code": province, "organisation": None})
        orgs["name"] = [f"Tổ chức dịch vụ thu số {n:02d}" for n in range(1, organisations + 1)]
        orgs.loc[0, "name"] = "Bưu điện tỉnh " + units.set_index("unit_code").loc[province, "name"]
        members = pd.concat([
            pd.DataFrame({"collector_code": [f"{province}-DT{n:04d}" for n in range(1, points + 1)], "kind": "point",
                          "name": [f"Điểm thu {n:04d}" for n in range(1, points + 1)]}),
            pd.DataFrame({"collector_code": [f"{province}-NV{n:04d}" for n in range(1, staff + 1)], "kind": "staff",
                          "name": [f"Nhân viên thu {n:04d}" for n in range(1, staff + 1)]})], ignore_index=True)
        members["unit_code"] = rng.choice(leaves, len(members))
        members["organisation"] = rng.choice(orgs["collector_code"], len(members))
        rosters += [orgs, members]
        for metric in NETWORK_METRICS:
            share = pd.Series(rng.uniform(*NETWORK_SHARE, len(leaves)), index=leaves)
            weight = pd.Series(rng.gamma(1.0, size=len(members)), index=members.index)
            weight /= weight.groupby(members["unit_code"]).transform("sum")
            part = weight * members["unit_code"].map(share)

            def brought_in(day: date) -> pd.Series:
                keys = pd.MultiIndex.from_arrays([members["unit_code"], [metric] * len(members)])
                new = (new_by_day[day].reindex(keys).to_numpy() - new_by_day[baseline].reindex(keys).to_numpy())
                return pd.Series(np.floor(part.to_numpy() * np.nan_to_num(new).clip(min=0)), index=members.index)
            reached = pd.concat({day: brought_in(day) for day in fridays}, axis=1).cummax(axis=1)
            for day in fridays:
                reports.append(pd.DataFrame({"date": day, "collector_code": members["collector_code"],
                                             "metric": metric, "value": reached[day].astype("int64")}))
            for milestone in MILESTONES:
                target = (brought_in(milestone) * rng.uniform(*NETWORK_TARGET, len(members))).round().clip(lower=1)
                targets.append(pd.DataFrame({"collector_code": members["collector_code"], "metric": metric,
                                             "milestone": str(milestone), "target": target.astype("int64")}))
    roster = pd.concat(rosters, ignore_index=True)[["collector_code", "kind", "name", "unit_code", "organisation"]]
    return roster, pd.concat(targets, ignore_index=True), pd.concat(reports, ignore_index=True)


# Seed 004: Quảng Ninh sent notices to 521 late-paying employers. The demo's lists: on 30/09 those
# 521 across its grassroots units, each unit's debts adding up exactly to its late-payment debt
# that day (227,400 million VND for the province); on 31/10 most still owe (more or less), some have
# paid, a few are new, again adding up to each unit's debt that day.
LATE_PAYERS_PROVINCE, LATE_PAYERS = "22", 521
LATE_PAYER_DAYS = (date(2025, 9, 30), date(2025, 10, 31))


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """`total` in whole parts by weight, adding up exactly (the remainder to the largest)."""
    parts = np.floor(total * weights / weights.sum()).astype("int64")
    parts[np.argmax(parts)] += total - parts.sum()
    return parts


def demo_late_payers(units: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """The late payers lists of Quảng Ninh's grassroots units on 30/09 and 31/10, deterministic."""
    rng = np.random.default_rng(SEED + 2)
    leaves = units.loc[units["parent_code"] == LATE_PAYERS_PROVINCE, "unit_code"].sort_values().to_numpy()
    debts = {day: _value_at(counts[counts["metric"] == "late_debt"].assign(province=""), day)
             .set_index("unit_code")["value"].reindex(leaves).fillna(0).astype("int64") for day in LATE_PAYER_DAYS}
    first = debts[LATE_PAYER_DAYS[0]]
    employers = _split(LATE_PAYERS - len(leaves), first.to_numpy().astype(float)) + 1  # each unit one at least
    rows, number = [], 0
    for leaf, count in zip(leaves, employers):
        codes = [f"5700{number + i:06d}" for i in range(count)]
        number += count
        frame = pd.DataFrame({"employer_code": codes, "months_late": rng.integers(1, 13, count),
                              "weight": rng.gamma(0.8, size=count)})
        frame["employer_name"] = [f"Công ty TNHH Dịch vụ {code[-4:]}" for code in codes]
        later = frame.sample(frac=0.85, random_state=int(rng.integers(1 << 31)))
        new = pd.DataFrame({"employer_code": [f"5700{number + i:06d}" for i in range(max(1, count // 10))],
                            "months_late": 1, "weight": rng.gamma(0.8, size=max(1, count // 10))})
        new["employer_name"] = [f"Công ty TNHH Dịch vụ {code[-4:]}" for code in new["employer_code"]]
        number += len(new)
        later = pd.concat([later.assign(months_late=np.minimum(later["months_late"] + 1, 24),
                                        weight=later["weight"] * rng.uniform(0.7, 1.4, len(later))), new])
        for day, listed in zip(LATE_PAYER_DAYS, (frame, later)):
            amounts = _split(int(debts[day][leaf]) * 1_000_000, listed["weight"].to_numpy())
            rows.append(listed.assign(date=day, unit_code=leaf, amount=amounts))
    return pd.concat(rows, ignore_index=True)[["date", "unit_code", "employer_code", "employer_name", "amount",
                                               "months_late"]]


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def build_demo(con, *, until: date = LAST_LOADED_DAY) -> None:
    """Load the demo's units, targets, reference history of 2024, counts up to `until`, the
    collection networks (their roster, targets and reports up to `until`) and the demo accounts
    (one per role), into an initialised store."""
    units, targets, counts, reference = demo_counts()
    load_units(con, _csv(_populations(units)), name="demo-units.csv", uploaded_by="demo")
    load_targets(con, _csv(targets), name="demo-targets.csv", uploaded_by="demo")
    ingest(con, _csv(reference.assign(date=lambda f: f["date"].dt.date)), name="demo-2024.csv", uploaded_by="demo",
           reference=True)
    loaded = counts[counts["date"] <= pd.Timestamp(until)]
    for month, part in loaded.groupby(loaded["date"].dt.strftime("%Y-%m")):  # each month a file within the limits
        # received the morning after its last day, as if sent then (a phase's results take what came by its cut-off)
        received = datetime.combine(part["date"].max().date() + timedelta(days=1), time(7), tzinfo=VIETNAM)
        ingest(con, _csv(part.assign(date=part["date"].dt.date)), name=f"demo-counts-{month}.csv", uploaded_by="demo",
               received_at=received)
    roster, network_targets, reports = demo_network(units, counts)
    load_collectors(con, _csv(roster), name="demo-network.csv", uploaded_by="demo")
    load_network_targets(con, _csv(network_targets), name="demo-network-targets.csv", uploaded_by="demo")
    payers = demo_late_payers(units, counts)
    for day, part in payers[payers["date"] <= until].groupby("date"):
        ingest_late_payers(con, _csv(part), name=f"demo-no-cham-dong-{day:%Y-%m-%d}.csv", uploaded_by="demo")
    reports = reports[reports["date"] <= until]
    for month, part in reports.groupby(reports["date"].map(lambda d: d.strftime("%Y-%m"))):
        ingest_collections(con, _csv(part), name=f"demo-network-{month}.csv", uploaded_by="demo")
    add_demo_accounts(con, EA_KAR)


def days_after(day: date) -> list[tuple[date, pd.DataFrame]]:
    """The demo's reports for each day after `day` up to the campaign's end (for `simulate`)."""
    counts = demo_counts()[2]
    later = counts[counts["date"] > pd.Timestamp(day)]
    return [(stamp.date(), frame.assign(date=stamp.date())) for stamp, frame in later.groupby("date")]
