"""The inbox: files dropped into a folder are ingested by the one process that owns the store.

Files dropped into the inbox itself are recorded as sent by `inbox`, for any unit. A unit's
folder, inbox/<UNIT>/, takes files for that unit's subtree only; inbox/@NAME/ takes files sent as
account NAME (`python -m sprint ingest --as NAME` hands them there while the dashboard holds the
store), under that account's scope. Each folder has its own processed/ and rejected/.

A file is taken once it has not changed for `settle` seconds (no half-written file is read; a
sender that can should write `name.part` and rename it, which is never taken early). A taken
file moves to processed/, a rejected one to rejected/ with NAME.errors.txt beside it. Every
outcome is appended to inbox.log. The file is moved only after its commit, and a file already
taken is recognised by its SHA-256: a restart between the two re-takes nothing.

Taking and withdrawing are both one rename of the file, so they cannot both happen: the watcher
claims a file (NAME → .NAME.taking) before it reads it, and a sender that gave up waiting
withdraws it (NAME → .NAME.withdrawn). A sender told "nothing was saved" is right, and its file
never turns up later to overwrite a correction sent since.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .accounts import account
from .errors import SprintError, StoreError, ValidationError
from .ingest import EXCEL_SUFFIXES, ingest, shown_name
from .store import VIETNAM

TAKEN_SUFFIXES = (".csv", *EXCEL_SUFFIXES)
PROCESSED, REJECTED, LOG = "processed", "rejected", "inbox.log"
CLAIMED, WITHDRAWN = ".taking", ".withdrawn"
HANDOFF_PREFIX = re.compile(r"^cli-[0-9]+-[0-9]+-")  # handoff() names its copies so; the history shows the sender's name
# A name on disk is at most 255 bytes: a claimed, processed or rejected file's name (with .taking,
# a time stamp or .errors.txt) is kept to this many, so that no rename can fail for its length
MAX_DISK_NAME = 200


@dataclass
class Outcome:
    """What became of one dropped file."""

    file: str
    destination: Path
    committed: bool
    message: str


def prepare_inbox(directory: Path) -> None:
    """Create processed/ and rejected/ (any process may: a sender does before it hands a file over)."""
    for sub in (PROCESSED, REJECTED):
        (directory / sub).mkdir(parents=True, exist_ok=True)


def recover_claims(directory: Path) -> None:
    """Put back a file claimed by a watcher that died while taking it (its SHA-256 tells if it was
    committed before that). Only the store's owner, whose one watcher claims files, may do this:
    from any other process it would put back the file the watcher is working on."""
    for claimed in directory.glob(f".*{CLAIMED}"):
        os.rename(claimed, directory / claimed.name[1:-len(CLAIMED)])


def disk_name(name: str) -> str:
    """The name a file keeps once taken: its own, unless that has hidden characters (a line break)
    or is longer than MAX_DISK_NAME bytes; then a short, plain one that still tells it apart."""
    raw = os.fsencode(name)
    if len(raw) <= MAX_DISK_NAME and not any(unicodedata.category(c)[0] == "C" for c in name):
        return name
    stem, suffix = os.path.splitext(name)
    plain = "".join("_" if unicodedata.category(c)[0] == "C" else c for c in stem)
    mark = "~" + hashlib.sha256(raw).hexdigest()[:10]
    suffix = suffix if len(os.fsencode(suffix)) <= 10 and suffix.isprintable() else ""
    room = MAX_DISK_NAME - len(mark) - len(suffix)
    return os.fsencode(plain)[:room].decode("utf-8", "ignore") + mark + suffix


def _move(path: Path, name: str) -> Path | None:
    """Rename `path` to `name` beside it, atomically; None if it was gone (someone else moved it)."""
    try:
        os.rename(path, path.with_name(name))
    except FileNotFoundError:
        return None
    return path.with_name(name)


def pending(directory: Path, *, settle: float = 2.0) -> list[Path]:
    """Files ready to take: a known suffix, not hidden, unchanged for `settle` seconds; oldest first."""
    now = time.time()
    ready = []
    for path in Path(directory).iterdir():
        if path.name.startswith(".") or not path.name.lower().endswith(TAKEN_SUFFIXES):
            continue
        try:
            if not path.is_symlink() and not path.is_file():
                continue
            stat = path.lstat()
        except OSError:  # gone since the listing (a sender withdrew it)
            continue
        if now - stat.st_mtime >= settle:
            ready.append((stat.st_mtime, path.name, path))
    return [path for _, _, path in sorted(ready)]


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    if not target.exists():
        return target
    stem, suffix = os.path.splitext(name)
    stamp = datetime.now(VIETNAM).strftime("%Y%m%d-%H%M%S-%f")
    return folder / f"{stem}.{stamp}{suffix}"


def _log(directory: Path, line: str) -> None:
    """One line of inbox.log: a name's line break or other hidden character cannot start another."""
    stamp = datetime.now(VIETNAM).isoformat(timespec="seconds")
    plain = "".join("?" if unicodedata.category(c)[0] == "C" else c for c in line)
    with open(directory / LOG, "a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {plain}\n")


@dataclass
class Sender:
    """Who the files of one inbox folder come from, and the unit whose subtree they may report for
    (None: any unit); `refused` says why that folder's files cannot be taken at all."""

    uploaded_by: str = "inbox"
    scope: str | None = None
    refused: str | None = None


def _sender(con, folder: str) -> Sender | None:
    """The sender of a subfolder of the inbox: @NAME an account, UNIT a unit; None for any other."""
    if folder.startswith("@"):
        found = account(con, folder[1:])
        if found is None or not found.may_upload:
            return Sender(folder, refused=f"the account {folder[1:]} does not exist, is disabled or may not send "
                                          "files: nothing in this folder is taken")
        return Sender(found.name, found.scope)
    if con.execute("SELECT count(*) FROM units WHERE unit_code = ?", [folder]).fetchall()[0][0]:
        return Sender("inbox", folder)
    return None


def folders(con, directory: Path) -> list[tuple[Path, Sender]]:
    """The inbox and its sender folders (see the module's description)."""
    found = [(directory, Sender())]
    for sub in sorted(directory.iterdir()):
        if sub.is_dir() and not sub.is_symlink() and sub.name not in (PROCESSED, REJECTED):
            sender = _sender(con, sub.name)
            if sender is not None:
                found.append((sub, sender))
    return found


def take(con, path: Path, sender: Sender | None = None) -> Outcome | None:
    """Claim one file of the inbox, ingest it and move it to processed/ or rejected/; None if its
    sender withdrew it first."""
    sender = sender or Sender()
    directory = path.parent
    name = HANDOFF_PREFIX.sub("", path.name)
    kept = disk_name(path.name)
    claimed = _move(path, f".{kept}{CLAIMED}")
    if claimed is None:
        return None
    try:
        if claimed.is_symlink():  # the inbox reads only what was put into it, never what a link points at
            raise SprintError(f"{name} is a link to another file, not a file: it was not read. "
                              "Put the file itself into the inbox.")
        if sender.refused:
            raise SprintError(f"{name} was not read: {sender.refused}.")
        result = ingest(con, claimed, name=name, uploaded_by=sender.uploaded_by, scope=sender.scope)
    except StoreError as exc:  # the store's fault, not the file's: back in the queue, to take later
        _move(claimed, kept)
        _log(directory, f"waiting {shown_name(path.name)}: {exc}")
        raise
    except Exception as exc:  # a file the store cannot take must not stop the watcher
        reason = str(exc) if isinstance(exc, SprintError) else f"{shown_name(path.name)} could not be taken: {exc}"
        destination = _free_name(directory / REJECTED, kept)
        shutil.move(claimed, destination)
        # written whole, then put in place: a sender waiting for it (handoff) never reads it half-written
        errors = destination.with_name(destination.name + ".errors.txt")
        part = errors.with_name(f".{errors.name}.part")
        part.write_text(reason + "\n", encoding="utf-8", errors="replace")
        os.replace(part, errors)
        count = exc.count if isinstance(exc, ValidationError) else 1
        _log(directory, f"rejected {shown_name(path.name)}: {count} problem(s)")
        return Outcome(path.name, destination, False, reason)
    destination = _free_name(directory / PROCESSED, kept)
    shutil.move(claimed, destination)
    lines = [result.summary(), *(f"warning: {w}" for w in result.warnings)]
    _log(directory, f"taken {shown_name(path.name)}: {result.summary()}")
    return Outcome(path.name, destination, True, "\n".join(lines))


def process_once(con, directory: str | Path, *, settle: float = 2.0) -> list[Outcome]:
    """Take every file that is ready now, in the inbox and its sender folders."""
    directory = Path(directory)
    prepare_inbox(directory)
    outcomes = []
    for folder, sender in folders(con, directory):
        prepare_inbox(folder)
        recover_claims(folder)
        for path in pending(folder, settle=settle):
            try:
                outcomes.append(take(con, path, sender))
            except StoreError:
                raise
            except OSError as exc:  # this file cannot be moved (its folder, the disk): the others still can
                _log(folder, f"cannot take {shown_name(path.name)}: {exc.strerror or exc}")
    return [outcome for outcome in outcomes if outcome is not None]


def watch(con, directory: str | Path, *, interval: float = 1.0, settle: float = 2.0,
          stop: threading.Event | None = None, on_outcome=None) -> None:
    """Take files as they land until `stop` is set (or forever). A pass takes every file ready,
    in order, each on its own; after a pass that took any, the next starts at once (a backlog is
    worked off without pauses), else in `interval` seconds."""
    stop = stop or threading.Event()
    directory = Path(directory)
    while not stop.is_set():
        try:
            outcomes = process_once(con, directory, settle=settle)
        except (OSError, StoreError) as exc:  # the folder or the store failed: say so, keep watching
            logging.getLogger("sprint.inbox").warning("the inbox %s waits: %s", directory, exc)
            outcomes = []
        for outcome in outcomes:
            if on_outcome:
                on_outcome(outcome)
        if not outcomes:
            stop.wait(interval)


def start_watcher(con, directory: str | Path, *, interval: float = 1.0, settle: float = 2.0) -> threading.Event:
    """Watch the inbox from a daemon thread with its own cursor; set the returned event to stop."""
    stop = threading.Event()
    cursor = con.cursor()
    thread = threading.Thread(target=watch, args=(cursor, directory),
                              kwargs={"interval": interval, "settle": settle, "stop": stop},
                              name="sprint-inbox", daemon=True)
    thread.start()
    return stop


def handoff(file: str | Path, directory: str | Path, *, timeout: float = 120.0) -> Outcome:
    """Give a file to the process that owns the store, through its inbox, and wait for the verdict."""
    directory = Path(directory)
    prepare_inbox(directory)
    file = Path(file)
    name = disk_name(f"cli-{os.getpid()}-{time.time_ns()}-{file.name}")  # the name the owner keeps it under
    part = directory / f".{name}.part"
    shutil.copyfile(file, part)
    os.replace(part, directory / name)
    deadline = time.time() + timeout
    while True:
        if (directory / PROCESSED / name).exists():
            return Outcome(file.name, directory / PROCESSED / name, True,
                           f"{file.name}: taken by the program that owns the store (see {directory / LOG}).")
        errors = directory / REJECTED / f"{name}.errors.txt"
        if errors.exists():
            text = errors.read_text(encoding="utf-8").replace(name, file.name)
            return Outcome(file.name, directory / REJECTED / name, False, text.strip())
        if time.time() >= deadline:
            withdrawn = _move(directory / name, f".{name}{WITHDRAWN}")
            if withdrawn is not None:
                withdrawn.unlink()
                raise SprintError(
                    f"{file.name} was not taken within {timeout:.0f} s, so it was withdrawn: nothing of it was "
                    "saved. Is the dashboard or `python -m sprint watch` running? Send the file again.")
            deadline = time.time() + timeout  # the owner has just claimed it: its verdict is coming
        time.sleep(0.2)
