"""The rendered tree: deterministic, complete, and each host given only what its roles need."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
import yaml

from provisioner.cluster.load import load_topology
from provisioner.render import render
from tests.conftest import EXAMPLES, run_cli


def _snapshot(out: Path) -> dict[str, tuple[bytes, int, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns, stat.S_IMODE(p.stat().st_mode))
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", ["lab-stacked", "lab-external"])
def test_rendering_an_unchanged_file_again_changes_no_byte(name: str, tmp_path: Path) -> None:
    cluster_file = EXAMPLES / name / "cluster.yaml"
    first = run_cli("render", str(cluster_file), "--out", str(tmp_path))
    assert first.exit_code == 0, first.stderr
    before = _snapshot(tmp_path)
    second = run_cli("render", str(cluster_file), "--out", str(tmp_path))
    assert second.exit_code == 0, second.stderr
    assert _snapshot(tmp_path) == before
    assert "0 written" in second.stdout


def test_the_cli_prints_the_summary_with_quorum_and_tolerated_losses(tmp_path: Path) -> None:
    result = run_cli("render", str(EXAMPLES / "lab-external/cluster.yaml"), "--out", str(tmp_path))
    assert "etcd members     etcd1, etcd2, etcd3 (3 members, quorum 2)" in result.stdout
    assert "etcd             1 of 3" in result.stdout
    assert (tmp_path / "summary.txt").read_text() in result.stdout


def test_the_inventory_has_one_group_per_role_and_strict_connection_settings(tmp_path: Path) -> None:
    topology, _ = load_topology(EXAMPLES / "lab-stacked/cluster.yaml")
    render(topology, tmp_path)
    inventory = yaml.safe_load((tmp_path / "inventory.yml").read_text())["all"]
    groups = inventory["children"]
    assert sorted(groups["etcd"]["hosts"]) == ["cp1", "cp2", "cp3"]
    assert sorted(groups["control_plane"]["hosts"]) == ["cp1", "cp2", "cp3"]
    assert sorted(groups["load_balancer"]["hosts"]) == ["lb1", "lb2"]
    assert groups["worker"] == {}
    cp1 = inventory["hosts"]["cp1"]
    assert cp1["ansible_host"] == "198.18.0.11"
    assert "StrictHostKeyChecking=yes" in cp1["ansible_ssh_common_args"]
    assert "UserKnownHostsFile=/var/lib/provisioner/labs/lab-stacked/known_hosts" in cp1["ansible_ssh_common_args"]


def _placements(out: Path, host: str) -> dict[str, dict[str, object]]:
    files = yaml.safe_load((out / "hosts" / host / "files.yml").read_text())["files"]
    return {str(entry["dest"]): entry for entry in files}


def test_each_host_gets_only_what_its_roles_need(tmp_path: Path) -> None:
    topology, _ = load_topology(EXAMPLES / "lab-external/cluster.yaml")
    render(topology, tmp_path)
    etcd1, cp1, lb1 = (_placements(tmp_path, name) for name in ("etcd1", "cp1", "lb1"))
    assert etcd1["/etc/etcd/pki/server.key"]["src"] == "secrets/pki/etcd/members/etcd1/server.key"
    assert not any(dest.startswith("/etc/kubernetes") for dest in etcd1), "etcd hosts get no Kubernetes CA"
    assert "/etc/kubernetes/pki/apiserver-etcd-client.key" in cp1
    assert not any(dest.startswith("/etc/etcd") for dest in cp1), "external control planes run no etcd"
    assert set(lb1) == {"/etc/haproxy/haproxy.cfg", "/etc/keepalived/keepalived.conf",
                        "/etc/keepalived/check_haproxy.sh", "/etc/keepalived/provisioner-auth.conf"}


@pytest.mark.parametrize("install", ["kubeadm", "none"])
def test_the_files_kube_apiserver_reads_when_it_starts_restart_it_where_kubeadm_runs_it(
        install: str, tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLES / "servers-example/cluster.yaml").read_text())
    data["kubernetes"] |= {"install": install, "encrypt_secrets": True, "audit_log": True}
    (tmp_path / "cluster.yaml").write_text(yaml.safe_dump(data))
    topology, _ = load_topology(tmp_path / "cluster.yaml")
    render(topology, tmp_path / "build")
    restarting = {dest: entry["src"] for dest, entry in _placements(tmp_path / "build", "cp1").items()
                  if entry["service"] == "kube-apiserver"}
    if install == "none":
        assert restarting == {}, "nothing restarts an API server the tool does not run"
        return
    assert restarting == {
        "/etc/kubernetes/pki/etcd/ca.crt": "pki/etcd/ca.crt",
        "/etc/kubernetes/pki/apiserver-etcd-client.crt": "pki/etcd/apiserver-etcd-client.crt",
        "/etc/kubernetes/pki/apiserver-etcd-client.key": "secrets/pki/etcd/apiserver-etcd-client.key",
        "/etc/kubernetes/encryption/config.yaml": "secrets/encryption-config.yaml",
        "/etc/kubernetes/audit/policy.yaml": "kubernetes/audit-policy.yaml",
    }
    # A worker and an etcd host run no API server.
    for host in ("worker1", "etcd1"):
        assert not any(entry["service"] == "kube-apiserver" for entry in _placements(tmp_path / "build", host).values())


@pytest.mark.parametrize("name", ["lab-stacked", "lab-external", "servers-example"])
def test_the_etcd_ca_key_never_leaves_this_machine_and_keys_travel_as_secrets_with_their_certificate(
        name: str, tmp_path: Path) -> None:
    topology, _ = load_topology(EXAMPLES / name / "cluster.yaml")
    render(topology, tmp_path)
    for files in tmp_path.glob("hosts/*/files.yml"):
        entries = yaml.safe_load(files.read_text())["files"]
        pairs: dict[str, list[str]] = {}
        for entry in entries:
            assert entry["src"] != "secrets/pki/etcd/ca.key", f"{files}: the etcd CA key must stay here"
            assert (tmp_path / entry["src"]).is_file(), f"{files}: {entry['src']} is not in the tree"
            if str(entry["src"]).endswith(".key"):
                assert (entry["mode"], entry["secret"]) == ("0600", True), f"{files}: {entry}"
                assert str(entry["src"]).startswith("secrets/"), f"{files}: {entry}"
            if entry["pair"]:
                pairs.setdefault(entry["pair"], []).append(str(entry["dest"]))
        # Every key goes with its certificate (or public key), the two in one step.
        keys = [str(entry["dest"]) for entry in entries if str(entry["dest"]).endswith(".key")]
        assert sorted(keys) == sorted(dest for pair in pairs.values() for dest in pair if dest.endswith(".key"))
        for pair, dests in pairs.items():
            stems = {dest.rsplit(".", 1)[0] for dest in dests}
            assert len(dests) == 2 and len(stems) == 1, f"{files}: pair {pair} is {dests}"


def test_private_keys_and_secrets_are_only_in_the_private_folder(tmp_path: Path) -> None:
    topology, _ = load_topology(EXAMPLES / "lab-stacked/cluster.yaml")
    render(topology, tmp_path)
    secrets = tmp_path / "secrets"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    private = [p for p in secrets.rglob("*") if p.is_file()]
    assert {p.relative_to(secrets).as_posix() for p in private} >= {
        "pki/etcd/ca.key", "pki/kubernetes/ca.key", "pki/kubernetes/sa.key", "pki/kubernetes/front-proxy-ca.key",
        "pki/etcd/members/cp1/server.key", "keepalived-auth-pass", "keepalived-auth.conf"}
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in secrets.rglob("*"):
        if path.is_dir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    password = (secrets / "keepalived-auth-pass").read_text().strip()
    shared = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(secrets)]
    assert len(shared) > 20
    for path in shared:
        text = path.read_text()
        assert "PRIVATE KEY" not in text and password not in text, f"{path} holds a secret"


def test_a_removed_host_loses_its_folder(tmp_path: Path) -> None:
    source = (EXAMPLES / "lab-external/cluster.yaml").read_text()
    cluster_file = tmp_path / "cluster.yaml"
    cluster_file.write_text(source)
    out = tmp_path / "out"
    assert run_cli("render", str(cluster_file), "--out", str(out)).exit_code == 0
    cluster_file.write_text(source.replace("  - {name: lb2, address: 198.18.0.32, roles: [load_balancer]}\n", ""))
    result = run_cli("render", str(cluster_file), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert not (out / "hosts/lb2").exists()
    assert "lb2" not in (out / "hosts/lb1/keepalived.conf").read_text()


def test_vrrp_priorities_follow_the_file_order_and_peers_are_the_other_balancers(tmp_path: Path) -> None:
    topology, _ = load_topology(EXAMPLES / "lab-stacked/cluster.yaml")
    render(topology, tmp_path)
    lb1, lb2 = ((tmp_path / f"hosts/{n}/keepalived.conf").read_text() for n in ("lb1", "lb2"))
    assert "priority 150" in lb1 and "priority 140" in lb2
    assert "unicast_peer {\n        198.18.0.32\n    }" in lb1
    assert f"virtual_router_id {topology.virtual_router_id}" in lb1 and "198.18.0.100" in lb2


def test_haproxy_backends_are_every_control_plane_host(tmp_path: Path) -> None:
    topology, _ = load_topology(EXAMPLES / "lab-external/cluster.yaml")
    render(topology, tmp_path)
    config = (tmp_path / "hosts/lb1/haproxy.cfg").read_text()
    servers = [line.split()[1:3] for line in config.splitlines() if line.strip().startswith("server ")]
    assert servers == [["cp1", "198.18.0.11:6443"], ["cp2", "198.18.0.12:6443"], ["cp3", "198.18.0.13:6443"]]
    assert "bind :6443" in config and "http-check send meth GET uri /healthz" in config


def test_an_output_folder_that_is_a_file_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("mine\n")
    for out in (taken, taken / "sub"):
        result = run_cli("render", str(EXAMPLES / "lab-stacked/cluster.yaml"), "--out", str(out))
        assert (result.exit_code, result.stderr) == (2, f"error: --out {out}: {taken} is a file; expected a folder\n")
    assert taken.read_text() == "mine\n" and sorted(tmp_path.iterdir()) == [taken]


def test_a_write_that_fails_midway_is_one_line_naming_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("render", str(EXAMPLES / "lab-stacked/cluster.yaml"), "--out", str(out)).exit_code == 0
    shutil.rmtree(out / "hosts/cp1")
    (out / "hosts/cp1").write_text("a file where a host folder belongs\n")
    result = run_cli("render", str(EXAMPLES / "lab-stacked/cluster.yaml"), "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot write the tree in {out}: ") and result.stderr.count("\n") == 1
