"""The collection network at Thanh Hóa's size (seed 003: 19 organisations, 1,109 points, 2,241
staff; the demo's): its reads against a hand-written floor, and one Friday's report of the
whole network. Prints medians.

    python benchmarks/network.py [--store demo.duckdb] [--runs 7]

Without --store, the demo store is built in a temporary folder (`init --demo`). On a copy: the
report it sends is committed.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sprint  # noqa: E402
from sprint import demo  # noqa: E402

AS_OF = date(2025, 11, 20)
PROVINCE = "38"
# the floor: each point's and staff member's latest report on or before the day, its target at the
# milestone, summed per kind, and the province's new participants (its leaves' counts on the day
# and at the baseline); what any board of the network must read at least
FLOOR_SQL = """
WITH unit_new AS (
    SELECT sum(c.value) FILTER (c.date <= $as_of AND c.valid_until > $as_of)
           - sum(c.value) FILTER (c.date <= DATE '2025-09-30' AND c.valid_until > DATE '2025-09-30') AS new
    FROM counts c JOIN unit_tree u ON u.descendant = c.unit_code AND u.ancestor = $unit
    WHERE c.metric = $metric
), latest AS (
    SELECT collector_code, max_by(value, (date, upload_id)) AS collected FROM collector_reports
    WHERE metric = $metric AND date <= $as_of AND date > DATE '2025-09-30' GROUP BY collector_code
)
SELECT c.kind, count(*), sum(l.collected), sum(t.target), sum(l.collected) / any_value((SELECT new FROM unit_new))
FROM collectors c JOIN unit_tree u ON u.descendant = c.unit_code AND u.ancestor = $unit
LEFT JOIN latest l USING (collector_code)
LEFT JOIN collector_targets t ON t.collector_code = c.collector_code AND t.metric = $metric
    AND t.milestone = DATE '2025-11-30'
GROUP BY c.kind
"""


def median_ms(call, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "network.duckdb"
        if options.store:
            shutil.copy(options.store, path)
            con = sprint.connect(path)
        else:
            con = sprint.connect(path)
            sprint.init_store(con)
            demo.build_demo(con)
        print(f"store: {options.store or 'the demo, built'}; {PROVINCE}: "
              f"{len(sprint.collectors(con, unit=PROVINCE)):,} collectors; runs {options.runs}")
        for metric in sprint.network_metrics(con):
            floor = median_ms(lambda: con.execute(FLOOR_SQL, {"metric": metric, "as_of": AS_OF,
                                                             "unit": PROVINCE}).fetchall(), options.runs)
            summary = median_ms(lambda: sprint.network_summary(con, as_of=AS_OF, unit=PROVINCE, metric=metric),
                                options.runs)
            print(f"{metric}: floor {floor:.1f} ms; network-summary {summary:.1f} ms ({summary / floor:.2f}×)")
            for kind in ("point", "staff", "organisation"):
                board = median_ms(lambda: sprint.network(con, as_of=AS_OF, unit=PROVINCE, kind=kind, metric=metric),
                                  options.runs)
                print(f"  board of {kind:<12} {board:6.1f} ms ({board / floor:.2f}× the floor)")
        template = sprint.network_template(con, unit=PROVINCE)
        report = template.assign(value=template["last_value"].fillna(0).astype("int64") + 1,
                                 date=date(2025, 11, 21))[["date", "collector_code", "metric", "value"]]
        data = report.to_csv(index=False).encode()
        started = time.perf_counter()
        result = sprint.ingest_collections(con, data, name="friday.csv")
        took = 1000 * (time.perf_counter() - started)
        print(f"a Friday's report of the whole network ({result.rows:,} rows, {len(data) / 1024:,.0f} KB): "
              f"{took:.1f} ms, committed {result.committed}")
        con.close()


if __name__ == "__main__":
    main()
