"""Timing helpers the benchmark scripts share: time one action, print steps and seconds as a table."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


def timed(action: Callable[[], _T]) -> tuple[_T, float]:
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def print_table(title: str, timings: list[tuple[str, float]]) -> None:
    width = max(len(step) for step, _ in timings)
    print(f"\n{title}\n{'step':<{width}}  seconds")
    print(f"{'-' * width}  -------")
    for step, seconds in timings:
        print(f"{step:<{width}}  {seconds:7.2f}")


def print_columns(title: str, headings: tuple[str, ...], rows: list[tuple[str, tuple[float, ...]]]) -> None:
    """A table of steps with several columns of seconds, one per heading."""
    width = max(len(step) for step, _ in rows)
    print(f"\n{title}\n{'step':<{width}}  " + "  ".join(headings))
    print(f"{'-' * width}  " + "  ".join("-" * len(heading) for heading in headings))
    for step, values in rows:
        print(f"{step:<{width}}  " + "  ".join(f"{value:{len(heading)}.1f}" for value, heading in
                                                zip(values, headings, strict=True)))
