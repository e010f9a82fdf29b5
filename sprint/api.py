"""The read API: `/api/v1/<read>` for each read command, with the command line's options as the
query string (`?as-of=2025-11-20&unit=66`), answering the text the command line prints with
`--format json` (by default) or `--format csv` (`<read>.csv`, or `Accept: text/csv`). The
dashboard's server routes to it (app.py); the OpenAPI document is made from the same commands.

Who may read what: the account of the request's token. A unit head's token reads their own
subtree only (a unit or parent outside it is refused; a read of no unit is of theirs; rows of
other units are left out); the audit log is for administrators.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import click

from .accounts import Account
from .cli import READS, cli, render
from .errors import SprintError
from .structure import in_subtree

VERSION = "v1"
ADMIN_ONLY = {"audit", "subscriptions"}
UNIT_OPTIONS = ("unit", "parent")


@dataclass(frozen=True)
class Answer:
    status: int
    media_type: str
    body: str
    retry_after: int | None = None  # seconds, with a 429


def error(status: int, message: str) -> Answer:
    """One sentence, as JSON: {"error": "…"}."""
    return Answer(status, "application/json", json.dumps({"error": message}, ensure_ascii=False) + "\n")


def _arguments(command: click.Command, query: list[tuple[str, str]]) -> list[str]:
    """The query string as the command line's arguments: ?as-of=…&chances=true → --as-of … --chances."""
    flags = {name for param in command.params if isinstance(param, click.Option) and param.is_flag
             for name in param.opts}
    arguments = []
    for key, value in query:
        option = f"--{key.replace('_', '-')}"
        if option in ("--db", "--format", "--help"):
            raise click.UsageError(f"{key} cannot be given to the API.")
        if option in flags:
            if value.lower() in ("1", "true", "yes"):
                arguments.append(option)
        else:
            arguments += [option, value]
    return arguments


def answer(con, read: str, query: list[tuple[str, str]], *, viewer: Account, output_format: str = "json") -> Answer:
    """The answer to GET /api/v1/<read>?<query> for `viewer` (the token's account)."""
    if read not in READS:
        return error(404, f"There is no read {read!r}; the reads are {', '.join(sorted(READS))}.")
    if read in ADMIN_ONLY and not viewer.is_admin:
        return error(403, f"The {read} read is for administrators.")
    command = cli.commands[read]
    try:
        with click.Context(command, info_name=read) as context:
            command.parse_args(context, _arguments(command, query))
            arguments = {k: v for k, v in context.params.items() if k not in ("db", "output_format")}
    except click.ClickException as exc:
        return error(400, exc.format_message())
    scope = viewer.scope
    if scope is not None:
        outside = [arguments[key] for key in UNIT_OPTIONS if arguments.get(key) and not in_subtree(con, scope, arguments[key])]
        if outside:
            return error(403, f"This token reads {scope} and the units below it, not {outside[0]}.")
        if "unit" in arguments and not any(arguments.get(key) for key in ("unit", "parent", "level")):
            arguments["unit"] = scope
    try:
        frame = READS[read](con, **arguments)
    except SprintError as exc:
        return error(400, str(exc))
    if scope is not None and "unit_code" in frame.columns:
        below = {u for (u,) in con.execute("SELECT descendant FROM unit_tree WHERE ancestor = ?", [scope]).fetchall()}
        frame = frame[frame["unit_code"].isin(below)]
    media = {"csv": "text/csv; charset=utf-8", "table": "text/plain; charset=utf-8"}.get(output_format, "application/json")
    return Answer(200, media, render(frame, output_format))


def _schema(param: click.Option) -> dict:
    kind = param.type
    if isinstance(kind, click.Choice):
        return {"type": "string", "enum": list(kind.choices)}
    if param.is_flag:
        return {"type": "boolean"}
    if isinstance(kind, click.types.IntParamType):
        return {"type": "integer"}
    if type(kind).__name__ == "AsOf":
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def openapi() -> dict:
    """The OpenAPI 3.1 document of every read."""
    paths = {}
    for read in sorted(READS):
        command = cli.commands[read]
        parameters = [{"name": param.opts[0].lstrip("-"), "in": "query", "required": bool(param.required),
                       "description": param.help or "", "schema": _schema(param)}
                      for param in command.params if isinstance(param, click.Option)
                      and param.name not in ("db", "output_format")]
        paths[f"/api/{VERSION}/{read}"] = {"get": {
            "summary": command.help or read, "parameters": parameters,
            "responses": {"200": {"description": "The rows, as `python -m sprint " + read + " --format json` prints them",
                                  "content": {"application/json": {}, "text/csv": {}}},
                          "400": {"description": "An option the read cannot take, in one sentence"},
                          "401": {"description": "No token, or a wrong, revoked or expired one"},
                          "403": {"description": "A unit outside the token's subtree; the audit log for others"},
                          "429": {"description": "Too many requests for this token: see Retry-After"}}}}
    return {"openapi": "3.1.0",
            "info": {"title": "Sprint BHXH read API", "version": VERSION,
                     "description": "Every figure of the dashboard, as the command line prints it."},
            "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
            "security": [{"token": []}], "paths": paths}
