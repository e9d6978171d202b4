"""Verify: prove on the hosts that the cluster is what its file says and really highly available."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from provisioner.cluster.topology import Topology
from provisioner.errors import InputError
from provisioner.providers.base import SshTarget
from provisioner.reach import missing_private_keys
from provisioner.verify.live import read_live
from provisioner.verify.preflight import check_rendered
from provisioner.verify.results import CheckResult, Outcome, Report
from provisioner.verify.session import run_checks

__all__ = ["CheckResult", "Outcome", "Report", "verify"]


def verify(topology: Topology, out: Path, targets: list[SshTarget],
           starting: Callable[[], None] = lambda: None) -> Report:
    """Runs every check against the hosts, reached as `targets` say; `out` is the rendered tree apply used
    (what it places must be this cluster file's). Raises InputError when it is not; check failures are
    in the report."""
    check_rendered(topology, out)
    missing = missing_private_keys(topology, targets)
    if missing:
        raise InputError(missing)
    starting()  # the inputs hold up: from here on, hosts are contacted
    started = time.monotonic()
    # Like apply, verify begins by reading what runs: the facts and the record the checks compare.
    live = read_live(topology, out)
    results, problems = run_checks(topology, targets, live)
    hosts = {host.name: sorted(str(role) for role in topology.roles_of(host)) for host in topology.hosts}
    return Report(topology.name, topology.layout, results, time.monotonic() - started, problems, hosts)
