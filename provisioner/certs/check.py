"""`certs`: every certificate on every host, read from the host, judged against the tree and the clock."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from provisioner import hostpaths
from provisioner.backup.remote import Remote
from provisioner.cluster.topology import Topology
from provisioner.providers.base import SshTarget
from provisioner.render.placement import etcd_trust_source, placements

# Folders whose certificates are listed even when the tree did not place them (kubeadm writes its own).
CERTIFICATE_FOLDERS = (hostpaths.ETCD_PKI, hostpaths.KUBERNETES_PKI)
WARN_DAYS = 30
_SEPARATOR = "==> "


@dataclass(frozen=True)
class Found:
    """A certificate as it is on a host (pem None: the file is missing) and as it is in the tree."""

    host: str
    path: str
    pem_on_host: str | None
    pem_in_tree: str | None  # None: the tree does not place this file


@dataclass(frozen=True)
class Judged:
    host: str
    path: str
    subject: str
    sans: tuple[str, ...]
    issuer: str
    not_after: datetime | None
    days_left: int | None
    tree: str  # same | differs | not from the tree | missing on the host
    problems: tuple[str, ...]


def judge(found: Found, now: datetime, warn_days: int) -> Judged:
    """Pure: what an operator needs to know about one certificate, and what is wrong with it."""
    if found.pem_on_host is None:
        return Judged(found.host, found.path, "", (), "", None, None, "missing on the host", ("missing",))
    on_host = _certificates(found.pem_on_host)
    if not on_host:
        return Judged(found.host, found.path, "", (), "", None, None, "unreadable", ("not a PEM certificate",))
    certificate = on_host[0]  # a trust bundle is described by its first certificate
    not_after = certificate.not_valid_after_utc
    days_left = int((not_after - now).total_seconds() // 86400)
    difference = None if found.pem_in_tree is None else bundle_difference(on_host, found.pem_in_tree)
    tree = "not from the tree" if found.pem_in_tree is None else "differs" if difference else "same"
    problems = []
    if not_after <= now:
        problems.append("expired")
    elif days_left < warn_days:
        problems.append(f"expires within {warn_days} days")
    if difference:
        problems.append(f"differs from the tree ({difference})")
    return Judged(found.host, found.path, certificate.subject.rfc4514_string(), _sans(certificate),
                  certificate.issuer.rfc4514_string(), not_after, days_left, tree, tuple(problems))


def bundle_difference(on_host: list[x509.Certificate], pem_in_tree: str) -> str | None:
    """Pure: None when the host's file holds the tree's certificates, all of them in the same order (a trust
    bundle during a CA rotation holds several); otherwise which one differs."""
    in_tree = _certificates(pem_in_tree)
    if in_tree is None:
        return "the tree's file is not PEM certificates"
    if len(on_host) != len(in_tree):
        return f"{_count(len(on_host))} on the host, {_count(len(in_tree))} in the tree"
    for number, (host_certificate, tree_certificate) in enumerate(zip(on_host, in_tree, strict=True), start=1):
        if host_certificate != tree_certificate:
            return f"certificate {number} of {len(in_tree)}: {_named(host_certificate)} on the host, " \
                   f"{_named(tree_certificate)} in the tree"
    return None


def _named(certificate: x509.Certificate) -> str:
    return f"{certificate.subject.rfc4514_string()} sha256:{certificate.fingerprint(hashes.SHA256()).hex()[:16]}"


def _count(number: int) -> str:
    return f"{number} certificate{'' if number == 1 else 's'}"


def _certificates(pem: str) -> list[x509.Certificate] | None:
    try:
        return x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        return None


def _sans(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return (*names.get_values_for_type(x509.DNSName), *(str(ip) for ip in names.get_values_for_type(x509.IPAddress)))


def read_command(paths: Sequence[str], kubeconfigs: Sequence[str] = hostpaths.KUBEADM_KUBECONFIGS) -> str:
    """Prints every listed file and every .crt under the certificate folders, then the client certificate
    embedded in each kubeconfig file kubeadm wrote (only that line, decoded: the files hold private keys
    too), each after a `==> path` line."""
    listed = " ".join(shlex.quote(path) for path in paths)
    folders = " ".join(shlex.quote(folder) for folder in CERTIFICATE_FOLDERS)
    configs = " ".join(shlex.quote(path) for path in kubeconfigs)
    return (f"for f in {listed} $(find {folders} -name '*.crt' -type f 2>/dev/null | sort); do "
            f"if [ -f \"$f\" ]; then echo \"{_SEPARATOR}$f\"; cat -- \"$f\"; fi; done; "
            f"for f in {configs}; do if [ -f \"$f\" ]; then echo \"{_SEPARATOR}$f\"; "
            "sed -n 's/^ *client-certificate-data: *//p' -- \"$f\" | head -n 1 | base64 -d 2>/dev/null || true; "
            "fi; done")


def parse_listing(stdout: str) -> dict[str, str]:
    files: dict[str, str] = {}
    current: str | None = None
    for line in stdout.splitlines(keepends=True):
        if line.startswith(_SEPARATOR):
            current = line[len(_SEPARATOR):].strip()
            files[current] = ""
        elif current is not None:
            files[current] += line
    return files


def gather(topology: Topology, tree: Path, targets: Sequence[SshTarget]) -> list[Found]:
    """Every certificate the tree places on each host, any other under the certificate folders, and the
    client certificates of kubeadm's kubeconfig files."""

    def one_host(target: SshTarget) -> list[Found]:
        host = topology.host(target.host)
        expected = {p.dest: (tree / p.src).read_text() for p in placements(topology, host, etcd_trust_source(tree))
                    if p.dest.endswith(".crt")}
        on_host = parse_listing(Remote(target).run("Read the certificates", read_command(sorted(expected))))
        return [Found(target.host, path, on_host.get(path), expected.get(path))
                for path in sorted(set(expected) | set(on_host))]

    with ThreadPoolExecutor(max_workers=max(len(targets), 1)) as pool:
        return [found for per_host in pool.map(one_host, targets) for found in per_host]
