"""The Kubernetes API, when the cluster file installs it: ready through the endpoint, each API server
reaching etcd and running with the files it reads when it starts, every node Ready."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from provisioner.cluster.ports import APISERVER_PORT
from provisioner.cluster.topology import Topology, url_host
from provisioner.render.placement import KUBE_APISERVER, placements
from provisioner.verify.expect import CannotCheck, expect, listing
from provisioner.verify.fleet import Fleet, Target
from provisioner.verify.probes import kubernetes

ROLE = "kubernetes"


@pytest.fixture
def kubernetes_installed(topology: Topology) -> None:
    if topology.cluster.kubernetes.install != "kubeadm":
        pytest.skip(f"kubernetes.install is {topology.cluster.kubernetes.install}: no API server to ask")


def _kubectl(target: Target, command: str) -> tuple[bool, str]:
    """Whether kubectl succeeded, and its output (stdout, or the last line of its error)."""
    result = target.run(command)
    if result.rc == 127:
        raise CannotCheck("kubectl is not installed on this host", "apply installs it with kubeadm")
    if result.rc == 0:
        return True, result.stdout.strip()
    lines = result.stderr.strip().splitlines()
    return False, lines[-1] if lines else f"kubectl exited with {result.rc}"


def test_api_ready_through_endpoint(kubernetes_installed: None, control_plane_host: Target,
                                    topology: Topology) -> None:
    """From this host, the API answers /readyz through the cluster endpoint (VIP or load balancer)."""
    server = f"https://{topology.control_plane_endpoint}"
    ok, answer = _kubectl(control_plane_host, kubernetes.readyz_command(server))
    expect(ok and answer == "ok", expected=f"ok from {server}/readyz", found=answer,
           hint="the load balancers (haproxy backends, VIP) and the API servers behind them")


def test_api_server_reaches_etcd(kubernetes_installed: None, control_plane_host: Target) -> None:
    """This host's own API server reports its etcd check ok (/readyz/etcd)."""
    server = f"https://{url_host(control_plane_host.address)}:{APISERVER_PORT}"
    ok, answer = _kubectl(control_plane_host, kubernetes.readyz_command(server, "etcd"))
    expect(ok and answer == "ok", expected=f"ok from {server}/readyz/etcd", found=answer,
           hint=f"the kube-apiserver log on {control_plane_host.name} (crictl logs), its etcd client files")


def test_api_server_started_after_its_files_changed(kubernetes_installed: None, control_plane_host: Target,
                                                    topology: Topology) -> None:
    """This host's kube-apiserver started after the files it reads only when it starts last changed (the
    etcd CA and client certificate, the encryption configuration, the audit policy): a missed restart
    shows here, not when the old certificate expires."""
    files = [placement.dest for placement in placements(topology, topology.host(control_plane_host.name))
             if placement.service == KUBE_APISERVER]
    result = control_plane_host.run(kubernetes.process_start_command("kube-apiserver", files))
    expect(result.rc != kubernetes.NOT_RUNNING, expected="a running kube-apiserver", found="none",
           hint=f"crictl ps -a and the kubelet's log on {control_plane_host.name}")
    if result.rc != 0:
        lines = result.stderr.strip().splitlines()
        raise CannotCheck(lines[-1] if lines else f"reading the start time and the files failed ({result.rc})",
                          "the files apply places for kube-apiserver, ps and stat on the host")
    found = kubernetes.started_after(result.stdout)
    expect(not found.changed_since, expected=f"kube-apiserver started after {listing(files)} last changed",
           found=f"it started at {_utc(found.started)}; changed since: "
                 + "; ".join(f"{path} at {_utc(found.changed[path])}" for path in found.changed_since),
           hint="apply restarts it one control-plane host at a time (a restart still pending is "
                "/var/lib/provisioner/pending-restart/kube-apiserver): run apply")


def _utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def test_nodes_ready(kubernetes_installed: None, fleet: Fleet, topology: Topology) -> None:
    """Every control-plane and worker host is a Ready node."""
    asking = next((fleet[h.name] for h in topology.control_plane_hosts if fleet[h.name].unreachable is None), None)
    if asking is None:
        raise CannotCheck("no control-plane host answers SSH", "check the control-plane hosts are up")
    ok, answer = _kubectl(asking, kubernetes.nodes_command())
    expect(ok, expected="the node list", found=answer, hint=f"kubectl get nodes on {asking.name}")
    readiness = kubernetes.node_readiness(asking.run(kubernetes.nodes_command()).stdout)
    wanted = [h.name for h in topology.hosts if {"control_plane", "worker"} & set(topology.roles_of(h))]
    problems = [f"{name}: not a node" if name not in readiness else f"{name}: {readiness[name].reason}"
                for name in wanted if name not in readiness or not readiness[name].ready]
    expect(not problems, expected=f"Ready: {listing(wanted)}", found="; ".join(problems),
           hint="kubectl describe node; the CNI plugin and kubelet logs")
