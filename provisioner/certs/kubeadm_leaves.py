"""kubeadm's own leaf certificates on a control-plane host (pure): whether `certs renew --expiring-within`
has `kubeadm certs renew all` run on that host, read from the files as they are there.

kubeadm issued them from the Kubernetes CA the tree places (the serving certificate of kube-apiserver,
its kubelet and front-proxy client certificates, and the client certificates embedded in admin.conf,
super-admin.conf, controller-manager.conf and scheduler.conf); they are valid for one year."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime, timedelta

import yaml
from cryptography import x509


def certificate_in(text: str) -> x509.Certificate | None:
    """The certificate of a PEM file, or the client certificate embedded in a kubeconfig file; None when the
    text holds neither."""
    try:
        return x509.load_pem_x509_certificate(text.encode())
    except ValueError:
        pass
    try:
        kubeconfig = yaml.safe_load(text)
        users = kubeconfig["users"] if isinstance(kubeconfig, dict) else []
        embedded = users[0]["user"]["client-certificate-data"]
        return x509.load_pem_x509_certificate(base64.b64decode(embedded, validate=True))
    except (yaml.YAMLError, LookupError, TypeError, binascii.Error, ValueError):
        return None


def renewal_due(files: Mapping[str, str], expiring_within_days: int, now: datetime) -> list[str]:
    """Why kubeadm's certificates are renewed on a host whose files (path -> text) are these, one reason per
    file: each that expires within the days given, or holds no certificate this can read (renewing puts a
    readable one there). Empty: nothing on this host expires that soon, so nothing is renewed there."""
    deadline = now + timedelta(days=expiring_within_days)
    reasons = []
    for path, text in sorted(files.items()):
        certificate = certificate_in(text)
        if certificate is None:
            reasons.append(f"{path}: no certificate found in it")
        elif certificate.not_valid_after_utc <= deadline:
            reasons.append(f"{path}: expires {certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")
    return reasons
