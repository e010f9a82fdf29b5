"""A throw-away PostgreSQL cluster for the tests and benchmarks: Debian's postgresql 15, `initdb`
and `postgres` on a free port of 127.0.0.1, run as the `postgres` user when started as root
(PostgreSQL refuses to run as root), stopped by PID. Durability is off (fsync): it is thrown away."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg

from e2e.harness import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(command: list[str]) -> list[str]:
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *command] if os.geteuid() == 0 else command


class Cluster:
    """A running cluster: `url(database)`, `new_database()`, and `restart()` (the fault tests)."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.server: subprocess.Popen | None = None
        self.databases = 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://sprint@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        with open(self.folder / "postgres.log", "a") as server_log:
            self.server = subprocess.Popen(
                _as_postgres([str(BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
                              "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                              "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                              "-c", "max_connections=200"]),
                stdout=server_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while subprocess.run([str(BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode:
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.folder / "postgres.log").read_text()[-2000:])
            time.sleep(0.05)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)  # fast shutdown: ends every connection
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def new_database(self) -> str:
        """The URL of a new, empty database of this cluster."""
        self.databases += 1
        name = f"store_{os.getpid()}_{self.databases}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@contextmanager
def cluster():
    """Start a cluster (user `sprint`, trust on 127.0.0.1 only); stop it and delete it at the end."""
    folder = Path(tempfile.mkdtemp(prefix="sprint-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(_as_postgres([str(BIN / "initdb"), "-D", str(folder / "data"), "-U", "sprint", "--auth=trust",
                                 "--encoding=UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
    running = Cluster(folder, free_port())
    try:
        running.start()
        yield running
    finally:
        running.stop()
        shutil.rmtree(folder, ignore_errors=True)
