"""The pytest plugin behind verify: hands the checks their hosts and turns each outcome into a result.

Checks ask for a host by role through their parameter name (`etcd_host`, `control_plane_host`,
`load_balancer_host`, `any_host`); a check with none of these is about the cluster as a whole.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from dataclasses import replace
from typing import Any

import pytest

from provisioner.cluster.topology import Topology
from provisioner.verify.expect import CannotCheck, CheckFailed
from provisioner.verify.fleet import Fleet, Target
from provisioner.verify.live import LiveFacts
from provisioner.verify.results import CLUSTER, CheckResult, Outcome

TOPOLOGY = pytest.StashKey[Topology]()
FLEET = pytest.StashKey[Fleet]()
LIVE = pytest.StashKey[LiveFacts | None]()

ROLE_PARAMETERS = {
    "etcd_host": "etcd",
    "control_plane_host": "control_plane",
    "load_balancer_host": "load_balancer",
    "any_host": None,
}


class VerifyPlugin:
    def __init__(self, topology: Topology, fleet: Fleet, live: LiveFacts | None = None) -> None:
        self._topology = topology
        self._fleet = fleet
        self._live = live
        self.results: list[CheckResult] = []
        self.problems: list[str] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "layout(name): the check applies to this etcd layout only")
        config.addinivalue_line("markers", "backup: the check applies when etcd.backup is set")
        # Read by the `topology`, `fleet` and `live` fixtures in checks/conftest.py.
        config.stash[TOPOLOGY] = self._topology
        config.stash[FLEET] = self._fleet
        config.stash[LIVE] = self._live

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        for parameter, role in ROLE_PARAMETERS.items():
            if parameter not in metafunc.fixturenames:
                continue
            targets = [self._fleet[host.name] for host in self._hosts(role)]
            if targets:
                metafunc.parametrize(parameter, targets, ids=[target.name for target in targets])
            else:
                reason = f"no host has the {role} role" + (
                    " (endpoint.load_balancer is not keepalived)" if role == "load_balancer" else "")
                metafunc.parametrize(parameter, [pytest.param(None, marks=pytest.mark.skip(reason=reason))],
                                     ids=["none"])

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Checks for the other layout, or for scheduled backups the file does not ask for, are left out
        rather than reported as skipped."""
        kept: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        for item in items:
            marker = item.get_closest_marker("layout")
            other_layout = marker is not None and marker.args[0] != self._topology.layout
            no_backup = item.get_closest_marker("backup") is not None and self._topology.cluster.etcd.backup is None
            (dropped if other_layout or no_backup else kept).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.problems.append(f"cannot load checks {report.nodeid}: {report.longreprtext.strip()[-500:]}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
            None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.results.append(_result(item, call, report))
        elif report.when == "teardown" and report.failed:
            self.problems.append(f"{item.nodeid}: teardown failed: {report.longreprtext.strip()[-300:]}")
        return report

    def _hosts(self, role: str | None) -> list[Any]:
        if role is None:
            return list(self._topology.hosts)
        if role == "load_balancer":
            return list(self._topology.load_balancer_hosts)
        return self._topology.hosts_with(role)  # type: ignore[arg-type]


def _result(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> CheckResult:
    function = getattr(item, "function", None)
    module = getattr(item, "module", None)
    doc = (getattr(function, "__doc__", None) or "").strip().splitlines()
    target = next(_targets(item), None)
    passed = CheckResult(
        host=target.name if target else CLUSTER,
        role=getattr(module, "ROLE", "cluster"),
        check=getattr(function, "__name__", item.name).removeprefix("test_"),
        title=doc[0] if doc else "",
        outcome=Outcome.PASSED,
        seconds=report.duration,
    )
    error = call.excinfo.value if call.excinfo else None
    if error is None:
        # What a passing check saw, when it says (record_property("found", ...)): an etcd version, say.
        return replace(passed, found=str(dict(report.user_properties).get("found", "")))
    if report.skipped:
        return replace(passed, outcome=Outcome.SKIPPED, found=_skip_reason(error))
    if isinstance(error, CheckFailed):
        return replace(passed, outcome=Outcome.FAILED, expected=error.expected, found=error.found, hint=error.hint)
    if isinstance(error, CannotCheck):
        return replace(passed, outcome=Outcome.ERROR, found=error.found, hint=error.hint)
    if isinstance(error, AssertionError):
        return replace(passed, outcome=Outcome.FAILED, found=str(error).splitlines()[0] if str(error) else "")
    found = f"{type(error).__name__}: {error}"
    if os.environ.get("PROVISIONER_DEBUG"):
        found += "\n" + report.longreprtext
    return replace(passed, outcome=Outcome.ERROR, found=found,
                   hint="a bug in the check or an answer it does not understand: rerun with PROVISIONER_DEBUG=1 "
                        "for the traceback")


def _targets(item: pytest.Item) -> Iterator[Target]:
    callspec = getattr(item, "callspec", None)
    for value in (callspec.params.values() if callspec else ()):
        if isinstance(value, Target):
            yield value


def _skip_reason(error: BaseException) -> str:
    return str(getattr(error, "msg", None) or error).removeprefix("Skipped: ")
