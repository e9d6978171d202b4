"""The layout the cluster file asks for: stacked puts an etcd member on every control-plane host;
external keeps etcd and the control plane on separate hosts."""

from __future__ import annotations

import pytest

from provisioner.cluster.ports import APISERVER_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT
from provisioner.verify import facts
from provisioner.verify.expect import expect, listing
from provisioner.verify.fleet import Target
from provisioner.verify.probes import network

ROLE = "layout"
_CONTROL_PLANE_UNITS = ("kubelet", "haproxy", "keepalived")


@pytest.mark.layout("stacked")
def test_control_plane_host_runs_an_etcd_member(control_plane_host: Target) -> None:
    """Stacked: this control-plane host runs etcd and serves its client port."""
    state = facts.unit_states(control_plane_host, ["etcd"])["etcd"]
    sockets = facts.listening_sockets(control_plane_host)
    serving = network.listens_on(sockets, control_plane_host.address, ETCD_CLIENT_PORT)
    expect(state.running and serving, expected=f"etcd active, listening on {control_plane_host.address}:2379",
           found=f"etcd {state.active}, port 2379 " + ("open" if serving else "closed"),
           hint=f"journalctl -u etcd on {control_plane_host.name}")


@pytest.mark.layout("external")
def test_control_plane_host_runs_no_etcd(control_plane_host: Target) -> None:
    """External: no etcd runs on this control-plane host and nothing listens on the etcd ports."""
    state = facts.unit_states(control_plane_host, ["etcd"])["etcd"]
    sockets = facts.listening_sockets(control_plane_host)
    ports = network.tcp_ports(sockets, ETCD_CLIENT_PORT) + network.tcp_ports(sockets, ETCD_PEER_PORT)
    expect(not state.running and not ports, expected="etcd inactive, ports 2379 and 2380 closed",
           found=f"etcd {state.active}; listening on {listing(ports)}",
           hint=f"systemctl disable --now etcd on {control_plane_host.name}: etcd belongs on the etcd hosts")


@pytest.mark.layout("external")
def test_etcd_host_runs_only_etcd(etcd_host: Target) -> None:
    """External: this etcd host runs no control-plane or load-balancer service."""
    states = facts.unit_states(etcd_host, _CONTROL_PLANE_UNITS)
    running = [unit for unit, state in states.items() if state.running]
    apiserver = etcd_host.run("pgrep -x kube-apiserver").rc == 0
    ports = network.tcp_ports(facts.listening_sockets(etcd_host), APISERVER_PORT)
    found = running + (["kube-apiserver"] if apiserver else []) + [f"port {p}" for p in ports]
    expect(not found, expected=f"none of {', '.join(_CONTROL_PLANE_UNITS)}, kube-apiserver, port 6443",
           found=listing(found), hint=f"stop and disable them on {etcd_host.name}")
