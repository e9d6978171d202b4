"""Every Kubernetes object render writes is valid: API objects against the upstream OpenAPI schemas
(kubernetes-validate), the API server's own configuration files against the strict schemas of their
reference documentation (no published schema covers them), and all of them wired to the cluster file."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import Registry, Resource, schema_contents

from provisioner import hostpaths
from provisioner.cluster.load import load_topology
from provisioner.kubernetes.addons import CALICO, FLANNEL
from provisioner.render import render
from tests.conftest import EXAMPLES
from tests.render.apiserver_config_v1 import AuditPolicy, EncryptionConfiguration
from tests.render.kubeadm_v1beta4 import SCHEMAS

VERSION = "1.31.4"


def _render(tmp_path: Path, **kubernetes: Any) -> Path:
    data = yaml.safe_load((EXAMPLES / "servers-example" / "cluster.yaml").read_text())
    data["kubernetes"] = {"version": VERSION, **kubernetes}
    (tmp_path / "cluster.yaml").write_text(yaml.safe_dump(data))
    topology, _ = load_topology(tmp_path / "cluster.yaml")
    return render(topology, tmp_path / "build").out


def _load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    return document


def _validate_definition(fragment: dict[str, Any], definition: str) -> None:
    """A part of an object against its upstream schema (`definition` as kubernetes-validate names
    the file, e.g. container-v1), strict about unknown fields."""
    folder = f"kubernetes-json-schema/v{VERSION.rsplit('.', 1)[0]}.0-local-strict"
    schema = schema_contents(f"{folder}/{definition}.json", VERSION)
    registry: Registry = Resource.from_contents(schema) @ Registry()  # type: ignore[type-arg]
    registry = Resource.from_contents(schema_contents(f"{folder}/_definitions.json", VERSION)) @ registry
    jsonschema.validators.Draft202012Validator(schema, registry=registry).validate(fragment)


def test_the_validator_refuses_what_kubernetes_would() -> None:
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"n": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, VERSION, strict=True)
    with pytest.raises(jsonschema.ValidationError):
        _validate_definition({"name": "c", "env": [{"name": "A", "valu": "typo"}]}, "container-v1")


def test_flannel_gets_the_pod_network_in_its_net_conf(tmp_path: Path) -> None:
    out = _render(tmp_path, cni="flannel", pod_subnet="10.32.0.0/12")
    patch = _load(out / "kubernetes/cni/pod-network.yaml")
    kubernetes_validate.validate(patch, VERSION, strict=True)
    assert patch["kind"] == "ConfigMap"
    assert patch["metadata"] == {"name": "kube-flannel-cfg", "namespace": "kube-flannel"}
    net_conf = json.loads(patch["data"]["net-conf.json"])
    assert net_conf == {"Network": "10.32.0.0/12", "EnableNFTables": False, "Backend": {"Type": "vxlan"}}
    assert _load(out / "kubernetes/cni/kustomization.yaml") == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": ["manifest.yaml"], "patches": [{"path": "pod-network.yaml"}]}


def test_calico_gets_the_pod_network_as_its_first_ip_pool(tmp_path: Path) -> None:
    out = _render(tmp_path, cni="calico", pod_subnet="10.32.0.0/16")
    patch = _load(out / "kubernetes/cni/pod-network.yaml")
    assert (patch["apiVersion"], patch["kind"]) == ("apps/v1", "DaemonSet")
    assert patch["metadata"] == {"name": "calico-node", "namespace": "kube-system"}
    [container] = patch["spec"]["template"]["spec"]["containers"]
    _validate_definition(container, "container-v1")
    assert container == {"name": "calico-node", "env": [{"name": "CALICO_IPV4POOL_CIDR", "value": "10.32.0.0/16"}]}


def test_a_registry_mirror_serves_kubeadm_s_and_the_add_on_s_images(tmp_path: Path) -> None:
    out = _render(tmp_path, cni="calico", image_repository="registry.example:5000/k8s")
    cluster = next(d for d in yaml.safe_load_all((out / "hosts/cp1/kubeadm.yaml").read_text())
                   if d["kind"] == "ClusterConfiguration")
    assert cluster["imageRepository"] == "registry.example:5000/k8s"
    assert _load(out / "kubernetes/cni/kustomization.yaml")["images"] == [
        {"name": f"docker.io/calico/{name}", "newName": f"registry.example:5000/k8s/calico/{name}"}
        for name in ("cni", "kube-controllers", "node")]
    lines = [line.split() for line in (out / "images.txt").read_text().splitlines() if not line.startswith("#")]
    assert lines == [
        ["registry.k8s.io/kube-apiserver:v1.31.4", "registry.example:5000/k8s/kube-apiserver:v1.31.4"],
        ["registry.k8s.io/kube-controller-manager:v1.31.4",
         "registry.example:5000/k8s/kube-controller-manager:v1.31.4"],
        ["registry.k8s.io/kube-scheduler:v1.31.4", "registry.example:5000/k8s/kube-scheduler:v1.31.4"],
        ["registry.k8s.io/kube-proxy:v1.31.4", "registry.example:5000/k8s/kube-proxy:v1.31.4"],
        # kubeadm drops CoreDNS's sub-path under any registry but its default one.
        ["registry.k8s.io/coredns/coredns:v1.11.3", "registry.example:5000/k8s/coredns:v1.11.3"],
        ["registry.k8s.io/pause:3.10", "registry.example:5000/k8s/pause:3.10"],
        *[[image, image.replace("docker.io", "registry.example:5000/k8s")] for image in CALICO.images],
    ]


def test_the_image_list_follows_the_kubernetes_release(tmp_path: Path) -> None:
    text = (_render(tmp_path, version="1.34.2", cni="flannel") / "images.txt").read_text()
    assert "registry.k8s.io/coredns/coredns:v1.12.1 registry.k8s.io/coredns/coredns:v1.12.1" in text
    assert "registry.k8s.io/pause:3.10.1 registry.k8s.io/pause:3.10.1" in text
    assert all(f"{image} {image}" in text for image in FLANNEL.images)
    assert "etcd" not in text, "this tool runs etcd itself: kubeadm pulls no etcd image"


def test_a_release_missing_from_the_table_says_how_to_list_its_images(tmp_path: Path) -> None:
    text = (_render(tmp_path, version="1.36.0") / "images.txt").read_text()
    assert "kubeadm config images list --kubernetes-version v1.36.0" in text
    assert "pause" not in text


def test_no_add_on_files_with_cni_none(tmp_path: Path) -> None:
    out = _render(tmp_path, cni="none")
    assert not (out / "kubernetes/cni").exists()
    assert "flannel" not in (out / "images.txt").read_text()
    assert "kubernetes/cni" not in (out / "hosts/cp1/files.yml").read_text()


def test_secrets_are_encrypted_at_rest_with_a_key_generated_once(tmp_path: Path) -> None:
    out = _render(tmp_path, encrypt_secrets=True)
    config_file = out / "secrets/encryption-config.yaml"  # it holds the key
    assert config_file.stat().st_mode & 0o777 == 0o600
    assert (out / "secrets/secrets-encryption-key").stat().st_mode & 0o777 == 0o600
    config = _load(config_file)
    EncryptionConfiguration.model_validate(config)
    [provider, identity] = config["resources"][0]["providers"]
    assert identity == {"identity": {}}, "Secrets written before encryption was on must stay readable"
    key = provider["aescbc"]["keys"][0]["secret"]
    assert len(base64.b64decode(key)) == 32
    # A second render keeps the key: a new one would make every stored Secret unreadable.
    again = _render(tmp_path, encrypt_secrets=True)
    assert _load(again / "secrets/encryption-config.yaml") == config
    placed = [entry for entry in _load(out / "hosts/cp1/files.yml")["files"]
              if entry["dest"] == hostpaths.ENCRYPTION_CONFIG]
    assert placed == [{"src": "secrets/encryption-config.yaml", "dest": hostpaths.ENCRYPTION_CONFIG, "owner": "root",
                       "group": "root", "mode": "0600", "secret": True, "service": "kube-apiserver",
                       "pair": ""}]
    assert "encryption" not in (out / "hosts/worker1/files.yml").read_text()
    assert "encryption" not in (out / "hosts/etcd1/files.yml").read_text()


def test_the_audit_policy_logs_metadata_only(tmp_path: Path) -> None:
    out = _render(tmp_path, audit_log=True)
    policy = _load(out / "kubernetes/audit-policy.yaml")
    AuditPolicy.model_validate(policy)
    assert {rule["level"] for rule in policy["rules"]} <= {"None", "Metadata"}, "request bodies hold Secrets"


def test_kube_apiserver_is_given_the_files_where_they_are_placed(tmp_path: Path) -> None:
    out = _render(tmp_path, encrypt_secrets=True, audit_log=True)
    cluster = next(d for d in yaml.safe_load_all((out / "hosts/cp2/kubeadm.yaml").read_text())
                   if d["kind"] == "ClusterConfiguration")
    SCHEMAS["ClusterConfiguration"].model_validate(cluster)
    args = {arg["name"]: arg["value"] for arg in cluster["apiServer"]["extraArgs"]}
    assert args["encryption-provider-config"] == hostpaths.ENCRYPTION_CONFIG
    assert args["audit-policy-file"] == hostpaths.AUDIT_POLICY
    placed = {entry["dest"] for entry in _load(out / "hosts/cp2/files.yml")["files"]}
    assert {hostpaths.ENCRYPTION_CONFIG, hostpaths.AUDIT_POLICY} <= placed
    mounts = cluster["apiServer"]["extraVolumes"]
    # The static Pod sees each file (and the log folder) through a hostPath volume of its folder.
    for path in (hostpaths.ENCRYPTION_CONFIG, hostpaths.AUDIT_POLICY, args["audit-log-path"]):
        folder = str(Path(path).parent)
        assert [m for m in mounts if m["hostPath"] == folder == m["mountPath"]], f"{folder} is not mounted"
    assert [m["readOnly"] for m in mounts] == [True, True, False]


def test_no_hardening_no_extra_arguments(tmp_path: Path) -> None:
    out = _render(tmp_path)
    cluster = next(d for d in yaml.safe_load_all((out / "hosts/cp1/kubeadm.yaml").read_text())
                   if d["kind"] == "ClusterConfiguration")
    assert set(cluster["apiServer"]) == {"certSANs"}
    assert not (out / "secrets/encryption-config.yaml").exists()


def test_another_add_on_manifest_than_the_pinned_one_leaves_its_images_to_the_user(tmp_path: Path) -> None:
    manifest = {"url": "https://mirror.example/kube-flannel-v0.29.0.yml", "sha256": "b" * 64}
    text = (_render(tmp_path, cni="flannel", cni_manifest=manifest) / "images.txt").read_text()
    assert "# flannel: another manifest than the pinned v0.28.9; add the images it names" in text
    assert "ghcr.io/flannel-io" not in text


def test_flannel_carries_an_ipv6_pod_network_as_its_ipv6_network(tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLES / "servers-example" / "cluster.yaml").read_text())
    for index, host in enumerate(data["hosts"]):
        host["address"] = f"2001:db8::{index + 11}"
    data["endpoint"]["address"] = "2001:db8::100"
    data["kubernetes"] = {"cni": "flannel", "pod_subnet": "fd00:10:244::/56", "service_subnet": "fd00:10:96::/112"}
    (tmp_path / "cluster.yaml").write_text(yaml.safe_dump(data))
    topology, _ = load_topology(tmp_path / "cluster.yaml")
    patch = _load(render(topology, tmp_path / "build").out / "kubernetes/cni/pod-network.yaml")
    kubernetes_validate.validate(patch, VERSION, strict=True)
    assert json.loads(patch["data"]["net-conf.json"]) == {
        "EnableIPv4": False, "EnableIPv6": True, "IPv6Network": "fd00:10:244::/56", "EnableNFTables": False,
        "Backend": {"Type": "vxlan"}}
