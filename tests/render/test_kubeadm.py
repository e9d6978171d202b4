"""The kubeadm configuration: valid v1beta4 documents wired to the tool's etcd and endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provisioner import hostpaths
from provisioner.cluster.load import load_topology
from provisioner.render import render
from provisioner.render.kubeadm import ca_cert_hash
from tests.conftest import EXAMPLES
from tests.render.kubeadm_v1beta4 import SCHEMAS


@pytest.fixture(scope="module", params=["lab-stacked", "lab-external", "servers-example"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    topology, _ = load_topology(EXAMPLES / request.param / "cluster.yaml")
    out = tmp_path_factory.mktemp(request.param)
    render(topology, out)
    return request.param, out


def _documents(path: Path) -> dict[str, dict[str, object]]:
    documents = list(yaml.safe_load_all(path.read_text()))
    kinds = [str(document["kind"]) for document in documents]
    assert len(kinds) == len(set(kinds)), f"{path}: a kind appears twice"
    for document in documents:
        SCHEMAS[str(document["kind"])].model_validate(document)
    return {str(document["kind"]): document for document in documents}


def test_every_control_plane_config_is_valid_and_uses_the_tool_s_etcd(rendered: tuple[str, Path]) -> None:
    name, out = rendered
    topology, _ = load_topology(EXAMPLES / name / "cluster.yaml")
    expected_endpoints = [f"https://{host.address}:2379" for host in topology.etcd_hosts]
    for host in topology.control_plane_hosts:
        documents = _documents(out / "hosts" / host.name / "kubeadm.yaml")
        assert set(documents) == {"InitConfiguration", "ClusterConfiguration", "JoinConfiguration"}
        cluster = documents["ClusterConfiguration"]
        assert cluster["etcd"] == {"external": {
            "endpoints": expected_endpoints,
            "caFile": hostpaths.KUBE_ETCD_CA,
            "certFile": hostpaths.APISERVER_ETCD_CLIENT_CERT,
            "keyFile": hostpaths.APISERVER_ETCD_CLIENT_KEY,
        }}
        assert cluster["controlPlaneEndpoint"] == f"{topology.endpoint.address}:{topology.endpoint.port}"
        init, join = documents["InitConfiguration"], documents["JoinConfiguration"]
        assert init["localAPIEndpoint"] == {"advertiseAddress": host.address, "bindPort": 6443}
        assert join["controlPlane"] == {"localAPIEndpoint": {"advertiseAddress": host.address, "bindPort": 6443}}
        discovery = join["discovery"]["bootstrapToken"]  # type: ignore[index]
        assert discovery["caCertHashes"] == [ca_cert_hash(out / "pki/kubernetes/ca.crt")]
        assert "token" not in discovery and "certificateKey" not in join["controlPlane"], \
            "expiring secrets are added by apply, never rendered"


def test_workers_get_a_join_configuration_only(tmp_path: Path) -> None:
    # Only servers-example has workers; the lab examples would check nothing.
    topology, _ = load_topology(EXAMPLES / "servers-example" / "cluster.yaml")
    assert topology.worker_hosts, "servers-example lost its workers"
    out = render(topology, tmp_path / "out").out
    for host in topology.worker_hosts:
        documents = _documents(out / "hosts" / host.name / "kubeadm.yaml")
        assert set(documents) == {"JoinConfiguration"}
        assert "controlPlane" not in documents["JoinConfiguration"]


def test_the_discovery_hash_is_the_sha256_of_the_ca_public_key(rendered: tuple[str, Path]) -> None:
    import subprocess

    _, out = rendered
    ca = out / "pki/kubernetes/ca.crt"
    # The kubeadm documentation's own recipe for the hash, run with the real openssl.
    recipe = (f"openssl x509 -pubkey -in {ca} | openssl pkey -pubin -outform der 2>/dev/null "
              "| openssl dgst -sha256 -hex | sed 's/^.* //'")
    digest = subprocess.run(["sh", "-c", recipe], capture_output=True, text=True, check=True).stdout.strip()
    assert ca_cert_hash(ca) == f"sha256:{digest}"
