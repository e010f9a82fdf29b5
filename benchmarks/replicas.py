"""PostgreSQL as the system of record and its replicas (issue 20), on this machine. Prints numbers.

    python -m sprint init --demo --scale national --days 93 --db /tmp/busy/national93.duckdb
    python benchmarks/replicas.py --store /tmp/busy/national93.duckdb [--writers 1,4,8] [--files 400]
        [--catch-up 100] [--runs 3]

On a throw-away PostgreSQL 15 cluster (deploy/servers.py; fsync off, as a benchmark of the code,
not of this machine's disk):
1. load: the national store migrated in (`migrate`), then, `--runs` times each in a fresh process,
   a replica opened (seconds until it serves, peak RSS) beside the embedded store file opened;
2. writers: W processes at once, each with its own replica, send their share of `--files` commune
   files (one row per metric) for the day after the store's last: files/s over all of them, and
   each file's commit (the ingest call, checks included) p50/p95/max;
3. catch-up: one process commits a commune file every 0.25 s while a replica in another process
   follows: from each commit's return to the follower having applied it, p50/p95/max.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sprint  # noqa: E402
from benchmarks.busy_day import machine  # noqa: E402
from deploy.servers import cluster  # noqa: E402
from sprint.postgres import migrate_store  # noqa: E402

OPEN = """
import json, os, resource, sys, time
started = time.perf_counter()
import sprint
con = sprint.connect(sys.argv[1])
sprint.progress(con, as_of=sprint.complete_date(con), unit="VN")  # serves a page: the national figures
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
os._exit(0)  # DuckDB's bindings list their objects at a normal exit (noise, not a leak of ours)
"""

WRITER = """
import json, os, sys, time
import sprint
con = sprint.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for name in sys.argv[2:]:
    started = time.time()
    result = sprint.ingest(con, name, uploaded_by="benchmark")
    print(json.dumps({"upload": result.upload_id, "started": started, "committed": time.time()}), flush=True)
os._exit(0)
"""

FOLLOWER = """
import json, os, sys, time
import sprint
from sprint.store import replica_of
con = sprint.connect(sys.argv[1])
replica = replica_of(con)
cursor = con.cursor()
seen = cursor.execute("SELECT coalesce(max(upload_id), 0) FROM uploads").fetchall()[0][0]
original = replica.catch_up
def catch_up():
    global seen
    changed = original()
    if changed:
        now = time.time()
        for (upload,) in cursor.execute("SELECT upload_id FROM uploads WHERE upload_id > ?", [seen]).fetchall():
            print(json.dumps({"upload": upload, "applied": now}), flush=True)
            seen = max(seen, upload)
    return changed
replica.catch_up = catch_up
replica.follow()
print("ready", flush=True)
sys.stdin.readline()
os._exit(0)
"""


def spread(values) -> str:
    values = np.asarray(values, dtype=float)
    return (f"p50 {np.percentile(values, 50):.3f} s, p95 {np.percentile(values, 95):.3f} s, "
            f"max {values.max():.3f} s (n={len(values)})")


def commune_files(store: Path, folder: Path) -> list[Path]:
    """One file per commune for the day after the store's last, each count a little above its last."""
    con = sprint.connect(store)
    try:
        day = con.execute("SELECT max(date) FROM counts").fetchall()[0][0] + timedelta(days=1)
        last = con.execute("""SELECT c.unit_code, c.metric, c.value + greatest(1, c.value // 1000) FROM counts c
                              JOIN unit_levels l USING (unit_code)
                              WHERE l.is_leaf AND c.valid_until = 'infinity'::DATE ORDER BY 1, 2""").fetchall()
    finally:
        con.close()
    rows: dict[str, list[str]] = {}
    for unit, metric, value in last:
        rows.setdefault(unit, []).append(f"{day},{unit},{metric},{value}\n")
    files = []
    for unit, lines in rows.items():
        path = folder / f"{unit}-{day}.csv"
        path.write_text("date,unit_code,metric,value\n" + "".join(lines))
        files.append(path)
    return files


def started(script: str, *arguments: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", script, *arguments], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    return process


def load(store: Path, url: str, runs: int) -> None:
    for label, location in (("embedded file", str(store)), ("replica of PostgreSQL", url)):
        opened = [json.loads(subprocess.run([sys.executable, "-c", OPEN, location], cwd=ROOT, check=True,
                                            capture_output=True, text=True).stdout) for _ in range(runs)]
        seconds = [o["seconds"] for o in opened]
        print(f"  {label}: open and first national figures {np.median(seconds):.2f} s median "
              f"({min(seconds):.2f}–{max(seconds):.2f}), peak RSS {np.median([o['peak_mb'] for o in opened]):.0f} MB",
              flush=True)


def writers(url: str, files: list[Path], count: int) -> None:
    shares = [files[number::count] for number in range(count)]
    processes = [started(WRITER, url, *map(str, share)) for share in shares]
    began = time.time()
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    lines = [json.loads(line) for process in processes for line in process.stdout]
    for process in processes:
        assert process.wait() == 0
    ended = max(line["committed"] for line in lines)
    print(f"  {count} writer process{'es' if count > 1 else ''}: {len(lines)} files in {ended - began:.1f} s = "
          f"{len(lines) / (ended - began):.1f} files/s; commit {spread([line['committed'] - line['started'] for line in lines])}",
          flush=True)


def catch_up(url: str, files: list[Path]) -> None:
    follower = started(FOLLOWER, url)
    writer = started(WRITER.replace("for name in sys.argv[2:]:", "for name in sys.argv[2:]:\n    time.sleep(0.25)"),
                     url, *map(str, files))
    writer.stdin.write("go\n")
    writer.stdin.flush()
    committed = {line["upload"]: line["committed"] for line in map(json.loads, writer.stdout)}
    writer.wait()
    applied: dict[int, float] = {}
    deadline = time.time() + 60
    while set(committed) - set(applied) and time.time() < deadline:
        line = json.loads(follower.stdout.readline())
        applied[line["upload"]] = line["applied"]
    follower.stdin.write("stop\n")
    follower.stdin.flush()
    follower.wait(timeout=30)
    print(f"  commit → applied on another replica: {spread([applied[u] - committed[u] for u in committed if u in applied])}"
          f"; not applied within 60 s: {len(set(committed) - set(applied))}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a national store")
    parser.add_argument("--writers", default="1,4,8", help="writer processes (default 1,4,8)")
    parser.add_argument("--files", type=int, default=400, help="commune files per writers' run (default 400)")
    parser.add_argument("--catch-up", type=int, default=100, help="files of the catch-up run (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="replicas opened for the load figures (default 3)")
    args = parser.parse_args()
    print(machine())
    print(f"command: {' '.join(sys.argv)}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="replicas-"))
    files = commune_files(args.store, folder)
    with cluster() as postgres:
        print("load:")
        url = postgres.new_database()
        began = time.perf_counter()
        source = sprint.connect(args.store)
        moved = migrate_store(source, url)
        source.close()
        print(f"  migrate: {time.perf_counter() - began:.1f} s for {sum(rows for rows, _ in moved.values()):,} rows",
              flush=True)
        load(args.store, url, args.runs)
        print("writers:")
        offset = 0
        for count in (int(c) for c in args.writers.split(",")):
            writers(url, files[offset:offset + args.files], count)
            offset += args.files
        print("catch-up:")
        catch_up(url, files[offset:offset + args.catch_up])


if __name__ == "__main__":
    main()
