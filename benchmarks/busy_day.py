"""A national reporting day, live: every commune's file lands in the inbox while readers keep their
pages open (issue 19). Prints numbers.

    python -m sprint init --demo --scale national --days 93 --db /tmp/busy/national93.duckdb
    python benchmarks/busy_day.py --store /tmp/busy/national93.duckdb \\
        [--rates 1,5,10,20] [--audiences 4,25,100] [--seconds 60] [--complete] [--reported N]
        [--idle 30] [--drain 30]

For each audience and rate, on a fresh copy of the store: `streamlit run app.py` (refresh every 3 s,
the product's default; the inbox settles files for 0.5 s), then the audience's pages, opened over
Streamlit's websocket and kept live as a browser keeps them (benchmarks/live_reader.py): leaders
on the nation, unit heads on their province and on their commune (each head's page opens on their
own unit), every fourth or so on "see today anyway", which each clicks as soon as the page offers
it. The pages open at once; once every page has loaded, or after `--load-timeout` seconds (then
how many had not is printed), and, for the first rate of each audience, after `--idle` seconds
with no new data, one 6-row file per commune for the day after the store's last (each metric a
little above the commune's last count) is dropped into the inbox at the rate (written as
NAME.part, then renamed), for `--seconds` or, with `--complete`, until every commune has sent its
file: then the day becomes complete and the pages must move to it. `--reported N` starts later in
the day: N communes' files are committed (as one file, before the server starts) and the rest are
sent, so the day's completion comes within minutes even when the writer holds few files a second.

What it prints, per rate and audience:
- files/s held: files committed within the window over its seconds; backlog: files dropped but
  not committed at the window's end; drop → commit p50/p95/max. A file's drop is the moment of its
  rename into the inbox; its commit, the ctime of the file in processed/, which the watcher's
  rename sets right after the file's transaction commits (to the kernel clock's few ms). After the
  window the inbox drains for up to `--drain` seconds; files still waiting then are withdrawn
  (renamed to .NAME.withdrawn, as `ingest` withdraws a hand-off) and counted, not timed;
- freshness of what each page shows, p50/p95/max over every session and event, from the commit that
  made a figure true to the first message on that session carrying it:
  (a) the line "N of M units have reported": for each commit k before the day completes, until the
      session first shows a count of at least k (or, once the day is complete, finishes a whole run
      without the line);
  (b) the day switch: from the commit that completed the day (the campaign's complete share of the
      units that report) until a session on the complete day shows the new day in its caption; and
      until the run carrying it finished (the whole page on the new day);
  (c) a head's own figure on "today": a commune head on "see today anyway", from the commit of
      their commune's file until their page shows its new count;
  an event a session never showed counts as the time until the end (a lower bound; "unseen" says
  how many);
- runs per session during the window and the drain: full runs completed, full runs restarted
  (script_finished FINISHED_EARLY_FOR_RERUN: a run stopped for another, or one whose end had not
  gone out yet when the next began, which Streamlit's message queue relabels so), fragment runs
  completed;
- server CPU over the window in cores (utime + stime of the server process), the client's own (this
  process: 100 sessions share the 2 cores with the server), and the server's peak RSS (VmHWM);
- the store against the files: every dropped file committed exactly once (processed/ against the
  committed uploads, the day's rows = 6 × committed communes, each count as sent, nothing in
  rejected/, no 'already taken' in the audit log), and exceptions on the pages (Exception elements
  in any delta), error alerts, and the tracebacks in the server's log with the error each ended in
  (a page only says that an error happened: Streamlit redacts it);
- idle: the server's CPU in cores while the audience's pages are open and no data comes.

With `--postgres N` the store is PostgreSQL (issue 20): a throw-away cluster (deploy/servers.py),
each configuration's copy of the store migrated into a database of its own; the inbox is taken
by `python -m sprint watch` in a process of its own (the writer), and N dashboard replicas
(SPRINT_INBOX=off) follow PostgreSQL's changes; the readers are dealt to the replicas in turn (as
nginx's affinity would). Server CPU is then the replicas' and the writer's together, and peak RSS
the largest replica's.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sprint  # noqa: E402
from benchmarks.browser import cpu_seconds, peak_memory_mb  # noqa: E402
from benchmarks.live_reader import FRAGMENT_DONE, FULL_DONE, FULL_RESTARTED, Reader  # noqa: E402
from deploy.servers import cluster, replica  # noqa: E402
from e2e.harness import dashboard  # noqa: E402
from pages.session import COOKIE  # noqa: E402
from sprint import i18n  # noqa: E402
from sprint.campaigns import COMPLETE_SHARE  # noqa: E402

REFRESH_SECONDS = 3.0  # the product's default SPRINT_REFRESH_SECONDS
LANG = "vi"  # what a page shows without ?lang=en
METRIC_SHOWN = "compulsory_si"  # a head's own figure: the first card's count
RETRY_CLICK_SECONDS = 10.0  # a reader whose click changed nothing clicks again, as a person would
# who the audience is, in this order, again and again: (kind, on "see today anyway")
AUDIENCE_PATTERN = (("leader", False), ("province", False), ("commune", False), ("commune", True),
                    ("province", False), ("commune", False), ("leader", True), ("province", True),
                    ("commune", False), ("commune", True))


# ---------------------------------------------------------------------------------------- the day

@dataclass
class Member:
    """One reader of the audience: an account of its own and a live sign-in."""

    name: str
    kind: str  # leader, province or commune
    unit: str | None
    on_today: bool
    token: str = ""


@dataclass
class Day:
    """The day after the store's last: each commune's file, who reads, when the day completes."""

    day: date
    files: dict[str, bytes]  # commune → its file (one row per metric)
    shown_value: dict[str, int]  # commune → its new METRIC_SHOWN count
    communes: list[str]
    complete_at: int  # the commit that makes the day complete: this many communes have reported
    members: list[Member]


def prepare(store: Path, template: Path, readers: int) -> Day:
    """Copy the store to `template` with an account and a live session per reader, and make the
    next day's commune files (read before any server holds the store)."""
    shutil.copy(store, template)
    con = sprint.connect(template)
    try:
        day = con.execute("SELECT max(date) FROM counts").fetchall()[0][0] + timedelta(days=1)
        communes = [code for (code,) in con.execute(
            "SELECT unit_code FROM unit_levels WHERE is_leaf ORDER BY unit_code").fetchall()]
        provinces = [code for (code,) in con.execute(
            "SELECT unit_code FROM unit_levels WHERE depth = 1 ORDER BY unit_code").fetchall()]
        listed = sprint.metrics(con)
        # a commune's file holds the metrics it reports: not a sum of metrics, not a target group
        metrics = listed.loc[listed["sum_of"].isna() & listed["part_of"].isna(), "metric"].tolist()
        last = con.execute("""
            SELECT c.unit_code, c.metric, c.value FROM counts c JOIN unit_levels l USING (unit_code)
            WHERE l.is_leaf AND c.valid_until = 'infinity'::DATE""").df()
        # the rule of reporting_days: a day is complete when the units reporting for it reach the
        # campaign's share of the units that have ever reported
        share = con.execute("SELECT complete_share FROM campaigns WHERE ends >= ? ORDER BY ends LIMIT 1",
                            [day]).fetchall()
        share = share[0][0] if share and share[0][0] is not None else COMPLETE_SHARE
        expected = con.execute("SELECT count(DISTINCT unit_code) FROM counts WHERE date <= ?", [day]).fetchall()[0][0]
        members = audience(readers, provinces, communes)
        for member in members:
            sprint.add_account(con, member.name, role="leader" if member.kind == "leader" else "unit",
                               unit=member.unit, password="busy-day-password")
            member.token = sprint.open_session(con, member.name, hours=12)
    finally:
        con.close()
    last["value"] = last["value"] + np.maximum(1, last["value"] // 1000)
    values = {(row.unit_code, row.metric): int(row.value) for row in last.itertuples()}
    files = {}
    for commune in communes:
        rows = "".join(f"{day},{commune},{metric},{values[commune, metric]}\n" for metric in metrics)
        files[commune] = ("date,unit_code,metric,value\n" + rows).encode()
    return Day(day, files, {commune: values[commune, METRIC_SHOWN] for commune in communes}, communes,
               math.ceil(share * expected - 1e-9), members)


def audience(readers: int, provinces: list[str], communes: list[str]) -> list[Member]:
    """The first `readers` of the audience: each province head on a province of their own, each
    commune head on a commune of their own, spread over the nation (331 is prime to 3,321)."""
    members, count = [], Counter()
    for number in range(readers):
        kind, on_today = AUDIENCE_PATTERN[number % len(AUDIENCE_PATTERN)]
        index = count[kind]
        count[kind] += 1
        unit = {"leader": None, "province": provinces[index % len(provinces)],
                "commune": communes[(index * 331) % len(communes)]}[kind]
        members.append(Member(f"busy-{kind}-{index}", kind, unit, on_today))
    return members


def sending_order(day: Day, members: list[Member], reported: int, planned: int | None) -> tuple[list[str], list[str]]:
    """The communes that have reported before the pages open, and those that send their file
    during the window (`planned` of them, or all the others), in a fixed random order. The
    communes of heads on "see today anyway" are among the senders, spread between a fifth and nine
    tenths of them (by then their pages are on today, so their own figure's freshness is that of
    the page, not of their click)."""
    order = [str(code) for code in np.random.default_rng(19).permutation(day.communes)]
    watched = [m.unit for m in members if m.kind == "commune" and m.on_today]
    order = [code for code in order if code not in watched]
    before, senders = order[:reported], order[reported:]
    planned = min(planned or len(senders) + len(watched), len(senders) + len(watched))
    for number, code in enumerate(watched):
        senders.insert(int(planned * (0.2 + 0.7 * (number + 0.5) / len(watched))), code)
    return before, senders[:planned]


def file_name(day: Day, commune: str) -> str:
    return f"{commune}-{day.day}.csv"


class Dropper(threading.Thread):
    """Drops the files into the inbox at a fixed rate, each written as NAME.part and renamed."""

    def __init__(self, inbox: Path, files: list[tuple[str, bytes]], rate: float):
        super().__init__(name="dropper", daemon=True)
        self.inbox, self.files, self.rate = inbox, files, rate
        self.dropped: dict[str, float] = {}  # name → the moment of its rename
        self.started = 0.0
        self.stop = threading.Event()

    def start(self) -> None:
        self.started = time.time()
        super().start()

    def run(self) -> None:
        for number, (name, content) in enumerate(self.files):
            if self.stop.wait(max(0.0, self.started + number / self.rate - time.time())):
                return
            part = self.inbox / f"{name}.part"
            part.write_bytes(content)
            os.rename(part, self.inbox / name)
            self.dropped[name] = time.time()


# ------------------------------------------------------------------------------------- the readers

class DayReader(Reader):
    """A reader's page on the day: what it shows of the reported line, the as-of day and its own
    figure, and when."""

    def __init__(self, url: str, member: Member, day: Day):
        super().__init__(url, f"{COOKIE}={member.token}")
        self.member = member
        self.new_day_caption = f"{i18n.t('as_of', LANG)} {i18n.day(day.day, LANG)}"
        self.own_figure = (f"{i18n.t('value', LANG)}: {i18n.number(day.shown_value[member.unit], LANG)}"
                           if member.kind == "commune" and member.on_today else None)
        self.line_shown: list[tuple[float, int]] = []  # (when, the count the reported line showed)
        self.line_in_run = False
        self.line_gone_at: float | None = None  # the end of the first full run without the line (the day complete)
        self.new_day_at: float | None = None  # the first message showing the new day as the page's day
        self.new_day_run = ""
        self.new_day_whole_at: float | None = None  # the end of that run
        self.own_figure_at: list[float] = []
        self.offer = None  # the "see today anyway" button, while drawn
        self.clicked_at: float | None = None

    def started(self, run_id: str, fragment_ids: set) -> None:
        if not fragment_ids:
            self.line_in_run = False

    def seen(self, element, at: float) -> None:
        if element.text:
            count = reported_count(element.text)
            if count is not None:
                self.line_shown.append((at, count))
                self.line_in_run = True
            if self.new_day_at is None and self.new_day_caption in element.text:
                self.new_day_at, self.new_day_run = at, self.run_id
            if self.own_figure and self.own_figure in element.text:
                self.own_figure_at.append(at)
        elif element.widget_id.endswith("-show_partial_day"):
            self.offer = element

    def finished(self, status: int, run_id: str, fragment_ids: set, at: float) -> None:
        if status == FULL_DONE and run_id == self.new_day_run and self.new_day_whole_at is None:
            self.new_day_whole_at = at
        if status == FULL_DONE and self.line_shown and not self.line_in_run and self.line_gone_at is None:
            self.line_gone_at = at
        if (self.member.on_today and self.offer is not None
                and (self.clicked_at is None or at - self.clicked_at > RETRY_CLICK_SECONDS)
                and any(node.widget_id == self.offer.widget_id for node in self.nodes.values())):
            self.click(self.offer)
            self.clicked_at = self.clicked_at or at

    @property
    def shown_count(self) -> int:
        return max((count for _, count in self.line_shown), default=0)


def reported_count(text: str) -> int | None:
    """The count of the line "21/11: 1 of 340 units have reported" as the page writes it in
    LANG ("mới có 1/340 đơn vị"), or None for another text."""
    marker = "mới có "
    start = text.find(marker)
    if start < 0:
        return None
    done = text[start + len(marker):].split("/", 1)[0]
    digits = done.replace(".", "")
    return int(digits) if digits.isdigit() else None


# ----------------------------------------------------------------------------------- one configuration

@dataclass
class Result:
    rate: float
    readers: int
    reported_before: int = 0  # communes that had reported before the pages opened
    before: set = field(default_factory=set)
    loaded_in: float = 0.0
    not_loaded: int = 0  # pages whose first run had not finished when the day began
    idle_cores: float | None = None
    idle_client_cores: float | None = None
    window: float = 0.0
    dropped_in_window: int = 0
    committed_in_window: int = 0
    backlog: int = 0
    drop_to_commit: list[float] = field(default_factory=list)
    withdrawn: int = 0
    dropped: list[str] = field(default_factory=list)
    server_cores: float = 0.0
    client_cores: float = 0.0
    peak_rss_mb: float = 0.0
    line: tuple[np.ndarray, int] = (np.array([]), 0)
    switch: tuple[np.ndarray, int] = (np.array([]), 0)
    switch_whole: tuple[np.ndarray, int] = (np.array([]), 0)
    own: tuple[np.ndarray, int] = (np.array([]), 0)
    on_today_after_click: list[float] = field(default_factory=list)
    runs: Counter = field(default_factory=Counter)
    exceptions: list[str] = field(default_factory=list)
    error_alerts: int = 0
    closed: int = 0
    closed_why: list[str] = field(default_factory=list)
    cache_misses: int = 0
    store: dict = field(default_factory=dict)
    server_tracebacks: int = 0
    server_errors: Counter = field(default_factory=Counter)
    switched_at_commit: int | None = None


def processed_times(inbox: Path) -> dict[str, float]:
    """Each committed file's commit time: the ctime of its rename into processed/."""
    folder = inbox / "processed"
    return {entry.name: entry.stat().st_ctime for entry in os.scandir(folder)} if folder.exists() else {}


def configuration(args, day: Day, template: Path, folder: Path, rate: float, readers: int, idle: float) -> Result:
    folder.mkdir(parents=True)
    store, inbox = folder / "store.duckdb", folder / "inbox"
    shutil.copy(template, store)
    inbox.mkdir()
    members = day.members[:readers]
    before, order = sending_order(day, members, args.reported, None if args.complete else int(rate * args.seconds))
    if before:
        con = sprint.connect(store)
        try:
            rows = b"".join(day.files[code].split(b"\n", 1)[1] for code in before)
            sprint.ingest(con, b"date,unit_code,metric,value\n" + rows, name=f"reported-before-{day.day}.csv",
                          uploaded_by="busy-day", today=day.day)
        finally:
            con.close()
    result = Result(rate, readers, reported_before=len(before), before=set(before))
    if args.postgres:
        location = postgres_store(args, store)
        with served_by_replicas(location, inbox, folder, args.postgres) as servers:
            asyncio.run(live_day(args, servers, day, members, order, inbox, rate, idle, result))
        logs = [path.read_text(errors="replace").splitlines() for path in folder.glob("*.log")]
    else:
        location = store
        with dashboard(store, refresh_seconds=REFRESH_SECONDS, inbox=str(inbox)) as url:
            asyncio.run(live_day(args, Servers([url], [url.pid]), day, members, order, inbox, rate, idle, result))
        logs = [(folder / f"streamlit-{url.split(':')[-1]}.log").read_text(errors="replace").splitlines()]
    log = [line for lines in logs for line in lines]
    result.server_tracebacks = sum(line.startswith("Traceback") for line in log)
    # what each traceback ended with (a page shows only that an error happened: Streamlit redacts it)
    result.server_errors = Counter(re.sub(r"[\d.]+ ?[KMG]iB", "…", line)[:200]
                                   for line, after in zip(log, log[1:] + [""])
                                   if re.match(r"[\w.]+(Error|Exception)\b", line) and not after.startswith(" "))
    result.store = check_store(location, inbox, day, result)
    return result


@dataclass
class Servers:
    """The dashboards the readers are dealt to, and the processes whose CPU is the server's."""

    urls: list[str]
    pids: list[int]
    replicas: list[int] = field(default_factory=list)  # the dashboards' pids (peak RSS: the largest)

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

    def peak_rss_mb(self) -> float:
        return max(peak_memory_mb(pid) for pid in (self.replicas or self.pids))


POSTGRES = {}  # the benchmark's one cluster, started at the first configuration that needs it


def postgres_store(args, store: Path) -> str:
    """A new database of the benchmark's cluster holding the configuration's store (migrated)."""
    if "cluster" not in POSTGRES:
        POSTGRES["context"] = cluster()
        POSTGRES["cluster"] = POSTGRES["context"].__enter__()
    url = POSTGRES["cluster"].new_database()
    started = time.time()
    con = sprint.connect(store)
    try:
        from sprint.postgres import migrate_store

        migrate_store(con, url)
    finally:
        con.close()
    print(f"  migrated into PostgreSQL in {time.time() - started:.1f} s", flush=True)
    return url


@contextmanager
def served_by_replicas(url: str, inbox: Path, folder: Path, count: int):
    """`count` dashboard replicas of `url` and the writer (`sprint watch`) on the inbox."""
    environment = {"SPRINT_INBOX": "off", "SPRINT_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    with open(folder / "writer.log", "w") as log:
        writer = subprocess.Popen([sys.executable, "-m", "sprint", "watch", str(inbox), "--db", url,
                                   "--settle", "0.5", "--interval", "0.2"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        with ExitStack() as running:
            urls = [running.enter_context(replica(url, folder, env=environment)) for _ in range(count)]
            pids = [u.pid for u in urls]
            yield Servers(urls, [*pids, writer.pid], pids)
    finally:
        writer.terminate()
        writer.wait(timeout=30)


async def live_day(args, servers: Servers, day: Day, members: list[Member], order: list[str], inbox: Path,
                   rate: float, idle: float, result: Result) -> None:
    readers = [DayReader(servers.urls[number % len(servers.urls)], member, day)
               for number, member in enumerate(members)]
    opened = time.time()
    await asyncio.gather(*(reader.open(args.load_timeout) for reader in readers))
    while (not all(reader.loaded.is_set() or reader.closed is not None for reader in readers)
           and time.time() < opened + args.load_timeout):
        await asyncio.sleep(0.2)
    result.loaded_in = time.time() - opened
    result.not_loaded = sum(not reader.loaded.is_set() for reader in readers)
    if idle:
        server, client, started = servers.cpu(), time.process_time(), time.time()
        await asyncio.sleep(idle)
        elapsed = time.time() - started
        result.idle_cores = (servers.cpu() - server) / elapsed
        result.idle_client_cores = (time.process_time() - client) / elapsed
    runs_before = sum((Counter(reader.runs) for reader in readers), Counter())
    dropper = Dropper(inbox, [(file_name(day, code), day.files[code]) for code in order], rate)
    server, client = servers.cpu(), time.process_time()
    dropper.start()
    while dropper.is_alive() and (args.complete or time.time() < dropper.started + args.seconds):
        await asyncio.sleep(0.2)
    dropper.stop.set()
    dropper.join()
    window_end = time.time()
    result.window = window_end - dropper.started
    result.server_cores = (servers.cpu() - server) / result.window
    result.client_cores = (time.process_time() - client) / result.window
    deadline = window_end + args.drain
    while time.time() < deadline:
        committed = len(processed_times(inbox))
        if committed == len(dropper.dropped) and all(caught_up(reader, result.reported_before + committed, day)
                                                     for reader in readers):
            break
        await asyncio.sleep(0.5)
    end = time.time()
    result.runs = sum((Counter(reader.runs) for reader in readers), Counter()) - runs_before
    result.peak_rss_mb = servers.peak_rss_mb()
    await asyncio.gather(*(reader.close() for reader in readers))
    result.withdrawn = withdraw(inbox, dropper.dropped)
    result.dropped = list(dropper.dropped)
    measure(result, readers, day, dropper, processed_times(inbox), window_end, end)


def caught_up(reader: DayReader, reported: int, day: Day) -> bool:
    """Whether the page shows all the communes that have reported (a closed page never will)."""
    if reader.closed is not None:
        return True
    if reported >= day.complete_at:
        return reader.member.on_today or reader.new_day_whole_at is not None
    return reader.shown_count >= reported


def withdraw(inbox: Path, dropped: dict[str, float]) -> int:
    """Withdraw the files still waiting (one rename each, as `ingest` withdraws a hand-off); wait
    for one the watcher has claimed meanwhile to be taken."""
    withdrawn = 0
    for name in dropped:
        try:
            os.rename(inbox / name, inbox / f".{name}.withdrawn")
            withdrawn += 1
        except FileNotFoundError:
            pass
    deadline = time.time() + 60
    while any(inbox.glob(".*.taking")) and time.time() < deadline:
        time.sleep(0.2)
    return withdrawn


def measure(result: Result, readers: list[DayReader], day: Day, dropper: Dropper, commits: dict[str, float],
            window_end: float, end: float) -> None:
    dropped = dropper.dropped
    result.dropped_in_window = sum(at <= window_end for at in dropped.values())
    result.committed_in_window = sum(at <= window_end for at in commits.values())
    result.backlog = result.dropped_in_window - result.committed_in_window
    result.drop_to_commit = [commits[name] - dropped[name] for name in commits if name in dropped]
    ordered = np.sort(np.fromiter(commits.values(), float)) if commits else np.array([])
    # the commit of the k-th file sent makes reported_before + k communes reported
    complete_at = day.complete_at - result.reported_before
    # (a) the reported line, for each commit before the day completes
    last = max(0, min(len(ordered), complete_at - 1))
    samples, unseen = [], 0
    for reader in readers:
        shown, missed = line_freshness(reader, ordered[:last], result.reported_before, end)
        samples.append(shown)
        unseen += missed
    result.line = (np.concatenate(samples) if samples else np.array([]), unseen)
    # (b) the day switch, for the pages on the complete day
    if 0 < complete_at <= len(ordered):
        result.switched_at_commit = day.complete_at
        completed = ordered[complete_at - 1]
        on_complete_day = [reader for reader in readers if not reader.member.on_today]
        result.switch = censored([reader.new_day_at for reader in on_complete_day], completed, end)
        result.switch_whole = censored([reader.new_day_whole_at for reader in on_complete_day], completed, end)
    # (c) a commune head's own figure on "today"
    own, unseen_own = [], 0
    for reader in readers:
        if reader.member.kind != "commune" or not reader.member.on_today:
            continue
        committed = commits.get(file_name(day, reader.member.unit))
        if committed is None:
            continue
        shown = [at for at in reader.own_figure_at if at >= committed - 0.01]
        own.append((shown[0] if shown else end) - committed)
        unseen_own += not shown
    result.own = (np.array(own), unseen_own)
    result.on_today_after_click = [reader.new_day_at - reader.clicked_at for reader in readers
                                   if reader.clicked_at is not None and reader.new_day_at is not None]
    for reader in readers:
        result.exceptions.extend(reader.exceptions)
        result.error_alerts += reader.error_alerts
        result.closed += reader.closed is not None
        if reader.closed is not None:
            result.closed_why.append(reader.closed)
        result.cache_misses += reader.cache_misses


def line_freshness(reader: DayReader, commits: np.ndarray, reported_before: int,
                   end: float) -> tuple[np.ndarray, int]:
    """For each commit k (which makes reported_before + k communes reported), the time until the
    page first showed a count of at least that, or a whole run on the completed day (which has
    no such line: it has all those reports)."""
    if not len(commits):
        return np.array([]), 0
    shown = sorted(reader.line_shown + ([(reader.line_gone_at, sys.maxsize)] if reader.line_gone_at else []))
    if not shown:
        return end - commits, len(commits)
    times = np.array([at for at, _ in shown])
    counts = np.maximum.accumulate(np.array([count for _, count in shown]))
    first = np.searchsorted(counts, reported_before + np.arange(1, len(commits) + 1), side="left")
    seen = first < len(counts)
    shown_at = np.where(seen, times[np.minimum(first, len(times) - 1)], end)
    return shown_at - commits, int((~seen).sum())


def censored(moments: list[float | None], since: float, end: float) -> tuple[np.ndarray, int]:
    return (np.array([(at if at is not None else end) - since for at in moments]),
            sum(at is None for at in moments))


def check_store(store: Path | str, inbox: Path, day: Day, result: Result) -> dict:
    """The store against the files (the server has stopped): each dropped file committed once."""
    processed = set(os.listdir(inbox / "processed"))
    rejected = {name for name in os.listdir(inbox / "rejected") if not name.endswith(".errors.txt")}
    withdrawn = {name[1:-len(".withdrawn")] for name in os.listdir(inbox) if name.endswith(".withdrawn")}
    con = sprint.connect(store)
    try:
        rows, units = con.execute("SELECT count(*), count(DISTINCT unit_code) FROM counts WHERE date = ?",
                                  [day.day]).fetchall()[0]
        # the inbox's uploads (the communes that reported before the pages opened were one file of the benchmark's)
        uploads = con.execute("""SELECT count(*) FILTER (outcome = 'committed'), count(*) FILTER (outcome = 'rejected'),
                                        count(DISTINCT file_name) FILTER (outcome = 'committed')
                                 FROM uploads WHERE kind = 'counts' AND uploaded_by = 'inbox'""").fetchall()[0]
        twice = con.execute("SELECT count(*) FROM audit_log WHERE outcome = 'already_taken'").fetchall()[0][0]
        stored = con.execute("SELECT unit_code, metric, value FROM counts WHERE date = ?", [day.day]).fetchall()
    finally:
        con.close()
    sent = {}
    for code in day.communes:
        if file_name(day, code) in processed or code in result.before:
            for line in day.files[code].decode().splitlines()[1:]:
                _, unit, metric, value = line.split(",")
                sent[unit, metric] = int(value)
    as_sent = sum(sent.get((unit, metric)) == value for unit, metric, value in stored)
    lost = set(result.dropped) - processed - rejected - withdrawn
    return {"dropped": len(result.dropped), "processed": len(processed), "lost": len(lost),
            "committed uploads": uploads[0], "distinct names": uploads[2], "rejected uploads": uploads[1],
            "rejected files": len(rejected), "reported before": len(result.before), "rows": rows, "units": units,
            "rows as sent": as_sent, "rows expected": len(sent), "already taken": twice}


# ------------------------------------------------------------------------------------------ output

def spread(values, unseen: int = 0) -> str:
    """p50 / p95 / max in seconds (and how many were never shown)."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return "–"
    p50, p95 = np.percentile(values, [50, 95])
    text = f"{p50:.1f} / {p95:.1f} / {values.max():.1f}"
    return text + (f" ({unseen} unseen)" if unseen else "")


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    import duckdb
    import streamlit
    return (f"machine: {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), {model}, "
            f"{memory / 2**20:.0f} GiB; Python {platform.python_version()}, Streamlit {streamlit.__version__}, "
            f"DuckDB {duckdb.__version__}; code at {commit.strip() or 'unknown'}")


def report(result: Result, day: Day) -> None:
    runs = result.runs
    per = max(result.readers, 1)
    loaded = (f"all pages loaded in {result.loaded_in:.1f} s" if not result.not_loaded else
              f"{result.not_loaded} of {result.readers} pages not loaded after {result.loaded_in:.0f} s")
    print(f"\n== {result.rate:g} files/s, {result.readers} readers ({loaded})", flush=True)
    if result.idle_cores is not None:
        print(f"  idle, no new data: server {result.idle_cores:.2f} cores, this client {result.idle_client_cores:.2f}")
    print(f"  window {result.window:.0f} s: dropped {result.dropped_in_window} "
          f"({result.dropped_in_window / result.window:.1f}/s), committed {result.committed_in_window} "
          f"= held {result.committed_in_window / result.window:.1f} files/s, backlog at the end {result.backlog}")
    print(f"  drop → commit p50/p95/max: {spread(result.drop_to_commit)} s over {len(result.drop_to_commit)} files; "
          f"withdrawn after the drain {result.withdrawn}")
    print(f"  reported line:  {spread(*result.line)} s")
    if result.switched_at_commit:
        print(f"  day switch (commit {result.switched_at_commit} of {len(day.communes)}): caption {spread(*result.switch)} s, "
              f"whole page {spread(*result.switch_whole)} s")
    else:
        print("  day switch: the day did not complete in this configuration")
    print(f"  own figure on today: {spread(*result.own)} s; see-today pages on today after the click: "
          f"{spread(result.on_today_after_click)} s")
    print(f"  runs per session: full completed {runs['full', FULL_DONE] / per:.1f}, "
          f"full restarted {runs['full', FULL_RESTARTED] / per:.1f}, fragment completed "
          f"{runs['fragment', FRAGMENT_DONE] / per:.1f}, fragment ended early {runs['fragment', FULL_RESTARTED] / per:.1f}")
    print(f"  server CPU {result.server_cores:.2f} cores, this client {result.client_cores:.2f} cores; "
          f"server peak RSS {result.peak_rss_mb:,.0f} MB")
    print(f"  exceptions on pages {len(result.exceptions)}, error alerts {result.error_alerts}, "
          f"sockets closed or failed {result.closed}, cache misses {result.cache_misses}, "
          f"tracebacks in the server log {result.server_tracebacks}")
    for text in sorted(set(result.exceptions))[:5]:
        print(f"    exception: {text[:300]}")
    for text, times in result.server_errors.most_common(3):
        print(f"    server log, {times}×: {text}")
    for text in sorted(set(result.closed_why))[:3]:
        print(f"    socket: {text[:600]}")
    print("  store against files: " + ", ".join(f"{key} {value}" for key, value in result.store.items()))


def summary(results: list[Result], day: Day) -> None:
    print("\n## Writer and server\n")
    print("| rate | readers | held files/s | backlog | drop → commit p50/p95/max s | withdrawn | server CPU cores "
          "| client CPU cores | peak RSS MB | idle server cores |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        idle = f"{r.idle_cores:.2f}" if r.idle_cores is not None else ""
        print(f"| {r.rate:g}/s | {r.readers} | {r.committed_in_window / r.window:.1f} | {r.backlog} | "
              f"{spread(r.drop_to_commit)} | {r.withdrawn} | {r.server_cores:.2f} | {r.client_cores:.2f} | "
              f"{r.peak_rss_mb:,.0f} | {idle} |")
    print("\n## Pages (seconds p50 / p95 / max)\n")
    print("| rate | readers | reported line | day switch (caption) | day switch (whole page) | own figure on today "
          "| full runs completed / restarted, fragment runs per session | exceptions |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        per = max(r.readers, 1)
        runs = (f"{r.runs['full', FULL_DONE] / per:.1f} / {r.runs['full', FULL_RESTARTED] / per:.1f}, "
                f"{r.runs['fragment', FRAGMENT_DONE] / per:.1f}")
        print(f"| {r.rate:g}/s | {r.readers} | {spread(*r.line)} | {spread(*r.switch)} | {spread(*r.switch_whole)} | "
              f"{spread(*r.own)} | {runs} | {len(r.exceptions)} |")
    print("\n## The store against the files\n")
    print("| rate | readers | dropped | processed | committed uploads | rows (6 × units) | rows as sent | rejected "
          "| already taken | withdrawn | lost |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        s = r.store
        print(f"| {r.rate:g}/s | {r.readers} | {s['dropped']} | {s['processed']} | {s['committed uploads']} | "
              f"{s['rows']} (6 × {s['units']}) | {s['rows as sent']} of {s['rows expected']} | {s['rejected files']} | "
              f"{s['already taken']} | {r.withdrawn} | {s['lost']} |")


def numbers(text: str) -> list[float]:
    return [float(value) for value in text.split(",") if value.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--store", type=Path, required=True, help="a national store (copied for each configuration)")
    parser.add_argument("--rates", type=numbers, default=[1, 5, 10, 20], help="files per second (default 1,5,10,20)")
    parser.add_argument("--audiences", type=lambda text: [int(v) for v in numbers(text)], default=[4, 25, 100],
                        help="reader sessions open at once (default 4,25,100)")
    parser.add_argument("--seconds", type=float, default=60, help="seconds of files at each rate (default 60)")
    parser.add_argument("--complete", action="store_true",
                        help="send every commune's file, so the day completes and the pages must switch to it")
    parser.add_argument("--reported", type=int, default=0,
                        help="communes whose files are committed before the pages open (default 0: the day's start)")
    parser.add_argument("--idle", type=float, default=30,
                        help="seconds of pages open with no new data, measured at the first rate of each audience "
                             "(default 30; 0: none)")
    parser.add_argument("--drain", type=float, default=30,
                        help="seconds after the window for the inbox to drain and the pages to catch up (default 30)")
    parser.add_argument("--load-timeout", type=float, default=120,
                        help="seconds for the pages to load; the day begins then, loaded or not (default 120)")
    parser.add_argument("--postgres", type=int, default=0, metavar="N",
                        help="the store in PostgreSQL, the inbox taken by a writer process, N dashboard replicas")
    parser.add_argument("--keep", action="store_true", help="keep each configuration's store, inbox and server log")
    args = parser.parse_args()
    print(machine())
    print(f"command: {' '.join(sys.argv)}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="busy-day-"))
    try:
        day = prepare(args.store, folder / "template.duckdb", max(args.audiences))
        print(f"day {day.day}: {len(day.communes)} commune files of {len(next(iter(day.files.values())).splitlines()) - 1} "
              f"rows; the day completes at the {day.complete_at}th; refresh every {REFRESH_SECONDS:g} s", flush=True)
        results = []
        for readers in args.audiences:
            for number, rate in enumerate(args.rates):
                result = configuration(args, day, folder / "template.duckdb", folder / f"{readers}-readers-{rate:g}-per-s",
                                       rate, readers, args.idle if number == 0 else 0)
                report(result, day)
                results.append(result)
        summary(results, day)
    finally:
        if "context" in POSTGRES:
            POSTGRES["context"].__exit__(None, None, None)
        if args.keep:
            print(f"\nkept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
