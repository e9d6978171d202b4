"""`certs` refuses, one line and exit 2, before contacting any host."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli

CLUSTER = """\
name: demo
layout: stacked
endpoint: {address: 198.18.0.100, load_balancer: external}
hosts:
  - {name: cp1, address: 198.18.0.11, roles: [control_plane]}
"""


def test_renew_needs_yes_and_wrong_words_are_refused(tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    for arguments, message in (
            (["renew", "cluster.yaml"], "re-run with --yes"),
            (["rotate", "cluster.yaml"], "expected `certs CLUSTER.yaml`, `certs renew CLUSTER.yaml` or "
                                         "`certs rotate-ca CLUSTER.yaml`"),
            (["cluster.yaml"], "no rendered tree here")):
        result = run_cli("certs", *arguments, cwd=tmp_path)
        assert result.exit_code == 2, result.stderr
        assert result.stderr.count("error:") == 1 and message in result.stderr
    assert not (tmp_path / "build").exists()


def built(tmp_path: Path, initialized: bool = False, install: str = "none", cluster: str = CLUSTER) -> Path:
    from provisioner.cluster.load import load_topology
    from provisioner.cluster.record import Record, tree_cas, write_record
    from provisioner.render import render

    (tmp_path / "cluster.yaml").write_text(cluster + f"kubernetes: {{install: {install}}}\n")
    topology, _ = load_topology(tmp_path / "cluster.yaml")
    tree = render(topology, tmp_path / "build").out
    write_record(tree, Record(cluster="demo", layout="stacked", etcd_cluster_id="1", data_dir="/var/lib/etcd",
                              initial_cluster="", members=(), ca=tree_cas(tree), control_plane_initialized=initialized))
    return tree


def snapshot_of(tree: Path) -> dict[str, bytes]:
    return {str(path.relative_to(tree)): path.read_bytes() for path in sorted(tree.rglob("*")) if path.is_file()}


def test_rotate_ca_shows_the_plan_and_without_yes_changes_nothing(tmp_path: Path) -> None:
    tree = built(tmp_path)
    before = snapshot_of(tree)
    result = run_cli("certs", "rotate-ca", "cluster.yaml", cwd=tmp_path)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("error:") == 1 and "re-run with --yes" in result.stderr
    assert "1. issue a new etcd CA beside the old one" in result.stdout
    assert "3. make every host trust the new CA only" in result.stdout
    assert "etcd restarted one member at a time: cp1\n" in result.stdout
    assert "kube-apiserver" not in result.stdout, "kubernetes.install: none runs no API server of ours"
    assert snapshot_of(tree) == before


def test_rotate_ca_needs_a_recorded_cluster(tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    result = run_cli("certs", "rotate-ca", "cluster.yaml", "--yes", cwd=tmp_path)
    assert result.exit_code == 2 and "no record of the cluster (record.yml)" in result.stderr
    assert not (tmp_path / "build").exists()


def test_rotate_ca_on_an_initialised_kubeadm_control_plane_plans_the_api_server_restarts(tmp_path: Path) -> None:
    tree = built(tmp_path, initialized=True, install="kubeadm")
    before = snapshot_of(tree)
    result = run_cli("certs", "rotate-ca", "cluster.yaml", cwd=tmp_path)
    assert result.exit_code == 2, result.stderr
    # Refused only for the missing --yes, which names the API servers too.
    assert result.stderr.count("error:") == 1 and "(and kube-apiserver, where kubeadm runs it)" in result.stderr
    assert "re-run with --yes" in result.stderr
    restarts = ("etcd restarted one member at a time: cp1; then kube-apiserver restarted one control-plane host at "
                "a time: cp1")
    assert result.stdout.count(restarts) == 3, result.stdout
    assert snapshot_of(tree) == before


THREE_HOSTS = CLUSTER + """\
  - {name: cp2, address: 198.18.0.12, roles: [control_plane]}
  - {name: cp3, address: 198.18.0.13, roles: [control_plane]}
"""
ETCD_ONLY_REFUSAL = ("error: renewal restarts every etcd member whose certificate changes, one at a time (and "
                     "kube-apiserver, where kubeadm runs it, when its etcd client certificate changes): re-run with "
                     "--yes\n")


@pytest.mark.parametrize(("install", "initialized"), [("none", True), ("kubeadm", False)])
def test_renew_without_an_initialised_kubeadm_control_plane_renews_etcd_leaves_only(
        tmp_path: Path, install: str, initialized: bool) -> None:
    tree = built(tmp_path, initialized=initialized, install=install, cluster=THREE_HOSTS)
    before = snapshot_of(tree)
    result = run_cli("certs", "renew", "cluster.yaml", cwd=tmp_path)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", ETCD_ONLY_REFUSAL)
    assert snapshot_of(tree) == before


def test_renew_on_an_initialised_kubeadm_control_plane_plans_kubeadm_s_renewal_host_by_host(tmp_path: Path) -> None:
    tree = built(tmp_path, initialized=True, install="kubeadm", cluster=THREE_HOSTS)
    before = snapshot_of(tree)
    result = run_cli("certs", "renew", "cluster.yaml", "--expiring-within", "30", cwd=tmp_path)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("error:") == 1 and result.stderr.endswith(
        "(and kube-apiserver, where kubeadm runs it, when its etcd client certificate changes, and kube-apiserver, "
        "kube-controller-manager and kube-scheduler one control-plane host at a time where kubeadm renews its "
        "certificates): re-run with --yes\n")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("kubeadm's own certificates (kube-apiserver's serving and client certificates, the "
                               "client certificates in admin.conf, super-admin.conf, controller-manager.conf and "
                               "scheduler.conf), after etcd, one control-plane host at a time:")
    assert lines[1:4] == [
        f"  {number}. cp{number}: kubeadm certs renew all if one of kubeadm's certificates there expires within 30 "
        f"days; then kube-apiserver, kube-controller-manager and kube-scheduler restart one after the other, each "
        f"healthy before the next" for number in (1, 2, 3)]
    assert lines[4] == ("the admin kubeconfig fetched earlier with `provisioner kubeconfig` holds admin.conf's client "
                        "certificate, which kubeadm renews: fetch it again once the renewal is done")
    assert len(lines) == 5
    assert snapshot_of(tree) == before
    # Without --expiring-within every host renews.
    every = run_cli("certs", "renew", "cluster.yaml", cwd=tmp_path)
    assert "  2. cp2: kubeadm certs renew all; then kube-apiserver" in every.stdout
    assert every.exit_code == 2 and snapshot_of(tree) == before
