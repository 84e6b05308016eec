"""Domain errors and findings.

Every problem salesperf reports is a :class:`Finding`: plain data (level, message, where it
is) that the CLI colours and the JSON output serialises. Library code raises a
:class:`SalesperfError` subclass; only the CLI turns them into exit codes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Location:
    """Where a finding points: a file and, where known, a line or row, and a key or column."""

    file: str | None = None
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        head = self.file or ""
        if self.line is not None:
            head = f"{head}:{self.line}" if head else f"line {self.line}"
        if self.key:
            return f"{head}: {self.key}" if head else self.key
        return head


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str
    location: Location = field(default_factory=Location)
    code: str = ""

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, object]:
        return {
            "level": str(self.level),
            "code": self.code,
            "message": self.message,
            "file": self.location.file,
            "line": self.location.line,
            "key": self.location.key,
        }


class SalesperfError(Exception):
    """Base of every error salesperf raises on purpose. Exit code 2 in the CLI."""

    exit_code = 2

    def __init__(self, message: str, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.findings = tuple(findings)

    def __str__(self) -> str:
        if not self.findings:
            return self.message
        lines = [self.message, *(f"  {f}" for f in self.findings)]
        return "\n".join(lines)


class SpecError(SalesperfError):
    """The kpi.yaml cannot be used: carries every problem found, not only the first."""


class DataError(SalesperfError):
    """A sales export cannot be read or lacks what the spec needs."""


class UsageError(SalesperfError):
    """A command-line option that makes no sense (wrong period grain, unknown rep...)."""


def argument(name: str) -> Location:
    """Where a finding about an argument of a library call points: ``rep=``, ``period=``.

    The CLI shows the option the user typed instead (``--rep``, see
    :func:`salesperf.cli.options.cli_error`); a Python caller never typed a flag.
    """
    return Location(key=f"{name}=")


def did_you_mean(word: str, choices: Iterable[str], n: int = 1) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``."""
    pool = [str(c) for c in choices]
    lowered = {c.lower(): c for c in pool}
    close = difflib.get_close_matches(str(word).lower(), list(lowered), n=n, cutoff=0.6)
    if not close:
        return ""
    names = " or ".join(f"'{lowered[c]}'" for c in close)
    return f" (did you mean {names}?)"
