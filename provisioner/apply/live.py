"""What runs, read at the start of apply and plan: the hosts to ask (those of the file and recorded
members it no longer lists), their facts, and the record (restored from a member when the build
folder lost it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from provisioner.cluster.record import Record, read_record, write_record
from provisioner.cluster.topology import Topology
from provisioner.facts.gather import GatherTarget, gather_facts
from provisioner.facts.model import ClusterFacts
from provisioner.plan.recording import record_from_hosts
from provisioner.providers import ssh_targets
from provisioner.providers.base import SshTarget


@dataclass(frozen=True)
class LiveState:
    targets: tuple[GatherTarget, ...]
    data_dir: str
    record: Record | None
    facts: ClusterFacts
    # The member whose copy of the record replaced a missing record.yml, if that happened.
    record_restored_from: str | None = None

    @property
    def ssh_targets(self) -> dict[str, SshTarget]:
        return {target.ssh.host: target.ssh for target in self.targets}

    def gather(self) -> ClusterFacts:
        return gather_facts(self.targets, self.data_dir)


def gather_targets(topology: Topology, out: Path, record: Record | None) -> tuple[GatherTarget, ...]:
    targets = [GatherTarget(target, topology.host(target.host).address) for target in ssh_targets(topology, out)]
    listed = {host.name for host in topology.hosts}
    for member in record.members if record else ():
        address = urlsplit(member.peer_url).hostname
        if member.name not in listed and address:
            targets.append(GatherTarget(SshTarget(member.name, address, topology.connection(None)), address))
    return tuple(targets)


def read_live_state(topology: Topology, out: Path) -> LiveState:
    record = read_record(out)
    data_dir = record.data_dir if record else topology.cluster.etcd.data_dir
    targets = gather_targets(topology, out, record)
    facts = gather_facts(targets, data_dir)
    restored_from = None
    if record is None:
        found = record_from_hosts(facts, [member.name for member in topology.etcd_members])
        if found is not None:
            record, restored_from = found
            out.mkdir(parents=True, exist_ok=True)
            write_record(out, record)
            targets = gather_targets(topology, out, record)
            facts = gather_facts(targets, record.data_dir)
    return LiveState(targets, data_dir if record is None else record.data_dir, record, facts, restored_from)
