"""The Kubernetes checks, which the lab cannot run (no Kubernetes there): what they would run on which
host, how they judge the answers, and that they are skipped with the reason when nothing is installed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from provisioner.cluster.topology import Topology
from provisioner.verify.results import CLUSTER, Outcome
from provisioner.verify.session import run_plugin
from tests.verify.fakes import Answer, FakeFleet, example_topology

NODES_READY = {"items": [{"metadata": {"name": name}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
                         for name in ("cp1", "cp2", "cp3")]}


STARTED = 1_800_000_000
# The lab-stacked example encrypts Secrets and keeps an audit log.
API_SERVER_FILES = ("/etc/kubernetes/pki/etcd/ca.crt", "/etc/kubernetes/pki/apiserver-etcd-client.crt",
                    "/etc/kubernetes/pki/apiserver-etcd-client.key", "/etc/kubernetes/encryption/config.yaml",
                    "/etc/kubernetes/audit/policy.yaml")


def _api(broken_etcd_on: str = "", nodes: Mapping[str, object] = NODES_READY, stale_on: str = "",
         stopped_on: str = "") -> object:
    def script(host: str, command: str) -> Answer | None:
        if command.startswith("pid=$(pgrep --exact --oldest kube-apiserver)"):
            if host == stopped_on:
                return 3, "", ""
            # The client certificate (and its key) placed a minute after the API server started on `stale_on`.
            changed = {path: STARTED + 60 if host == stale_on and "client" in path else STARTED - 3600
                       for path in API_SERVER_FILES}
            return 0, f"started {STARTED}\n" + "".join(f"{when} {path}\n" for path, when in changed.items()), ""
        if "--raw=/readyz/etcd" in command:
            if host == broken_etcd_on:
                return 1, "", "Error from server (InternalError): [-]etcd failed: reason withheld"
            return 0, "ok", ""
        if "--raw=/readyz" in command:
            return 0, "ok\n", ""
        if "get nodes" in command:
            return 0, json.dumps(nodes), ""
        return None
    return script


@pytest.fixture
def installed(tmp_path: Path) -> Topology:
    return example_topology("lab-stacked", tmp_path, kubernetes={"install": "kubeadm"})


def test_with_kubeadm_every_control_plane_host_asks_through_the_endpoint_and_its_own_api_server(
        installed: Topology) -> None:
    fleet = FakeFleet(installed, _api())  # type: ignore[arg-type]
    results, problems = run_plugin(installed, fleet.as_fleet(), ["test_kubernetes.py"])
    assert problems == []
    assert {(r.host, r.check, r.outcome) for r in results} == {
        *((host, check, Outcome.PASSED) for host in ("cp1", "cp2", "cp3")
          for check in ("api_ready_through_endpoint", "api_server_reaches_etcd",
                        "api_server_started_after_its_files_changed")),
        (CLUSTER, "nodes_ready", Outcome.PASSED)}
    cp2 = fleet.commands("cp2")
    assert ("kubectl --kubeconfig=/etc/kubernetes/admin.conf --request-timeout=5s "
            "--server=https://198.18.0.100:6443 get --raw=/readyz") in cp2
    assert ("kubectl --kubeconfig=/etc/kubernetes/admin.conf --request-timeout=5s "
            "--server=https://198.18.0.12:6443 get --raw=/readyz/etcd") in cp2
    assert "kubectl --kubeconfig=/etc/kubernetes/admin.conf --request-timeout=5s get nodes --output=json" in \
        fleet.commands("cp1")
    assert ("pid=$(pgrep --exact --oldest kube-apiserver) || exit 3; "
            "echo \"started $(( $(date +%s) - $(ps -o etimes= -p \"$pid\") ))\"; "
            f"stat --format='%Y %n' -- {' '.join(API_SERVER_FILES)}") in cp2
    assert fleet.commands("lb1") == []


def test_an_api_server_without_etcd_fails_on_its_host(installed: Topology) -> None:
    fleet = FakeFleet(installed, _api(broken_etcd_on="cp2"))  # type: ignore[arg-type]
    results, _ = run_plugin(installed, fleet.as_fleet(), ["test_kubernetes.py"])
    [failed] = [r for r in results if r.outcome != Outcome.PASSED]
    assert (failed.host, failed.check, failed.outcome) == ("cp2", "api_server_reaches_etcd", Outcome.FAILED)
    assert failed.expected == "ok from https://198.18.0.12:6443/readyz/etcd"
    assert "etcd failed" in failed.found


def test_a_node_that_is_not_ready_or_missing_is_named(installed: Topology) -> None:
    nodes = {"items": [NODES_READY["items"][0],
                       {"metadata": {"name": "cp2"}, "status": {"conditions": [
                           {"type": "Ready", "status": "False", "reason": "KubeletNotReady"}]}}]}
    fleet = FakeFleet(installed, _api(nodes=nodes))  # type: ignore[arg-type]
    results, _ = run_plugin(installed, fleet.as_fleet(), ["test_kubernetes.py"])
    [failed] = [r for r in results if r.outcome != Outcome.PASSED]
    assert failed.check == "nodes_ready"
    assert failed.found == "cp2: KubeletNotReady; cp3: not a node"


def test_without_kubernetes_the_checks_exist_but_are_skipped_with_the_reason(tmp_path: Path) -> None:
    topology = example_topology("lab-stacked", tmp_path, kubernetes={"install": "none"})
    fleet = FakeFleet(topology, lambda host, command: None)
    results, problems = run_plugin(topology, fleet.as_fleet(), ["test_kubernetes.py"])
    assert problems == []
    assert {r.check for r in results} == {"api_ready_through_endpoint", "api_server_reaches_etcd",
                                          "api_server_started_after_its_files_changed", "nodes_ready"}
    assert {(r.outcome, r.found) for r in results} == {
        (Outcome.SKIPPED, "kubernetes.install is none: no API server to ask")}
    assert all(fleet.commands(host.name) == [] for host in topology.hosts)


def test_an_api_server_older_than_its_etcd_client_certificate_fails_naming_the_files(installed: Topology) -> None:
    fleet = FakeFleet(installed, _api(stale_on="cp3", stopped_on="cp1"))  # type: ignore[arg-type]
    results, _ = run_plugin(installed, fleet.as_fleet(), ["test_kubernetes.py"])
    failed = {r.host: r for r in results if r.outcome != Outcome.PASSED}
    assert {(r.host, r.check, r.outcome) for r in failed.values()} == {
        ("cp1", "api_server_started_after_its_files_changed", Outcome.FAILED),
        ("cp3", "api_server_started_after_its_files_changed", Outcome.FAILED)}
    assert (failed["cp1"].expected, failed["cp1"].found) == ("a running kube-apiserver", "none")
    assert failed["cp3"].found == (
        "it started at 2027-01-15 08:00:00 UTC; changed since: "
        "/etc/kubernetes/pki/apiserver-etcd-client.crt at 2027-01-15 08:01:00 UTC; "
        "/etc/kubernetes/pki/apiserver-etcd-client.key at 2027-01-15 08:01:00 UTC")
    assert "pending-restart/kube-apiserver" in failed["cp3"].hint
