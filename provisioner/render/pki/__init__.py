"""The cluster's PKI: the etcd CA and its certificates, the Kubernetes CAs and the service-account key.

Everything is generated on the machine running the tool and kept in the rendered tree. Existing material
is reused, so an unchanged cluster file changes no byte. What is re-issued, and why:

- a leaf (etcd server, peer and client certificates) whose subject, SANs, extended key usages, key type
  or issuer no longer match, or that expires within 90 days; a re-issued leaf always gets a fresh key;
- a CA only when it is missing, its certificate and key do not belong together, it is not a CA, or it
  has expired; every leaf it signed then follows. A key type change or a cluster rename keeps the CAs:
  replacing a CA breaks trust with every running member (and every kubeadm-issued certificate), so it is
  a deliberate act (remove the CA's two files) rather than a side effect. The new key type reaches the
  leaves, which are re-issued with it under the CA they already trust;
- the service-account key never: replacing it invalidates every issued token. It is RSA 2048, kubeadm's
  default, whatever the key type. kube-apiserver accepts ECDSA too (kubeadm makes one when
  encryptionAlgorithm is ECDSA-P256), but not every external token verifier supports ES256.

A CA or service-account key that exists but cannot be read is an error, never overwritten.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import rsa

from provisioner.atomic import write_atomically
from provisioner.render.pki import store
from provisioner.render.pki.issue import (
    SERVER_AND_CLIENT,
    IPAddress,
    KeyType,
    LeafProfile,
    Pair,
    issue_ca,
    issue_leaf,
    key_type_of,
)
from provisioner.render.pki.store import PkiError

__all__ = ["KeyType", "PkiError", "PkiFolders", "PkiMember", "ensure_pki", "etcd_leaves", "stale_pki"]

RENEW_WITHIN = timedelta(days=90)
_LOOPBACKS: tuple[IPAddress, ...] = (ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))


@dataclass(frozen=True)
class PkiMember:
    """One etcd member."""

    name: str
    address: IPAddress


@dataclass(frozen=True)
class PkiFolders:
    """Certificates (and the service-account public key) go to `certificates`, private keys to `keys`:
    the two halves of a pair have the same relative path, `etcd/ca.crt` and `etcd/ca.key`."""

    certificates: Path
    keys: Path

    def pair(self, relative: str) -> tuple[Path, Path]:
        return self.certificates / f"{relative}.crt", self.keys / f"{relative}.key"

    def files(self, etcd_members: Sequence[PkiMember]) -> list[Path]:
        """Every file ensure_pki keeps up to date for these members."""
        pairs = [*_CAS, *(leaf.path for leaf in etcd_leaves(etcd_members))]
        sa_key, sa_public = self.service_account()
        return [path for relative in pairs for path in self.pair(relative)] + [sa_key, sa_public]

    def service_account(self) -> tuple[Path, Path]:
        return self.keys / f"{_SERVICE_ACCOUNT}.key", self.certificates / f"{_SERVICE_ACCOUNT}.pub"


_ETCD_CA = "etcd/ca"
_CAS = {_ETCD_CA: "{cluster}-etcd-ca", "kubernetes/ca": "kubernetes", "kubernetes/front-proxy-ca": "front-proxy-ca"}
_SERVICE_ACCOUNT = "kubernetes/sa"


def ensure_pki(folders: PkiFolders, *, cluster_name: str, etcd_members: Sequence[PkiMember],
               key_type: KeyType = "ecdsa-p256", now: datetime | None = None) -> list[Path]:
    """Creates or updates the PKI, reusing whatever is still right; returns every file it keeps (files
    of members no longer listed are left where they are: the build folder's manifest removes them)."""
    now = _whole_seconds_utc(now or datetime.now(UTC))
    leaves = etcd_leaves(etcd_members)
    for path in folders.files(etcd_members):
        if path.is_relative_to(folders.keys):
            store.private_dirs(folders.keys, path.parent)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
    cas = {relative: _ensure_ca(folders.pair(relative), name.format(cluster=cluster_name), key_type, now)
           for relative, name in _CAS.items()}
    for leaf in leaves:
        paths = folders.pair(leaf.path)
        existing = store.read_pair(*paths)
        if existing is None or not _is_current(existing, leaf, cas[_ETCD_CA], key_type, now):
            store.write_pair(*paths, issue_leaf(leaf, cas[_ETCD_CA], key_type, now))
    _ensure_service_account_key(*folders.service_account())
    return folders.files(etcd_members)


def stale_pki(folders: PkiFolders, *, etcd_members: Sequence[PkiMember], key_type: KeyType = "ecdsa-p256",
              now: datetime | None = None) -> list[str]:
    """What ensure_pki would issue or re-issue now, written nowhere: the PKI is this cluster's when empty."""
    now = _whole_seconds_utc(now or datetime.now(UTC))
    cas = {relative: _usable_ca(folders.pair(relative), now) for relative in _CAS}
    stale = [relative for relative, pair in cas.items() if pair is None]
    etcd_ca = cas[_ETCD_CA]
    for leaf in etcd_leaves(etcd_members):
        existing = store.read_pair(*folders.pair(leaf.path))
        if etcd_ca is None or existing is None or not _is_current(existing, leaf, etcd_ca, key_type, now):
            stale.append(leaf.path)
    if not all(path.is_file() for path in folders.service_account()):
        stale.append(_SERVICE_ACCOUNT)
    return stale


def etcd_leaves(members: Sequence[PkiMember]) -> list[LeafProfile]:
    """Every certificate the etcd CA signs, in the order they are checked."""
    leaves = [
        LeafProfile("etcd/apiserver-etcd-client", "kube-apiserver-etcd-client", "system:masters"),
        LeafProfile("etcd/healthcheck-client", "kube-etcd-healthcheck-client"),
    ]
    seen: set[str] = set()
    for member in members:
        # The name becomes a directory: refuse anything that could step outside etcd/members.
        if member.name in seen or member.name in {"", ".", ".."} or "/" in member.name or "\0" in member.name:
            raise ValueError(f"etcd member name {member.name!r} is empty, repeated or not a plain file name")
        seen.add(member.name)
        dns_names = tuple(dict.fromkeys((member.name, "localhost")))
        ip_addresses = tuple(dict.fromkeys((member.address, *_LOOPBACKS)))
        leaves += [
            LeafProfile(f"etcd/members/{member.name}/{role}", member.name, None, dns_names, ip_addresses,
                        SERVER_AND_CLIENT)
            for role in ("server", "peer")
        ]
    return leaves


def _ensure_ca(paths: tuple[Path, Path], common_name: str, key_type: KeyType, now: datetime) -> Pair:
    existing = _usable_ca(paths, now)
    if existing is not None:
        return existing
    issued = issue_ca(common_name, key_type, now)
    store.write_pair(*paths, issued)
    return issued


def _usable_ca(paths: tuple[Path, Path], now: datetime) -> Pair | None:
    existing = store.read_pair(*paths, required=True)
    return existing if existing is not None and _is_usable_ca(existing.certificate, now) else None


def _is_usable_ca(certificate: x509.Certificate, now: datetime) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    return constraints.ca and now < certificate.not_valid_after_utc


def _is_current(pair: Pair, leaf: LeafProfile, ca: Pair, key_type: KeyType, now: datetime) -> bool:
    certificate = pair.certificate
    try:
        certificate.verify_directly_issued_by(ca.certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    # Leaves never outlive their CA; without the cap a CA in its last 90 days would re-issue every run.
    renew_before = min(now + RENEW_WITHIN, ca.certificate.not_valid_after_utc)
    return (
        key_type_of(pair.key) == key_type
        and certificate.subject == leaf.subject
        and set(_extension_values(certificate, x509.SubjectAlternativeName)) == set(leaf.alt_names)
        and set(_extension_values(certificate, x509.ExtendedKeyUsage)) == set(leaf.usages)
        and certificate.not_valid_after_utc >= renew_before
    )


def _ensure_service_account_key(key_path: Path, public_path: Path) -> None:
    if key_path.exists():
        key = store.load_key(key_path)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        write_atomically(key_path, store.key_pem(key), 0o600)
    public = store.public_pem(key)
    if not public_path.is_file() or public_path.read_bytes() != public:
        write_atomically(public_path, public, 0o644)


def _extension_values(certificate: x509.Certificate,
                      kind: type[x509.SubjectAlternativeName] | type[x509.ExtendedKeyUsage]) -> list[object]:
    try:
        return list(certificate.extensions.get_extension_for_class(kind).value)
    except x509.ExtensionNotFound:
        return []


def _whole_seconds_utc(moment: datetime) -> datetime:
    # A naive `now` is taken as UTC; certificates carry whole seconds only.
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(microsecond=0)
