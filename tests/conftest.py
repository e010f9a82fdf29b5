"""Shared fixtures: an empty store, the hand-computed scenario, and the demo store."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

import sprint
from deploy.servers import cluster
from sprint import demo
from sprint.store import REPLICAS

# AppTest runs the pages in this process: a test that commits and then reruns a page sees its
# commit at once, not at the next beat of the publication (pages/reads.py; its own test sets it)
os.environ.setdefault("SPRINT_PUBLISH_SECONDS", "0")

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "scenario"


def fresh_store(path=":memory:"):
    con = sprint.connect(path)
    sprint.init_store(con)
    return con


def load_scenario(con):
    """The tree VN → P1 (A, B), P2 (F reports Fridays only, L starts after the baseline)."""
    sprint.load_units(con, SCENARIO / "units.csv")
    sprint.load_targets(con, SCENARIO / "targets.csv", replace_all=True)
    sprint.ingest(con, SCENARIO / "counts-1.csv")
    sprint.ingest(con, SCENARIO / "counts-2-correction.csv")
    return con


@pytest.fixture(scope="session")
def postgres():
    """One throw-away PostgreSQL cluster for the test session (deploy/servers.py)."""
    with cluster() as running:
        yield running


@pytest.fixture
def postgres_url(postgres):
    """A new, empty PostgreSQL database: the system of record of one test."""
    url = postgres.new_database()
    yield url
    for replica in list(REPLICAS.values()):
        if replica.url == url:
            replica.close()
    postgres.drop_database(url)


# the engine's tests run on both stores: an embedded DuckDB store, and a replica of PostgreSQL
STORES = ("duckdb", "postgresql")


@pytest.fixture(params=STORES)
def con(request):
    connection = fresh_store(request.getfixturevalue("postgres_url") if request.param == "postgresql" else ":memory:")
    yield connection
    connection.close()


@pytest.fixture
def scenario_con(con):
    return load_scenario(con)


@pytest.fixture
def tmp_store(tmp_path):
    return tmp_path / "sprint.duckdb"


@pytest.fixture(scope="session")
def demo_store_file(tmp_path_factory):
    """The demo store, built once per test session by the same code as `init --demo`."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    connection = fresh_store(path)
    demo.build_demo(connection)
    connection.close()
    return path


@pytest.fixture
def demo_con(demo_store_file, tmp_path):
    """A private copy of the demo store, free to change."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_store_file, path)
    connection = sprint.connect(path)
    yield connection
    connection.close()


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """End the process once pytest has said everything, with pytest's exit status. DuckDB's Python
    bindings (nanobind) otherwise list dozens of "leaked" objects at interpreter exit, after the
    summary line, which reads like a crash of a run that passed."""
    if EXIT_STATUS in config.stash:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[EXIT_STATUS])


EXIT_STATUS = pytest.StashKey[int]()
