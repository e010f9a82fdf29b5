"""The servers of a deployment, started on this machine and stopped by PID: a PostgreSQL cluster
(Debian's postgresql 15: `initdb` and `postgres` on 127.0.0.1, run as the `postgres` user when
started as root, since PostgreSQL refuses root), dashboard replicas (`streamlit run app.py`) and
Debian's nginx in front of them. The tests, the benchmarks and `python -m deploy` use them."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg

BIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *command] if os.geteuid() == 0 else command


class Cluster:
    """A cluster: `url(database)`, `new_database()`, `stop()` and `start()` (the fault tests).
    `durable=False` (the tests) turns fsync off: that cluster is thrown away."""

    def __init__(self, folder: Path, port: int, *, durable: bool = False):
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.server: subprocess.Popen | None = None
        self.databases = 0
        self.durable = durable

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://sprint@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        with open(self.folder / "postgres.log", "a") as server_log:
            self.server = subprocess.Popen(
                _as_postgres([str(BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
                              "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                              "-c", "max_connections=200",
                              *([] if self.durable else ["-c", "fsync=off", "-c", "synchronous_commit=off",
                                                         "-c", "full_page_writes=off"])]),
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


def init_cluster(folder: Path) -> None:
    """A new cluster in `folder`: user `sprint`, trusted on 127.0.0.1 only (no other address is
    listened on)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(_as_postgres([str(BIN / "initdb"), "-D", str(folder / "data"), "-U", "sprint", "--auth=trust",
                                 "--encoding=UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)


@contextmanager
def cluster():
    """A throw-away cluster on a free port; stopped and deleted at the end."""
    folder = Path(tempfile.mkdtemp(prefix="sprint-pg-"))
    init_cluster(folder)
    running = Cluster(folder, free_port())
    try:
        running.start()
        yield running
    finally:
        running.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _stop(process: subprocess.Popen, signal_number=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(signal_number)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(url: str, process: subprocess.Popen, log: Path, *, within: float = 90) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)


class Served(str):
    """A server's URL, which also knows the server's process id (for its CPU and memory)."""

    pid: int


@contextmanager
def replica(store: str, folder: Path, *, port: int | None = None, env: dict | None = None):
    """One dashboard replica (`streamlit run app.py`) on the store `store`; yields its URL once
    it answers (a replica catches up with the system of record before it serves a page). Its log
    is `folder`/streamlit-PORT.log."""
    port = port or free_port()
    log = folder / f"streamlit-{port}.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless=true",
             f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
             "--server.fileWatcherType=none"],
            cwd=ROOT, env={**os.environ, "SPRINT_DB": store, **(env or {})}, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/_stcore/health", server, log)
        url = Served(f"http://127.0.0.1:{port}")
        url.pid = server.pid
        yield url
    finally:
        _stop(server)


# Streamlit keeps a session's state in its server: each browser's WebSocket and file uploads must
# reach the replica that holds its session. Open-source nginx has no sticky cookie, so the first
# answer sets a random route cookie and every request is hashed on it (consistent: a replica
# added or removed moves only its share of the browsers). The WebSocket needs the Upgrade headers
# and long timeouts; X-Sprint-Replica tells which replica answered; uploads are allowed up to the product's own file limit and a little more.
NGINX_CONF = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    map $cookie_sprint_route $route_cookie {{
        '' "sprint_route=$request_id; Path=/; HttpOnly; SameSite=Lax";
        default '';
    }}
    upstream dashboards {{
        hash $cookie_sprint_route consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 8m;
        location / {{
            proxy_pass http://dashboards;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;  # with its port: the session route checks the origin against it
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
            proxy_buffering off;
            add_header Set-Cookie $route_cookie always;
            add_header X-Sprint-Replica $upstream_addr always;
        }}
    }}
}}
"""


@contextmanager
def nginx(replicas: list[str], folder: Path, *, port: int | None = None):
    """Debian's nginx on 127.0.0.1 in front of `replicas` (their URLs), with session affinity;
    yields its URL."""
    port = port or free_port()
    folder.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server {url.split('//', 1)[1]};" for url in replicas)
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, port=port, servers=servers))
    log = folder / "nginx.log"
    with open(log, "w") as output:
        server = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                                  stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/_stcore/health", server, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(server, signal.SIGQUIT)  # graceful: lets open WebSockets close
