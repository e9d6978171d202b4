"""Shared secrets generated once per rendered tree and reused, like the PKI."""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

KEEPALIVED_AUTH_PASS = "secrets/keepalived-auth-pass"
# VRRP PASS authentication reads at most 8 characters.
_VRRP_PASS_LENGTH = 8


def keepalived_auth_pass(out: Path) -> str:
    path = out / KEEPALIVED_AUTH_PASS
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(_VRRP_PASS_LENGTH))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")
    return value
