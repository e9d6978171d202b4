"""What one verify run found: a result per check and host, and the run's verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Stands in for a host name when a check is about the cluster as a whole (one leader, the VIP).
CLUSTER = "cluster"


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"    # the host is not as the cluster file says
    ERROR = "error"      # the check could not look (no SSH, a command missing, a bug)
    SKIPPED = "skipped"  # does not apply here; `found` says why


@dataclass(frozen=True)
class CheckResult:
    host: str
    role: str
    check: str
    title: str  # what the check proves, in a sentence
    outcome: Outcome
    expected: str = ""
    found: str = ""
    hint: str = ""  # where to look when it fails
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.PASSED, Outcome.SKIPPED)


@dataclass(frozen=True)
class Report:
    cluster: str
    layout: str
    results: list[CheckResult]
    seconds: float
    problems: list[str] = field(default_factory=list)  # failures outside any check (collection errors)
    # Host name -> the roles it plays, in the cluster file's order (the report shows hosts in it).
    hosts: dict[str, list[str]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems and bool(self.results) and all(result.ok for result in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def not_ok(self) -> list[CheckResult]:
        return [result for result in self.results if not result.ok]
