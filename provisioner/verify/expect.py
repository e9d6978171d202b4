"""How checks fail: with what was expected, what was found and where to look, never a bare assert."""

from __future__ import annotations

from collections.abc import Iterable


class CheckFailed(AssertionError):
    def __init__(self, expected: str, found: str, hint: str = "") -> None:
        super().__init__(f"expected {expected}, found {found}")
        self.expected = expected
        self.found = found
        self.hint = hint


class CannotCheck(Exception):
    """The check could not look at the host (no SSH, a tool missing): reported as an error, not a failure."""

    def __init__(self, found: str, hint: str = "") -> None:
        super().__init__(found)
        self.found = found
        self.hint = hint


def expect(condition: bool, *, expected: str, found: str, hint: str = "") -> None:
    __tracebackhide__ = True
    if not condition:
        raise CheckFailed(expected, found, hint)


def listing(items: Iterable[object]) -> str:
    """A set or list the way an operator reads it: sorted, comma-separated, `none` when empty."""
    values = sorted(str(item) for item in items)
    return ", ".join(values) if values else "none"
