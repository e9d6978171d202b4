"""Reading the kubeadm configuration apply put on a control-plane host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class ExternalEtcd:
    endpoints: tuple[str, ...]
    ca_file: str
    cert_file: str
    key_file: str


def external_etcd(text: str) -> ExternalEtcd | None:
    """`etcd.external` of the ClusterConfiguration document; None when there is none."""
    for document in yaml.safe_load_all(text):
        if isinstance(document, dict) and document.get("kind") == "ClusterConfiguration":
            external: dict[str, Any] = (document.get("etcd") or {}).get("external") or {}
            if not external:
                return None
            return ExternalEtcd(tuple(external.get("endpoints") or ()), str(external.get("caFile", "")),
                                str(external.get("certFile", "")), str(external.get("keyFile", "")))
    return None
