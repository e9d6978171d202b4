"""Rules that span several fields of a well-typed cluster file (layout, roles, endpoint, ports)."""

from __future__ import annotations

import ipaddress
from collections import Counter

from provisioner.cluster.availability import etcd_tolerated_losses
from provisioner.cluster.data_dir import is_within
from provisioner.cluster.kubernetes_rules import kubernetes_problems
from provisioner.cluster.model import ClusterFile
from provisioner.cluster.ports import APISERVER_PORT, clashes, listeners
from provisioner.cluster.positions import Path, Positions
from provisioner.cluster.topology import roles_played
from provisioner.errors import Problem
from provisioner.inventory_names import RESERVED_HOST_NAMES

MAX_RECOMMENDED_ETCD_MEMBERS = 7


class _Report:
    def __init__(self, positions: Positions, shown: str) -> None:
        self.positions = positions
        self.shown = shown
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: Path, message: str) -> None:
        self.errors.append(Problem(self.shown, self.positions.field(path), message, self.positions.line(path)))

    def warn(self, path: Path, message: str) -> None:
        self.warnings.append(Problem(self.shown, self.positions.field(path), message, self.positions.line(path)))


def check_cluster(cluster: ClusterFile, positions: Positions, shown: str) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) for rules no single field can express."""
    report = _Report(positions, shown)
    _check_hosts(cluster, report)
    _check_layout(cluster, report)
    _check_endpoint(cluster, report)
    _check_etcd(cluster, report)
    _check_ports(cluster, report)
    _check_address_families(cluster, report)
    _check_kubernetes(cluster, report)
    return report.errors, report.warnings


def _check_hosts(cluster: ClusterFile, report: _Report) -> None:
    first_with: dict[tuple[str, str], int] = {}
    for index, host in enumerate(cluster.hosts):
        if host.name in RESERVED_HOST_NAMES:
            report.error(("hosts", index, "name"), f"expected a name the Ansible inventory does not use itself "
                                                   f"({', '.join(RESERVED_HOST_NAMES)}), got {host.name!r}")
        for key, value in (("name", host.name), ("address", host.address)):
            if (key, value) in first_with:
                first = report.positions.field(("hosts", first_with[key, value]))
                report.error(("hosts", index, key), f"{value!r} is already used by {first}")
            else:
                first_with[key, value] = index
        for role, count in Counter(host.roles).items():
            if count > 1:
                report.error(("hosts", index, "roles"), f"role {role!r} is listed more than once")
    if not any("control_plane" in host.roles for host in cluster.hosts):
        report.error(("hosts",), "expected at least one host with role control_plane")


def _check_layout(cluster: ClusterFile, report: _Report) -> None:
    etcd_count = 0
    for index, host in enumerate(cluster.hosts):
        roles = set(host.roles)
        if cluster.layout == "stacked":
            etcd_count += "control_plane" in roles
            if "etcd" in roles and "control_plane" not in roles:
                report.error(("hosts", index, "roles"),
                             "in the stacked layout etcd runs on control-plane hosts: add control_plane "
                             "or use layout: external")
        else:
            etcd_count += "etcd" in roles
            if {"etcd", "control_plane"} <= roles:
                report.error(("hosts", index, "roles"),
                             "in the external layout etcd hosts and control-plane hosts must be different "
                             "hosts: remove etcd or control_plane")
            if {"etcd", "load_balancer"} <= roles:
                report.error(("hosts", index, "roles"),
                             "in the external layout etcd hosts are dedicated: remove load_balancer")
    if cluster.layout == "external" and etcd_count == 0:
        report.error(("hosts",), "the external layout needs hosts with role etcd (found none)")
    elif etcd_count == 1:
        report.warn(("hosts",), "a single etcd member: losing its host stops the API, and the cluster's data has "
                                "no second copy; 3 members survive the loss of one")
    elif etcd_count % 2 == 0:
        survived = etcd_tolerated_losses(etcd_count)
        report.warn(("hosts",), f"{etcd_count} etcd members survive {survived} host loss{'es' if survived > 1 else ''}"
                                f", as {etcd_count - 1} would, with one more host that can fail; use an odd number "
                                "(3 or 5)")
    if etcd_count > MAX_RECOMMENDED_ETCD_MEMBERS:
        report.warn(("hosts",), f"{etcd_count} etcd members: more than {MAX_RECOMMENDED_ETCD_MEMBERS} slows "
                                "every write; 5 is the usual production size")


def _check_endpoint(cluster: ClusterFile, report: _Report) -> None:
    control_planes = [host for host in cluster.hosts if "control_plane" in host.roles]
    balancer_indexes = [i for i, host in enumerate(cluster.hosts) if "load_balancer" in host.roles]
    endpoint = cluster.endpoint
    if endpoint is None:
        if len(control_planes) > 1:
            report.error(("endpoint",), f"{len(control_planes)} control-plane hosts need an endpoint "
                                        "(address, port, load_balancer) that reaches all of them")
        if balancer_indexes:
            report.error(("endpoint",), "hosts with role load_balancer need endpoint.load_balancer: keepalived")
        return
    if endpoint.load_balancer == "none":
        _check_direct_endpoint(cluster, report)
    if endpoint.load_balancer == "none" and len(control_planes) > 1:
        report.warn(("endpoint", "load_balancer"), f"none with {len(control_planes)} control-plane hosts: clients "
                                                   "reach only endpoint.address, so losing that host stops the API; "
                                                   "keepalived or external spreads them over every control-plane host")
    if endpoint.load_balancer == "keepalived":
        _check_virtual_ip(cluster, report)
        if not balancer_indexes:
            report.error(("endpoint", "load_balancer"),
                         "keepalived needs at least one host with role load_balancer (found none)")
        elif len(balancer_indexes) == 1:
            report.warn(("endpoint", "load_balancer"), "a single load_balancer host: losing it takes the endpoint "
                                                       "down for every client; 2 survive the loss of one")
    else:
        for index in balancer_indexes:
            report.error(("hosts", index, "roles"),
                         f"role load_balancer is only used with endpoint.load_balancer: keepalived "
                         f"(found {endpoint.load_balancer!r})")


def _check_direct_endpoint(cluster: ClusterFile, report: _Report) -> None:
    """Without a load balancer, clients reach a kube-apiserver directly: the endpoint is one of them."""
    assert cluster.endpoint is not None
    address, port = cluster.endpoint.address, cluster.endpoint.port
    if _family(address) is None:
        return  # a DNS name: where it points is the operator's to keep right
    if not any(host.address == address and "control_plane" in host.roles for host in cluster.hosts):
        report.error(("endpoint", "address"), "expected the address of a control-plane host (with load_balancer: "
                                              f"none clients reach a kube-apiserver directly), got {address!r}")
    if port != APISERVER_PORT:
        report.error(("endpoint", "port"), f"expected {APISERVER_PORT}, the kube-apiserver's port (with "
                                           f"load_balancer: none clients reach it directly), got {port}")


def _check_virtual_ip(cluster: ClusterFile, report: _Report) -> None:
    assert cluster.endpoint is not None
    address = cluster.endpoint.address
    try:
        ipaddress.ip_address(address)
    except ValueError:
        report.error(("endpoint", "address"), f"keepalived holds an IP address (the VIP), got the name {address!r}")
        return
    for index, host in enumerate(cluster.hosts):
        if host.address == address:
            holder = report.positions.field(("hosts", index))
            report.error(("endpoint", "address"), f"the VIP {address} must be a free address, but {holder} has it")


def _check_etcd(cluster: ClusterFile, report: _Report) -> None:
    etcd = cluster.etcd
    if etcd.install == "release" and etcd.release is None:
        report.error(("etcd", "release"), "install: release needs release.url and release.sha256")
    if etcd.install == "package" and etcd.release is not None:
        report.error(("etcd", "release"), "release is only used with install: release")
    if etcd.election_timeout < 5 * etcd.heartbeat_interval:
        report.error(("etcd", "election_timeout"),
                     f"expected at least 5 x heartbeat_interval ({5 * etcd.heartbeat_interval}), "
                     f"got {etcd.election_timeout}")
    if etcd.backup is not None and (is_within(etcd.backup.folder, etcd.data_dir)
                                    or is_within(etcd.data_dir, etcd.backup.folder)):
        report.error(("etcd", "backup", "folder"), f"expected a folder outside etcd.data_dir ({etcd.data_dir}), "
                                                   f"got {etcd.backup.folder!r}")


def _check_ports(cluster: ClusterFile, report: _Report) -> None:
    """A port the file sets must be free on every host that listens on it: one line per key and clash."""
    hosts_by_clash: dict[tuple[tuple[str, ...], int, str], list[str]] = {}
    for host in cluster.hosts:
        for listener, others in clashes(listeners(cluster, roles_played(cluster.layout, host.roles))):
            assert listener.key is not None
            users = " and ".join(other.service for other in others)
            hosts_by_clash.setdefault((listener.key, listener.port, users), []).append(host.name)
    for (key, port, users), hosts in hosts_by_clash.items():
        report.error(key, f"expected a port that is free on {', '.join(hosts)}, got {port}, which {users} "
                          f"{'use' if ' and ' in users else 'uses'} there")


def _family(address: str) -> str | None:
    try:
        return f"IPv{ipaddress.ip_address(address).version}"
    except ValueError:
        return None  # a DNS name


def _check_address_families(cluster: ClusterFile, report: _Report) -> None:
    """One address family for the whole cluster: each host has one address in the file, so a host of
    the other family could not reach etcd peers, backends or the VIP; kube-apiserver also refuses a
    service subnet of another family than the address it advertises."""
    family = _family(cluster.hosts[0].address)
    first = report.positions.field(("hosts", 0))
    for index, host in enumerate(cluster.hosts[1:], start=1):
        if _family(host.address) != family:
            report.error(("hosts", index, "address"), f"expected an {family} address, as {first} has (one "
                                                      f"address family per cluster), got {host.address!r}")
    endpoint = cluster.endpoint
    # An external load balancer may well translate between families; with `none` the endpoint is a host.
    if endpoint is not None and endpoint.load_balancer == "keepalived" and \
            _family(endpoint.address) not in (None, family):
        report.error(("endpoint", "address"), f"expected an {family} address like the hosts (the VIP on the load "
                                              f"balancers), got {endpoint.address!r}")
    kubernetes = cluster.kubernetes
    for key, subnet in (("service_subnet", kubernetes.service_subnet), ("pod_subnet", kubernetes.pod_subnet)):
        if f"IPv{ipaddress.ip_network(subnet).version}" != family:
            report.error(("kubernetes", key), f"expected an {family} network like the hosts' addresses, got {subnet!r}")


def _check_kubernetes(cluster: ClusterFile, report: _Report) -> None:
    pods = ipaddress.ip_network(cluster.kubernetes.pod_subnet)
    services = ipaddress.ip_network(cluster.kubernetes.service_subnet)
    if pods.version == services.version and pods.overlaps(services):
        report.error(("kubernetes", "service_subnet"), f"overlaps pod_subnet {pods}")
    for problem in kubernetes_problems(cluster.kubernetes):
        report.error(("kubernetes", problem.key), problem.message)
