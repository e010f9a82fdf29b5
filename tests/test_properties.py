"""Invariants, checked on generated trees and reports (hypothesis)."""
from datetime import date, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sprint
from conftest import fresh_store

METRICS = ["compulsory_si", "health"]
START = date(2025, 9, 25)
AS_OF = date(2025, 10, 20)
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def trees(draw):
    """VN → 1-3 provinces → 1-3 leaves each; returns the units CSV and the leaf codes."""
    lines, leaves = ["unit_code,name,parent_code"], []
    for p in range(draw(st.integers(1, 3))):
        lines.append(f"P{p},Province {p},VN")
        for leaf in range(draw(st.integers(1, 3))):
            lines.append(f"P{p}-{leaf},Leaf {p}.{leaf},P{p}")
            leaves.append(f"P{p}-{leaf}")
    return "\n".join(lines).encode(), leaves


@st.composite
def reports(draw, leaves):
    """A set of (date, unit, metric, value) with one value per key."""
    keys = st.tuples(st.integers(0, 30), st.sampled_from(leaves), st.sampled_from(METRICS))
    chosen = draw(st.dictionaries(keys, st.integers(0, 10_000), min_size=2, max_size=40))
    return pd.DataFrame([(START + timedelta(days=d), u, m, v) for (d, u, m), v in chosen.items()],
                        columns=["date", "unit_code", "metric", "value"])


def as_csv(frame) -> bytes:
    return frame.to_csv(index=False).encode()


def targets_for(units_csv: bytes) -> bytes:
    codes = [line.split(",")[0] for line in units_csv.decode().splitlines()[1:]]
    rows = [f"{c},{m},2025-10-31,{1000 + 17 * i}" for i, c in enumerate(codes) for m in METRICS]
    return ("unit_code,metric,milestone,target\n" + "\n".join(rows)).encode()


def store_with(units_csv):
    con = fresh_store()
    sprint.load_units(con, units_csv, name="units.csv")
    sprint.load_targets(con, targets_for(units_csv), name="targets.csv", replace_all=True)
    return con


def figures(con):
    return sprint.progress(con, as_of=AS_OF).sort_values(["unit_code", "metric"]).reset_index(drop=True)


@st.composite
def scenario(draw):
    units_csv, leaves = draw(trees())
    return units_csv, draw(reports(leaves))


@SETTINGS
@given(scenario())
def test_a_parent_equals_the_sum_of_its_leaves(case):
    units_csv, counts = case
    con = store_with(units_csv)
    sprint.ingest(con, as_csv(counts), name="c.csv")
    frame = figures(con).set_index(["unit_code", "metric"])["value"]
    parents = pd.read_csv(pd.io.common.BytesIO(units_csv), dtype=str)
    for metric in METRICS:
        for parent in ["VN", *parents.loc[parents["parent_code"] == "VN", "unit_code"]]:
            children = parents.loc[parents["parent_code"] == parent, "unit_code"]
            child_values = [frame.get((c, metric)) for c in children]
            known = [v for v in child_values if not pd.isna(v)]
            expected = sum(known) if known else None
            got = frame.get((parent, metric))
            assert (pd.isna(got) and expected is None) or got == expected


@SETTINGS
@given(scenario())
def test_ingesting_a_file_twice_equals_ingesting_it_once(case):
    units_csv, counts = case
    con = store_with(units_csv)
    sprint.ingest(con, as_csv(counts), name="c.csv")
    once = figures(con)
    sprint.ingest(con, as_csv(counts), name="c.csv")
    sprint.ingest(con, as_csv(counts.iloc[::-1]), name="reversed.csv")
    pd.testing.assert_frame_equal(once, figures(con))


@SETTINGS
@given(scenario(), st.data())
def test_ingesting_the_days_in_any_order_gives_the_same_figures(case, data):
    units_csv, counts = case
    whole = store_with(units_csv)
    sprint.ingest(whole, as_csv(counts), name="all.csv")
    by_day = store_with(units_csv)
    days = data.draw(st.permutations(sorted(counts["date"].unique())))
    for day in days:
        sprint.ingest(by_day, as_csv(counts[counts["date"] == day]), name=f"{day}.csv")
    pd.testing.assert_frame_equal(figures(whole), figures(by_day))


@SETTINGS
@given(scenario(), st.lists(st.tuples(st.floats(0, 1), st.integers(-3, 3), st.integers(0, 2)), min_size=1, max_size=4))
def test_the_history_holds_every_row_each_upload_brought(case, later):
    """upload_rows (counts, plus the history of what counts no longer says) gives, for every
    committed upload, exactly the rows of its file: whatever mix of new, corrected and unchanged
    rows the later files bring."""
    units_csv, counts = case
    con = store_with(units_csv)
    files = [counts]
    for share, change, shift in later:  # a part of the reports again, some values moved by -3..3,
        part = counts.sample(n=max(1, round(share * len(counts))), random_state=len(files))
        part = part.assign(value=(part["value"] + change).clip(0))
        moved = part.iloc[::2].assign(date=lambda f: f["date"] + timedelta(days=shift))  # every other one a new day
        part = pd.concat([moved, part.iloc[1::2]]).drop_duplicates(["date", "unit_code", "metric"])
        files.append(part)
    brought = []
    for index, frame in enumerate(files):
        result = sprint.ingest(con, as_csv(frame), name=f"f{index}.csv")
        if not result.already_taken:
            brought += [(result.upload_id, d, u, m, v) for d, u, m, v in frame.itertuples(index=False)]
    rows = con.execute("SELECT upload_id, date, unit_code, metric, value FROM upload_rows").fetchall()
    assert sorted(rows) == sorted(brought)


BAD_ROWS = [
    "2025-10-01,{leaf},health,-1", "2025-10-01,{leaf},health,1.5", "2025-10-01,NOPE,health,1",
    "2025-10-01,{leaf},pension,1", "2025-02-30,{leaf},health,1", "2024-10-01,{leaf},health,1",
    "2025-10-01,VN,health,1", "2025-10-01,{leaf},health,12,345,678",
]


@SETTINGS
@given(scenario(), st.sampled_from(BAD_ROWS), st.integers(0, 40))
def test_a_rejected_file_leaves_every_figure_unchanged(case, bad_row, position):
    units_csv, counts = case
    con = store_with(units_csv)
    half = len(counts) // 2
    sprint.ingest(con, as_csv(counts.iloc[:half]), name="first.csv")
    before = figures(con)
    lines = as_csv(counts.iloc[half:]).decode().splitlines()
    at = 1 + position % len(lines)
    lines.insert(at, bad_row.format(leaf=counts.iloc[0]["unit_code"]))
    try:
        sprint.ingest(con, "\n".join(lines).encode(), name="bad.csv")
        raise AssertionError("a file with a bad row was accepted")
    except sprint.ValidationError as exc:
        assert any(p.line == at + 1 for p in exc.problems)
    pd.testing.assert_frame_equal(before, figures(con))


@SETTINGS
@given(scenario())
def test_ranks_follow_scores(case):
    units_csv, counts = case
    con = store_with(units_csv)
    sprint.ingest(con, as_csv(counts), name="c.csv")
    board = sprint.leaderboard(con, as_of=AS_OF, level="grassroots")
    for _, entry in board.iterrows():
        assert entry["rank"] == 1 + (board["score"] > entry["score"]).sum()
    assert board["rank"].is_monotonic_increasing


@SETTINGS
@given(scenario(), st.data())
def test_target_groups_never_change_their_metrics_figures(case, data):
    """Any target group counts (each at most its metric's count that day) leave every figure of
    every metric as it was: a group's count is part of its metric's, never added to it."""
    units_csv, counts = case
    con = store_with(units_csv)
    sprint.ingest(con, as_csv(counts), name="c.csv")
    before = figures(con)
    board = sprint.leaderboard(con, as_of=AS_OF, level="grassroots")
    groups = {"compulsory_si": ["compulsory_si.militia", "compulsory_si.household_business"],
              "health": ["health.students", "health.family"]}
    rows = [(row.date, row.unit_code, group, data.draw(st.integers(0, row.value), label=f"{group} {row.unit_code}"))
            for row in counts.itertuples() for group in groups[row.metric]
            if data.draw(st.booleans(), label="reported")]
    if rows:
        sprint.ingest(con, as_csv(pd.DataFrame(rows, columns=counts.columns)), name="groups.csv")
    pd.testing.assert_frame_equal(before, figures(con))
    pd.testing.assert_frame_equal(board, sprint.leaderboard(con, as_of=AS_OF, level="grassroots"))
