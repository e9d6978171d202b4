"""Errors the user is meant to read. Anything else escaping the CLI is a bug and is shown as one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as the parser allows."""

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ProvisionerError(Exception):
    """Base of every error with a message fit for the operator. Exit status 1 unless said otherwise."""

    exit_code = 1

    def lines(self) -> list[str]:
        return [str(self)]


class InputError(ProvisionerError):
    """Bad input (cluster file, command-line values): nothing has been touched."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UsageError(ProvisionerError):
    """A command cannot run here (missing tools, not root, wrong target). Nothing has been touched."""

    exit_code = 2


class StepFailed(ProvisionerError):
    """A run against hosts failed: names the host and the step so the operator knows where to look."""

    def __init__(self, step: str, host: str | None, reason: str) -> None:
        where = f"{host}: " if host else ""
        super().__init__(f"{where}{step}: {reason}")
        self.step = step
        self.host = host
        self.reason = reason
