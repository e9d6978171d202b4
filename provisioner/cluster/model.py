"""The cluster file as typed data: key names, types and defaults, nothing derived.

Every model forbids unknown keys and is strict about types (a port written as "6443" is an error,
not silently an integer), so a typo in the file is reported instead of ignored.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from provisioner.cluster.data_dir import data_dir_problem

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
NAME_MAX_LENGTH = 40
_DNS_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_DNS_NAME = re.compile(rf"^(?=.{{1,253}}$)({_DNS_LABEL}\.)*{_DNS_LABEL}$")


USER_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$"
# Linux interface names: at most 15 characters; nothing that could end a keepalived.conf statement.
INTERFACE_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$"
# etcd's --auto-compaction-retention: hours as a number, a Go duration, or (revision mode) a count.
RETENTION_PATTERN = r"^(\d+|(\d+(\.\d+)?(ns|us|ms|s|m|h))+)$"
# v1beta4, the kubeadm config format rendered here, is read by kubeadm 1.31 and newer.
MIN_KUBERNETES_MINOR = 31


def _unusable(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a host or VIP cannot be this address, or None when it can."""
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return "a zone index (%...) cannot be used in URLs and certificates"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return f"an IPv4-mapped address: write {address.ipv4_mapped}"
    # Loopback stays allowed: a one-host cluster on the machine itself is reached that way.
    kinds = {"unspecified": "an unspecified", "multicast": "a multicast", "link_local": "a link-local",
             "reserved": "a reserved"}
    return next((f"{kind} address" for flag, kind in kinds.items() if getattr(address, f"is_{flag}")), None)


def _ip_address(value: str) -> str:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"expected an IPv4 or IPv6 address, got {value!r}") from None
    reason = _unusable(address)
    if reason:
        raise ValueError(f"expected an address other hosts can reach, got {value!r}: {reason}")
    return str(address)


def _ip_or_dns_name(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if re.fullmatch(r"[0-9.]+", value) or not _DNS_NAME.match(value):
            raise ValueError(f"expected an IP address or a DNS name, got {value!r}") from None
        return value
    return _ip_address(value)


def _bastion(value: str) -> str:
    """[user@]host[:port], as ssh's ProxyJump takes it; host is a DNS name, IPv4 or [IPv6]."""
    user, _, rest = value.rpartition("@")
    host, port = rest, ""
    if rest.startswith("["):
        host, _, after = rest[1:].partition("]")
        port = after.removeprefix(":") if after.startswith(":") else after
    elif rest.count(":") == 1:
        host, port = rest.split(":")
    valid = (not user or re.fullmatch(USER_PATTERN, user)) and \
        (not port or (port.isdigit() and 1 <= int(port) <= 65535))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        valid = valid and bool(_DNS_NAME.match(host)) and not re.fullmatch(r"[0-9.]+", host)
    if not valid:
        raise ValueError(f"expected [user@]host[:port], got {value!r}")
    return value


def _kubernetes_version(value: str) -> str:
    major, minor, _ = (int(part) for part in value.split("."))
    if (major, minor) < (1, MIN_KUBERNETES_MINOR):
        raise ValueError(f"expected 1.{MIN_KUBERNETES_MINOR}.0 or newer (the kubeadm config is v1beta4), "
                         f"got {value!r}")
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


def _data_dir(value: str) -> str:
    problem = data_dir_problem(value)
    if problem:
        raise ValueError(f"{problem}, got {value!r}")
    return value


VERSION_PATTERN = r"^\d+\.\d+\.\d+$"
# Values below reach Ansible variables (which template '{{'), shells, apt source lines and Ruby: only
# characters that mean nothing to any of them. URLs: no quotes, '$', '{', '#' (an apt comment), spaces.
# How often scheduled backups run: minutes, hours or days (it becomes a systemd timer's period).
PERIOD_PATTERN = r"^[1-9][0-9]{0,3}[mhd]$"
URL_PATTERN = r"^(https?|file)://[A-Za-z0-9._~:/?@&=+,%\[\]-]+$"
# An absolute path other than / itself, of plain path characters (it lands in units and shell commands).
DIRECTORY_PATTERN = r"^(/[A-Za-z0-9_.+-]+)+/?$"
# A file on the tool's machine (key, known_hosts): spaces allowed; no quotes, '%' (ssh tokens), '{', '$'.
LOCAL_FILE_PATTERN = r"^[A-Za-z0-9_.+~/][A-Za-z0-9_.+~/@=, -]*$"
# A Vagrant box: NAME or ORGANISATION/NAME, as Vagrant's registry spells them.
BOX_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$"

Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=NAME_MAX_LENGTH)]
User = Annotated[str, Field(pattern=USER_PATTERN)]
IpAddress = Annotated[str, AfterValidator(_ip_address)]
Port = Annotated[int, Field(ge=1, le=65535)]
Cidr = Annotated[str, AfterValidator(_cidr)]
LocalFile = Annotated[str, Field(pattern=LOCAL_FILE_PATTERN)]


# Literals rather than enums: strict validation accepts the plain strings YAML gives.
Role = Literal["control_plane", "etcd", "load_balancer", "worker"]
ROLES: tuple[Role, ...] = ("control_plane", "etcd", "load_balancer", "worker")
Layout = Literal["stacked", "external"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SshSettings(Strict):
    """How to reach a host. Host-level values override the cluster-level ones key by key."""

    user: User | None = None
    port: Port | None = None
    private_key: LocalFile | None = None
    # File of trusted host keys; host keys are checked strictly unless accept_new_host_keys is set.
    known_hosts: LocalFile | None = None
    accept_new_host_keys: bool | None = None
    become: bool | None = None
    # Jump host as [user@]host[:port], passed to ssh as ProxyJump.
    bastion: Annotated[str, AfterValidator(_bastion)] | None = None


class Endpoint(Strict):
    address: Annotated[str, AfterValidator(_ip_or_dns_name)]
    port: Port = 6443
    load_balancer: Literal["keepalived", "external", "none"] = "keepalived"
    # VRRP router id shared by the load balancers; derived from the cluster name when absent.
    virtual_router_id: Annotated[int, Field(ge=1, le=255)] | None = None
    # Network interface keepalived binds the VIP to on load-balancer hosts.
    interface: Annotated[str, Field(pattern=INTERFACE_PATTERN)] = "eth0"


class EtcdRelease(Strict):
    url: Annotated[str, Field(pattern=URL_PATTERN)]
    sha256: Annotated[str, AfterValidator(_sha256)]


class EtcdBackup(Strict):
    """Scheduled snapshots taken on every member by a systemd timer, the newest `keep` kept."""

    schedule: Annotated[str, Field(pattern=PERIOD_PATTERN)] = "1h"
    keep: Annotated[int, Field(ge=1, le=1000)] = 24
    folder: Annotated[str, Field(pattern=DIRECTORY_PATTERN), AfterValidator(_data_dir)] = "/var/backups/etcd"

    @property
    def period_seconds(self) -> int:
        return int(self.schedule[:-1]) * {"m": 60, "h": 3600, "d": 86400}[self.schedule[-1]]


class Etcd(Strict):
    version: Annotated[str, Field(pattern=VERSION_PATTERN)] = "3.5.16"
    install: Literal["package", "release"] = "package"
    release: EtcdRelease | None = None
    # Safe to chown and chmod 0700 (see data_dir.py): not a system directory, a parent of one, or emptied.
    data_dir: Annotated[str, Field(pattern=DIRECTORY_PATTERN), AfterValidator(_data_dir)] = "/var/lib/etcd"
    heartbeat_interval: Annotated[int, Field(ge=10, le=10000)] = 100
    election_timeout: Annotated[int, Field(ge=50, le=50000)] = 1000
    quota_backend_bytes: Annotated[int, Field(ge=0)] = 2 * 1024**3
    snapshot_count: Annotated[int, Field(ge=1)] = 10000
    auto_compaction_mode: Literal["periodic", "revision"] = "periodic"
    auto_compaction_retention: Annotated[str, Field(pattern=RETENTION_PATTERN)] = "1h"
    metrics_port: Port = 2381
    backup: EtcdBackup | None = None


# A registry host[:port] with an optional path, as image references name it (kubeadm's imageRepository).
IMAGE_REPOSITORY_PATTERN = r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$"


class CniManifest(Strict):
    """Where the hosts download the add-on's manifest; the sha256 defaults to the pinned one, so a
    mirror of the same file needs only its URL."""

    url: Annotated[str, Field(pattern=URL_PATTERN)]
    sha256: Annotated[str, AfterValidator(_sha256)] | None = None


class Kubernetes(Strict):
    install: Literal["kubeadm", "none"] = "kubeadm"
    version: Annotated[str, Field(pattern=VERSION_PATTERN), AfterValidator(_kubernetes_version)] = "1.31.4"
    pod_subnet: Cidr = "10.244.0.0/16"
    service_subnet: Cidr = "10.96.0.0/12"
    # Base of the pkgs.k8s.io-style apt repository; mirrors for air-gapped sites go here.
    package_repository: Annotated[str, Field(pattern=URL_PATTERN)] = "https://pkgs.k8s.io/core:/stable:"
    # Pod network add-on applied after kubeadm init; none leaves it to the user (nodes stay NotReady).
    cni: Literal["flannel", "calico", "none"] = "flannel"
    cni_manifest: CniManifest | None = None
    # kubeadm's imageRepository; add-on images are pulled from it too when it is not the default.
    image_repository: Annotated[str, Field(pattern=IMAGE_REPOSITORY_PATTERN)] = "registry.k8s.io"
    # Secrets encrypted at rest by kube-apiserver with a key generated once into the tree.
    encrypt_secrets: bool = False
    # kube-apiserver writes an audit log (metadata of every request) on the control-plane hosts.
    audit_log: bool = False


class Pki(Strict):
    key_type: Literal["ecdsa-p256", "rsa-2048"] = "ecdsa-p256"


class Resources(Strict):
    cpus: Annotated[int, Field(ge=1, le=64)] = 2
    memory: Annotated[int, Field(ge=512)] = 2048


def _ipv4_network(value: str) -> str:
    network = ipaddress.ip_network(value, strict=True)
    if network.version != 4 or network.prefixlen > 29:
        raise ValueError(f"expected an IPv4 network of at least 8 addresses such as 198.19.255.0/24, got {value!r}")
    return value


class ManagementNetwork(Strict):
    """vagrant-libvirt's network through which Vagrant (and this tool) reach the VMs: DHCP on eth0."""

    name: Name = "provisioner-management"
    # Inside 198.18.0.0/15 (RFC 2544, never routed on the internet); this machine takes its .1.
    address: Annotated[Cidr, AfterValidator(_ipv4_network)] = "198.19.255.0/24"


class Vagrant(Strict):
    box: Annotated[str, Field(pattern=BOX_PATTERN)] = "debian/bookworm64"
    provider: Literal["libvirt", "virtualbox"] = "libvirt"
    management_network: ManagementNetwork = ManagementNetwork()
    # Isolated: libvirt networks without forwarding, so VMs reach this machine but have no route or
    # NAT beyond it. False gives vagrant-libvirt's NAT networks (VMs reach the internet through this machine).
    isolated: bool = True
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
