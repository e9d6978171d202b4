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
