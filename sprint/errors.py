"""Errors meant for people: each carries sentences a unit head can act on."""
from __future__ import annotations

from dataclasses import dataclass

from .i18n import problem_text

SEPARATOR = "\x1f"  # between a problem code and its details, as SQL writes them (chr(31))
MAX_PROBLEMS = 200  # problems listed for one file; one more problem then says how many were left out


class SprintError(Exception):
    """Something the user asked for cannot be done; the message says why."""


class StoreError(SprintError):
    """The store cannot be opened or is not a sprint store."""


class StoreBusyError(StoreError):
    """Another process holds the store for writing."""


class UnknownError(SprintError):
    """A unit, metric, level or campaign named by the user does not exist."""


class OutOfScopeError(SprintError):
    """An account asked for a unit outside its own subtree."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: where it is, its code (see i18n.PROBLEMS) and details."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    code: str
    params: tuple[str, ...] = ()

    @classmethod
    def from_sql(cls, file: str, line, column, value, coded: str) -> "Problem":
        """A problem as the checking SQL writes it: 'code' or 'code<chr(31)>detail<chr(31)>…'."""
        code, *params = coded.split(SEPARATOR)
        return cls(file, line, column, value, code, tuple(params))

    @property
    def message(self) -> str:
        return self.text("en")

    def text(self, lang: str) -> str:
        """What is wrong, in Vietnamese ('vi') or English ('en')."""
        return problem_text(self.code, self.params, lang)

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column,
                "value": self.value, "code": self.code, "message": self.message}


class ValidationError(SprintError):
    """A file was rejected; nothing of it was kept. `problems` lists every reason (the first
    MAX_PROBLEMS, then one that says how many more); `count` is how many there are in all."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems
        left_out = [int(p.params[0]) for p in problems if p.code == "more_problems"]
        count = self.count = len(problems) - len(left_out) + sum(left_out)
        head = f"{file} was rejected ({count} problem{'s' if count != 1 else ''}); nothing was saved."
        super().__init__("\n".join([head, *(str(p) for p in problems)]))

    def __reduce__(self):  # pickled whole (sprint.worker sends it back from its process)
        return ValidationError, (self.file, self.problems)
