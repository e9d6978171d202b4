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


def etcd_config(topology: Topology, member: EtcdMember) -> dict[str, Any]:
    """etcd reads only this file when started with --config-file, so it carries every setting."""
    etcd = topology.cluster.etcd
    return {
        "name": member.name,
        "data-dir": etcd.data_dir,
        "listen-client-urls": f"{member.client_url},https://127.0.0.1:2379",
        "advertise-client-urls": member.client_url,
        "listen-peer-urls": member.peer_url,
        "initial-advertise-peer-urls": member.peer_url,
        "initial-cluster": topology.initial_cluster,
        # Read only on a member's first start; an existing data dir is never bootstrapped again.
        "initial-cluster-state": "new",
        "initial-cluster-token": topology.initial_cluster_token,
        "listen-metrics-urls": f"http://127.0.0.1:{etcd.metrics_port}",
        "heartbeat-interval": etcd.heartbeat_interval,
        "election-timeout": etcd.election_timeout,
        "quota-backend-bytes": etcd.quota_backend_bytes,
        "snapshot-count": etcd.snapshot_count,
        "auto-compaction-mode": etcd.auto_compaction_mode,
        "auto-compaction-retention": etcd.auto_compaction_retention,
        "enable-v2": False,
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
