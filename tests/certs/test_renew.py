"""`certs renew` re-issues leaves from the CA already in the tree, never a new CA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from provisioner.certs.renew import renew_leaves
from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Topology
from provisioner.render import render

CLUSTER = """\
name: demo
layout: stacked
endpoint: {address: 198.18.0.100, load_balancer: external}
hosts:
  - {name: cp1, address: 198.18.0.11, roles: [control_plane]}
  - {name: cp2, address: 198.18.0.12, roles: [control_plane]}
  - {name: cp3, address: 198.18.0.13, roles: [control_plane]}
"""
LEAVES = ["pki/etcd/apiserver-etcd-client.crt", "pki/etcd/healthcheck-client.crt",
          *(f"pki/etcd/members/cp{n}/{role}.crt" for n in (1, 2, 3) for role in ("server", "peer"))]


def rendered(tmp_path: Path) -> tuple[Path, Topology]:
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    topology, _ = load_topology(tmp_path / "cluster.yaml")
    render(topology, tmp_path / "build")
    return tmp_path / "build", topology


def certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_every_leaf_is_renewed_from_the_same_ca(tmp_path: Path) -> None:
    tree, topology = rendered(tmp_path)
    ca_before = (tree / "pki/etcd/ca.crt").read_bytes()
    before = {leaf: certificate(tree / leaf) for leaf in LEAVES}
    later = datetime.now(UTC) + timedelta(days=2)

    renewed = renew_leaves(topology, tree, None, now=later)
    render(topology, tree)  # apply renders again before it copies: the renewed leaves must stay

    assert sorted(renewed) == sorted(LEAVES)
    assert (tree / "pki/etcd/ca.crt").read_bytes() == ca_before
    ca = certificate(tree / "pki/etcd/ca.crt")
    for leaf in LEAVES:
        after = certificate(tree / leaf)
        after.verify_directly_issued_by(ca)
        assert after != before[leaf] and after.subject == before[leaf].subject
        assert after.not_valid_after_utc > before[leaf].not_valid_after_utc
        assert (tree / "secrets" / leaf).with_suffix(".key").stat().st_mode & 0o777 == 0o600


def test_only_leaves_expiring_within_the_window_are_renewed(tmp_path: Path) -> None:
    tree, topology = rendered(tmp_path)
    assert renew_leaves(topology, tree, 30) == []
    assert sorted(renew_leaves(topology, tree, 400)) == sorted(LEAVES)
