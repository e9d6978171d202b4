"""haproxy, run for real with the rendered configuration, serves an IPv6 endpoint (and IPv4 beside it,
which keepalived's check uses), and verify's listening check reads the real sockets by address family."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import testinfra

from provisioner import hostpaths
from provisioner.cluster.load import load_topology
from provisioner.render import render
from provisioner.verify.probes import network

pytestmark = pytest.mark.tools

CLUSTER = """\
name: tr-haproxy-v{family}
layout: stacked
endpoint: {{address: "{vip}", port: {port}, load_balancer: keepalived}}
kubernetes: {{install: none, pod_subnet: "{pods}", service_subnet: "{services}"}}
hosts:
  - {{name: cp1, address: "{prefix}11", roles: [control_plane]}}
  - {{name: lb1, address: "{prefix}31", roles: [load_balancer]}}
  - {{name: lb2, address: "{prefix}32", roles: [load_balancer]}}
"""
ADDRESSES = {6: ("fd00:198:18:4::", "fd00:198:18:4::100"), 4: ("198.18.4.", "198.18.4.100")}
SUBNETS = {6: ("fd00:10:244::/56", "fd00:10:96::/112"), 4: ("10.244.0.0/16", "10.96.0.0/12")}


def _free_port() -> int:
    with socket.socket(socket.AF_INET6) as probe:
        probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        probe.bind(("::", 0))
        return int(probe.getsockname()[1])


def _serve(tmp_path: Path, family: int) -> Iterator[tuple[int, str]]:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        pytest.skip("haproxy is not installed (apt-get install -y haproxy)")
    if not Path("/proc/net/if_inet6").exists():
        pytest.skip("this machine has IPv6 disabled")
    port = _free_port()
    prefix, vip = ADDRESSES[family]
    cluster_file = tmp_path / "cluster.yaml"
    pods, services = SUBNETS[family]
    cluster_file.write_text(CLUSTER.format(family=family, vip=vip, port=port, prefix=prefix, pods=pods,
                                           services=services))
    topology, _ = load_topology(cluster_file)
    out = render(topology, tmp_path / "build").out
    config = tmp_path / "haproxy.cfg"
    # Only the runtime API's socket moves: /run/haproxy belongs to the host's own haproxy.
    config.write_text((out / "hosts/lb1/haproxy.cfg").read_text().replace(hostpaths.HAPROXY_STATS_SOCKET,
                                                                           str(tmp_path / "admin.sock")))
    process = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        yield port, vip
    finally:
        process.terminate()
        process.wait(timeout=10)


def _connects(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket(family) as client:
            client.settimeout(2)
            if client.connect_ex((address, port)) == 0:
                return True
        time.sleep(0.1)
    return False


def _sockets() -> list[str]:
    sockets: list[str] = testinfra.get_host("local://").socket.get_listening_sockets()
    return sockets


@pytest.fixture
def ipv6_endpoint(tmp_path: Path) -> Iterator[tuple[int, str]]:
    yield from _serve(tmp_path, 6)


@pytest.fixture
def ipv4_endpoint(tmp_path: Path) -> Iterator[tuple[int, str]]:
    yield from _serve(tmp_path, 4)


def test_an_ipv6_endpoint_is_served_over_ipv6_and_ipv4_and_verify_sees_it(ipv6_endpoint: tuple[int, str]) -> None:
    port, vip = ipv6_endpoint
    assert _connects("::1", port), "haproxy does not accept IPv6 connections on the endpoint port"
    assert _connects("127.0.0.1", port), "keepalived's check (IPv4 loopback) would fail"
    assert network.listens_on(_sockets(), vip, port)
    assert network.listens_on(_sockets(), "198.18.4.100", port)


def test_an_ipv4_endpoint_is_not_taken_for_an_ipv6_one(ipv4_endpoint: tuple[int, str]) -> None:
    port, vip = ipv4_endpoint
    assert _connects("127.0.0.1", port)
    sockets = _sockets()
    assert network.listens_on(sockets, vip, port)
    assert not network.listens_on(sockets, "fd00:198:18:4::100", port), [s for s in sockets if str(port) in s]
