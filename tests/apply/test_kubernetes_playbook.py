"""The Kubernetes phase cannot run here (no Kubernetes packages are reachable), so what it is given is
tested instead: its variables, and the kubeadm configuration it writes from the rendered one with the
join token and certificate key added as data, run for real against this machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.cluster.load import load_topology
from provisioner.render import render
from tests.apply.local_ansible import run_local
from tests.conftest import EXAMPLES

TOKEN = "abcdef.0123456789abcdef"
CERTIFICATE_KEY = "f" * 64


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kubeadm")
    data = yaml.safe_load((EXAMPLES / "servers-example/cluster.yaml").read_text())
    # One worker of our own, whatever the example lists.
    data["hosts"] = [host for host in data["hosts"] if host["roles"] != ["worker"]]
    data["hosts"].append({"name": "w1", "address": "10.20.0.241", "roles": ["worker"]})
    (folder / "cluster.yaml").write_text(yaml.safe_dump(data))
    topology, _ = load_topology(folder / "cluster.yaml")
    return render(topology, folder / "build").out


@pytest.fixture(scope="module")
def written(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    if os.geteuid() != 0:
        pytest.skip("the task writes a root-owned file: run as root")
    folder = tmp_path_factory.mktemp("runtime")
    play = {"name": "Write runtime kubeadm configurations", "hosts": "cp1:cp2:w1", "gather_facts": False,
            "tasks": [{"name": "Write", "ansible.builtin.import_role": {"name": "kubernetes",
                                                                        "tasks_from": "runtime_config"}}]}
    outcome = run_local(folder, [play], groups={"control_plane": ["cp1", "cp2"], "worker": ["w1"]}, extravars={
        "provisioner_tree": str(tree),
        "kubernetes_runtime_config": str(folder / "{{ inventory_hostname }}.yaml"),
        "kubernetes_token": TOKEN,
        "kubernetes_certificate_key": CERTIFICATE_KEY,
    })
    assert outcome.status == "successful", [failure.reason for failure in outcome.failures]
    # The test hands the token in as an extra variable; the task itself must not show it.
    for path in (folder / "run/artifacts").rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(errors="replace"), f"the join token leaked into {path}"
    return {host: list(yaml.safe_load_all((folder / f"{host}.yaml").read_text())) for host in ("cp1", "cp2", "w1")}


def _kinds(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {document["kind"]: document for document in documents}


def test_a_control_plane_host_gets_init_with_the_key_and_token_and_join_with_both(
        written: dict[str, list[dict[str, Any]]], tree: Path) -> None:
    rendered = _kinds(list(yaml.safe_load_all((tree / "hosts/cp1/kubeadm.yaml").read_text())))
    documents = _kinds(written["cp1"])
    assert list(documents) == ["InitConfiguration", "ClusterConfiguration", "JoinConfiguration"]
    init = documents["InitConfiguration"]
    assert init["certificateKey"] == CERTIFICATE_KEY
    assert init["bootstrapTokens"] == [{"token": TOKEN, "ttl": "2h0m0s"}]
    assert init["localAPIEndpoint"] == rendered["InitConfiguration"]["localAPIEndpoint"]
    assert documents["ClusterConfiguration"] == rendered["ClusterConfiguration"]
    join = documents["JoinConfiguration"]
    assert join["controlPlane"]["certificateKey"] == CERTIFICATE_KEY
    assert join["controlPlane"]["localAPIEndpoint"] == rendered["JoinConfiguration"]["controlPlane"]["localAPIEndpoint"]
    assert join["discovery"]["bootstrapToken"]["token"] == TOKEN
    assert join["discovery"]["bootstrapToken"]["caCertHashes"] == \
        rendered["JoinConfiguration"]["discovery"]["bootstrapToken"]["caCertHashes"]


def test_each_host_keeps_its_own_rendered_settings(written: dict[str, list[dict[str, Any]]]) -> None:
    assert _kinds(written["cp2"])["JoinConfiguration"]["nodeRegistration"]["name"] == "cp2"


def test_a_worker_gets_join_with_the_token_and_no_control_plane_section(
        written: dict[str, list[dict[str, Any]]]) -> None:
    (join,) = written["w1"]
    assert join["kind"] == "JoinConfiguration"
    assert join["discovery"]["bootstrapToken"]["token"] == TOKEN
    assert "controlPlane" not in join
