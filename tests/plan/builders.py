"""Clusters, records and facts for planner tests: a file's hosts and a healthy running cluster, then
one change at a time (a host's facts replaced), as the scenarios need."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from provisioner.cluster.load import parse_cluster
from provisioner.cluster.record import Record, RecordedCas, RecordedMember
from provisioner.cluster.topology import Topology
from provisioner.facts.model import CaFingerprints, ClusterFacts, EtcdMemberFact, EtcdStatus, HostFacts, KubeadmFacts

CLUSTER_ID = "cdf818194e3a8c32"
ETCD_CA = "sha256:" + "e" * 64
KUBERNETES_CA = "sha256:" + "a" * 64
CAS = RecordedCas(etcd=ETCD_CA, kubernetes=KUBERNETES_CA)
ADDRESSES = {**{f"cp{i}": f"10.0.0.1{i}" for i in range(1, 8)}, **{f"etcd{i}": f"10.0.0.2{i}" for i in range(1, 8)},
             **{f"w{i}": f"10.0.0.3{i}" for i in range(1, 4)}}


def member_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def peer_url(name: str) -> str:
    return f"https://{ADDRESSES[name]}:2380"


def client_url(name: str) -> str:
    return f"https://{ADDRESSES[name]}:2379"


def topology(layout: str = "external", control_plane: int = 1, etcd_hosts: int = 3, workers: int = 0,
             **top: Any) -> Topology:
    hosts = [{"name": f"cp{i}", "address": ADDRESSES[f"cp{i}"], "roles": ["control_plane"]}
             for i in range(1, control_plane + 1)]
    if layout == "external":
        hosts += [{"name": f"etcd{i}", "address": ADDRESSES[f"etcd{i}"], "roles": ["etcd"]}
                  for i in range(1, etcd_hosts + 1)]
    hosts += [{"name": f"w{i}", "address": ADDRESSES[f"w{i}"], "roles": ["worker"]} for i in range(1, workers + 1)]
    data: dict[str, Any] = {"name": "demo", "layout": layout, "kubernetes": {"install": "none"}, "hosts": hosts}
    if control_plane > 1:
        data["endpoint"] = {"address": "10.0.0.100", "load_balancer": "external"}
    data.update(top)
    cluster, _ = parse_cluster(yaml.safe_dump(data), "cluster.yaml")
    return Topology(cluster, source=Path("cluster.yaml"))


def record(members: list[str], layout: str = "external", founders: list[str] | None = None, **changes: Any) -> Record:
    founding = founders or members
    fields: dict[str, Any] = {
        "cluster": "demo", "layout": layout, "etcd_cluster_id": CLUSTER_ID, "data_dir": "/var/lib/etcd",
        "initial_cluster": ",".join(f"{name}={peer_url(name)}" for name in founding),
        "members": tuple(RecordedMember(name=n, id=member_id(n), peer_url=peer_url(n)) for n in members),
        "ca": CAS,
    }
    fields.update(changes)
    return Record(**fields)


def member(name: str, learner: bool = False, started: bool = True) -> EtcdMemberFact:
    return EtcdMemberFact(id=member_id(name), name=name if started else "", peer_urls=(peer_url(name),),
                          client_urls=(client_url(name),) if started else (), is_learner=learner)


def running(topology_: Topology, members: list[str], the_record: Record | None, leader: str | None = None,
            learners: tuple[str, ...] = (), extra_hosts: tuple[str, ...] = ()) -> ClusterFacts:
    """Every host of the file (and `extra_hosts`) reachable; `members` run a healthy cluster led by `leader`."""
    leader_id = member_id(leader or members[0])
    listed = tuple(member(name, learner=name in learners) for name in members)
    text = the_record.to_yaml() if the_record else None
    hosts = []
    for name in [host.name for host in topology_.hosts] + list(extra_hosts):
        runs = name in members
        hosts.append(HostFacts(
            host=name, address=ADDRESSES[name], reachable=True, etcd_active=runs, etcd_enabled=runs,
            etcd_main_pid=100 if runs else 0, data_dir="/var/lib/etcd", data_has_member=runs,
            status=EtcdStatus(cluster_id=CLUSTER_ID, member_id=member_id(name), leader=leader_id, version="3.5.16",
                              is_learner=name in learners, raft_index=42) if runs else None,
            members=listed if runs else None,
            initial_cluster=the_record.initial_cluster if the_record and runs else None,
            ca=CaFingerprints(etcd=(ETCD_CA,), kubernetes=(KUBERNETES_CA,) if name.startswith("cp") else None,
                              etcd_client=(ETCD_CA,) if name.startswith("cp") else None),
            kubeadm=KubeadmFacts(),
            record=text if runs else None,
        ))
    return ClusterFacts(hosts=tuple(hosts))


def empty(topology_: Topology) -> ClusterFacts:
    return ClusterFacts(hosts=tuple(HostFacts(host=h.name, address=h.address, reachable=True, data_dir="/var/lib/etcd")
                                    for h in topology_.hosts))


def changed(facts: ClusterFacts, host: str, **changes: Any) -> ClusterFacts:
    """The facts with one host's facts changed."""
    return ClusterFacts(hosts=tuple(h.model_copy(update=changes) if h.host == host else h for h in facts.hosts))


def everywhere(facts: ClusterFacts, **changes: Any) -> ClusterFacts:
    return ClusterFacts(hosts=tuple(h.model_copy(update=changes) for h in facts.hosts))
