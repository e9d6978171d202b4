"""How `certs` judges one certificate, and how it reads them from a host's shell output (run with sh)."""

from __future__ import annotations

import base64
import ipaddress
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from provisioner.certs.check import Found, judge, parse_listing, read_command
from provisioner.render.pki.issue import SERVER_AND_CLIENT, LeafProfile, issue_ca, issue_leaf

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def pem(issued_at: datetime) -> str:
    ca = issue_ca("demo-etcd-ca", "ecdsa-p256", issued_at)
    leaf = LeafProfile("etcd/members/cp1/server", "cp1", None, ("cp1", "localhost"),
                       (ipaddress.ip_address("198.18.0.11"),), SERVER_AND_CLIENT)
    return issue_leaf(leaf, ca, "ecdsa-p256", issued_at).certificate.public_bytes(Encoding.PEM).decode()


def named(pem_text: str) -> str:
    certificate = x509.load_pem_x509_certificate(pem_text.encode())
    return f"CN=cp1 sha256:{certificate.fingerprint(hashes.SHA256()).hex()[:16]}"


@pytest.fixture(scope="module")
def fresh() -> str:
    return pem(NOW)


def test_a_fresh_certificate_from_the_tree_is_fine(fresh: str) -> None:
    judged = judge(Found("cp1", "/etc/etcd/pki/server.crt", fresh, fresh), NOW, 30)
    assert (judged.problems, judged.tree, judged.days_left) == ((), "same", 365)
    assert judged.subject == "CN=cp1" and judged.issuer == "CN=demo-etcd-ca"
    assert judged.sans == ("cp1", "localhost", "198.18.0.11")


def test_expiring_expired_and_different_certificates_are_problems(fresh: str) -> None:
    assert judge(Found("cp1", "a.crt", fresh, fresh), NOW + timedelta(days=340), 30).problems == (
        "expires within 30 days",)
    assert judge(Found("cp1", "a.crt", fresh, fresh), NOW + timedelta(days=366), 30).problems == ("expired",)
    other = pem(NOW - timedelta(days=1))
    differs = judge(Found("cp1", "a.crt", other, fresh), NOW, 30)
    assert differs.tree == "differs"
    assert differs.problems == (f"differs from the tree (certificate 1 of 1: {named(other)} on the host, "
                                f"{named(fresh)} in the tree)",)


def test_a_trust_bundle_is_compared_whole_and_in_order(fresh: str) -> None:
    old, new = pem(NOW - timedelta(days=1)), fresh
    assert judge(Found("cp1", "ca.crt", old + new, old + new), NOW, 30).tree == "same"
    # The first certificate alike is not enough: the second (the rotation's new CA) differs.
    second = judge(Found("cp1", "ca.crt", old + old, old + new), NOW, 30)
    assert second.tree == "differs" and second.problems == (
        f"differs from the tree (certificate 2 of 2: {named(old)} on the host, {named(new)} in the tree)",)
    swapped = judge(Found("cp1", "ca.crt", new + old, old + new), NOW, 30)
    assert swapped.problems[0].startswith("differs from the tree (certificate 1 of 2: ")
    assert judge(Found("cp1", "ca.crt", old, old + new), NOW, 30).problems == (
        "differs from the tree (1 certificate on the host, 2 certificates in the tree)",)
    assert judge(Found("cp1", "ca.crt", old + new, old), NOW, 30).problems == (
        "differs from the tree (2 certificates on the host, 1 certificate in the tree)",)


def test_missing_unreadable_and_foreign_certificates(fresh: str) -> None:
    assert judge(Found("cp1", "a.crt", None, fresh), NOW, 30).problems == ("missing",)
    assert judge(Found("cp1", "a.crt", "garbage", fresh), NOW, 30).problems == ("not a PEM certificate",)
    kubeadm_own = judge(Found("cp1", "/etc/kubernetes/pki/apiserver.crt", fresh, None), NOW, 30)
    assert (kubeadm_own.tree, kubeadm_own.problems) == ("not from the tree", ())


def test_the_listing_reads_back_every_existing_file(tmp_path: Path, fresh: str) -> None:
    (tmp_path / "a.crt").write_text(fresh)
    (tmp_path / "b.crt").write_text("second\n")
    output = subprocess.run(["sh", "-c", read_command([str(tmp_path / "a.crt"), str(tmp_path / "b.crt"),
                                                        str(tmp_path / "absent.crt")], [])],
                            capture_output=True, text=True, check=True).stdout
    assert parse_listing(output) == {str(tmp_path / "a.crt"): fresh, str(tmp_path / "b.crt"): "second\n"}


def test_a_kubeconfig_gives_its_client_certificate_and_never_its_key(tmp_path: Path, fresh: str) -> None:
    embedded = base64.b64encode(fresh.encode()).decode()
    kubeconfig = tmp_path / "admin.conf"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nusers:\n- name: kubernetes-admin\n  user:\n"
                          f"    client-certificate-data: {embedded}\n    client-key-data: S0VZLURBVEE=\n")
    output = subprocess.run(["sh", "-c", read_command([], [str(kubeconfig), str(tmp_path / "absent.conf")])],
                            capture_output=True, text=True, check=True).stdout
    assert "S0VZLURBVEE" not in output and "KEY-DATA" not in output
    listed = parse_listing(output)
    assert listed == {str(kubeconfig): fresh}
    judged = judge(Found("cp1", str(kubeconfig), listed[str(kubeconfig)], None), NOW, 30)
    assert (judged.subject, judged.tree, judged.problems) == ("CN=cp1", "not from the tree", ())
