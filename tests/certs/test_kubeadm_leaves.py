"""Whether `certs renew --expiring-within DAYS` renews kubeadm's certificates on a host, from its files."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from provisioner.certs.kubeadm_leaves import certificate_in, renewal_due

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def pem(days_left: float, name: str = "kube-apiserver") -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)])
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(NOW - timedelta(days=300))
                   .not_valid_after(NOW + timedelta(days=days_left)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(Encoding.PEM).decode()


def kubeconfig(days_left: float) -> str:
    data = base64.b64encode(pem(days_left, "kubernetes-admin").encode()).decode()
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "users": [
        {"name": "kubernetes-admin", "user": {"client-certificate-data": data, "client-key-data": "c2VjcmV0"}}]})


def test_the_certificate_is_read_from_a_pem_file_and_from_a_kubeconfig_file() -> None:
    served = certificate_in(pem(10))
    assert served is not None and served.subject.rfc4514_string() == "CN=kube-apiserver"
    client = certificate_in(kubeconfig(10))
    assert client is not None and client.subject.rfc4514_string() == "CN=kubernetes-admin"
    assert certificate_in("apiVersion: v1\nusers: []\n") is None
    assert certificate_in("users:\n- user: {client-certificate-data: '!!'}\n") is None
    assert certificate_in(": not yaml [") is None


def test_a_host_renews_when_one_of_kubeadm_s_certificates_expires_within_the_days() -> None:
    files = {"/etc/kubernetes/pki/apiserver.crt": pem(200), "/etc/kubernetes/admin.conf": kubeconfig(20),
             "/etc/kubernetes/scheduler.conf": kubeconfig(300)}
    assert renewal_due(files, 30, NOW) == ["/etc/kubernetes/admin.conf: expires 2026-12-19 12:00 UTC"]
    assert renewal_due(files, 19, NOW) == []
    assert len(renewal_due(files, 365, NOW)) == 3


def test_hosts_decide_each_for_itself() -> None:
    # cp2 joined later than cp1: its certificates are younger, so only cp1 renews within 60 days.
    hosts = {"cp1": {"/etc/kubernetes/pki/front-proxy-client.crt": pem(45)},
             "cp2": {"/etc/kubernetes/pki/front-proxy-client.crt": pem(120)},
             "cp3": {}}
    assert [host for host, files in hosts.items() if renewal_due(files, 60, NOW)] == ["cp1"]


def test_an_expired_or_unreadable_certificate_is_renewed() -> None:
    files = {"/etc/kubernetes/pki/apiserver.crt": pem(-3), "/etc/kubernetes/controller-manager.conf": "garbage\n"}
    assert renewal_due(files, 0, NOW) == [
        "/etc/kubernetes/controller-manager.conf: no certificate found in it",
        "/etc/kubernetes/pki/apiserver.crt: expires 2026-11-26 12:00 UTC"]
