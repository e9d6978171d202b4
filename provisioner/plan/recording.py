"""The record as the facts show the cluster now (pure): written after a bootstrap or a change."""

from __future__ import annotations

from provisioner.cluster.record import Record, RecordedCas, RecordedMember, parse_record
from provisioner.cluster.topology import Topology
from provisioner.errors import ProvisionerError
from provisioner.facts.model import ClusterFacts


def member_host(topology: Topology, facts: ClusterFacts, peer_urls: tuple[str, ...], fallback: str) -> str:
    for member in topology.etcd_members:
        if member.peer_url in peer_urls:
            return member.name
    for host in facts.hosts:
        if any(f"//{host.address}:" in url or f"//[{host.address}]:" in url for url in peer_urls):
            return host.host
    return fallback


def record_from_facts(topology: Topology, facts: ClusterFacts, previous: Record | None,
                      tree_cas: RecordedCas) -> Record:
    cluster_ids = facts.cluster_ids
    if len(cluster_ids) != 1:
        raise ProvisionerError(f"cannot record the cluster: its members report {len(cluster_ids)} cluster IDs")
    founders = previous.initial_cluster if previous else next(
        (host.initial_cluster for host in facts.answering if host.initial_cluster), topology.initial_cluster)
    members = tuple(RecordedMember(name=member_host(topology, facts, m.peer_urls, m.name or m.id), id=m.id,
                                   peer_url=m.peer_urls[0] if m.peer_urls else "")
                    for m in facts.members)
    control_plane = {host.name for host in topology.control_plane_hosts}
    initialized = any(host.kubeadm.marker for host in facts.hosts if host.host in control_plane)
    return Record(
        cluster=topology.name,
        layout=topology.layout,
        etcd_cluster_id=next(iter(cluster_ids)),
        data_dir=topology.cluster.etcd.data_dir,
        initial_cluster=founders,
        members=members,
        ca=tree_cas,
        control_plane_initialized=initialized or bool(previous and previous.control_plane_initialized),
    )


def record_from_hosts(facts: ClusterFacts, members: list[str]) -> tuple[Record, str] | None:
    """A member's copy of the record and the host it came from, for a build folder that lost its own."""
    for host in facts.hosts:
        if host.host in members and host.record:
            return parse_record(host.record, f"{host.host}:record"), host.host
    return None
