"""The build folder's private part: `secrets/`, 0700, holds every private key and shared secret, so the
rest of the tree can be reviewed, shared or committed without them.

Shared secrets (the VRRP password, the key Secrets are encrypted with) are generated once and reused,
like the PKI.
"""

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Callable
from pathlib import Path

from provisioner.atomic import write_atomically
from provisioner.render.pki import PkiFolders
from provisioner.render.pki.store import private_dirs

SECRETS = "secrets"
KEEPALIVED_AUTH_PASS = f"{SECRETS}/keepalived-auth-pass"
# The key kube-apiserver encrypts Secrets with, and the EncryptionConfiguration that holds it.
ENCRYPTION_KEY = f"{SECRETS}/secrets-encryption-key"
ENCRYPTION_CONFIG = f"{SECRETS}/encryption-config.yaml"
# keepalived's `authentication` block, included by keepalived.conf: the password stays out of the main
# configuration, so keepalived's own messages about that file can be shown.
KEEPALIVED_AUTH = f"{SECRETS}/keepalived-auth.conf"
# VRRP PASS authentication reads at most 8 characters.
_VRRP_PASS_LENGTH = 8


def pki_folders(out: Path) -> PkiFolders:
    return PkiFolders(certificates=out / "pki", keys=out / SECRETS / "pki")


def private_folder(out: Path) -> Path:
    """`secrets/`, created 0700 (and set back to 0700 if it was widened)."""
    folder = out / SECRETS
    private_dirs(folder, folder)
    return folder


def keepalived_auth_pass(out: Path) -> str:
    """The cluster's VRRP password, generated on first use."""
    return _generated_once(out, KEEPALIVED_AUTH_PASS, lambda: "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(_VRRP_PASS_LENGTH)))


def encryption_key(out: Path) -> str:
    """The key kube-apiserver encrypts Secrets with: 32 random bytes, base64, as aescbc wants them."""
    return _generated_once(out, ENCRYPTION_KEY, lambda: base64.b64encode(secrets.token_bytes(32)).decode())


def read_keepalived_auth_pass(out: Path) -> str | None:
    return _read(out / KEEPALIVED_AUTH_PASS)


def read_encryption_key(out: Path) -> str | None:
    return _read(out / ENCRYPTION_KEY)


def _generated_once(out: Path, name: str, generate: Callable[[], str]) -> str:
    existing = _read(out / name)
    if existing is not None:
        return existing
    private_folder(out)
    value = generate()
    write_atomically(out / name, value + "\n", 0o600)
    return value


def _read(path: Path) -> str | None:
    return path.read_text().strip() if path.is_file() else None
