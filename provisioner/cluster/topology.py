"""The validated cluster and every fact derived from it, computed once for all later steps."""

from __future__ import annotations

import hashlib
import ipaddress
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from provisioner.cluster.availability import HostLossesSurvived, host_losses_survived
from provisioner.cluster.model import ClusterFile, Host, Layout, Role, SshSettings
from provisioner.cluster.ports import APISERVER_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT


def url_host(address: str) -> str:
    """An address as it stands in a URL: IPv6 literals need brackets."""
    try:
        return f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    except ValueError:
        return address


def roles_played(layout: Layout, roles: list[Role]) -> frozenset[Role]:
    """Roles a host really plays: in the stacked layout every control-plane host runs etcd."""
    played = set(roles)
    if layout == "stacked" and "control_plane" in played:
        played.add("etcd")
    return frozenset(played)


@dataclass(frozen=True)
class EtcdMember:
    name: str
    address: str

    @property
    def client_url(self) -> str:
        return f"https://{url_host(self.address)}:{ETCD_CLIENT_PORT}"

    @property
    def peer_url(self) -> str:
        return f"https://{url_host(self.address)}:{ETCD_PEER_PORT}"


@dataclass(frozen=True)
class ApiEndpoint:
    address: str
    port: int
    load_balancer: str  # keepalived | external | none


@dataclass(frozen=True)
class Connection:
    """SSH settings of one host after host-level overrides and defaults are applied."""

    user: str
    port: int
    accept_new_host_keys: bool
    become: bool
    private_key: str | None = None
    known_hosts: str | None = None
    bastion: str | None = None
    # Seconds ssh and sudo get to answer; None: Ansible's 10. A provider with slow hosts (VMs) sets it.
    timeout: int | None = None


_SSH_DEFAULTS = SshSettings(user="root", port=22, accept_new_host_keys=False, become=False)


@dataclass(frozen=True)
class Topology:
    cluster: ClusterFile
    source: Path = field(compare=False)

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def layout(self) -> str:
        return self.cluster.layout

    @property
    def hosts(self) -> list[Host]:
        return self.cluster.hosts

    def roles_of(self, host: Host) -> frozenset[Role]:
        return roles_played(self.cluster.layout, host.roles)

    def hosts_with(self, role: Role) -> list[Host]:
        return [host for host in self.hosts if role in self.roles_of(host)]

    @cached_property
    def control_plane_hosts(self) -> list[Host]:
        return self.hosts_with("control_plane")

    @cached_property
    def etcd_hosts(self) -> list[Host]:
        return self.hosts_with("etcd")

    @cached_property
    def load_balancer_hosts(self) -> list[Host]:
        return self.hosts_with("load_balancer") if self.endpoint.load_balancer == "keepalived" else []

    @cached_property
    def worker_hosts(self) -> list[Host]:
        return self.hosts_with("worker")

    @cached_property
    def etcd_members(self) -> list[EtcdMember]:
        return [EtcdMember(host.name, host.address) for host in self.etcd_hosts]

    @property
    def etcd_endpoints(self) -> list[str]:
        return [member.client_url for member in self.etcd_members]

    @property
    def initial_cluster(self) -> str:
        return ",".join(f"{member.name}={member.peer_url}" for member in self.etcd_members)

    @property
    def initial_cluster_token(self) -> str:
        # Unique per cluster so members of two clusters can never join each other by mistake.
        return f"{self.name}-etcd"

    @property
    def etcd_quorum(self) -> int:
        return len(self.etcd_members) // 2 + 1

    @cached_property
    def host_losses_survived(self) -> HostLossesSurvived:
        return host_losses_survived(etcd_members=len(self.etcd_members),
                                    control_plane_hosts=len(self.control_plane_hosts),
                                    load_balancer=self.endpoint.load_balancer,
                                    load_balancer_hosts=len(self.load_balancer_hosts))

    @cached_property
    def endpoint(self) -> ApiEndpoint:
        written = self.cluster.endpoint
        if written is None:
            # Validation allows this only with a single control-plane host: the API is that host.
            only = self.hosts_with("control_plane")[0]
            return ApiEndpoint(only.address, APISERVER_PORT, "none")
        return ApiEndpoint(written.address, written.port, written.load_balancer)

    @property
    def control_plane_endpoint(self) -> str:
        return f"{url_host(self.endpoint.address)}:{self.endpoint.port}"

    @property
    def virtual_router_id(self) -> int:
        written = self.cluster.endpoint.virtual_router_id if self.cluster.endpoint else None
        if written is not None:
            return written
        digest = hashlib.sha256(self.name.encode()).digest()
        return digest[0] % 255 + 1

    def connection(self, host: Host | None) -> Connection:
        """A host's SSH settings; None gives the file's own, for a host it no longer lists (a removed member)."""
        merged: dict[str, object] = {}
        for layer in (_SSH_DEFAULTS, self.cluster.ssh, host.ssh if host else SshSettings()):
            merged.update(layer.model_dump(exclude_none=True))
        for key in ("private_key", "known_hosts"):
            if isinstance(merged.get(key), str):
                merged[key] = self.beside_cluster_file(str(merged[key]))
        return Connection(**merged)  # type: ignore[arg-type]

    def beside_cluster_file(self, path: str) -> str:
        """A relative path in the cluster file means the same file from wherever the tool is started:
        it is taken from the cluster file's folder. `~` paths are left to ssh and Ansible."""
        if path.startswith("~") or os.path.isabs(path):
            return path
        return str(self.source.parent / path)

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)
