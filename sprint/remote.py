"""The command line's reads through a dashboard's read API: the dashboard that owns the local
store file (DuckDB lets no other process open it), found through the server file it writes beside
the store, or any deployment (`--server URL --token T`). The answer is the same text the command
prints on the store itself."""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import click

from .errors import SprintError

MEDIA = {"json": "application/json", "csv": "text/csv", "table": "text/plain"}


def server_file(store: Path) -> Path:
    """Where the dashboard that owns `store` says how to reach it (its address and a key for the
    command line, readable by the store's owner only)."""
    return store.with_name(store.name + ".server.json")


def announce(store: Path, url: str, key: str) -> Path:
    """Write the server file (mode 0600): the dashboard that owns `store` is at `url`."""
    path = server_file(store)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump({"url": url, "key": key, "pid": os.getpid()}, out)
    return path


def owner(store: Path) -> tuple[str, str] | None:
    """(address, key) of the dashboard that owns `store`, if it said so and is still running."""
    try:
        said = json.loads(server_file(store).read_text())
        os.kill(int(said["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return said["url"], said["key"]


def query(command: click.Command, arguments: dict) -> list[tuple[str, str]]:
    """A read's parsed options as the API's query string."""
    pairs = []
    for param in command.params:
        value = arguments.get(param.name)
        if not isinstance(param, click.Option) or param.name in ("db", "output_format") or value is None:
            continue
        name = param.opts[0].lstrip("-")
        if param.is_flag:
            if value:
                pairs.append((name, "true"))
        else:
            pairs.append((name, value.isoformat() if isinstance(value, date) else str(value)))
    return pairs


def ask(url: str, token: str, read: str, pairs: list[tuple[str, str]], output_format: str) -> str:
    """GET url/api/v1/read?pairs: the text the command would print, or a SprintError in one sentence."""
    address = f"{url.rstrip('/')}/api/v1/{read}?{urllib.parse.urlencode(pairs)}"
    try:
        request = urllib.request.Request(address, headers={"Authorization": f"Bearer {token}",
                                                           "Accept": MEDIA[output_format]})
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.read().decode()
    except urllib.error.HTTPError as failure:
        try:
            message = json.loads(failure.read().decode())["error"]
        except (ValueError, KeyError):
            message = f"it answered {failure.code}"
        raise SprintError(f"The dashboard at {url} refused the read: {message}") from failure
    except ValueError as failure:  # not a URL at all
        raise SprintError(f"--server {url} is not an address; write it as https://host or http://host:port.") from failure
    except (urllib.error.URLError, OSError) as failure:
        raise SprintError(f"The dashboard at {url} cannot be reached ({getattr(failure, 'reason', failure)}).") from failure
