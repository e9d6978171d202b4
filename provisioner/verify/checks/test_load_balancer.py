"""The load balancers: haproxy and keepalived running, the endpoint port open, haproxy sending to
every control-plane host, and the VIP held by exactly one of them."""

from __future__ import annotations

import pytest

from provisioner import hostpaths
from provisioner.cluster.ports import APISERVER_PORT
from provisioner.cluster.topology import Topology
from provisioner.verify import facts
from provisioner.verify.expect import CannotCheck, expect, listing
from provisioner.verify.fleet import Fleet, Target
from provisioner.verify.probes import haproxy, network

ROLE = "load_balancer"


def _service_active_and_enabled(target: Target, unit: str, hint: str) -> None:
    __tracebackhide__ = True
    state = facts.unit_states(target, [unit])[unit]
    expect(state.running and state.enabled == "enabled", expected="active, enabled", found=state.describe(),
           hint=hint)


def test_haproxy_active_and_enabled(load_balancer_host: Target) -> None:
    """haproxy runs now and starts again at boot."""
    _service_active_and_enabled(load_balancer_host, "haproxy",
                                f"journalctl -u haproxy on {load_balancer_host.name}; haproxy -c -f "
                                f"{hostpaths.HAPROXY_CONFIG}")


def test_keepalived_active_and_enabled(load_balancer_host: Target) -> None:
    """keepalived runs now and starts again at boot."""
    _service_active_and_enabled(load_balancer_host, "keepalived",
                                f"journalctl -u keepalived on {load_balancer_host.name}; keepalived -t")


def test_endpoint_port_listening(load_balancer_host: Target, topology: Topology) -> None:
    """haproxy accepts connections on the endpoint port, on the VIP whichever host holds it."""
    port = topology.endpoint.port
    sockets = facts.listening_sockets(load_balancer_host)
    expect(network.listens_on(sockets, topology.endpoint.address, port),
           expected=f"listening on {topology.endpoint.address}:{port} or every address",
           found=f"listening on {listing(network.tcp_ports(sockets, port))}",
           hint=f"the frontend bind line in {hostpaths.HAPROXY_CONFIG}")


def test_backends_are_every_control_plane_host(load_balancer_host: Target, topology: Topology) -> None:
    """The running haproxy (its stats socket, not its config file) sends to every control-plane host."""
    result = load_balancer_host.run(haproxy.servers_state_command())
    if result.rc != 0:
        raise CannotCheck(f"no answer from {haproxy.STATS_SOCKET}: {result.stderr.strip()[-200:]}",
                          f"the stats socket line in {hostpaths.HAPROXY_CONFIG}; is haproxy running?")
    found = {f"{s.name}={s.address}:{s.port}" for s in haproxy.servers(result.stdout)}
    expected = {f"{h.name}={h.address}:{APISERVER_PORT}" for h in topology.control_plane_hosts}
    missing, extra = expected - found, found - expected
    differences = ([f"missing {listing(missing)}"] if missing else []) + (
        [f"unexpected {listing(extra)}"] if extra else [])
    expect(not differences, expected=listing(expected), found="; ".join(differences),
           hint=f"backend {haproxy.BACKEND} in {hostpaths.HAPROXY_CONFIG} on {load_balancer_host.name}; "
                "apply restores it and reloads haproxy")


def test_vip_on_exactly_one_load_balancer(fleet: Fleet, topology: Topology) -> None:
    """The endpoint address is held by one load balancer, never by none or by two (split brain)."""
    if not topology.load_balancer_hosts:
        pytest.skip(f"endpoint.load_balancer is {topology.endpoint.load_balancer}: no VIP held by our hosts")
    vip = topology.endpoint.address
    holders, unknown = [], []
    for host in topology.load_balancer_hosts:
        target = fleet[host.name]
        if target.unreachable is not None:
            unknown.append(host.name)
        elif vip in network.addresses(target.run(network.ADDRESSES_COMMAND).stdout):
            holders.append(host.name)
    found = f"held by {listing(holders)}" + (f"; {listing(unknown)} not reachable" if unknown else "")
    expect(len(holders) == 1 and not unknown, expected=f"{vip} on exactly one load balancer", found=found,
           hint="journalctl -u keepalived on the load balancers; VRRP between them (virtual_router_id, "
                "auth, unicast peers)")
