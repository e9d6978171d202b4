"""Check hosts: every host answers, runs a supported system, and has the ports its roles need."""

from __future__ import annotations

import re

from provisioner.apply.events import HostResult
from provisioner.apply.phases.base import ApplyContext, Phase, raise_for_failures
from provisioner.apply.preflight import clock_skew, clock_warning, host_problems, os_warning, ports_needed
from provisioner.apply.probe import parse_probe
from provisioner.errors import StepFailed
from provisioner.providers import ssh_targets
from provisioner.reach import unreachable_reason
from provisioner.reach.reasons import sudo_failure

PLAYBOOK = "preflight.yml"
# The task name in preflight.yml whose output is the probe's report.
PROBE_TASK = "Probe the host"


class CheckHosts(Phase):
    title = "Check hosts"

    def run(self, context: ApplyContext) -> None:
        outcome = context.run_playbook(PLAYBOOK)
        topology = context.topology
        raise_for_failures(self.title, outcome, lambda failure: _explained(context, failure))
        probes = outcome.results_of(PROBE_TASK)
        problems: list[tuple[str, str]] = []
        for host in topology.hosts:
            result = probes.get(host.name)
            if result is None:
                problems.append((host.name, "the probe did not report back"))
                continue
            probe = parse_probe(str(result.result.get("stdout", "")))
            problems += [(host.name, problem)
                         for problem in host_problems(probe, ports_needed(topology, host), topology.name)]
            skew = clock_skew(probe, result.started, result.ended)
            for warning in (os_warning(probe), clock_warning(skew, result.started, result.ended)):
                if warning:
                    context.display.warn(f"{host.name}: {warning}")
        if problems:
            for host_name, problem in problems[1:]:
                context.display.note(f"also {host_name}: {problem}")
            host_name, problem = problems[0]
            raise StepFailed(self.title, host_name, problem)


def _explained(context: ApplyContext, failure: HostResult) -> str:
    """A host that cannot be reached or cannot become root, worded as `provisioner ping` words it."""
    topology = context.topology
    connection = topology.connection(topology.host(failure.host))
    message = str(failure.result.get("msg") or "")
    if failure.status == "unreachable":
        target = next(target for target in ssh_targets(topology, context.tree) if target.host == failure.host)
        return "unreachable: " + unreachable_reason(target, message.partition("via ssh:")[2] or message)
    if connection.become and re.search(r"sudo.*password", message, re.I):
        return sudo_failure(message)
    return failure.reason
