"""Shared helpers: run the real CLI in-process and capture what the operator would see."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.cli.app import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "inventories"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def run_cli(*arguments: str, cwd: Path | None = None) -> CliResult:
    stdout, stderr = io.StringIO(), io.StringIO()
    exit_code = 0
    saved_argv = sys.argv
    sys.argv = ["provisioner", *arguments]
    try:
        with _working_directory(cwd or Path.cwd()), contextlib.redirect_stdout(stdout), \
                contextlib.redirect_stderr(stderr):
            main()
    except SystemExit as stop:
        exit_code = stop.code if isinstance(stop.code, int) else 1
    finally:
        sys.argv = saved_argv
    return CliResult(exit_code, stdout.getvalue(), stderr.getvalue())


@pytest.fixture
def cli() -> type[CliResult]:
    return CliResult


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI every prerequisite is installed, so a skip means CI lost coverage: report it as a failure."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where every prerequisite must be present: {reason}"
