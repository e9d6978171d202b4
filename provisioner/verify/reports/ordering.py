"""The order results are shown in: hosts as the cluster file lists them, whole-cluster checks last."""

from __future__ import annotations

from collections.abc import Sequence

from provisioner.verify.results import CheckResult, Outcome

_SEVERITY = {Outcome.FAILED: 0, Outcome.ERROR: 1, Outcome.SKIPPED: 2, Outcome.PASSED: 3}


def host_order(results: Sequence[CheckResult], hosts: Sequence[str]) -> list[str]:
    named = [host for host in hosts if any(result.host == host for result in results)]
    return named + sorted({result.host for result in results} - set(named))


def sorted_results(results: Sequence[CheckResult], hosts: Sequence[str]) -> list[CheckResult]:
    """Failures first, then errors, skips and passes; within each, by host then role."""
    rank = {host: index for index, host in enumerate(host_order(results, hosts))}
    return sorted(results, key=lambda r: (_SEVERITY[r.outcome], rank[r.host], r.role))
