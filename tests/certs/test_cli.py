"""`certs` refuses, one line and exit 2, before contacting any host."""

from __future__ import annotations

from pathlib import Path

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


def built(tmp_path: Path, initialized: bool = False, install: str = "none") -> Path:
    from provisioner.cluster.load import load_topology
    from provisioner.cluster.record import Record, tree_cas, write_record
    from provisioner.render import render

    (tmp_path / "cluster.yaml").write_text(CLUSTER + f"kubernetes: {{install: {install}}}\n")
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
