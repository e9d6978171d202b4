"""haproxy and keepalived on the load-balancer hosts: the API endpoint and the VIP that carries it."""

from __future__ import annotations

import ipaddress

from provisioner import hostpaths
from provisioner.cluster.model import Host
from provisioner.cluster.ports import APISERVER_PORT
from provisioner.cluster.topology import Topology
from provisioner.render.templating import render_template

# The first load balancer is preferred; each next one a step lower, so the order in the file decides.
BASE_PRIORITY = 150
PRIORITY_STEP = 10
# A failing health check drops a host below every healthy peer.
CHECK_WEIGHT = -(PRIORITY_STEP * 10)


def haproxy_config(topology: Topology) -> str:
    return render_template(
        "haproxy.cfg.j2",
        cluster_name=topology.name,
        port=topology.endpoint.port,
        ipv6=_is_ipv6(topology.endpoint.address),
        apiserver_port=APISERVER_PORT,
        backends=[(host.name, host.address) for host in topology.control_plane_hosts],
        backend=hostpaths.HAPROXY_BACKEND,
        stats_socket=hostpaths.HAPROXY_STATS_SOCKET,
    )


def _is_ipv6(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).version == 6
    except ValueError:  # a DNS name: only an external load balancer has one, and haproxy is not ours then
        return False


def keepalived_config(topology: Topology, host: Host) -> str:
    balancers = topology.load_balancer_hosts
    rank = [balancer.name for balancer in balancers].index(host.name)
    return render_template(
        "keepalived.conf.j2",
        cluster_name=topology.name,
        host_name=host.name,
        interface=topology.cluster.endpoint.interface if topology.cluster.endpoint else "eth0",
        virtual_router_id=topology.virtual_router_id,
        priority=BASE_PRIORITY - rank * PRIORITY_STEP,
        check_weight=CHECK_WEIGHT,
        auth_include=hostpaths.KEEPALIVED_AUTH,
        source_address=host.address,
        peers=[balancer.address for balancer in balancers if balancer.name != host.name],
        virtual_ip=topology.endpoint.address,
        check_script=hostpaths.KEEPALIVED_CHECK_SCRIPT,
    )


def keepalived_auth(auth_pass: str) -> str:
    """The `authentication` block's content, included by keepalived.conf."""
    return f"auth_type PASS\nauth_pass {auth_pass}\n"


def keepalived_check_script(topology: Topology) -> str:
    return render_template("check_haproxy.sh.j2", port=topology.endpoint.port, cluster_name=topology.name)
