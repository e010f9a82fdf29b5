"""The engine's statements equal a straightforward reading of domain.md, on random stores.

`Reference` below is the definitions of ../shared/domain.md written as plain Python over dicts,
one unit and one day at a time, with no cleverness. Hypothesis draws trees of any depth, targets
at any level (some missing, so the children's sum is used or not), reports sent as several files
(later ones correcting earlier ones) and an as-of date; progress and leaderboard must agree with
the reference on every row and figure.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sprint
from conftest import fresh_store

METRICS = ["compulsory_si", "health"]
MILESTONES = [date(2025, 10, 31), date(2025, 11, 30), date(2025, 12, 31)]
BASELINE, PLAN_DAY = date(2025, 9, 30), date(2025, 12, 31)
FIRST_DAY = date(2025, 9, 15)


def round_half_up(value: float) -> float:
    """Two decimals, a half away from zero, as DuckDB's round() does (Python's round(3.125, 2) is
    3.12: half to even); on the double times 100, as DuckDB computes it."""
    return int(Decimal(value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)) / 100


class Reference:
    """domain.md's definitions, literally."""

    def __init__(self, parents: dict, targets: dict, files: list[dict]):
        self.parents = parents
        self.children = {u: [c for c, p in parents.items() if p == u] for u in parents}
        self.targets = targets  # (unit, metric, milestone) -> target
        self.reports = {}  # (unit, metric) -> {day: value}, a later file replacing an earlier value
        taken = set()
        for file in files:
            if counts_csv(file) in taken:  # re-sending a file already taken changes nothing
                continue
            taken.add(counts_csv(file))
            for (day, unit, metric), value in file.items():
                self.reports.setdefault((unit, metric), {})[day] = value

    def leaves_below(self, unit):
        if not self.children[unit]:
            return [unit]
        return [leaf for child in self.children[unit] for leaf in self.leaves_below(child)]

    def value(self, unit, metric, day):
        if not self.children[unit]:
            days = [d for d in self.reports.get((unit, metric), {}) if d <= day]
            return self.reports[(unit, metric)][max(days)] if days else None
        values = [self.value(leaf, metric, day) for leaf in self.leaves_below(unit)]
        values = [v for v in values if v is not None]
        return sum(values) if values else None

    def target(self, unit, metric, milestone):
        if (unit, metric, milestone) in self.targets:
            return self.targets[(unit, metric, milestone)]
        if not self.children[unit]:
            return None
        below = [self.target(child, metric, milestone) for child in self.children[unit]]
        return None if None in below else sum(below)

    def progress(self, unit, metric, as_of):
        milestones = [t for t in MILESTONES if self.target(unit, metric, t) is not None]
        if not milestones:
            return None
        milestone = min([t for t in milestones if t >= as_of], default=max(milestones))
        # from the last milestone on the campaign has ended (README, "After the campaign"): the
        # figures are the milestone day's, no day is left, and a unit short of its target missed it
        ended = as_of >= max(milestones)
        day = min(as_of, milestone)
        target, plan = self.target(unit, metric, milestone), self.target(unit, metric, PLAN_DAY)
        value, baseline = self.value(unit, metric, day), self.value(unit, metric, BASELINE)
        week_ago = self.value(unit, metric, day - timedelta(days=7))
        days_left = max((milestone - as_of).days, 0)
        has = value is not None
        pace = (value - week_ago) / 7 if has and week_ago is not None else None
        projected = value + pace * days_left if pace is not None else None
        gap = max(target - value, 0) if has else None
        status = ("no_data" if not has else "achieved" if value >= target else "missed" if ended
                  else "on_track" if projected is not None and projected >= target else "behind")
        return {
            "value": value, "baseline": baseline, "milestone": milestone, "target": target, "plan": plan,
            "attainment_pct": 100 * value / target if has and target else None,
            "plan_pct": 100 * value / plan if has and plan else None,
            "gap": gap,
            "development_pct": (100 * (value - baseline) / (target - baseline)
                                if has and baseline is not None and target > baseline else None),
            "days_left": days_left,
            "required_daily": gap / days_left if has and days_left > 0 else None,
            "pace_7d": pace, "projected": projected, "status": status,
        }

    def scores(self, units, metric, as_of):
        """The leaderboard score of each unit that has one: mean attainment over the metrics."""
        scores = {}
        for unit in units:
            figures = [self.progress(unit, m, as_of) for m in ([metric] if metric else METRICS)]
            exact = [f["attainment_pct"] for f in figures if f and f["attainment_pct"] is not None]
            if exact:
                scores[unit] = round_half_up(sum(exact) / len(exact))
        return scores

    @staticmethod
    def ranks(scores):
        return {u: 1 + sum(other > s for other in scores.values()) for u, s in scores.items()}


@st.composite
def stores(draw):
    """A random tree under VN, targets on some units, reports in 1-3 files, an as-of date."""
    parents = {"VN": None}
    for index in range(draw(st.integers(2, 9))):
        parents[f"U{index}"] = draw(st.sampled_from(sorted(parents)))
    leaves = [u for u in parents if u not in parents.values()]
    targets = {}
    for unit in parents:
        for metric in METRICS:
            for milestone in MILESTONES:
                if draw(st.booleans()) or (unit in leaves and draw(st.booleans())):
                    targets[(unit, metric, milestone)] = draw(st.integers(1, 5_000))
    # a targets file replaces the campaign's published national targets: send one, always
    targets.setdefault((leaves[0], METRICS[0], MILESTONES[0]), 100)
    keys = st.tuples(st.dates(FIRST_DAY, date(2025, 11, 15)), st.sampled_from(leaves), st.sampled_from(METRICS))
    files = draw(st.lists(st.dictionaries(keys, st.integers(0, 6_000), min_size=1, max_size=25),
                          min_size=1, max_size=3))
    as_of = draw(st.dates(date(2025, 9, 20), date(2026, 1, 5)))
    return parents, targets, files, as_of


def counts_csv(file: dict) -> bytes:
    rows = ["date,unit_code,metric,value"] + [f"{d},{u},{m},{v}" for (d, u, m), v in file.items()]
    return "\n".join(rows).encode()


def load(parents, targets, files):
    con = fresh_store()
    units = ["unit_code,name,parent_code"] + [f"{u},Unit {u},{p}" for u, p in parents.items() if p]
    sprint.load_units(con, "\n".join(units).encode(), name="units.csv")
    rows = ["unit_code,metric,milestone,target"] + [f"{u},{m},{t},{v}" for (u, m, t), v in targets.items()]
    sprint.load_targets(con, "\n".join(rows).encode(), name="targets.csv", replace_all=True)
    for index, file in enumerate(files):
        sprint.ingest(con, counts_csv(file), name=f"counts-{index}.csv")
    return con


def same(actual, expected):
    if expected is None:
        return pd.isna(actual)
    if isinstance(expected, float):
        return actual == pytest.approx(expected, abs=0.0051)
    if isinstance(expected, date):
        return pd.Timestamp(actual).date() == expected
    return actual == expected


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(stores())
def test_progress_equals_the_reference(store):
    parents, targets, files, as_of = store
    con = load(parents, targets, files)
    reference = Reference(parents, targets, files)
    frame = sprint.progress(con, as_of=as_of)
    expected = {(u, m): reference.progress(u, m, as_of) for u in parents for m in METRICS}
    expected = {key: figures for key, figures in expected.items() if figures is not None}
    assert set(zip(frame["unit_code"], frame["metric"])) == set(expected)
    for row in frame.to_dict("records"):
        for column, value in expected[(row["unit_code"], row["metric"])].items():
            assert same(row[column], value), (row["unit_code"], row["metric"], column, row[column], value)
    con.close()


@SETTINGS
@given(stores(), st.sampled_from([None, "health"]))
@example(({"VN": None, "U0": "VN", "U1": "U0"},  # U0: 1 of 32 = 3.125 %, a half that rounds up to 3.13
          {("U0", "compulsory_si", date(2025, 10, 31)): 32, ("U1", "compulsory_si", date(2025, 10, 31)): 100},
          [{(date(2025, 9, 15), "U1", "compulsory_si"): 1}], date(2025, 9, 20)), None)
def test_leaderboard_equals_the_reference(store, metric):
    parents, targets, files, as_of = store
    con = load(parents, targets, files)
    reference = Reference(parents, targets, files)
    ranked = [u for u, p in parents.items() if p == "VN"]
    board = sprint.leaderboard(con, as_of=as_of, metric=metric or "all", parent="VN")
    scores = reference.scores(ranked, metric, as_of)
    ranks, yesterday = reference.ranks(scores), reference.ranks(reference.scores(ranked, metric, as_of - timedelta(days=1)))
    expected = sorted(scores, key=lambda u: (ranks[u], u))
    assert board["unit_code"].tolist() == expected
    for row in board.to_dict("records"):
        unit = row["unit_code"]
        assert row["score"] == pytest.approx(scores[unit], abs=0.0051)
        assert row["rank"] == ranks[unit]
        assert same(row["rank_change"], yesterday[unit] - ranks[unit] if unit in yesterday else None)
    con.close()


@SETTINGS
@given(stores())
def test_spans_follow_one_another(store):
    """Each stored count holds until the next report of its unit and metric ('infinity' for the
    latest), and no key is stored twice, whatever order the files came in."""
    parents, targets, files, _ = store
    con = load(parents, targets, files)
    broken = con.execute("""
        SELECT count(*) FROM (
            SELECT valid_until, coalesce(lead(date) OVER (PARTITION BY unit_code, metric ORDER BY date),
                                         'infinity'::DATE) AS next_date,
                   count(*) OVER (PARTITION BY unit_code, metric, date) AS copies
            FROM counts)
        WHERE valid_until <> next_date OR copies > 1""").fetchall()[0][0]
    assert broken == 0
    con.close()
