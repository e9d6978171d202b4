"""PKI files on disk: read back what is there, write atomically with the final mode from the start."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from provisioner.atomic import write_atomically
from provisioner.errors import ProvisionerError
from provisioner.render.pki.issue import Pair, PrivateKey


class PkiError(ProvisionerError):
    """Existing PKI material that cannot be used and must not be overwritten silently."""


def read_pair(cert_path: Path, key_path: Path, *, required: bool = False) -> Pair | None:
    """The certificate and its key, or None when one is missing or they do not belong together.

    An unreadable file is None too, unless `required`: then it is an error, because a CA key that is
    merely unreadable to us (encrypted, say) must not be replaced.
    """
    if not (cert_path.exists() and key_path.exists()):
        return None
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = load_key(key_path)
    except (ValueError, PkiError) as error:
        if required:
            raise PkiError(f"{cert_path} and {key_path}: cannot be read ({error}); remove both to issue "
                           "a new CA") from error
        return None
    if _public_der(certificate.public_key()) != _public_der(key.public_key()):
        return None
    return Pair(certificate, key)


def load_key(path: Path) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise PkiError(f"{path}: not an unencrypted PEM private key ({error})") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise PkiError(f"{path}: holds a {type(key).__name__}, expected an ECDSA or RSA key")
    return key


def write_pair(cert_path: Path, key_path: Path, pair: Pair) -> None:
    # Key first: a crash in between leaves a pair that does not match, which the next run re-issues.
    write_atomically(key_path, key_pem(pair.key), 0o600)
    write_atomically(cert_path, pair.certificate.public_bytes(serialization.Encoding.PEM), 0o644)


def private_dirs(root: Path, folder: Path) -> None:
    """`root` and every folder from it down to `folder`, each 0700 (the parents of `root` as they are)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    for path in [root, *(root / part for part in _prefixes(folder.relative_to(root)))]:
        path.mkdir(mode=0o700, exist_ok=True)
        if path.stat().st_mode & 0o777 != 0o700:
            path.chmod(0o700)


def _prefixes(relative: Path) -> list[Path]:
    return [Path(*relative.parts[:count]) for count in range(1, len(relative.parts) + 1)]


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _public_der(public_key: CertificatePublicKeyTypes) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)
