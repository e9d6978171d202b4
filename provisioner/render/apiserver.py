"""kube-apiserver hardening kubeadm users commonly add: Secrets encrypted at rest, and an audit log.

Each is a file kube-apiserver reads, placed on every control-plane host, plus the flags and the
hostPath volumes kubeadm gives its static Pod (ClusterConfiguration.apiServer extraArgs/extraVolumes).
"""

from __future__ import annotations

from typing import Any

from provisioner import hostpaths
from provisioner.cluster.model import Kubernetes

AUDIT_LOG_MAX_AGE_DAYS = 30
AUDIT_LOG_MAX_BACKUPS = 10
AUDIT_LOG_MAX_SIZE_MB = 100


def encryption_configuration(key: str) -> dict[str, Any]:
    """AES-CBC with the generated 32-byte key for Secrets; `identity` last, so Secrets written before
    encryption was turned on stay readable."""
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "EncryptionConfiguration",
        "resources": [{
            "resources": ["secrets"],
            "providers": [{"aescbc": {"keys": [{"name": "key1", "secret": key}]}}, {"identity": {}}],
        }],
    }


def audit_policy() -> dict[str, Any]:
    """Who did what, never the content: metadata of every request, nothing for health probes and for
    the high-volume reads of nodes' own components."""
    return {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": [
            {"level": "None", "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version"]},
            {"level": "None", "users": ["system:kube-proxy"], "verbs": ["watch"]},
            {"level": "None", "userGroups": ["system:nodes"], "verbs": ["get", "list", "watch"]},
            {"level": "Metadata"},
        ],
    }


def _mount(name: str, folder: str, read_only: bool) -> dict[str, Any]:
    return {"name": name, "hostPath": folder, "mountPath": folder, "readOnly": read_only,
            "pathType": "DirectoryOrCreate"}


def apiserver_extras(kubernetes: Kubernetes) -> dict[str, Any]:
    """The apiServer extraArgs and extraVolumes for what is turned on; empty when nothing is."""
    args: list[dict[str, str]] = []
    volumes: list[dict[str, Any]] = []
    if kubernetes.encrypt_secrets:
        args.append({"name": "encryption-provider-config", "value": hostpaths.ENCRYPTION_CONFIG})
        volumes.append(_mount("encryption-config", hostpaths.ENCRYPTION_CONFIG_DIR, read_only=True))
    if kubernetes.audit_log:
        args += [
            {"name": "audit-policy-file", "value": hostpaths.AUDIT_POLICY},
            {"name": "audit-log-path", "value": f"{hostpaths.AUDIT_LOG_DIR}/audit.log"},
            {"name": "audit-log-maxage", "value": str(AUDIT_LOG_MAX_AGE_DAYS)},
            {"name": "audit-log-maxbackup", "value": str(AUDIT_LOG_MAX_BACKUPS)},
            {"name": "audit-log-maxsize", "value": str(AUDIT_LOG_MAX_SIZE_MB)},
        ]
        volumes += [_mount("audit-policy", hostpaths.AUDIT_POLICY_DIR, read_only=True),
                    _mount("audit-log", hostpaths.AUDIT_LOG_DIR, read_only=False)]
    return {"extraArgs": args, "extraVolumes": volumes} if args else {}
