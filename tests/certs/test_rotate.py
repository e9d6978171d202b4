"""`certs rotate-ca`'s tree changes, step by step, as apply will roll them out: the trust bundle the hosts
get (checked with openssl verify), the leaves re-issued from the new CA, CA keys 0600, the record naming
the CAs the hosts may trust, and a step repeated after a stop part-way completing without a second CA."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from provisioner.certs import rotate
from provisioner.certs.renew import renew_leaves
from provisioner.cluster.load import load_topology
from provisioner.cluster.record import Record, certificate_fingerprint, read_record, tree_cas, write_record
from provisioner.cluster.topology import Topology
from provisioner.render import render
from tests.certs.test_renew import CLUSTER, LEAVES

OPENSSL = shutil.which("openssl")


def built(tmp_path: Path) -> tuple[Path, Topology]:
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    topology, _ = load_topology(tmp_path / "cluster.yaml")
    tree = render(topology, tmp_path / "build").out
    write_record(tree, Record(cluster="demo", layout="stacked", etcd_cluster_id="1", data_dir="/var/lib/etcd",
                              initial_cluster="", members=(), ca=tree_cas(tree)))
    return tree, topology


def trusts(bundle: Path, leaf: Path) -> bool:
    assert OPENSSL, "openssl is installed by scripts/setup-debian"
    return subprocess.run([OPENSSL, "verify", "-x509_strict", "-CAfile", str(bundle), str(leaf)],
                          capture_output=True).returncode == 0


def trust_source(tree: Path, host: str) -> str:
    files = yaml.safe_load((tree / "hosts" / host / "files.yml").read_text())["files"]
    return next(entry["src"] for entry in files if entry["dest"] == "/etc/etcd/pki/ca.crt")


def issuer_fingerprint(tree: Path, leaf: str) -> str | None:
    certificate = x509.load_pem_x509_certificate((tree / leaf).read_bytes())
    for base in ("pki/etcd/ca", "pki/etcd/ca-next", "pki/etcd/ca-previous"):
        path = tree / f"{base}.crt"
        if path.is_file():
            try:
                certificate.verify_directly_issued_by(x509.load_pem_x509_certificate(path.read_bytes()))
            except (ValueError, TypeError, InvalidSignature):
                continue
            return certificate_fingerprint(path)
    return None


def test_the_three_steps_then_the_old_ca_moved_aside(tmp_path: Path) -> None:
    tree, topology = built(tmp_path)
    old = certificate_fingerprint(tree / "pki/etcd/ca.crt")
    old_leaf = tmp_path / "old-leaf.crt"
    shutil.copy(tree / "pki/etcd/healthcheck-client.crt", old_leaf)

    state = rotate.prepare(tree, topology, "trust-both", None)
    rotate.record_tree_cas(tree)
    new = certificate_fingerprint(tree / "pki/etcd/ca-next.crt")
    assert (state.old_ca, state.new_ca, state.step, state.rolled_out) == (old, new, "trust-both", False)
    assert rotate.read_state(tree) == state
    assert (tree / "secrets/pki/etcd/ca-next.key").stat().st_mode & 0o777 == 0o600
    assert not list((tree / "pki").rglob("*.key"))  # keys stay in secrets/
    bundle = tree / "pki/etcd/ca-bundle.crt"
    assert bundle.read_bytes() == (tree / "pki/etcd/ca.crt").read_bytes() + (tree / "pki/etcd/ca-next.crt").read_bytes()
    assert trusts(bundle, old_leaf)
    assert all(issuer_fingerprint(tree, leaf) == old for leaf in LEAVES)  # the leaves wait for step 2
    recorded = read_record(tree)
    assert recorded is not None and (recorded.ca.etcd, recorded.ca.etcd_rotation) == (old, new)
    render(topology, tree)  # apply renders before it uploads: the hosts get the bundle, leaves unchanged
    assert {trust_source(tree, host) for host in ("cp1", "cp2", "cp3")} == {"pki/etcd/ca-bundle.crt"}
    assert all(issuer_fingerprint(tree, leaf) == old for leaf in LEAVES)

    state = rotate.prepare(tree, topology, "reissue", state.model_copy(update={"rolled_out": True}))
    rotate.record_tree_cas(tree)
    assert certificate_fingerprint(tree / "pki/etcd/ca.crt") == new
    assert certificate_fingerprint(tree / "pki/etcd/ca-previous.crt") == old
    assert not (tree / "pki/etcd/ca-next.crt").exists()
    assert all(issuer_fingerprint(tree, leaf) == new for leaf in LEAVES)
    assert trusts(bundle, old_leaf) and trusts(bundle, tree / "pki/etcd/members/cp1/server.crt")
    recorded = read_record(tree)
    assert recorded is not None and (recorded.ca.etcd, recorded.ca.etcd_rotation) == (new, old)
    render(topology, tree)
    assert all(issuer_fingerprint(tree, leaf) == new for leaf in LEAVES)  # render keeps the new leaves

    state = rotate.prepare(tree, topology, "drop-old", state.model_copy(update={"rolled_out": True}))
    assert bundle.read_bytes() == (tree / "pki/etcd/ca.crt").read_bytes()
    assert not trusts(bundle, old_leaf) and trusts(bundle, tree / "pki/etcd/members/cp2/peer.crt")

    certificate, key = rotate.finish(tree, topology, state.model_copy(update={"rolled_out": True}))
    rotate.end(tree)
    assert certificate.parent == tree / "pki/etcd/retired" and key.parent == tree / "secrets/pki/etcd/retired"
    assert certificate_fingerprint(certificate) == old
    assert key.stat().st_mode & 0o777 == 0o600 and key.parent.stat().st_mode & 0o777 == 0o700
    assert not bundle.exists() and not (tree / "pki/etcd/ca-previous.crt").exists()
    assert rotate.read_state(tree) is None
    recorded = read_record(tree)
    assert recorded is not None and (recorded.ca.etcd, recorded.ca.etcd_rotation) == (new, None)
    assert "etcd_rotation" not in (tree / "record.yml").read_text()
    assert trust_source(tree, "cp1") == "pki/etcd/ca.crt"  # rendered again: verify finds the tree current


def test_step_two_repeated_after_a_stop_half_way_through_the_swap_completes_it(tmp_path: Path) -> None:
    tree, topology = built(tmp_path)
    state = rotate.prepare(tree, topology, "trust-both", None).model_copy(update={"rolled_out": True})
    # Stopped after the old CA was kept as ca-previous and the new key written, before the new certificate.
    shutil.copy(tree / "pki/etcd/ca.crt", tree / "pki/etcd/ca-previous.crt")
    shutil.copy(tree / "secrets/pki/etcd/ca.key", tree / "secrets/pki/etcd/ca-previous.key")
    shutil.copy(tree / "secrets/pki/etcd/ca-next.key", tree / "secrets/pki/etcd/ca.key")
    rotate.prepare(tree, topology, "reissue", state)
    assert certificate_fingerprint(tree / "pki/etcd/ca.crt") == state.new_ca
    assert certificate_fingerprint(tree / "pki/etcd/ca-previous.crt") == state.old_ca
    renew_leaves(topology, tree, None)  # the CA pair is whole again: it signs
    again = rotate.prepare(tree, topology, "reissue", state)
    assert again.new_ca == state.new_ca and certificate_fingerprint(tree / "pki/etcd/ca.crt") == state.new_ca


def test_a_first_step_repeated_reuses_the_new_ca_it_issued(tmp_path: Path) -> None:
    tree, topology = built(tmp_path)
    first = rotate.prepare(tree, topology, "trust-both", None)
    (tree / rotate.STATE_FILE).unlink()  # stopped before the progress was written
    assert rotate.prepare(tree, topology, "trust-both", None) == first


def test_unreadable_progress_is_refused(tmp_path: Path) -> None:
    tree, _ = built(tmp_path)
    (tree / rotate.STATE_FILE).write_text("step: sideways\n")
    with pytest.raises(rotate.RotationError, match="not a CA rotation's progress"):
        rotate.read_state(tree)
