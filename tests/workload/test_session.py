"""What a Workload decides before it touches a host: where the writer runs, which endpoints it uses,
whether there is an endpoint to probe, and which run ids it accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provisioner.cluster.load import load_topology
from provisioner.render import render
from provisioner.workload import Workload, new_run_id
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(cluster file, build folder) of the stacked lab example."""
    topology, _ = load_topology(EXAMPLES / "lab-stacked" / "cluster.yaml")
    out = tmp_path_factory.mktemp("stacked")
    render(topology, out)
    return EXAMPLES / "lab-stacked" / "cluster.yaml", out


def test_defaults_are_the_first_control_plane_host_and_the_endpoints_its_control_plane_uses(
        rendered: tuple[Path, Path]) -> None:
    cluster_file, out = rendered
    topology, _ = load_topology(cluster_file)
    workload = Workload(topology, out)
    assert workload.writer_host == "cp1"
    # The endpoints kube-apiserver on cp1 is given, read from the rendered kubeadm configuration.
    documents = list(yaml.safe_load_all((out / "hosts" / "cp1" / "kubeadm.yaml").read_text()))
    [cluster_configuration] = [d for d in documents if d["kind"] == "ClusterConfiguration"]
    assert workload.endpoints == cluster_configuration["etcd"]["external"]["endpoints"]
    assert workload.target.address == "198.18.0.11"
    assert workload.probing  # haproxy and keepalived serve the endpoint
    assert workload.prefix == f"/provisioner-workload/{workload.run_id}/"
    assert workload.stop() == []  # never started: nothing to stop, no host contacted


def test_overrides_and_refusals(rendered: tuple[Path, Path]) -> None:
    cluster_file, out = rendered
    topology, _ = load_topology(cluster_file)
    workload = Workload(topology, out, writer_host="cp3", endpoints=["https://198.18.0.12:2379"], run_id="drill-1",
                        probe=False)
    assert (workload.writer_host, workload.endpoints, workload.run_id, workload.probing) == (
        "cp3", ["https://198.18.0.12:2379"], "drill-1", False)
    assert workload.writer_unit == "provisioner-workload-drill-1.service"
    with pytest.raises(ValueError, match="run_id"):
        Workload(topology, out, run_id="../x")
    with pytest.raises(ValueError, match="writer_host 'cp9'"):
        Workload(topology, out, writer_host="cp9")


def test_run_ids_are_unique_and_usable_in_unit_names() -> None:
    first, second = new_run_id(), new_run_id()
    assert first != second
    assert all(character.isalnum() or character == "-" for character in first)
