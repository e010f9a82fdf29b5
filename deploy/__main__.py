"""N dashboard replicas of one PostgreSQL behind nginx, on this machine: `python -m deploy`.

Starts (or reuses) a PostgreSQL 15 cluster in data/postgres, moves an embedded store into it the
first time (`migrate`: the demo store, built if need be; nothing moves the second time), starts
`--replicas` dashboards on their own ports and Debian's nginx in front of them with session
affinity, prints the address, and stops everything by PID on Ctrl+C.
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from deploy.servers import ROOT, Cluster, free_port, init_cluster, nginx, replica
from sprint.store import DATA_DIR


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8500, help="nginx's port (the address to open)")
    parser.add_argument("--postgres-port", type=int, default=55432)
    parser.add_argument("--from", dest="source", type=Path, default=DATA_DIR / "sprint.duckdb",
                        help="the embedded store moved in on the first start")
    arguments = parser.parse_args()
    folder = DATA_DIR / "postgres"
    if not (folder / "data").exists():
        init_cluster(folder)
    postgres = Cluster(folder, arguments.postgres_port, durable=True)
    with ExitStack() as running:
        postgres.start()
        running.callback(postgres.stop)
        url = postgres.url("postgres")
        if not arguments.source.exists():
            subprocess.run([sys.executable, "-m", "sprint", "init", "--demo", "--db", str(arguments.source)],
                           cwd=ROOT, check=True)
        subprocess.run([sys.executable, "-m", "sprint", "migrate", "--from", str(arguments.source), "--to", url],
                       cwd=ROOT, check=True)
        logs = folder / "logs"
        logs.mkdir(exist_ok=True)
        replicas = [running.enter_context(replica(url, logs, port=free_port(), env={"SPRINT_INBOX": "off"}))
                    for _ in range(arguments.replicas)]
        address = running.enter_context(nginx(replicas, folder / "nginx", port=arguments.port))
        print(f"PostgreSQL at {url}; replicas {', '.join(replicas)}; open {address} (Ctrl+C stops them all).",
              flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            print("Stopping.", flush=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # the same orderly stop as Ctrl+C
    main()
