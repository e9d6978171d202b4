"""The writes that measure a move between layouts: the workload's writer on the first control-plane
host, following the etcd endpoint list that host is configured with (the kubeadm configuration), as
the API server would. Its keys live under the workload's own prefix and are deleted afterwards."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provisioner.cluster.topology import Topology
from provisioner.errors import ProvisionerError
from provisioner.facts.model import ClusterFacts
from provisioner.hostpaths import KUBEADM_CONFIG
from provisioner.workload import KEY_PREFIX, Workload, new_run_id
from provisioner.workload.checker import HistoryReport, check_history

# The writer stops itself after this even if apply is killed (the next apply stops it at once).
MAX_SECONDS = 900.0
# Run IDs of the measuring writers, so that one left by a killed apply is found and stopped.
RUN_PREFIX = "move-"
# Paced to leave etcd room for the move itself.
INTERVAL_SECONDS = 0.05


def move_summary(seconds: float, report: HistoryReport) -> str:
    gap = f"{report.longest_gap.seconds:.2f} s" if report.longest_gap else "none"
    lost = len(report.lost)
    return (f"move between layouts took {seconds:.1f} s; longest time without an acknowledged write {gap}; "
            f"{report.acknowledged} writes acknowledged, {lost} lost"
            + ("" if report.ok else f" ({'; '.join(report.lines()[1:3])})"))


@dataclass
class MoveMeasurement:
    workload: Workload
    say: Callable[[str], None]

    @classmethod
    def start(cls, topology: Topology, tree: Path, facts: ClusterFacts,
              say: Callable[[str], None]) -> MoveMeasurement | None:
        writer = topology.control_plane_hosts[0].name
        configured = facts.host(writer)
        current = [url for member in facts.members if not member.is_learner for url in member.client_urls[:1]]
        listed = configured.kubeadm.configured_etcd_endpoints if configured else None
        workload = Workload(topology, tree, writer_host=writer, endpoints=list(listed or current),
                            run_id=RUN_PREFIX + new_run_id(), probe=False, max_seconds=MAX_SECONDS,
                            interval=INTERVAL_SECONDS, endpoints_from=KUBEADM_CONFIG)
        try:
            workload.stop_units(f"provisioner-workload-{RUN_PREFIX}*")
            workload.start()
            workload.wait_for_acknowledged(1, timeout=30)
        except ProvisionerError as error:
            say(f"the move is not measured: the writer on {writer} did not start ({error})")
            return None
        say(f"measuring the move: {writer} writes to etcd through the endpoint list it is configured with")
        return cls(workload, say)

    def finish(self, seconds: float) -> None:
        workload = self.workload
        try:
            report = check_history(workload.stop(), workload.read_back())
        except ProvisionerError as error:
            self.say(f"move between layouts took {seconds:.1f} s; its writes could not be checked: {error}")
            return
        finally:
            self._delete_keys()
        self.say(move_summary(seconds, report))

    def _delete_keys(self) -> None:
        try:
            # Also those of a writer a killed apply left behind.
            self.workload.remove_keys(KEY_PREFIX + RUN_PREFIX)
        except ProvisionerError as error:
            self.say(f"the measuring writes under {shlex.quote(KEY_PREFIX + RUN_PREFIX)} stay in etcd: {error}")
