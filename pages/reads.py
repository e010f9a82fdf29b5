"""The pages' data layer: the store of this process, and its reads, cached until the data they
depend on changes (keyed by the store's data versions)."""
from __future__ import annotations

import functools
import os
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import sprint
from sprint import demo
from sprint.store import is_url, replica_of
from sprint.structure import EVERY_DAY

# How many reads the store computes at once: as many as the machine has cores. More gain nothing
# (each read is DuckDB's work on every core) and add up the memory: 25 pages opened at once on
# the national store ran out of DuckDB's 512 MB with no bound (benchmarks/busy_day.py).
READ_SLOTS = threading.BoundedSemaphore(os.cpu_count() or 2)
# the reads of units, metrics and campaigns alone: no report changes them, only a load of units,
# targets or campaigns (the changes of every day, structure.EVERY_DAY)
STRUCTURE_READS = (sprint.units, sprint.metrics, sprint.campaign_for)
# the reads of the upload history, of the collection network and of the late payers: every upload
# may change them (their files mark no unit's figures, and what they are set against follows the
# units' counts too)
UPLOAD_READS = (sprint.upload_history, sprint.network, sprint.network_summary, sprint.network_metrics, sprint.collectors,
                sprint.network_template, sprint.late_payers, sprint.late_payer_changes, sprint.late_payers_published,
                sprint.late_payers_check, sprint.late_payers_pdf)
# the reads of a phase's results: the uploads received by its cut-off, and whether it is closed
RESULT_READS = (sprint.results, sprint.late_corrections, sprint.phases, sprint.results_pdf)
# how often an open page looks for new data
REFRESH_SECONDS = float(os.environ.get("SPRINT_REFRESH_SECONDS", "3"))
# a page follows new figures of the day it shows at most every this many beats, and at most once
# per FOLLOW_COST times its last full run (see page_outdated): on a national reporting day the
# figures of the day being reported, and of the complete day while late units send theirs, change
# at every beat, and each run of a page is heavy; a new latest or complete day is followed at once
FOLLOW_BEATS = 2
FOLLOW_COST = 3
# how often the store publishes its new data to the pages (see Publication); the tests publish
# every commit at once (0)
PUBLISH_SECONDS = float(os.environ.get("SPRINT_PUBLISH_SECONDS", REFRESH_SECONDS))
# the clock of the pages' runs (a test sets its own)
clock = time.monotonic


def store_path() -> str:
    return str(sprint.default_db_path())


@st.cache_resource(show_spinner="Đang mở kho số liệu… / Opening the store…")
def get_store(path: str):
    """The one read-write connection of this process (DuckDB allows one writer per file); a new
    store file is created with the demo data. With a PostgreSQL store, this process's replica,
    which follows every change from then on."""
    replica = is_url(path)
    is_new = not replica and not Path(path).exists()
    con = sprint.connect(path)
    # the dashboard shares the machine: DuckDB spills to disk beyond this rather than grow the process
    # (ten province heads opening their pages at once on a fresh server, national store: peak RSS
    # 1,098-1,139 MB with 1GB here, 789 MB with 512MB, their slowest first figure 2.4-2.9 s either way)
    con.execute("SET memory_limit = ?", [os.environ.get("SPRINT_MEMORY_LIMIT", "512MB")])
    sprint.init_store(con)
    if is_new:
        demo.build_demo(con)
    if replica:
        replica_of(con).follow()
    return con


def cursor():
    """A cursor of the store for this rerun (each thread reads through its own)."""
    return get_store(store_path()).cursor()


@dataclass
class Published:
    """The store as every open page sees it until the next beat: the data versions of each unit
    (of every day, key None, and of the days pages ask about), the upload history's version, the
    latest and the latest complete day, and each recent day's reporting (sprint.reporting_days)."""

    taken: float
    versions: dict
    upload_version: int
    days: pd.DataFrame
    latest: date | None
    complete: date | None


class Publication:
    """What the store publishes to the pages: taken afresh at most once per PUBLISH_SECONDS, by
    the first session to ask after that, and the same for every session. So a burst of commits
    (a national reporting day: many files a second) reaches the pages as one change per beat,
    and every session keys its reads on the same versions: one computation serves them all."""

    def __init__(self, path: str, clock=time.monotonic):
        self.path, self.clock = path, clock
        self.lock = threading.Lock()
        self.published: Published | None = None

    def current(self) -> Published:
        with self.lock:
            if self.published is None or self.clock() - self.published.taken >= PUBLISH_SECONDS:
                self.published = self._take()
            return self.published

    def _take(self) -> Published:
        cur = get_store(self.path).cursor()
        versions = sprint.data_versions(cur)
        last = self.published
        if last is not None and last.versions[None] == versions:  # no figure changed: nor did the days
            days, latest, complete = last.days, last.latest, last.complete
        else:
            days = sprint.reporting_days(cur)
            latest, complete = sprint.latest_date(cur), sprint.complete_day(days)
        return Published(self.clock(), {None: versions}, sprint.upload_version(cur), days, latest, complete)

    def versions_as_of(self, published: Published, day) -> dict[str, int]:
        """The data versions of the figures as of `day` (a report dated after it changes none)."""
        with self.lock:
            if day not in published.versions:
                published.versions[day] = sprint.data_versions(get_store(self.path).cursor(), as_of=day)
            return published.versions[day]


@st.cache_resource
def publication(path: str) -> Publication:
    return Publication(path)


def begin_rerun() -> None:
    """Take what the store publishes now for this run: every read of the run is keyed on it."""
    st.session_state["_published"] = publication(store_path()).current()


def begin_page() -> None:
    """Start a full run of the page (dashboard.py, before anything is drawn): take the publication,
    and record afresh what the page's figures depend on (see page_outdated)."""
    begin_rerun()
    now = published()
    st.session_state["_inputs"], st.session_state["_days"] = {}, (now.latest, now.complete)
    st.session_state["_page_run_at"] = clock()


def end_page() -> None:
    """End a full run of the page (dashboard.py, once everything is drawn): how long it took sets
    how often the page follows new figures (see page_outdated)."""
    st.session_state["_page_run_took"] = clock() - st.session_state.get("_page_run_at", clock())


def fragment_run() -> bool:
    """Whether this run is a fragment's alone (its live refresh), not the page's."""
    context = get_script_run_ctx()
    return bool(context and context.fragment_ids_this_run)


def published() -> Published:
    if "_published" not in st.session_state:  # a call outside a rerun (AppTest formatting a widget)
        begin_rerun()
    return st.session_state["_published"]


def _version(day, scope) -> int:
    """The data version of the figures of `scope`'s subtree (None: the whole store) as of `day`
    (None: every day), as published to this run."""
    versions = publication(store_path()).versions_as_of(published(), day)
    return versions[scope] if scope in versions else max(versions.values(), default=0)


def _version_for(function, arguments: dict):
    """The data version a read depends on: the upload history's for the history and the network; the structure's
    (units, targets, campaigns) for a read of those alone; else that of the unit the read is
    about (its subtree), the whole store's when it is about no one unit, as of the day its figures
    run to (as_of, or a series' end) when it names one: a report dated after that day changes
    none of them, so a page on yesterday's complete day keeps its caches while today's reports
    come in. Each figure's (day, unit) and version is recorded as what the page depends on."""
    if function in UPLOAD_READS:
        return published().upload_version
    if function in RESULT_READS:
        return published().upload_version, sprint.closings_version(cursor())
    day = EVERY_DAY if function in STRUCTURE_READS else arguments.get("as_of") or arguments.get("end")
    scope = arguments.get("unit") or arguments.get("parent")
    version = _version(day, scope)
    st.session_state.setdefault("_inputs", {})[(day, scope)] = version
    return version


@st.cache_resource(show_spinner=False)
def _replica(path: str):
    """This process's replica of the store (None: an embedded store), looked up once through a
    cursor of its own (the store's connection is not for reading: every thread reads through a
    cursor)."""
    return replica_of(get_store(path).cursor())


def store_reachable() -> bool:
    """False while this process's replica cannot reach its system of record (an embedded store
    always can)."""
    replica = _replica(store_path())
    return replica is None or replica.reachable


def store_version() -> int:
    """The data version of the whole store, every day, as published to this run."""
    return _version(None, None)


def page_outdated() -> bool:
    """Whether what the page's last full run showed has changed in the publication of this run:
    the version of one of its figures' (day, unit), or the latest or the latest complete day. A
    report for a day after the one a page shows, or for another subtree, changes none of them. A
    new latest or complete day is followed at once; new figures of the day shown at most every
    FOLLOW_BEATS beats and FOLLOW_COST times the page's last full run, so that pages following a
    day still being reported leave the machine to the writer and to the pages that switch days."""
    now = published()
    if (now.latest, now.complete) != st.session_state.get("_days"):
        return True
    every = max(FOLLOW_BEATS * PUBLISH_SECONDS, FOLLOW_COST * st.session_state.get("_page_run_took", 0.0))
    if clock() - st.session_state.get("_page_run_at", 0) < every:
        return False
    return any(_version(day, scope) != version for (day, scope), version in st.session_state.get("_inputs", {}).items())


def latest_date():
    """The latest day with reports, as published."""
    return published().latest


def complete_date():
    """The latest complete day, as published: the day every page shows unless its reader picks another."""
    return published().complete


def reporting_days() -> pd.DataFrame:
    """How many units reported for each recent day, as published (sprint.reporting_days)."""
    return published().days


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(_function, name: str, data_version, path: str, arguments: tuple):
    """A sprint read, computed once per data version and arguments (`name` keys the function), by
    one of READ_SLOTS at a time."""
    with READ_SLOTS:
        return _function(get_store(path).cursor(), **dict(arguments))


def read(function, **arguments):
    """function(cursor, **arguments) for a public read of `sprint`, cached until a figure it
    depends on changes."""
    return read_later(function, **arguments)()


def read_later(function, **arguments):
    """read() as a callable, its cache key fixed now, in this rerun: for a download made on the
    click, which Streamlit runs outside the session (where the data versions are not this
    reader's)."""
    return functools.partial(_cached, function, f"{function.__module__}.{function.__name__}",
                             _version_for(function, arguments), store_path(), tuple(sorted(arguments.items())))


def as_of():
    """The day the page's figures run to: the reader's choice, else the latest complete day."""
    return st.session_state.get("as_of") or complete_date()


def my_unit() -> str | None:
    return st.session_state.get("my_unit")


@st.cache_data(max_entries=4, show_spinner=False)
def _unit_labels(data_version: int, path: str) -> dict[str, str]:
    units = sprint.units(get_store(path).cursor())
    return dict(zip(units["unit_code"], units["label"]))


def unit_labels() -> dict[str, str]:
    """Every unit's label, "name (code)", for pickers (a dictionary: 3,356 options format fast)."""
    return _unit_labels(_version_for(sprint.units, {}), store_path())

