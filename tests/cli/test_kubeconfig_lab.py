"""`provisioner kubeconfig` against real lab machines over strict SSH. kubeadm cannot run here, so the
file kubeadm writes is placed where it writes it (/etc/kubernetes/admin.conf), with the marker apply
leaves once kubeadm init or join succeeded, on the second control-plane host only."""

from __future__ import annotations

import base64
import ipaddress
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from provisioner.kubernetes.kubeconfig import MEMBER_MARKER
from provisioner.providers.lab import Lab, LabHost, lab_prerequisites_problems
from tests.conftest import run_cli

PROBLEMS = lab_prerequisites_problems()
pytestmark = [pytest.mark.lab, pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS))]

NAME = "kc-kubeconfig"
HOSTS = [LabHost("cp1", ipaddress.IPv4Address("198.18.19.11")), LabHost("cp2", ipaddress.IPv4Address("198.18.19.12"))]
ENDPOINT = "198.18.19.100"
# As kubeadm writes it: the server is the host's own address until rewritten; keys embedded.
ADMIN_CONF = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Y2VydGlmaWNhdGUtYXV0aG9yaXR5LWRhdGEgb2Yga2Mta3ViZWNvbmZpZw==
    server: https://198.18.19.12:6443
  name: kc-kubeconfig
contexts:
- context:
    cluster: kc-kubeconfig
    user: kubernetes-admin
  name: kubernetes-admin@kc-kubeconfig
current-context: kubernetes-admin@kc-kubeconfig
kind: Config
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Y2xpZW50LWNlcnRpZmljYXRlLWRhdGEgb2Yga2Mta3ViZWNvbmZpZw==
    client-key-data: Y2xpZW50LWtleS1kYXRhIG9mIGtjLWt1YmVjb25maWc=
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = Lab(NAME, HOSTS, state_root=tmp_path_factory.mktemp("labs"))
    try:
        lab.up(progress=print)
        yield lab
    finally:
        lab.down()


def _ssh(lab: Lab, host: str, command: str) -> None:
    subprocess.run(lab.ssh_command(host, [command]), check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def cluster_file(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    connection = lab.connection
    data = {"name": NAME, "layout": "stacked",
            "endpoint": {"address": ENDPOINT, "port": 6443, "load_balancer": "external"},
            "ssh": {"user": "root", "port": 22, "private_key": str(connection.private_key),
                    "known_hosts": str(connection.known_hosts)},
            "hosts": [{"name": host.name, "address": str(host.address), "roles": ["control_plane"]} for host in HOSTS]}
    path = tmp_path_factory.mktemp("kubeconfig") / "cluster.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_nothing_is_written_before_any_control_plane_host_is_initialised(cluster_file: Path, tmp_path: Path) -> None:
    result = run_cli("kubeconfig", str(cluster_file), "--out", str(tmp_path / "admin.conf"))
    assert result.exit_code == 1
    assert f"cp1: kubeadm init or join has not succeeded there ({MEMBER_MARKER} missing)" in result.stderr
    assert f"cp2: kubeadm init or join has not succeeded there ({MEMBER_MARKER} missing)" in result.stderr
    assert not (tmp_path / "admin.conf").exists()


def test_the_first_initialised_host_gives_its_kubeconfig_with_the_endpoint_as_server(
        lab: Lab, cluster_file: Path, tmp_path: Path) -> None:
    _ssh(lab, "cp2", f"mkdir -p /etc/kubernetes/provisioner && printf %s {shlex.quote(ADMIN_CONF)} > "
                     f"/etc/kubernetes/admin.conf && chmod 600 /etc/kubernetes/admin.conf && "
                     f"echo 'kubeadm join' > {MEMBER_MARKER}")
    out = tmp_path / "creds" / "admin.conf"
    result = run_cli("kubeconfig", str(cluster_file), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "the admin kubeconfig of cp2" in result.stdout
    assert out.stat().st_mode & 0o777 == 0o600
    written = out.read_text()
    assert yaml.safe_load(written)["clusters"][0]["cluster"]["server"] == f"https://{ENDPOINT}:6443"
    # Byte for byte what kubeadm wrote, but the server line.
    expected = ADMIN_CONF.replace("server: https://198.18.19.12:6443", f"server: https://{ENDPOINT}:6443")
    assert written == expected
    assert base64.b64encode(b"client-key-data of kc-kubeconfig").decode() not in result.stdout + result.stderr


def test_an_existing_file_is_replaced_and_made_private(cluster_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "admin.conf"
    out.write_text("old\n")
    out.chmod(0o644)
    assert run_cli("kubeconfig", str(cluster_file), "--out", str(out)).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert yaml.safe_load(out.read_text())["kind"] == "Config"
