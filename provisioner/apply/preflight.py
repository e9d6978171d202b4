"""The preflight rules: what a host must offer before apply changes anything on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from provisioner.apply.probe import HostProbe, Listener
from provisioner.cluster.model import Host
from provisioner.cluster.ports import ETCD_CLIENT_PORT, ETCD_PEER_PORT
from provisioner.cluster.topology import Topology

# Oldest releases whose packages (etcd 3.4+, haproxy 2.x, keepalived 2.x) the rendered files need.
MINIMUM_VERSIONS = {"debian": 12, "ubuntu": 22}
SUPPORTED = "Debian 12 or newer, Ubuntu 22.04 or newer"
# First line of every configuration render writes (templates/etcd.service.j2, haproxy.cfg.j2).
RENDER_MARKER = "Rendered by provisioner for cluster {cluster}:"
# etcd warns from one second of difference between members; leases and TLS care too.
CLOCK_SKEW_WARNING_SECONDS = 1.0


@dataclass(frozen=True)
class PortNeed:
    port: int
    service: str  # our service that may already hold it


def ports_needed(topology: Topology, host: Host) -> list[PortNeed]:
    roles = topology.roles_of(host)
    needs: list[PortNeed] = []
    if "etcd" in roles:
        needs += [PortNeed(port, "etcd")
                  for port in (ETCD_CLIENT_PORT, ETCD_PEER_PORT, topology.cluster.etcd.metrics_port)]
    if "load_balancer" in roles and topology.load_balancer_hosts:
        needs.append(PortNeed(topology.endpoint.port, "haproxy"))
    return needs


def host_problems(probe: HostProbe, needs: list[PortNeed], cluster: str) -> list[str]:
    """Everything that stops apply on this host, each a sentence naming the fix."""
    problems: list[str] = []
    if not supported_os(probe):
        problems.append(f"unsupported operating system {probe.os_name!r}: apply supports {SUPPORTED}")
    if not probe.python3:
        problems.append("python3 is not installed (Ansible needs it): install the python3 package")
    if not probe.systemd:
        problems.append("systemd is not the init system: etcd, haproxy and keepalived run as systemd services")
    if needs and not probe.ss_available:
        problems.append("cannot check which ports are in use: ss is missing (install iproute2)")
    for need in needs:
        for listener in probe.holders(need.port):
            if not _ours(probe, listener, need.service, cluster):
                holder = ", ".join(f"{name} (pid {pid})" for name, pid in listener.processes) or "another program"
                problems.append(f"port {need.port} is in use by {holder}; {need.service} needs it")
                break
    return problems


def supported_os(probe: HostProbe) -> bool:
    """Debian and Ubuntu from the releases whose packages the playbooks need, and their derivatives
    (ID_LIKE names debian or ubuntu): the playbooks need apt, systemd and those packages, nothing else."""
    minimum = MINIMUM_VERSIONS.get(probe.os_id)
    if minimum is None:
        return derivative_of(probe) is not None
    major = probe.os_version.partition(".")[0]
    # Debian testing and unstable carry no VERSION_ID: newer than any release.
    return not major.isdigit() or int(major) >= minimum


def derivative_of(probe: HostProbe) -> str | None:
    """The supported system a derivative says it is like (Raspberry Pi OS: debian; Linux Mint: ubuntu)."""
    if probe.os_id in MINIMUM_VERSIONS:
        return None
    return next((base for base in probe.os_like.split() if base in MINIMUM_VERSIONS), None)


def os_warning(probe: HostProbe) -> str | None:
    """A derivative's own release number says nothing about its packages, so it is not checked: say so."""
    base = derivative_of(probe)
    if base is None:
        return None
    return (f"{probe.os_name} is taken as a derivative of {base}; its release is not checked: apply needs the "
            f"packages of {SUPPORTED} (etcd-server, haproxy, keepalived)")


def _ours(probe: HostProbe, listener: Listener, service: str, cluster: str) -> bool:
    """Our own service from an earlier apply of this cluster may hold its port, nothing else."""
    written_by_us = RENDER_MARKER.format(cluster=cluster) in probe.markers.get(service, "")
    running = probe.main_pids.get(service, 0) > 0
    return written_by_us and running and listener.names == [service]


def clock_skew(probe: HostProbe, started: datetime | None, ended: datetime | None) -> float | None:
    """Seconds the host's clock is ahead of this machine's; the probe ran between started and ended."""
    if probe.time is None or started is None or ended is None:
        return None
    middle = started.timestamp() + (ended.timestamp() - started.timestamp()) / 2
    return probe.time - middle


def clock_warning(skew: float | None, started: datetime | None, ended: datetime | None) -> str | None:
    if skew is None or started is None or ended is None:
        return None
    uncertainty = (ended.timestamp() - started.timestamp()) / 2
    if abs(skew) <= CLOCK_SKEW_WARNING_SECONDS + uncertainty:
        return None
    direction = "ahead of" if skew > 0 else "behind"
    return (f"clock is {abs(skew):.1f}s {direction} this machine's: etcd members and certificates need "
            "synchronized clocks (enable systemd-timesyncd or chrony)")
