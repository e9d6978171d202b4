"""Each etcd member's configuration (etcd's YAML config file) and its systemd unit."""

from __future__ import annotations

from typing import Any

from provisioner import hostpaths
from provisioner.cluster.topology import EtcdMember, Topology
from provisioner.render.templating import render_template


def etcd_binary(topology: Topology) -> str:
    if topology.cluster.etcd.install == "release":
        return f"{hostpaths.ETCD_RELEASE_DIR}/etcd"
    return hostpaths.ETCD_PACKAGE_BINARY


# kube-apiserver's watch cache asks etcd for progress notifications to serve consistent reads from the
# cache; kubeadm sets 5s for its own etcd (cmd/kubeadm/app/phases/etcd/local.go, getEtcdCommand).
WATCH_PROGRESS_NOTIFY_INTERVAL_NS = 5_000_000_000


def kubeadm_etcd_settings(topology: Topology) -> dict[str, Any]:
    """What kubeadm adds for an etcd serving kube-apiserver, under the names this etcd reads.

    A member checks its data against its peers' before serving (initial corruption check), and sends
    watch progress notifications. etcd 3.4 (Debian 12's package) and 3.5 (Debian 13's, and releases)
    know both as `experimental-*` keys; 3.6 renamed them (a feature gate and a plain key), as kubeadm
    did for it. A package install may bring 3.4 or 3.5, so only a release of 3.6 or newer gets the new
    names. Durations are nanoseconds in etcd's YAML file: it decodes them as JSON numbers.
    """
    etcd = topology.cluster.etcd
    major, minor, _ = (int(part) for part in etcd.version.split("."))
    if etcd.install == "release" and (major, minor) >= (3, 6):
        return {"feature-gates": "InitialCorruptCheck=true",
                "watch-progress-notify-interval": WATCH_PROGRESS_NOTIFY_INTERVAL_NS}
    return {"experimental-initial-corrupt-check": True,
            "experimental-watch-progress-notify-interval": WATCH_PROGRESS_NOTIFY_INTERVAL_NS}


def initial_settings(topology: Topology, member: EtcdMember, founders: str | None) -> tuple[str, str]:
    """initial-cluster and initial-cluster-state, which etcd reads only on a member's first start.

    Without a record (a new cluster) every member founds it. Once the cluster is recorded, the
    founders keep the list they were started with and a member added later names the founders and
    itself with state existing, so growing the cluster changes no byte of an existing member's files
    and restarts none. A joining member's real first start uses the live member list, which apply
    writes next to this file at that moment (see provisioner/apply/membership.py)."""
    if founders is None:
        return topology.initial_cluster, "new"
    own = f"{member.name}={member.peer_url}"
    if own in founders.split(","):
        return founders, "new"
    return f"{founders},{own}", "existing"


def etcd_config(topology: Topology, member: EtcdMember, founders: str | None = None) -> dict[str, Any]:
    """etcd reads only this file when started with --config-file, so it carries every setting.
    `founders` is the recorded initial-cluster of the founding members (None: not bootstrapped)."""
    etcd = topology.cluster.etcd
    initial_cluster, initial_state = initial_settings(topology, member, founders)
    return {
        "name": member.name,
        "data-dir": etcd.data_dir,
        "listen-client-urls": f"{member.client_url},https://127.0.0.1:2379",
        "advertise-client-urls": member.client_url,
        "listen-peer-urls": member.peer_url,
        "initial-advertise-peer-urls": member.peer_url,
        "initial-cluster": initial_cluster,
        # Read only on a member's first start; an existing data dir is never bootstrapped again.
        "initial-cluster-state": initial_state,
        "initial-cluster-token": topology.initial_cluster_token,
        "listen-metrics-urls": f"http://127.0.0.1:{etcd.metrics_port}",
        "heartbeat-interval": etcd.heartbeat_interval,
        "election-timeout": etcd.election_timeout,
        "quota-backend-bytes": etcd.quota_backend_bytes,
        "snapshot-count": etcd.snapshot_count,
        "auto-compaction-mode": etcd.auto_compaction_mode,
        "auto-compaction-retention": etcd.auto_compaction_retention,
        **kubeadm_etcd_settings(topology),
        "enable-v2": False,
        # etcd 3.4 turns its JSON gateway (/v3/...) off when its settings come from a file (3.5 leaves it
        # on): the workload's writer, the tests and an operator's curl talk to it.
        "enable-grpc-gateway": True,
        "logger": "zap",
        "log-outputs": ["stderr"],
        "client-transport-security": {
            "cert-file": hostpaths.ETCD_SERVER_CERT,
            "key-file": hostpaths.ETCD_SERVER_KEY,
            "client-cert-auth": True,
            "trusted-ca-file": hostpaths.ETCD_CA,
            "auto-tls": False,
        },
        "peer-transport-security": {
            "cert-file": hostpaths.ETCD_PEER_CERT,
            "key-file": hostpaths.ETCD_PEER_KEY,
            "client-cert-auth": True,
            "trusted-ca-file": hostpaths.ETCD_CA,
            "auto-tls": False,
        },
    }


def etcd_unit(topology: Topology, member: EtcdMember) -> str:
    return render_template(
        "etcd.service.j2",
        cluster_name=topology.name,
        member_name=member.name,
        etcd_binary=etcd_binary(topology),
        config_file=hostpaths.ETCD_CONFIG,
    )
