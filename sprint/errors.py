"""Errors meant for people: each carries sentences a unit head can act on."""
from __future__ import annotations

from dataclasses import dataclass


class SprintError(Exception):
    """Something the user asked for cannot be done; the message says why."""


class StoreError(SprintError):
    """The store cannot be opened or is not a sprint store."""


class StoreBusyError(StoreError):
    """Another process holds the store for writing."""


class UnknownError(SprintError):
    """A unit, metric, level or campaign named by the user does not exist."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: where it is and what is expected instead."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column,
                "value": self.value, "message": self.message}


class ValidationError(SprintError):
    """A file was rejected; nothing of it was kept. `problems` lists every reason."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems
        count = len(problems)
        head = f"{file} was rejected ({count} problem{'s' if count != 1 else ''}); nothing was saved."
        super().__init__("\n".join([head, *(str(p) for p in problems)]))
