"""Keys and certificates: what a CA and a leaf carry, made with the `cryptography` library."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyType = Literal["ecdsa-p256", "rsa-2048"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CA_VALIDITY = timedelta(days=3650)
LEAF_VALIDITY = timedelta(days=365)
CLIENT = (ExtendedKeyUsageOID.CLIENT_AUTH,)
SERVER_AND_CLIENT = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)
# Tolerates hosts whose clocks run a little behind the machine that issued the certificate.
_BACKDATE = timedelta(minutes=5)


@dataclass(frozen=True)
class Pair:
    certificate: x509.Certificate
    key: PrivateKey


@dataclass(frozen=True)
class LeafProfile:
    """One certificate signed by a CA: where it lives (without .crt/.key) and what it says."""

    path: str
    common_name: str
    organization: str | None = None
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[IPAddress, ...] = ()
    usages: tuple[x509.ObjectIdentifier, ...] = CLIENT

    @property
    def subject(self) -> x509.Name:
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, self.common_name)]
        if self.organization:
            attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization))
        return x509.Name(attributes)

    @property
    def alt_names(self) -> list[x509.GeneralName]:
        return [*map(x509.DNSName, self.dns_names), *map(x509.IPAddress, self.ip_addresses)]


def issue_ca(common_name: str, key_type: KeyType, now: datetime) -> Pair:
    key = new_key(key_type)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        _builder(subject, subject, key, now, now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Pair(certificate, key)


def issue_leaf(profile: LeafProfile, ca: Pair, key_type: KeyType, now: datetime) -> Pair:
    key = new_key(key_type)
    # keyEncipherment only means something for RSA key exchange; it is wrong on an ECDSA key.
    usage = _key_usage(digital_signature=True, key_encipherment=isinstance(key, rsa.RSAPrivateKey))
    # Never outlives its CA, so a chain is never valid for less time than its leaf claims.
    not_after = min(now + LEAF_VALIDITY, ca.certificate.not_valid_after_utc)
    builder = (
        _builder(profile.subject, ca.certificate.subject, key, now, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage(list(profile.usages)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(_authority_key_identifier(ca), critical=False)
    )
    if profile.alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(profile.alt_names), critical=False)
    return Pair(builder.sign(ca.key, hashes.SHA256()), key)


def new_key(key_type: KeyType) -> PrivateKey:
    if key_type == "rsa-2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def key_type_of(key: PrivateKey) -> KeyType | None:
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa-2048" if key.key_size == 2048 else None
    return "ecdsa-p256" if isinstance(key.curve, ec.SECP256R1) else None


def _builder(subject: x509.Name, issuer: x509.Name, key: PrivateKey, now: datetime,
             not_after: datetime) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(not_after)
    )


def _key_usage(*, digital_signature: bool = False, key_encipherment: bool = False,
               key_cert_sign: bool = False, crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                         key_encipherment=key_encipherment, data_encipherment=False, key_agreement=False,
                         key_cert_sign=key_cert_sign, crl_sign=crl_sign, encipher_only=False,
                         decipher_only=False)


def _authority_key_identifier(ca: Pair) -> x509.AuthorityKeyIdentifier:
    try:
        ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        # A CA made elsewhere may lack the extension; its key gives the identifier it would have had.
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
