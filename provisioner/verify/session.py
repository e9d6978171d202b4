"""Runs the shipped checks with pytest, in this process, against one topology's hosts."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from provisioner.cluster.topology import Topology
from provisioner.providers.base import SshTarget
from provisioner.verify import checks
from provisioner.verify.fleet import Fleet, open_fleet
from provisioner.verify.live import LiveFacts
from provisioner.verify.plugin import VerifyPlugin
from provisioner.verify.results import CheckResult

CHECKS = Path(checks.__file__).parent


def pytest_arguments(modules: Sequence[str] = ()) -> list[str]:
    """`modules` narrows the run to some check modules (test_etcd.py, ...); all of them by default."""
    return [
        *([str(CHECKS / module) for module in modules] or [str(CHECKS)]),
        # Our own settings only: no ini file, conftest or cache from wherever verify is started.
        "-c", os.devnull, "--rootdir", str(CHECKS), "--confcutdir", str(CHECKS),
        "-p", "no:cacheprovider",
        # The report is ours (results.py); pytest's terminal output would only repeat it.
        "-p", "no:terminal",
        "--import-mode=importlib",
        # Checks fail through expect(), not bare asserts: nothing to rewrite, nothing written into the package.
        "--assert=plain",
        "-o", "python_files=test_*.py", "-o", "python_functions=test_*",
    ]


def run_checks(topology: Topology, ssh_targets: list[SshTarget],
               live: LiveFacts | None = None) -> tuple[list[CheckResult], list[str]]:
    """Every check's result, and problems that stopped checks from running at all."""
    with open_fleet(topology, ssh_targets) as fleet:
        return run_plugin(topology, fleet, live=live)


def run_plugin(topology: Topology, fleet: Fleet, modules: Sequence[str] = (),
               live: LiveFacts | None = None) -> tuple[list[CheckResult], list[str]]:
    """The checks in `modules` (all by default) over an open fleet; `live`: the facts and record read first."""
    plugin = VerifyPlugin(topology, fleet, live)
    with _no_plugin_autoload():
        status = pytest.main(pytest_arguments(modules), plugins=[plugin])
    problems = list(plugin.problems)
    if status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not problems:
        problems.append(f"the checks did not run: pytest exit status {int(status)}")
    return plugin.results, problems


@contextmanager
def _no_plugin_autoload() -> Iterator[None]:
    # Other pytest plugins installed next to ours (randomly, xdist, testinfra's own) must not change the run.
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
