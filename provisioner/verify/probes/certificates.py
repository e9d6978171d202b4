"""Reading certificates fetched from hosts: who they name and how long they stay valid."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from cryptography import x509


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    ip_addresses: frozenset[str]
    dns_names: frozenset[str]
    not_after: datetime.datetime

    def days_left(self, now: datetime.datetime) -> float:
        return (self.not_after - now).total_seconds() / 86400

    def names(self, address: str) -> bool:
        return str(ipaddress.ip_address(address)) in self.ip_addresses


def read_certificate(pem: str) -> CertificateFacts:
    certificate = x509.load_pem_x509_certificate(pem.encode())
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        ips = frozenset(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
        dns = frozenset(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        ips, dns = frozenset(), frozenset()
    return CertificateFacts(certificate.subject.rfc4514_string(), ips, dns, certificate.not_valid_after_utc)


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
