"""What runs, read before the checks: the facts apply reads (provisioner/facts), and the record the
cluster was built with, so checks compare the running cluster with its recorded identity. Read-only:
a record missing from the build folder is read from a member's copy, not written back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provisioner import hostpaths
from provisioner.apply.live import gather_targets
from provisioner.cluster.record import RECORD_FILE, Record, read_record
from provisioner.cluster.topology import Topology
from provisioner.facts.gather import gather_facts
from provisioner.facts.model import ClusterFacts
from provisioner.plan.recording import record_from_hosts


@dataclass(frozen=True)
class LiveFacts:
    facts: ClusterFacts
    record: Record | None
    # Where the record was read: the build folder's record.yml or a member's copy ("" without a record).
    record_source: str

    def why_silent(self, name: str) -> str:
        """Why the host's etcd member gave no status (or no member list), in a few words."""
        host = self.facts.host(name)
        if host is None:
            return "no facts from this host"
        return host.etcd_error or host.problem or ("etcd not running" if not host.etcd_active else "no answer")


def read_live(topology: Topology, out: Path) -> LiveFacts:
    record = read_record(out)
    data_dir = record.data_dir if record else topology.cluster.etcd.data_dir
    facts = gather_facts(gather_targets(topology, out, record), data_dir)
    if record is not None:
        return LiveFacts(facts, record, str(out / RECORD_FILE))
    found = record_from_hosts(facts, [member.name for member in topology.etcd_members])
    if found is None:
        return LiveFacts(facts, None, "")
    return LiveFacts(facts, found[0], f"{found[1]}:{hostpaths.RECORD}")
