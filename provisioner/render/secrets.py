"""Shared secrets generated once per rendered tree and reused, like the PKI."""

from __future__ import annotations

import base64
import os
import secrets
import string
from collections.abc import Callable
from pathlib import Path

KEEPALIVED_AUTH_PASS = "secrets/keepalived-auth-pass"
ENCRYPTION_KEY = "secrets/secrets-encryption-key"
# VRRP PASS authentication reads at most 8 characters.
_VRRP_PASS_LENGTH = 8


def keepalived_auth_pass(out: Path) -> str:
    return _generated_once(out / KEEPALIVED_AUTH_PASS, lambda: "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(_VRRP_PASS_LENGTH)))


def encryption_key(out: Path) -> str:
    """The key kube-apiserver encrypts Secrets with: 32 random bytes, base64, as aescbc wants them.
    Losing it loses every Secret, so it is kept with the tree's other secrets and never replaced."""
    return _generated_once(out / ENCRYPTION_KEY, lambda: base64.b64encode(secrets.token_bytes(32)).decode())


def _generated_once(path: Path, generate: Callable[[], str]) -> str:
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = generate()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")
    return value
