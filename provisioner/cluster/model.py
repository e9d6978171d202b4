"""The cluster file as typed data: key names, types and defaults, nothing derived.

Every model forbids unknown keys and is strict about types (a port written as "6443" is an error,
not silently an integer), so a typo in the file is reported instead of ignored.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
_DNS_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_DNS_NAME = re.compile(rf"^(?=.{{1,253}}$)({_DNS_LABEL}\.)*{_DNS_LABEL}$")


def _ip_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"expected an IPv4 or IPv6 address, got {value!r}") from None


def _ip_or_dns_name(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if re.fullmatch(r"[0-9.]+", value) or not _DNS_NAME.match(value):
        raise ValueError(f"expected an IP address or a DNS name, got {value!r}")
    return value


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        raise ValueError(f"expected a network in CIDR form such as 10.244.0.0/16, got {value!r}") from None


def _sha256(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValueError("expected 64 lowercase hexadecimal characters (a sha256 digest)")
    return value


Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=40)]
IpAddress = Annotated[str, AfterValidator(_ip_address)]
Port = Annotated[int, Field(ge=1, le=65535)]
Cidr = Annotated[str, AfterValidator(_cidr)]


# Literals rather than enums: strict validation accepts the plain strings YAML gives.
Role = Literal["control_plane", "etcd", "load_balancer", "worker"]
ROLES: tuple[Role, ...] = ("control_plane", "etcd", "load_balancer", "worker")
Layout = Literal["stacked", "external"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SshSettings(Strict):
    """How to reach a host. Host-level values override the cluster-level ones key by key."""

    user: str | None = None
    port: Port | None = None
    private_key: str | None = None
    # File of trusted host keys; host keys are checked strictly unless accept_new_host_keys is set.
    known_hosts: str | None = None
    accept_new_host_keys: bool | None = None
    become: bool | None = None
    # Jump host as [user@]host[:port], passed to ssh as ProxyJump.
    bastion: str | None = None


class Endpoint(Strict):
    address: Annotated[str, AfterValidator(_ip_or_dns_name)]
    port: Port = 6443
    load_balancer: Literal["keepalived", "external", "none"] = "keepalived"
    # VRRP router id shared by the load balancers; derived from the cluster name when absent.
    virtual_router_id: Annotated[int, Field(ge=1, le=255)] | None = None
    # Network interface keepalived binds the VIP to on load-balancer hosts.
    interface: str = "eth0"


class EtcdRelease(Strict):
    url: Annotated[str, Field(pattern=r"^(https?|file)://\S+$")]
    sha256: Annotated[str, AfterValidator(_sha256)]


class Etcd(Strict):
    version: str = "3.5.16"
    install: Literal["package", "release"] = "package"
    release: EtcdRelease | None = None
    data_dir: Annotated[str, Field(pattern=r"^/\S*$")] = "/var/lib/etcd"
    heartbeat_interval: Annotated[int, Field(ge=10, le=10000)] = 100
    election_timeout: Annotated[int, Field(ge=50, le=50000)] = 1000
    quota_backend_bytes: Annotated[int, Field(ge=0)] = 2 * 1024**3
    snapshot_count: Annotated[int, Field(ge=1)] = 10000
    auto_compaction_mode: Literal["periodic", "revision"] = "periodic"
    auto_compaction_retention: str = "1h"
    metrics_port: Port = 2381


class Kubernetes(Strict):
    install: Literal["kubeadm", "none"] = "kubeadm"
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")] = "1.31.4"
    pod_subnet: Cidr = "10.244.0.0/16"
    service_subnet: Cidr = "10.96.0.0/12"
    # Base of the pkgs.k8s.io-style apt repository; mirrors for air-gapped sites go here.
    package_repository: str = "https://pkgs.k8s.io/core:/stable:"


class Pki(Strict):
    key_type: Literal["ecdsa-p256", "rsa-2048"] = "ecdsa-p256"


class Resources(Strict):
    cpus: Annotated[int, Field(ge=1, le=64)] = 2
    memory: Annotated[int, Field(ge=512)] = 2048


class Vagrant(Strict):
    box: str = "debian/bookworm64"
    provider: Literal["libvirt", "virtualbox"] = "libvirt"
    control_plane: Resources = Resources(cpus=2, memory=2048)
    etcd: Resources = Resources(cpus=1, memory=1024)
    load_balancer: Resources = Resources(cpus=1, memory=512)
    worker: Resources = Resources(cpus=2, memory=2048)


class Host(Strict):
    name: Name
    address: IpAddress
    roles: Annotated[list[Role], Field(min_length=1)]
    ssh: SshSettings = SshSettings()


class ClusterFile(Strict):
    name: Name
    layout: Layout
    endpoint: Endpoint | None = None
    ssh: SshSettings = SshSettings()
    etcd: Etcd = Etcd()
    kubernetes: Kubernetes = Kubernetes()
    pki: Pki = Pki()
    vagrant: Vagrant = Vagrant()
    hosts: Annotated[list[Host], Field(min_length=1)]
